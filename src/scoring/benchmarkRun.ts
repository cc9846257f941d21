// A small benchmark of one service: the same image scored `requests` times at each concurrency level; latency
// histogram over all requests and throughput per level.
import type { BenchmarkLevel, BenchmarkView } from '../panels/protocol';
import { histogram, percentile } from '../panels/protocol';

export interface BenchmarkPlan {
  levels: number[];
  requestsPerLevel: number;
}

export async function runBenchmark(
  score: () => Promise<number>,
  plan: BenchmarkPlan,
  cancelled: () => boolean,
  onProgress: (view: Pick<BenchmarkView, 'levels' | 'histogram'>, fraction: number) => void,
): Promise<Pick<BenchmarkView, 'levels' | 'histogram'>> {
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
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (!cancelled() && next < plan.requestsPerLevel) {
        next++;
        try {
          latencies.push(await score());
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const sorted = latencies.slice().sort((a, b) => a - b);
    all.push(...latencies);
    levels.push({ concurrency, requests: latencies.length + errors, throughputPerSec: latencies.length / Math.max(seconds, 1e-9), p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), errors, ...(firstError ? { firstError } : {}) });
    onProgress({ levels: [...levels], histogram: histogram(all) }, (levels.length * plan.requestsPerLevel) / total);
  }
  return { levels, histogram: histogram(all) };
}
