// `accel classifier train <dataDir> --featurizer <model[:version]> --name <name>`: transfer learning on a folder
// of class subfolders (featurize through the emulator, train a softmax head, register one ONNX classifier), and
// `accel model featurizer <model[:version]> --name <name>` (added to the `model` noun): register a classifier cut
// at its feature tensor.
import type { Command } from 'commander';
import {
  TRAIN_DEFAULTS,
  registerFeaturizer,
  trainClassifier,
  type TrainResult,
} from '../../classifier/trainClassifier';
import { AccelError } from '../../domain/errors';
import { signalFromAbort } from '../../domain/ports';
import { action, nounCommand } from '../context';
import { cliProgress, printJson, printLine, printTable } from '../output';
import { MODEL_DESCRIPTION, printModel } from './model';

interface TrainCliOptions {
  featurizer: string;
  name: string;
  featureTensor?: string;
  holdout?: string;
  epochs?: string;
  l2?: string;
  seed?: string;
  skipUnreadable?: boolean;
  description?: string;
}

function numberOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new AccelError(
      'InvalidArgument',
      `${flag} ${JSON.stringify(value)} is not a number. Give e.g. ${flag} ${flag === '--holdout' ? '0.2' : flag === '--l2' ? '0.01' : '200'}.`,
    );
  return n;
}

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/** The --json document: the model, the labels in output order, accuracies, per-class figures and the confusion matrix. */
export function trainJson(r: TrainResult) {
  return {
    model: r.model,
    labels: r.labels,
    accuracy: r.accuracy,
    perClass: r.perClass,
    confusion: r.confusion,
    evaluatedOn: r.evaluatedOn,
    misclassified: r.misclassified,
    featurizer: r.featurizer,
    data: r.data,
    training: r.training,
    featurize: r.featurize,
  };
}

function printResult(r: TrainResult): void {
  printLine(
    `Registered classifier ${r.model.id}: ${r.labels.length} classes (${r.labels.join(', ')}), featurizer ${r.featurizer.model} at ${r.featurizer.featureTensor} (${r.featurizer.dim} features).`,
  );
  printLine(
    `Photos: ${r.data.photos} (${r.data.train} train, ${r.data.holdout} hold-out)${r.data.skipped.length ? `, ${r.data.skipped.length} skipped` : ''}; featurized at ${r.featurize.imagesPerSecond.toFixed(1)} photos/s; head trained in ${r.training.ms.toFixed(0)} ms (${r.training.iterations} iterations).`,
  );
  printLine(`Accuracy: train ${pct(r.accuracy.train)}, hold-out ${pct(r.accuracy.holdout)}`);
  printLine('');
  printLine(`Per class (${r.evaluatedOn === 'holdout' ? 'hold-out photos' : 'training photos; no hold-out'}):`);
  printTable(
    r.perClass,
    [
      { header: 'CLASS', value: (c) => c.label },
      { header: 'PRECISION', value: (c) => pct(c.precision) },
      { header: 'RECALL', value: (c) => pct(c.recall) },
      { header: 'PHOTOS', value: (c) => c.support },
    ],
    '',
  );
  printLine('');
  printLine('Confusion (rows: true class, columns: predicted):');
  printTable(
    r.confusion.map((row, i) => ({ label: r.labels[i], row })),
    [
      { header: '', value: (x) => x.label },
      ...r.labels.map((label, j) => ({ header: label, value: (x: { row: number[] }) => x.row[j] })),
    ],
    '',
  );
  for (const s of r.data.skipped) printLine(`skipped ${s.file}: ${s.reason}`);
  printLine('');
  printLine(
    `Next: accel image create ${r.model.name}-image --model ${r.model.id}, then accel service deploy ${r.model.name}-svc --image ${r.model.name}-image`,
  );
}

export function register(program: Command): void {
  const classifier = nounCommand(
    program,
    'classifier',
    'Train your own image classifier on a folder of photos (transfer learning over a featurizer)',
  );
  classifier
    .command('train <dataDir>')
    .description(
      'train a classifier on <dataDir> (one subfolder of photos per class, named by the class): features from a registered image model run on the emulator, a softmax head trained here, registered as one ONNX model',
    )
    .requiredOption(
      '--featurizer <model[:version]>',
      'the registered image classifier to use as featurizer (e.g. the sample MobileNetV2)',
    )
    .requiredOption('-n, --name <name>', 'name of the classifier model to register')
    .option(
      '--feature-tensor <tensor>',
      'the tensor to take features from (default: the input of the final classification layer)',
    )
    .option(
      '--holdout <share>',
      `share of each class's photos held out for the accuracy figures, 0 to <1 (default ${TRAIN_DEFAULTS.holdout})`,
    )
    .option('--epochs <n>', `maximum full-batch training iterations (default ${TRAIN_DEFAULTS.epochs})`)
    .option('--l2 <lambda>', `L2 strength on the standardized features (default ${TRAIN_DEFAULTS.l2})`)
    .option('--seed <n>', `seed of the hold-out split (default ${TRAIN_DEFAULTS.seed})`)
    .option('--skip-unreadable', 'skip files that are not readable photos (listed in the result) instead of refusing')
    .option('-d, --description <text>', 'description of the registered model')
    .action(
      action(async (ctx, dataDir: string, opts: TrainCliOptions) => {
        const workspace = await ctx.workspace();
        const options = {
          dataDir,
          featurizer: opts.featurizer,
          name: opts.name,
          featureTensor: opts.featureTensor,
          holdout: numberOption(opts.holdout, '--holdout'),
          epochs: numberOption(opts.epochs, '--epochs'),
          l2: numberOption(opts.l2, '--l2'),
          seed: numberOption(opts.seed, '--seed'),
          skipUnreadable: opts.skipUnreadable,
          description: opts.description,
          progress: cliProgress(ctx.json),
        };
        // Ctrl-C cancels: the transient featurizer service, image and model are removed before the process exits.
        const abort = new AbortController();
        const cancel = () => abort.abort();
        process.once('SIGINT', cancel);
        const result = await trainClassifier(ctx.store, workspace, {
          ...options,
          cancellation: signalFromAbort(abort.signal),
        }).finally(() => process.removeListener('SIGINT', cancel));
        if (ctx.json) return printJson(trainJson(result));
        printResult(result);
      }),
    );
  registerFeaturizerCommand(program);
}

function registerFeaturizerCommand(program: Command): void {
  nounCommand(program, 'model', MODEL_DESCRIPTION)
    .command('featurizer <model>')
    .description(
      'register <model> (<name> or <name>:<version>, an ONNX image classifier) cut at its feature tensor: a featurizer whose output "features" is the feature vector',
    )
    .requiredOption('-n, --name <name>', 'name of the featurizer model to register')
    .option('--feature-tensor <tensor>', 'the tensor to cut at (default: the input of the final classification layer)')
    .action(
      action(async (ctx, ref: string, opts: { name: string; featureTensor?: string }) => {
        const workspace = await ctx.workspace();
        const { model: registered, featureTensor } = await registerFeaturizer(
          ctx.store,
          workspace,
          ref,
          opts.name,
          opts.featureTensor,
        );
        if (ctx.json) return printJson({ ...registered, featureTensor });
        printLine(`Registered featurizer ${registered.id} (${ref} cut at ${featureTensor}).`);
        printModel(registered);
      }),
    );
}
