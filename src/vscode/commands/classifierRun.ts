// Runs `accel classifier train … --json` in a CLI child process for the extension and turns its result into the
// Training Result view. Pure (no vscode), so the unit tests cover it. Training runs outside the extension host
// although trainClassifier loads no native module: it holds the whole feature matrix (up to ~410 MB) and trains
// the head synchronously (seconds of CPU on large folders), which would freeze every extension in the window.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../../domain/errors';
import { isValidName } from '../../domain/names';
import { presetOf } from '../../domain/presets';
import type { Model } from '../../domain/types';
import type { TrainingView } from '../../panels/protocol';
import type { TrainResult } from '../../classifier/trainClassifier';
import { cliChildFailure, cliChildResult, runCliChild, type CliChild } from '../cliProcess';

/** The CLI's --json document of `classifier train` (TrainResult as JSON). */
export type TrainJson = TrainResult;

export const HOLDOUT_SHARES = [0.1, 0.2, 0.3] as const;
/** How many wrongly classified photos the panel shows as thumbnails (the total is shown too). */
export const MAX_THUMBNAILS = 48;
/** Points of the loss curve sent to the panel (the curve is downsampled beyond that). */
export const MAX_CURVE_POINTS = 400;
/** How long a cancelled training may take to clean up after SIGINT before it is killed. */
const CANCEL_GRACE_MS = 30_000;
/** The result document's bound (misclassified list and loss curve included). */
const MAX_STDOUT_BYTES = 64 * 1024 * 1024;

/** Registered models that can featurize photos: ONNX image models taking one input, not transient, not cut or trained. */
export function featurizerCandidates(models: Model[]): Model[] {
  return models.filter((m) => {
    if (m.framework !== 'onnx' || m.inputs.length !== 1) return false;
    if (m.tags.transient || m.tags.featurizerOf || m.tags.classifier) return false;
    const preset = presetOf(m);
    return preset.height > 0 && preset.width > 0;
  });
}

/** Subfolders of `dir` that would be classes (not hidden), sorted; [] when `dir` cannot be read. */
export function classFolders(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** A model name from a folder name: lowercase, allowed characters only, e.g. "My Pets" → "my-pets-classifier". */
export function defaultClassifierName(folder: string): string {
  const base = path
    .basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 100);
  const name = `${base || 'photos'}-classifier`;
  return isValidName('model', name) ? name : 'classifier';
}

export function trainArgs(o: {
  dataDir: string;
  featurizer: string;
  name: string;
  holdout: number;
  workspace: string;
}): string[] {
  return [
    'classifier',
    'train',
    o.dataDir,
    '--featurizer',
    o.featurizer,
    '--name',
    o.name,
    '--holdout',
    String(o.holdout),
    '--workspace',
    o.workspace,
    '--json',
  ];
}

const ERROR_CODES = new Set<string>([
  'InvalidArgument',
  'InvalidModel',
  'NotFound',
  'AlreadyExists',
  'HasDependents',
  'Busy',
  'Unavailable',
  'Cancelled',
]);

/**
 * Runs the CLI child, forwarding its progress; cancelling sends SIGINT (the CLI removes its transient featurizer
 * service and registers nothing), then SIGKILL if it has not ended after a grace period.
 */
export async function runTraining(p: CliChild): Promise<TrainJson> {
  const end = await runCliChild(p, {
    maxStdoutBytes: MAX_STDOUT_BYTES,
    cancelGraceMs: CANCEL_GRACE_MS,
    maxTextLines: 200,
    maxPendingChars: 1_000_000,
    cancellingMessage: 'cancelling: removing the temporary featurizer service',
  });
  if (!end.stdout)
    throw new AccelError(
      'Internal',
      `The training result was larger than ${MAX_STDOUT_BYTES / 1048576} MiB: train on a folder with fewer classes or photos.`,
    );
  if (end.code === 0) return cliChildResult<TrainJson>(end.stdout, 'training');
  if (end.cancelled || end.code === 130)
    throw new AccelError('Cancelled', end.cliError?.message ?? 'Training was cancelled.');
  throw cliChildFailure(end, ERROR_CODES, 'Training ended unexpectedly');
}

/** Keeps at most `max` points of a curve: the first, the last and evenly spaced ones between. */
export function downsample(values: number[], max = MAX_CURVE_POINTS): number[] {
  if (values.length <= max) return values.slice();
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(values[Math.round((i * (values.length - 1)) / (max - 1))]);
  return out;
}

/** The Training Result panel's view of a result; `uri` maps a photo to what the webview may load. */
export function trainingView(r: TrainJson, workspace: string, uri: (file: string) => string): TrainingView {
  return {
    kind: 'training',
    workspace,
    modelId: r.model.id,
    labels: r.labels,
    accuracy: r.accuracy,
    evaluatedOn: r.evaluatedOn,
    perClass: r.perClass,
    confusion: r.confusion,
    lossCurve: downsample(r.training.lossCurve),
    iterations: r.training.iterations,
    converged: r.training.converged,
    trainMs: r.training.ms,
    featurizer: r.featurizer,
    dataDir: r.data.dir,
    photos: { total: r.data.photos, train: r.data.train, holdout: r.data.holdout, skipped: r.data.skipped.length },
    imagesPerSecond: r.featurize.imagesPerSecond,
    misclassified: r.misclassified.slice(0, MAX_THUMBNAILS).map((m) => ({
      file: m.file,
      name: path.relative(r.data.dir, m.file) || path.basename(m.file),
      imageUri: uri(m.file),
      label: m.label,
      predicted: m.predicted,
      probability: m.probability,
    })),
    misclassifiedTotal: r.misclassified.length,
  };
}
