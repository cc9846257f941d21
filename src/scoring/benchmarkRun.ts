// A small benchmark of one service: the same image scored `requests` times at each concurrency level; latency
// histogram over all requests and throughput per level.

/** Latency histogram: bucket upper bounds (ms) and counts. */
export type LatencyHistogram = Array<{ upToMs: number; count: number }>;

export interface BenchmarkLevel {
  concurrency: number;
  requests: number;
  throughputPerSec: number;
  p50Ms: number;
  p95Ms: number;
  errors: number;
  /** The first error's message, when there were errors. */
  firstError?: string;
}

export interface BenchmarkResult {
  levels: BenchmarkLevel[];
  histogram: LatencyHistogram;
}

export interface BenchmarkPlan {
  levels: number[];
  requestsPerLevel: number;
}

export async function runBenchmark(
  score: () => Promise<number>,
  plan: BenchmarkPlan,
  cancelled: () => boolean,
  onProgress: (view: BenchmarkResult, fraction: number) => void,
): Promise<BenchmarkResult> {
  const all: number[] = [];
  const levels: BenchmarkLevel[] = [];
  const total = plan.levels.length * plan.requestsPerLevel;
  for (const concurrency of plan.levels) {
    if (cancelled()) break;
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!cancelled() && next < plan.requestsPerLevel) {
          next++;
          try {
            latencies.push(await score());
          } catch (e) {
            errors++;
            firstError ??= (e as Error).message;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const sorted = latencies.slice().sort((a, b) => a - b);
    all.push(...latencies);
    levels.push({
      concurrency,
      requests: latencies.length + errors,
      throughputPerSec: latencies.length / Math.max(seconds, 1e-9),
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      errors,
      ...(firstError ? { firstError } : {}),
    });
    onProgress({ levels: [...levels], histogram: histogram(all) }, (levels.length * plan.requestsPerLevel) / total);
  }
  return { levels, histogram: histogram(all) };
}

/** Buckets latencies into `buckets` equal-width bins between min and max. */
export function histogram(latencies: number[], buckets = 12): LatencyHistogram {
  if (!latencies.length) return [];
  const min = Math.min(...latencies);
  const max = Math.max(...latencies);
  const width = (max - min) / buckets || 1;
  const out = Array.from({ length: buckets }, (_, i) => ({ upToMs: min + width * (i + 1), count: 0 }));
  for (const l of latencies) out[Math.min(buckets - 1, Math.floor((l - min) / width))].count++;
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
