// accel model register|list|show|delete. Other modules add subcommands to the same `model` noun via
// nounCommand(program, 'model', ...) (e.g. `model convert`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { fetchSampleModel, SAMPLE_MODEL } from '../../catalog/download';
import { labelSetText } from '../../catalog/labels';
import { AccelError } from '../../domain/errors';
import { defaultCalibrationDir } from '../../core/conversions';
import { sourceDeleted } from '../../core/dependencies';
import { comparePrecisions } from '../../core/precisionComparison';
import type { PrecisionComparison } from '../../core/precisionCache';
import { signalFromAbort } from '../../domain/ports';
import { deleteModel, getModel, LABEL_SETS, listModels, registerModel, updateModel } from '../../core/models';
import { parseKeyValues } from '../../domain/names';
import { describePreset, PRESET_NAMES, presetLabel } from '../../domain/presets';
import type { Framework, LabelSet, Model, PresetName } from '../../domain/types';
import { action, collect, nounCommand } from '../context';
import { printConversionReport, readConversionReport } from './convert';
import { cliProgress, printJson, printLine, printTable } from '../output';

export const MODEL_DESCRIPTION = 'Register, list, show and delete models';

interface RegisterOptions {
  name?: string;
  tag?: string[];
  property?: string[];
  description?: string;
  framework?: Framework;
  preset?: PresetName;
  labels?: LabelSet;
  sample?: boolean;
}

function shape(dims: (number | string)[]): string {
  return `[${dims.join(',')}]`;
}

/** `sourceGone`: a converted model whose registered source was deleted (its parent line says so). */
export function printModel(model: Model, sourceGone = false): void {
  const rows: [string, unknown][] = [
    ['id', model.id],
    ['framework', model.framework],
    ['description', model.description],
    ['created', model.createdTime],
    ['file', `${model.fileName} (${model.sizeBytes} bytes, sha256 ${model.blob})`],
    ['preset', model.preprocessing ? describePreset(model.preprocessing) : model.preset],
    ['labels', labelSetText(model.labels)],
    ['parent', model.parentId && sourceGone ? `${model.parentId} (source deleted)` : model.parentId],
    [
      'tags',
      Object.entries(model.tags)
        .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
        .join(' '),
    ],
    [
      'properties',
      Object.entries(model.properties)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    ],
  ];
  for (const [k, v] of rows) if (v !== undefined && v !== '') printLine(`${`${k}:`.padEnd(13)}${v}`);
  for (const [title, list] of [
    ['inputs', model.inputs],
    ['outputs', model.outputs],
  ] as const) {
    printLine(`${title}:`);
    for (const t of list) printLine(`  ${t.name}  ${t.dtype}  ${shape(t.shape)}`);
  }
}

const MODEL_COLUMNS = [
  { header: 'NAME', value: (m: Model) => m.name },
  { header: 'VERSION', value: (m: Model) => m.version },
  { header: 'FRAMEWORK', value: (m: Model) => m.framework },
  { header: 'PRESET', value: (m: Model) => presetLabel(m) },
  { header: 'INPUT', value: (m: Model) => m.inputs.map((t) => `${t.name} ${t.dtype}${shape(t.shape)}`).join(' ') },
  { header: 'CREATED', value: (m: Model) => m.createdTime },
  { header: 'TAGS', value: (m: Model) => m.tags },
];

/** The sample photos that ship in the repository (media/samples), next to the bundle or the sources; or undefined. */
function samplePhotos(): string | undefined {
  return [
    path.join(__dirname, '..', 'media', 'samples'),
    path.join(__dirname, '..', '..', '..', 'media', 'samples'),
  ].find((d) => fs.existsSync(d));
}

/** The photos a comparison runs on: --images, else $ACCEL_CALIBRATION (or the shared images), else the samples. */
export function comparisonImages(images: string | undefined): string {
  const dir = images ?? defaultCalibrationDir() ?? samplePhotos();
  if (!dir)
    throw new AccelError(
      'InvalidArgument',
      'No calibration photos: pass --images with a folder of JPEG/PNG photos like the ones the model will score.',
    );
  return dir;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;

export function printComparison(c: PrecisionComparison): void {
  printLine(`Precisions of ${c.model} on ${c.images} photos from ${c.calibrationDir} (reference: ${c.reference}):`);
  printTable(
    c.rows,
    [
      { header: 'PRECISION', value: (r) => r.precision },
      { header: 'TOP-1 AGREE', value: (r) => `${(r.top1Agreement * 100).toFixed(1)}%` },
      { header: 'TOP-5 AGREE', value: (r) => `${(r.top5Agreement * 100).toFixed(1)}%` },
      { header: 'MEAN |ΔP|', value: (r) => r.meanAbsProbDiff.toExponential(2) },
      { header: 'MAX |ΔP|', value: (r) => r.maxAbsProbDiff.toExponential(2) },
      { header: 'WEIGHTS', value: (r) => kib(r.weightBytes) },
    ],
    '',
  );
}

export function register(program: Command): void {
  const model = nounCommand(program, 'model', MODEL_DESCRIPTION);

  model
    .command('register [path]')
    .description(
      'register a model file (.onnx or TensorFlow frozen .pb) or a folder holding exactly one; each registration of a name adds a version',
    )
    .option('-n, --name <name>', 'model name (lowercase letters, digits, ".", "-", "_")')
    .option('-t, --tag <key[=value]>', 'a tag (repeatable)', collect)
    .option('-p, --property <key=value>', 'a property (repeatable)', collect)
    .option('-d, --description <text>', 'a description')
    .option('--framework <framework>', 'onnx or tensorflow (default: detected; must match the file)')
    .option(
      '--preset <preset>',
      `preprocessing preset: ${PRESET_NAMES.join(', ')} (default: inferred from the input shape)`,
    )
    .option('--labels <set>', `label set: ${LABEL_SETS.join(', ')} (default: inferred from the output width)`)
    .option(
      '--sample',
      `register the sample model (${SAMPLE_MODEL.fileName}, ONNX Model Zoo), downloaded with checksum verification or taken from ACCEL_MIRROR; the name defaults to "mobilenet"`,
    )
    .action(
      action(async (ctx, modelPath: string | undefined, opts: RegisterOptions) => {
        if (opts.sample && modelPath)
          throw new AccelError('InvalidArgument', 'Pass either a model path or --sample, not both.');
        if (!opts.sample && !modelPath)
          throw new AccelError(
            'InvalidArgument',
            'Pass the model file or folder to register (e.g. `accel model register ./model.onnx --name mymodel`), or --sample for the sample model.',
          );
        if (!opts.name && !opts.sample)
          throw new AccelError(
            'InvalidArgument',
            'Give the model a name with --name NAME (lowercase letters, digits, ".", "-", "_").',
          );
        const workspace = await ctx.workspace();
        const tags = parseKeyValues(opts.tag);
        const properties = parseKeyValues(opts.property, 'property');
        let file = modelPath!;
        if (opts.sample) {
          file = await fetchSampleModel({ home: ctx.store.home, progress: cliProgress(ctx.json) });
          properties.source ??= SAMPLE_MODEL.url;
        }
        const registered = await registerModel(ctx.store, workspace, {
          path: file,
          name: opts.name ?? 'mobilenet',
          tags,
          properties,
          description: opts.description,
          framework: opts.framework,
          preset: opts.preset,
          labels: opts.labels,
        });
        if (ctx.json) return printJson(registered);
        printLine(`Registered model ${registered.id} in workspace ${workspace}.`);
        printModel(registered);
      }),
    );

  model
    .command('list')
    .description('list models, optionally filtered')
    .option('-n, --name <name>', 'only this name')
    .option('-t, --tag <key[=value]>', 'only models with this tag (repeatable; all must match)', collect)
    .option('-p, --property <key[=value]>', 'only models with this property (repeatable)', collect)
    .option('--latest', 'only the latest version of each name')
    .action(
      action(async (ctx, opts: { name?: string; tag?: string[]; property?: string[]; latest?: boolean }) => {
        const workspace = await ctx.workspace();
        const models = await listModels(ctx.store, workspace, {
          name: opts.name,
          tags: opts.tag,
          properties: opts.property,
          latest: opts.latest,
        });
        if (ctx.json) return printJson(models);
        printTable(
          models,
          MODEL_COLUMNS,
          `No models${opts.name || opts.tag || opts.property ? ' match' : ''} in workspace ${workspace}. Register one with \`accel model register <path> --name NAME\`.`,
        );
      }),
    );

  model
    .command('show <model>')
    .description('show a model: <name> for the latest version, or <name>:<version>')
    .action(
      action(async (ctx, ref: string) => {
        const workspace = await ctx.workspace();
        const found = await getModel(ctx.store, workspace, ref);
        const report = readConversionReport(ctx.store, workspace, found);
        if (ctx.json) return printJson(report ? { ...found, conversionReport: report } : found);
        printModel(found, sourceDeleted(await ctx.store.read(workspace), found));
        if (report) printConversionReport(report);
      }),
    );

  model
    .command('update <model>')
    .description(
      'change the tags, properties or description of a model version (<name> for the latest, or <name>:<version>)',
    )
    .option('--add-tag <key[=value]>', 'add or change a tag (repeatable)', collect)
    .option('--remove-tag <key>', 'remove a tag (repeatable)', collect)
    .option('--add-property <key=value>', 'add a property; properties cannot change once set (repeatable)', collect)
    .option('-d, --description <text>', 'replace the description ("" removes it)')
    .action(
      action(
        async (
          ctx,
          ref: string,
          opts: { addTag?: string[]; removeTag?: string[]; addProperty?: string[]; description?: string },
        ) => {
          const updated = await updateModel(ctx.store, await ctx.workspace(), ref, {
            addTags: parseKeyValues(opts.addTag),
            removeTags: opts.removeTag,
            addProperties: parseKeyValues(opts.addProperty, 'property'),
            description: opts.description,
          });
          if (ctx.json) return printJson(updated);
          printLine(`Updated model ${updated.id}.`);
          printModel(updated);
        },
      ),
    );

  model
    .command('delete <model>')
    .description(
      'delete a model version <name>:<version>; refused while converted models or images use it (delete service → image → converted model → model)',
    )
    .action(
      action(async (ctx, ref: string) => {
        const workspace = await ctx.workspace();
        const deleted = await deleteModel(ctx.store, workspace, ref);
        if (ctx.json) return printJson({ deleted: deleted.id });
        printLine(`Deleted model ${deleted.id} from workspace ${workspace}.`);
      }),
    );

  model
    .command('compare-precisions <model>')
    .description(
      'convert a model (<name>[:<version>]) to fp32, msfp9 and msfp8 without registering anything and compare them on photos: top-1/top-5 agreement with fp32, mean and max |Δp|, weight size',
    )
    .option(
      '--images <folder>',
      'folder of photos to compare on (default: $ACCEL_CALIBRATION, else the sample photos in media/samples)',
    )
    .option('--input <tensor>', "input tensor (default: the model's first input)")
    .option('--output <tensor>', "classifier output tensor [N, classes] (default: the model's first output)")
    .action(
      action(async (ctx, ref: string, opts: { images?: string; input?: string; output?: string }) => {
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        const comparison = await comparePrecisions(ctx.store, await ctx.workspace(), ref, {
          calibrationDir: comparisonImages(opts.images),
          inputTensor: opts.input,
          outputTensor: opts.output,
          progress: cliProgress(ctx.json),
          cancel: signalFromAbort(abort.signal),
        });
        if (ctx.json) return printJson(comparison);
        printComparison(comparison);
      }),
    );
}
