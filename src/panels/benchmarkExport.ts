// A benchmark run as files (JSON, CSV) and compared with the previous run of the same service. Pure: the host
// writes the files, the webview shows the comparison, the unit tests check both.
import { csvLine } from './csv';
import type { BenchmarkLevel, BenchmarkRun } from './protocol';

/** The run as JSON: the plan, and per level the percentiles, histogram and mean server timings. */
export function benchmarkJson(run: BenchmarkRun): string {
  const { service, image, startedAt, requestsPerLevel, warmupRequests, levels } = run;
  return JSON.stringify({ service, image, startedAt, requestsPerLevel, warmupRequests, levels }, null, 2) + '\n';
}

const COLUMNS = [
  'service',
  'image',
  'started_at',
  'concurrency',
  'requests',
  'errors',
  'throughput_per_s',
  'p50_ms',
  'p90_ms',
  'p99_ms',
  'mean_client_ms',
  'mean_connect_transport_ms',
  'mean_queue_ms',
  'mean_preprocess_ms',
  'mean_inference_ms',
  'first_error',
];

/** One CSV row per level (RFC 4180, cells defused against formula injection). */
export function benchmarkCsv(run: BenchmarkRun): string {
  const n = (v: number | undefined) => (v === undefined ? '' : v.toFixed(3));
  const lines = [COLUMNS.join(',')];
  for (const l of run.levels) {
    lines.push(
      csvLine([
        run.service,
        run.image,
        run.startedAt,
        String(l.concurrency),
        String(l.requests),
        String(l.errors),
        n(l.throughputPerSec),
        n(l.p50Ms),
        n(l.p90Ms),
        n(l.p99Ms),
        n(l.mean?.clientMs),
        n(l.mean?.networkMs),
        n(l.mean?.queueMs),
        n(l.mean?.preprocessMs),
        n(l.mean?.inferenceMs),
        l.firstError ?? '',
      ]),
    );
  }
  return lines.join('\n') + '\n';
}

/** A level of this run beside the same concurrency of the previous run; ratios are this / previous. */
export interface LevelComparison {
  concurrency: number;
  current?: BenchmarkLevel;
  previous?: BenchmarkLevel;
  throughputRatio?: number;
  p50Ratio?: number;
  p99Ratio?: number;
}

/** Pairs the levels of two runs by concurrency (every level of either run, ascending). */
export function compareRuns(current: BenchmarkLevel[], previous: BenchmarkLevel[]): LevelComparison[] {
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 && Number.isFinite(a / b) ? a / b : undefined;
  const concurrencies = [...new Set([...current, ...previous].map((l) => l.concurrency))].sort((a, b) => a - b);
  return concurrencies.map((concurrency) => {
    const c = current.find((l) => l.concurrency === concurrency);
    const p = previous.find((l) => l.concurrency === concurrency);
    return {
      concurrency,
      ...(c ? { current: c } : {}),
      ...(p ? { previous: p } : {}),
      throughputRatio: ratio(c?.throughputPerSec, p?.throughputPerSec),
      p50Ratio: ratio(c?.p50Ms, p?.p50Ms),
      p99Ratio: ratio(c?.p99Ms, p?.p99Ms),
    };
  });
}
