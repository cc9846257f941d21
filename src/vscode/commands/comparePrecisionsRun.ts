// Compare Precisions for the extension, without `vscode` (unit-tested in plain Node): the CLI child that measures
// (`accel model compare-precisions … --json`; onnxruntime never loads in the extension host, decisions/0002), the
// panel's view of its result, and the convert wizard's precision descriptions — the last comparison's numbers when
// there is one for the model, else what each precision means.
import type { PrecisionComparison } from '../../core/precisionCache';
import { AccelError } from '../../domain/errors';
import type { PrecisionView } from '../../panels/protocol';
import { cliChildFailure, cliChildResult, runCliChild, type CliChild } from '../cliProcess';

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

/** Runs the comparison in a CLI child, forwarding its progress lines; cancelling sends SIGINT, then SIGKILL. */
export async function runComparison(p: CliChild): Promise<PrecisionComparison> {
  const end = await runCliChild(p, {
    maxStdoutBytes: MAX_STDOUT_BYTES,
    cancelGraceMs: CANCEL_GRACE_MS,
    maxTextLines: 50,
    maxPendingChars: 100_000,
  });
  if (end.cancelled) throw new AccelError('Cancelled', 'The comparison was cancelled.');
  if (end.code === 0 && end.stdout) return cliChildResult<PrecisionComparison>(end.stdout, 'comparison');
  throw cliChildFailure(end, ERROR_CODES, 'The comparison ended unexpectedly');
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
