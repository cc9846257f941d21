// Runs `accel classifier train … --json` in a CLI child process for the extension and turns its result into the
// Training Result view. Pure (no vscode), so the unit tests cover it. Training runs outside the extension host
// although trainClassifier loads no native module: it holds the whole feature matrix (up to ~410 MB) and trains
// the head synchronously (seconds of CPU on large folders), which would freeze every extension in the window.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError, type ErrorCode } from '../../domain/errors';
import { isValidName } from '../../domain/names';
import type { CancellationSignal, ProgressReporter } from '../../domain/ports';
import { presetOf } from '../../domain/presets';
import type { Model } from '../../domain/types';
import type { TrainingView } from '../../panels/protocol';
import type { TrainResult } from '../../classifier/trainClassifier';

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

export type StderrLine =
  | { kind: 'progress'; message?: string; fraction?: number }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'text'; text: string };

/** One stderr line of the CLI child: a progress report (ACCEL_PROGRESS=json), the --json error, or plain text. */
export function parseStderrLine(line: string): StderrLine {
  const text = line.trim();
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      const p = v.progress as Record<string, unknown> | undefined;
      if (p && typeof p === 'object') {
        return {
          kind: 'progress',
          message: typeof p.message === 'string' ? p.message : undefined,
          fraction: typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? p.fraction : undefined,
        };
      }
      const e = v.error as Record<string, unknown> | undefined;
      if (e && typeof e === 'object' && typeof e.message === 'string')
        return { kind: 'error', code: typeof e.code === 'string' ? e.code : 'Internal', message: e.message };
    } catch {
      // not JSON after all: plain text
    }
  }
  return { kind: 'text', text };
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

export interface TrainingProcess {
  /** Path of dist/cli.js. */
  cli: string;
  home: string;
  args: string[];
  progress: ProgressReporter;
  cancel: CancellationSignal;
  /** Every stderr line that is not progress (for the log). */
  log?: (line: string) => void;
  /** The Node binary; defaults to this process's (Electron runs as Node with ELECTRON_RUN_AS_NODE). */
  execPath?: string;
}

/**
 * Runs the CLI child, forwarding its progress; cancelling sends SIGINT (the CLI removes its transient featurizer
 * service and registers nothing), then SIGKILL if it has not ended after a grace period.
 */
export function runTraining(p: TrainingProcess): Promise<TrainJson> {
  return new Promise((resolve, reject) => {
    const child = spawn(p.execPath ?? process.execPath, [p.cli, ...p.args], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ACCEL_HOME: p.home, ACCEL_PROGRESS: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let tooLarge = false;
    let cliError: { code: string; message: string } | undefined;
    const text: string[] = [];
    let pending = '';
    let killTimer: NodeJS.Timeout | undefined;
    let cancelled = false;

    const onLine = (line: string) => {
      if (!line.trim()) return;
      const parsed = parseStderrLine(line);
      if (parsed.kind === 'progress') {
        if (!cancelled) p.progress.report({ message: parsed.message, fraction: parsed.fraction });
        return;
      }
      if (parsed.kind === 'error') cliError = parsed;
      else if (text.length < 200) text.push(parsed.text.slice(0, 2000));
      p.log?.(line.slice(0, 2000));
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > 1_000_000) pending = pending.slice(-1_000_000);
      lines.forEach(onLine);
    });
    child.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        tooLarge = true;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(b);
    });
    const requestCancel = () => {
      if (cancelled) return;
      cancelled = true;
      p.progress.report({ message: 'cancelling: removing the temporary featurizer service' });
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), CANCEL_GRACE_MS);
    };
    const sub = p.cancel.onCancellationRequested(requestCancel);
    if (p.cancel.isCancellationRequested) requestCancel();

    child.on('error', (e) => {
      sub.dispose();
      clearTimeout(killTimer);
      reject(
        new AccelError(
          'Unavailable',
          `Could not start the accel CLI (${p.cli}): ${e.message}. Rebuild with npm run build.`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      sub.dispose();
      clearTimeout(killTimer);
      if (pending) onLine(pending);
      if (tooLarge)
        return reject(
          new AccelError(
            'Internal',
            `The training result was larger than ${MAX_STDOUT_BYTES / 1048576} MiB: train on a folder with fewer classes or photos.`,
          ),
        );
      if (code === 0) {
        try {
          return resolve(JSON.parse(Buffer.concat(stdout).toString('utf8')) as TrainJson);
        } catch (e) {
          return reject(new AccelError('Internal', `The training result could not be read: ${(e as Error).message}.`));
        }
      }
      if (cancelled || code === 130)
        return reject(new AccelError('Cancelled', cliError?.message ?? 'Training was cancelled.'));
      if (cliError) {
        const known = ERROR_CODES.has(cliError.code) ? (cliError.code as ErrorCode) : 'Internal';
        return reject(new AccelError(known, cliError.message));
      }
      const tail = text.slice(-5).join('\n');
      reject(
        new AccelError(
          'Internal',
          `Training ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}. See the log.`,
        ),
      );
    });
  });
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
