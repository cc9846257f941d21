// The benchmark runner with a scripted score function (the latencies it reports are the inputs): warm-up requests
// are sent but never counted, percentiles are p50/p90/p99 of each level alone, every level has its own histogram
// on shared buckets, and the server's timings are averaged per level.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchmarkPlan, histogram, runBenchmark } from '../../../src/scoring/benchmarkRun';
import { latencyBreakdown, type LatencyBreakdown } from '../../../src/scoring/scoreResult';

const at = (clientMs: number): LatencyBreakdown => latencyBreakdown(clientMs, {});
const never = () => false;
const quiet = () => undefined;

describe('benchmark runner', () => {
  it('runs every level with the planned requests and counts errors with the first message', async () => {
    let calls = 0;
    const result = await runBenchmark(
      async () => {
        calls++;
        if (calls === 3) throw new Error('UNAVAILABLE');
        return at(calls);
      },
      { levels: [1, 3], requestsPerLevel: 5 },
      never,
      quiet,
    );
    assert.equal(calls, 10);
    assert.deepEqual(
      result.levels.map((l) => [l.concurrency, l.requests]),
      [
        [1, 5],
        [3, 5],
      ],
    );
    assert.equal(result.levels[0].errors, 1);
    assert.equal(result.levels[0].firstError, 'UNAVAILABLE');
    assert.deepEqual(
      result.levels.map((l) => l.histogram.reduce((n, h) => n + h.count, 0)),
      [4, 5],
    );
  });

  it('gives p50, p90 and p99 of each level from its own latencies (linear between ranks)', async () => {
    // Level 1 sees 1..100 ms (shuffled), level 2 sees 1001..1100 ms.
    const order = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    let n = 0;
    const result = await runBenchmark(
      async () => at(order[n % 100] + (n++ >= 100 ? 1000 : 0)),
      { levels: [1, 4], requestsPerLevel: 100 },
      never,
      quiet,
    );
    const [one, four] = result.levels;
    assert.deepEqual(
      [one.p50Ms, one.p90Ms].map((v) => +v.toFixed(6)),
      [50.5, 90.1],
    );
    assert.equal(+one.p99Ms.toFixed(6), 99.01);
    assert.deepEqual(
      [four.p50Ms, four.p90Ms, four.p99Ms].map((v) => +v.toFixed(6)),
      [1050.5, 1090.1, 1099.01],
    );
    assert.ok(one.throughputPerSec > 0 && four.throughputPerSec > 0);
  });

  it('sends the warm-up requests first and counts none of them', async () => {
    let calls = 0;
    const progress: number[] = [];
    const result = await runBenchmark(
      // The warm-up is slow (a cold replica): 5000 ms must appear in no level.
      async () => at(++calls <= 8 ? 5000 : 10),
      { levels: [1, 2], requestsPerLevel: 6, warmupRequests: 8 },
      never,
      (view, fraction) => progress.push(fraction),
    );
    assert.equal(calls, 8 + 2 * 6);
    assert.deepEqual(result.warmup, { requests: 8, errors: 0 });
    assert.deepEqual(
      result.levels.map((l) => l.requests),
      [6, 6],
    );
    for (const l of result.levels) {
      assert.deepEqual([l.p50Ms, l.p90Ms, l.p99Ms, l.mean?.clientMs], [10, 10, 10, 10]);
      assert.ok(l.histogram.every((h) => h.upToMs < 5000));
    }
    assert.deepEqual(progress, [8 / 20, 14 / 20, 1]);
  });

  it('counts failed warm-up requests apart and still runs the levels', async () => {
    let calls = 0;
    const result = await runBenchmark(
      async () => {
        if (++calls <= 2) throw new Error('cold');
        return at(3);
      },
      { levels: [1], requestsPerLevel: 2, warmupRequests: 3 },
      never,
      quiet,
    );
    assert.deepEqual(result.warmup, { requests: 3, errors: 2 });
    assert.deepEqual([result.levels[0].requests, result.levels[0].errors], [2, 0]);
  });

  it('gives each level its own histogram on the same buckets', async () => {
    let n = 0;
    // Level 1: 10, 11, 12, 13 ms; level 2: 30, 31, 32, 33 ms.
    const result = await runBenchmark(
      async () => at((n < 4 ? 10 : 26) + n++),
      { levels: [1, 2], requestsPerLevel: 4 },
      never,
      quiet,
    );
    const [a, b] = result.levels.map((l) => l.histogram);
    assert.deepEqual(
      a.map((h) => h.upToMs),
      b.map((h) => h.upToMs),
      'shared bucket edges',
    );
    assert.deepEqual(a, histogram([10, 11, 12, 13], 12, { min: 10, max: 33 }));
    assert.deepEqual(b, histogram([30, 31, 32, 33], 12, { min: 10, max: 33 }));
    assert.equal(
      a.slice(6).reduce((s, h) => s + h.count, 0),
      0,
      'the fast level has nothing in the slow half',
    );
    assert.equal(
      b.slice(0, 6).reduce((s, h) => s + h.count, 0),
      0,
      'the slow level has nothing in the fast half',
    );
  });

  it("averages the server's queue, preprocess and inference per level (missing parts count as 0)", async () => {
    const replies = [
      latencyBreakdown(20, { queueMs: 2, preprocessMs: 4, inferenceMs: 10 }),
      latencyBreakdown(30, { queueMs: 6, preprocessMs: 6, inferenceMs: 12 }),
      latencyBreakdown(10, {}),
    ];
    let n = 0;
    const result = await runBenchmark(async () => replies[n++ % 3], { levels: [1], requestsPerLevel: 3 }, never, quiet);
    assert.deepEqual(result.levels[0].mean, {
      clientMs: 20,
      networkMs: (4 + 6 + 10) / 3,
      queueMs: 8 / 3,
      preprocessMs: 10 / 3,
      inferenceMs: 22 / 3,
    });
  });

  it('leaves out the mean of a level where every request failed', async () => {
    const result = await runBenchmark(
      async () => {
        throw new Error('down');
      },
      { levels: [2], requestsPerLevel: 3 },
      never,
      quiet,
    );
    assert.equal(result.levels[0].mean, undefined);
    assert.deepEqual(result.levels[0].histogram, []);
    assert.equal(result.levels[0].errors, 3);
  });

  it('stops starting requests once cancelled', async () => {
    let calls = 0;
    const result = await runBenchmark(
      async () => at(++calls),
      { levels: [1, 2], requestsPerLevel: 10 },
      () => calls >= 4,
      quiet,
    );
    assert.equal(calls, 4);
    assert.equal(result.levels.length, 1);
  });
});

describe('benchmark plan', () => {
  const none = () => undefined;

  it('takes the options first, then the settings, then the defaults', () => {
    assert.deepEqual(benchmarkPlan(undefined, none), { levels: [1, 2, 4, 8], requestsPerLevel: 64, warmupRequests: 8 });
    const settings: Record<string, unknown> = { concurrencyLevels: [1, 16], requestsPerLevel: 200, warmupRequests: 0 };
    assert.deepEqual(
      benchmarkPlan(undefined, (k) => settings[k]),
      { levels: [1, 16], requestsPerLevel: 200, warmupRequests: 0 },
    );
    assert.deepEqual(
      benchmarkPlan({ levels: [1, 2], requestsPerLevel: 4, image: 'x.jpg' }, (k) => settings[k]),
      { levels: [1, 2], requestsPerLevel: 4, warmupRequests: 0 },
    );
  });

  it('refuses values out of range, naming the setting and the rule', () => {
    for (const [key, value, rule] of [
      ['concurrencyLevels', [], /list of whole numbers from 1 to 256/],
      ['concurrencyLevels', [1, 0], /from 1 to 256/],
      ['concurrencyLevels', [2.5], /from 1 to 256/],
      ['concurrencyLevels', '1,2', /it is "1,2"/],
      ['concurrencyLevels', [1, 100_000], /from 1 to 256/],
      ['requestsPerLevel', 0, /from 1 to 10000/],
      ['requestsPerLevel', 1e9, /from 1 to 10000/],
      ['warmupRequests', -1, /from 0 to 1000/],
    ] as const) {
      assert.throws(
        () => benchmarkPlan(undefined, (k) => (k === key ? value : undefined)),
        (e: Error & { code?: string }) =>
          e.code === 'InvalidArgument' && e.message.includes(`accel.benchmark.${key}`) && rule.test(e.message),
        `${key} = ${JSON.stringify(value)}`,
      );
    }
  });
});
