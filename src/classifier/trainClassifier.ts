// The transfer-learning use cases: `registerFeaturizer` (a classifier cut at its feature tensor, registered as a
// model whose output is the feature vector) and `trainClassifier` (featurize a folder of class subfolders through
// the emulator, train a softmax head, register featurizer + head as one ONNX classifier labelled with the
// class names). Every input check runs before anything is written; a failure leaves the store as it was.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { findModel, registerModel } from '../core/models';
import { validateName } from '../domain/names';
import {
  neverCancelled,
  silentProgress,
  type CancellationSignal,
  type ProgressReporter,
  type WorkspaceStore,
} from '../domain/ports';
import { presetOf } from '../domain/presets';
import type { Model } from '../domain/types';
import { countPerClass, scanDataset, splitHoldout, type UnreadableFile } from './dataset';
import { attachHead, cutFeaturizer, type Featurizer } from './featurizerGraph';
import { featurizeFiles, withFeaturizerService } from './featurize';
import { evaluate, type Evaluation } from './metrics';
import { argmaxRows, predictProbabilities, trainSoftmaxHead } from './softmaxHead';

export const TRAIN_DEFAULTS = { holdout: 0.2, epochs: 200, l2: 0.01, seed: 1 };

export interface TrainOptions {
  dataDir: string;
  /** `name` or `name:version` of a registered ONNX image classifier. */
  featurizer: string;
  name: string;
  featureTensor?: string;
  holdout?: number;
  epochs?: number;
  l2?: number;
  seed?: number;
  skipUnreadable?: boolean;
  description?: string;
  /** Photos per request and requests in flight while featurizing (defaults: 4, four per replica). */
  batchSize?: number;
  concurrency?: number;
  progress?: ProgressReporter;
  cancellation?: CancellationSignal;
}

export interface PerClass {
  label: string;
  precision: number | null;
  recall: number | null;
  support: number;
}

export interface TrainResult {
  model: Model;
  labels: string[];
  accuracy: { train: number; holdout: number | null };
  /** On the hold-out photos (on the training photos when there is no hold-out). */
  perClass: PerClass[];
  /** confusion[true][predicted], same set as perClass. */
  confusion: number[][];
  evaluatedOn: 'holdout' | 'train';
  misclassified: Array<{ file: string; label: string; predicted: string; probability: number }>;
  featurizer: { model: string; featureTensor: string; dim: number };
  data: {
    dir: string;
    digest: string;
    photos: number;
    train: number;
    holdout: number;
    perClass: number[];
    skipped: UnreadableFile[];
  };
  training: {
    iterations: number;
    converged: boolean;
    lossCurve: number[];
    ms: number;
    l2: number;
    epochs: number;
    seed: number;
  };
  featurize: { ms: number; imagesPerSecond: number; replicas: number };
}

function checkNumber(
  value: number | undefined,
  flag: string,
  fallback: number,
  ok: (v: number) => boolean,
  rule: string,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
    throw new AccelError('InvalidArgument', `${flag} ${value} is not valid: ${rule}.`);
  return v;
}

/** The source model for a featurizer: a registered ONNX model that takes images (it has a preprocessing preset). */
function featurizerSource(model: Model): void {
  if (model.framework !== 'onnx') {
    throw new AccelError(
      'InvalidArgument',
      `Model ${model.id} is a TensorFlow model; a featurizer must be an ONNX image model. Convert it first (\`accel model convert ${model.id} ...\`) and use the converted model.`,
    );
  }
  const preset = presetOf(model);
  if (model.inputs.length !== 1 || preset.height <= 0 || preset.width <= 0) {
    throw new AccelError(
      'InvalidArgument',
      `Model ${model.id} is not an image model (its preprocessing preset is "${model.preset}", inputs ${model.inputs.map((t) => t.name).join(', ')}), so it cannot featurize photos. Pick an image classifier such as the sample MobileNetV2, or register it with --preset.`,
    );
  }
}

function readModelFile(store: WorkspaceStore, workspace: string, model: Model): Uint8Array {
  const file = store.blobPath(workspace, model.blob);
  if (!fs.existsSync(file))
    throw new AccelError(
      'InvalidModel',
      `The file of model ${model.id} is missing from the store (${file}). Register the model again.`,
    );
  return fs.readFileSync(file);
}

async function registerBytes(
  store: WorkspaceStore,
  workspace: string,
  bytes: Uint8Array,
  fileName: string,
  input: Omit<Parameters<typeof registerModel>[2], 'path'>,
): Promise<Model> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-classifier-'));
  try {
    const file = path.join(dir, fileName);
    fs.writeFileSync(file, bytes);
    return await registerModel(store, workspace, { ...input, path: file });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function featurizerFor(store: WorkspaceStore, workspace: string, source: Model, featureTensor?: string): Featurizer {
  featurizerSource(source);
  return cutFeaturizer(readModelFile(store, workspace, source), source.id, featureTensor);
}

/** `accel model featurizer`: registers `source` cut at its feature tensor as model `name`. */
export async function registerFeaturizer(
  store: WorkspaceStore,
  workspace: string,
  sourceRef: string,
  name: string,
  featureTensor?: string,
): Promise<{ model: Model; featureTensor: string }> {
  validateName('model', name);
  const source = findModel(await store.read(workspace), sourceRef);
  const { bytes, feature } = featurizerFor(store, workspace, source, featureTensor);
  const model = await registerBytes(store, workspace, bytes, `${name}.onnx`, {
    name,
    preset: source.preset,
    preprocessing: source.preprocessing,
    labels: 'none',
    tags: { featurizerOf: source.id, featureTensor: feature.name },
    description: `Featurizer: ${source.id} cut at tensor ${feature.name}; output "features" is the feature vector.`,
  });
  return { model, featureTensor: feature.name };
}

export async function trainClassifier(
  store: WorkspaceStore,
  workspace: string,
  options: TrainOptions,
): Promise<TrainResult> {
  const progress = options.progress ?? silentProgress;
  const cancellation = options.cancellation ?? neverCancelled;
  // 1. Every check on the input, before anything is written.
  validateName('model', options.name);
  const holdoutShare = checkNumber(
    options.holdout,
    '--holdout',
    TRAIN_DEFAULTS.holdout,
    (v) => v >= 0 && v < 1,
    'give a share from 0 (no hold-out) up to but not including 1, e.g. 0.2',
  );
  const epochs = checkNumber(
    options.epochs,
    '--epochs',
    TRAIN_DEFAULTS.epochs,
    (v) => Number.isInteger(v) && v >= 1 && v <= 100_000,
    'give a whole number of iterations from 1 to 100000, e.g. 200',
  );
  const l2 = checkNumber(
    options.l2,
    '--l2',
    TRAIN_DEFAULTS.l2,
    (v) => v >= 0 && v <= 1e6,
    'give a number ≥ 0, e.g. 0.01',
  );
  const seed = checkNumber(
    options.seed,
    '--seed',
    TRAIN_DEFAULTS.seed,
    (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff,
    'give a whole number from 0 to 4294967295',
  );
  const source = findModel(await store.read(workspace), options.featurizer);
  const featurizer = featurizerFor(store, workspace, source, options.featureTensor);
  progress.report({ message: `Reading ${options.dataDir}` });
  const dataset = scanDataset(options.dataDir, { skipUnreadable: options.skipUnreadable });
  splitHoldout(dataset.photos, dataset.classes, holdoutShare, seed); // refuses too few photos per class now
  if (cancellation.isCancellationRequested)
    throw new AccelError('Cancelled', 'Training was cancelled; nothing was registered.');

  // 2. Features through a transient featurizer service.
  const files = dataset.photos.map((p) => p.file);
  const features = await withFeaturizerService(store, workspace, source, featurizer.bytes, async (service) => {
    const f = await featurizeFiles(service, files, {
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      skipUndecodable: options.skipUnreadable,
      cancellation,
      onProgress: (done, total) =>
        progress.report({ message: `Featurizing photos ${done}/${total}`, fraction: (0.9 * done) / total }),
    });
    return { ...f, replicas: service.replicas };
  });
  const failed = new Set(features.failed.map((f) => f.index));
  const skipped = [
    ...dataset.skipped,
    ...features.failed.map((f) => ({ file: files[f.index], reason: `the service could not decode it: ${f.reason}` })),
  ];
  const photos = dataset.photos.filter((_, i) => !failed.has(i));
  const rowsOf = dataset.photos.map((_, i) => i).filter((i) => !failed.has(i));
  const counts = countPerClass(photos, dataset.classes.length);
  const emptied = dataset.classes.filter((_, c) => counts[c] === 0);
  if (emptied.length)
    throw new AccelError(
      'InvalidArgument',
      `No photo of class ${emptied.join(', ')} could be decoded by the featurizer service. Add readable photos.`,
    );
  const split = splitHoldout(photos, dataset.classes, holdoutShare, seed);

  // 3. The head.
  const dim = features.dim;
  const k = dataset.classes.length;
  const gather = (indices: number[]) => {
    const x = new Float32Array(indices.length * dim);
    const y = new Int32Array(indices.length);
    indices.forEach((j, r) => {
      const row = rowsOf[j];
      x.set(features.data.subarray(row * dim, (row + 1) * dim), r * dim);
      y[r] = photos[j].classIndex;
    });
    return { x, y };
  };
  const train = gather(split.train);
  const held = gather(split.holdout);
  progress.report({ message: `Training the classifier on ${split.train.length} photos`, fraction: 0.9 });
  const t0 = performance.now();
  const head = trainSoftmaxHead(train.x, split.train.length, dim, train.y, k, {
    l2,
    maxIterations: epochs,
    onIteration: () => cancellation.isCancellationRequested,
  });
  const trainMs = performance.now() - t0;
  if (cancellation.isCancellationRequested)
    throw new AccelError('Cancelled', 'Training was cancelled; nothing was registered.');
  const trainPred = argmaxRows(predictProbabilities(head, train.x, split.train.length), split.train.length, k);
  const heldProb = predictProbabilities(head, held.x, split.holdout.length);
  const heldPred = argmaxRows(heldProb, split.holdout.length, k);
  const trainEval: Evaluation = evaluate(train.y, trainPred, k);
  const heldEval: Evaluation | undefined = split.holdout.length ? evaluate(held.y, heldPred, k) : undefined;
  const report = heldEval ?? trainEval;

  // 4. One ONNX graph, featurizer + head, registered with the class names.
  const bytes = attachHead(featurizer.bytes, `the featurizer of ${source.id}`, head);
  const holdoutAccuracy = heldEval ? heldEval.accuracy : null;
  const model = await registerBytes(store, workspace, bytes, `${options.name}.onnx`, {
    name: options.name,
    preset: source.preset,
    preprocessing: source.preprocessing,
    labels: dataset.classes,
    description:
      options.description ??
      `Classifier of ${k} classes (${dataset.classes.join(', ').slice(0, 200)}) trained on ${path.basename(dataset.root)} over featurizer ${source.id}.`,
    tags: {
      classifier: 'softmax',
      featurizer: source.id,
      featureTensor: featurizer.feature.name,
      dataDigest: dataset.digest,
      'accuracy.train': trainEval.accuracy.toFixed(4),
      'accuracy.holdout': holdoutAccuracy === null ? 'none' : holdoutAccuracy.toFixed(4),
    },
    properties: {
      trainedOn: dataset.root.slice(-256),
      photos: String(photos.length),
      holdout: String(holdoutShare),
      l2: String(l2),
      seed: String(seed),
    },
  });
  progress.report({ message: `Registered ${model.id}`, fraction: 1 });

  const misclassified = split.holdout.flatMap((j, r) =>
    heldPred[r] === held.y[r]
      ? []
      : [
          {
            file: photos[j].file,
            label: dataset.classes[held.y[r]],
            predicted: dataset.classes[heldPred[r]],
            probability: heldProb[r * k + heldPred[r]],
          },
        ],
  );
  return {
    model,
    labels: dataset.classes,
    accuracy: { train: trainEval.accuracy, holdout: holdoutAccuracy },
    perClass: dataset.classes.map((label, c) => ({
      label,
      precision: report.precision[c],
      recall: report.recall[c],
      support: report.support[c],
    })),
    confusion: report.confusion,
    evaluatedOn: heldEval ? 'holdout' : 'train',
    misclassified,
    featurizer: { model: source.id, featureTensor: featurizer.feature.name, dim },
    data: {
      dir: dataset.root,
      digest: dataset.digest,
      photos: photos.length,
      train: split.train.length,
      holdout: split.holdout.length,
      perClass: counts,
      skipped,
    },
    training: {
      iterations: head.iterations,
      converged: head.converged,
      lossCurve: head.lossCurve,
      ms: trainMs,
      l2,
      epochs,
      seed,
    },
    featurize: { ms: features.ms, imagesPerSecond: (files.length / features.ms) * 1000, replicas: features.replicas },
  };
}
