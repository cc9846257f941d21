// Compare Precisions for the extension, without `vscode` (unit-tested in plain Node): the CLI child that measures
// (`accel model compare-precisions … --json`; onnxruntime never loads in the extension host, decisions/0002), the
// panel's view of its result, and the convert wizard's precision descriptions — the last comparison's numbers when
// there is one for the model, else what each precision means.
import { spawn } from 'node:child_process';
import type { PrecisionComparison } from '../../core/precisionCache';
import { AccelError, type ErrorCode } from '../../domain/errors';
import type { CancellationSignal, ProgressReporter } from '../../domain/ports';
import type { PrecisionView } from '../../panels/protocol';
import { parseStderrLine } from './classifierRun';

export type Precision = 'fp32' | 'msfp9' | 'msfp8';

/** How long a cancelled comparison may take to stop after SIGINT before it is killed. */
const CANCEL_GRACE_MS = 10_000;
/** The result is a few hundred bytes; anything far larger is not ours. */
const MAX_STDOUT_BYTES = 1024 * 1024;

export function compareArgs(o: { model: string; images: string; workspace: string }): string[] {
  return ['model', 'compare-precisions', o.model, '--images', o.images, '--workspace', o.workspace, '--json'];
}

const ERROR_CODES = new Set<string>([
  'InvalidArgument',
  'InvalidModel',
  'NotFound',
  'Busy',
  'Unavailable',
  'Cancelled',
]);

export interface CliChild {
  /** Path of dist/cli.js. */
  cli: string;
  home: string;
  args: string[];
  progress: ProgressReporter;
  cancel: CancellationSignal;
  log?: (line: string) => void;
  /** The Node binary; defaults to this process's (Electron runs as Node with ELECTRON_RUN_AS_NODE). */
  execPath?: string;
}

/** Runs the comparison in a CLI child, forwarding its progress lines; cancelling sends SIGINT, then SIGKILL. */
export function runComparison(p: CliChild): Promise<PrecisionComparison> {
  return new Promise((resolve, reject) => {
    const child = spawn(p.execPath ?? process.execPath, [p.cli, ...p.args], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ACCEL_HOME: p.home, ACCEL_PROGRESS: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let bytes = 0;
    let cliError: { code: string; message: string } | undefined;
    const text: string[] = [];
    let pending = '';
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      const parsed = parseStderrLine(line);
      if (parsed.kind === 'progress') {
        if (!cancelled) p.progress.report({ message: parsed.message, fraction: parsed.fraction });
        return;
      }
      if (parsed.kind === 'error') cliError = parsed;
      else if (text.length < 50) text.push(parsed.text.slice(0, 2000));
      p.log?.(line.slice(0, 2000));
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = (lines.pop() ?? '').slice(-100_000);
      lines.forEach(onLine);
    });
    child.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
      if (bytes > MAX_STDOUT_BYTES) child.kill('SIGKILL');
      else stdout.push(b);
    });
    const requestCancel = () => {
      if (cancelled) return;
      cancelled = true;
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
      if (cancelled) return reject(new AccelError('Cancelled', 'The comparison was cancelled.'));
      if (code === 0 && bytes <= MAX_STDOUT_BYTES) {
        try {
          return resolve(JSON.parse(Buffer.concat(stdout).toString('utf8')) as PrecisionComparison);
        } catch (e) {
          return reject(
            new AccelError('Internal', `The comparison result could not be read: ${(e as Error).message}.`),
          );
        }
      }
      if (cliError)
        return reject(
          new AccelError(ERROR_CODES.has(cliError.code) ? (cliError.code as ErrorCode) : 'Internal', cliError.message),
        );
      const tail = text.slice(-5).join('\n');
      reject(
        new AccelError(
          'Internal',
          `The comparison ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}. See the log.`,
        ),
      );
    });
  });
}

export function precisionView(c: PrecisionComparison): PrecisionView {
  return {
    kind: 'precision',
    model: c.model,
    reference: c.reference,
    calibrationDir: c.calibrationDir,
    images: c.images,
    measuredAt: c.measuredAt,
    rows: c.rows.map((r) => ({
      precision: r.precision,
      weightBytes: r.weightBytes,
      top1Agreement: r.top1Agreement,
      top5Agreement: r.top5Agreement,
      meanAbsProbDiff: r.meanAbsProbDiff,
      maxAbsProbDiff: r.maxAbsProbDiff,
    })),
  };
}

/** What each precision means, for a model not compared yet. */
export const PRECISION_GUIDANCE: Record<Precision, string> = {
  fp32: 'no accuracy change; 4 bytes per weight',
  msfp9: 'block floating point: sign + 3 mantissa bits, a 5-bit exponent per 16 weights (~7× smaller weights)',
  msfp8: 'block floating point: sign + 2 mantissa bits, a 5-bit exponent per 16 weights (~9× smaller, less accurate)',
};

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const mib = (b: number) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`);

/**
 * The precision pick's description and detail: the comparison's numbers for this precision when the model was
 * compared (Compare Precisions…), else the static guidance and how to measure.
 */
export function precisionItemText(
  precision: Precision,
  comparison: PrecisionComparison | undefined,
): { description: string; detail?: string } {
  const row = comparison?.rows.find((r) => r.precision === precision);
  if (!comparison || !row)
    return {
      description: PRECISION_GUIDANCE[precision],
      detail: precision === 'fp32' ? undefined : 'Compare Precisions… on the model measures it on your photos',
    };
  const size = mib(row.weightBytes);
  if (precision === 'fp32') return { description: `reference · weights ${size}` };
  return {
    description: `top-1 ${pct(row.top1Agreement)} · top-5 ${pct(row.top5Agreement)} · mean |Δp| ${row.meanAbsProbDiff.toExponential(1)} · weights ${size}`,
    detail: `vs ${comparison.reference} on ${comparison.images} photo${comparison.images === 1 ? '' : 's'} (${new Date(comparison.measuredAt).toISOString().slice(0, 10)})`,
  };
}
