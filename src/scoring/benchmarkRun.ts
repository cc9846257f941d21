// A small benchmark of one service: a few warm-up requests (not counted), then the same image scored
// `requestsPerLevel` times at each concurrency level. Per level: throughput, p50/p90/p99, a latency histogram
// (all levels on the same buckets, so they compare) and the mean of the server's own timings.
import { AccelError } from '../domain/errors';
import type { LatencyBreakdown } from './scoreResult';

/** Latency histogram: bucket upper bounds (ms) and counts. */
export type LatencyHistogram = Array<{ upToMs: number; count: number }>;

/** Mean latency of the successful requests of a level, ms, split as the server reports it. */
export interface MeanTimings {
  clientMs: number;
  /** Connect + transport: client total − server time. */
  networkMs: number;
  queueMs: number;
  preprocessMs: number;
  inferenceMs: number;
}

export interface BenchmarkLevel {
  concurrency: number;
  requests: number;
  throughputPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errors: number;
  /** The first error's message, when there were errors. */
  firstError?: string;
  /** This level's latencies; every level of a run uses the same buckets. */
  histogram: LatencyHistogram;
  /** Undefined when no request of the level succeeded. */
  mean?: MeanTimings;
}

export interface BenchmarkResult {
  levels: BenchmarkLevel[];
  /** Warm-up requests sent before timing, and how many of them failed. */
  warmup: { requests: number; errors: number };
}

export interface BenchmarkPlan {
  levels: number[];
  requestsPerLevel: number;
  /** Requests before the first timed level (channel, replicas and caches warm up); default 0. */
  warmupRequests?: number;
}

export const HISTOGRAM_BUCKETS = 12;

/** What a caller may set for one run (the VS Code command's options); the rest comes from the settings. */
export interface BenchmarkOptions {
  image?: string;
  levels?: number[];
  requestsPerLevel?: number;
  warmup?: number;
}

export const BENCHMARK_DEFAULTS = { concurrencyLevels: [1, 2, 4, 8], requestsPerLevel: 64, warmupRequests: 8 };
const LIMITS = { concurrency: 256, requests: 10_000, warmup: 1_000 };

function wholeIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * The plan of a run: the options, else the settings `accel.benchmark.*` (read through `setting`), else the
 * defaults. A value out of range is refused with the setting to fix.
 */
export function benchmarkPlan(
  options: BenchmarkOptions | undefined,
  setting: (key: keyof typeof BENCHMARK_DEFAULTS) => unknown,
): Required<BenchmarkPlan> {
  const pick = (given: unknown, key: keyof typeof BENCHMARK_DEFAULTS) =>
    given ?? setting(key) ?? BENCHMARK_DEFAULTS[key];
  const levels = pick(options?.levels, 'concurrencyLevels');
  const requestsPerLevel = pick(options?.requestsPerLevel, 'requestsPerLevel');
  const warmupRequests = pick(options?.warmup, 'warmupRequests');
  const refuse = (key: string, rule: string, value: unknown) =>
    new AccelError(
      'InvalidArgument',
      `accel.benchmark.${key} must be ${rule}; it is ${JSON.stringify(value)}. Fix it in Settings (or the command's options).`,
    );
  if (!Array.isArray(levels) || !levels.length || !levels.every((l) => wholeIn(l, 1, LIMITS.concurrency)))
    throw refuse(
      'concurrencyLevels',
      `a list of whole numbers from 1 to ${LIMITS.concurrency}, e.g. [1, 2, 4, 8]`,
      levels,
    );
  if (!wholeIn(requestsPerLevel, 1, LIMITS.requests))
    throw refuse('requestsPerLevel', `a whole number from 1 to ${LIMITS.requests}`, requestsPerLevel);
  if (!wholeIn(warmupRequests, 0, LIMITS.warmup))
    throw refuse('warmupRequests', `a whole number from 0 to ${LIMITS.warmup}`, warmupRequests);
  return { levels: levels as number[], requestsPerLevel, warmupRequests };
}

export async function runBenchmark(
  score: () => Promise<LatencyBreakdown>,
  plan: BenchmarkPlan,
  cancelled: () => boolean,
  onProgress: (view: BenchmarkResult, fraction: number) => void,
): Promise<BenchmarkResult> {
  const warmup = { requests: 0, errors: 0 };
  const warmupTotal = Math.max(0, plan.warmupRequests ?? 0);
  const total = warmupTotal + plan.levels.length * plan.requestsPerLevel;
  // Warm-up at the highest concurrency, so every replica has served before the first timed request.
  await inFlight(Math.min(warmupTotal, Math.max(1, ...plan.levels)), warmupTotal, cancelled, async () => {
    warmup.requests++;
    try {
      await score();
    } catch {
      warmup.errors++;
    }
  });
  if (warmupTotal) onProgress({ levels: [], warmup: { ...warmup } }, warmupTotal / total);

  const done: Array<{ level: Omit<BenchmarkLevel, 'histogram'>; latencies: number[] }> = [];
  const result = (): BenchmarkResult => {
    const all = done.flatMap((d) => d.latencies);
    const range = { min: Math.min(...all), max: Math.max(...all) };
    return {
      levels: done.map((d) => ({ ...d.level, histogram: histogram(d.latencies, HISTOGRAM_BUCKETS, range) })),
      warmup: { ...warmup },
    };
  };
  for (const concurrency of plan.levels) {
    if (cancelled()) break;
    const ok: LatencyBreakdown[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const started = performance.now();
    await inFlight(concurrency, plan.requestsPerLevel, cancelled, async () => {
      try {
        ok.push(await score());
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const latencies = ok.map((l) => l.clientMs);
    const sorted = latencies.slice().sort((a, b) => a - b);
    const mean = meanTimings(ok);
    done.push({
      latencies,
      level: {
        concurrency,
        requests: ok.length + errors,
        throughputPerSec: ok.length / Math.max(seconds, 1e-9),
        p50Ms: percentile(sorted, 50),
        p90Ms: percentile(sorted, 90),
        p99Ms: percentile(sorted, 99),
        errors,
        ...(firstError ? { firstError } : {}),
        ...(mean ? { mean } : {}),
      },
    });
    onProgress(result(), (warmupTotal + done.length * plan.requestsPerLevel) / total);
  }
  return result();
}

/** Runs `task` `count` times with at most `concurrency` in flight; starts no new one once cancelled. */
async function inFlight(
  concurrency: number,
  count: number,
  cancelled: () => boolean,
  task: () => Promise<void>,
): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (!cancelled() && started < count) {
        started++;
        await task();
      }
    }),
  );
}

/** The mean of each part of the latency; server parts a response did not report count as 0. */
export function meanTimings(ok: LatencyBreakdown[]): MeanTimings | undefined {
  if (!ok.length) return undefined;
  const avg = (f: (l: LatencyBreakdown) => number | undefined) => ok.reduce((s, l) => s + (f(l) ?? 0), 0) / ok.length;
  return {
    clientMs: avg((l) => l.clientMs),
    networkMs: avg((l) => l.networkMs),
    queueMs: avg((l) => l.queueMs),
    preprocessMs: avg((l) => l.preprocessMs),
    inferenceMs: avg((l) => l.inferenceMs),
  };
}

/**
 * Buckets latencies into `buckets` equal-width bins between `range.min` and `range.max` (default: the latencies'
 * own min and max); pass one range for several series to put them on the same buckets.
 */
export function histogram(
  latencies: number[],
  buckets = HISTOGRAM_BUCKETS,
  range = { min: Math.min(...latencies), max: Math.max(...latencies) },
): LatencyHistogram {
  if (!latencies.length || !Number.isFinite(range.min) || !Number.isFinite(range.max)) return [];
  const width = (range.max - range.min) / buckets || 1;
  const out = Array.from({ length: buckets }, (_, i) => ({ upToMs: range.min + width * (i + 1), count: 0 }));
  for (const l of latencies) out[Math.max(0, Math.min(buckets - 1, Math.floor((l - range.min) / width)))].count++;
  return out;
}

/**
 * The p-th percentile of ascending `sorted`, interpolated linearly between the two nearest ranks (numpy's default),
 * so p99 of 64 requests lies between the two slowest instead of being the slowest.
 */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = (Math.max(0, Math.min(100, p)) / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}
