// Export of a benchmark run (JSON, CSV) and the comparison with the previous run of the same service.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchmarkCsv, benchmarkJson, compareRuns } from '../../../src/panels/benchmarkExport';
import type { BenchmarkLevel, BenchmarkRun } from '../../../src/panels/protocol';
import { ratioText } from '../../../webview/benchmarkView';

function level(concurrency: number, throughputPerSec: number, p50Ms: number, p99Ms: number): BenchmarkLevel {
  return {
    concurrency,
    requests: 64,
    throughputPerSec,
    p50Ms,
    p90Ms: (p50Ms + p99Ms) / 2,
    p99Ms,
    errors: 0,
    histogram: [{ upToMs: p99Ms, count: 64 }],
    mean: { clientMs: p50Ms, networkMs: 1, queueMs: 2, preprocessMs: 3, inferenceMs: p50Ms - 6 },
  };
}

const run: BenchmarkRun = {
  service: '=cmd|svc',
  image: 'a,b.jpg',
  startedAt: '2026-12-02T01:00:00.000Z',
  requestsPerLevel: 64,
  warmupRequests: 8,
  levels: [level(1, 50, 20, 30), { ...level(2, 80, 25, 45), errors: 1, firstError: '-boom "x"' }],
};

describe('benchmark export', () => {
  it('writes JSON with the plan and every level, and nothing of the panel state', () => {
    const parsed = JSON.parse(benchmarkJson({ ...run, kind: 'benchmark', done: true } as BenchmarkRun));
    assert.deepEqual(Object.keys(parsed), [
      'service',
      'image',
      'startedAt',
      'requestsPerLevel',
      'warmupRequests',
      'levels',
    ]);
    assert.deepEqual(parsed.levels, run.levels);
  });

  it('writes one CSV row per level, cells quoted and defused against formulas', () => {
    const lines = benchmarkCsv(run).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[0],
      /^service,image,started_at,concurrency,requests,errors,throughput_per_s,p50_ms,p90_ms,p99_ms,/,
    );
    assert.equal(
      lines[1],
      '\'=cmd|svc,"a,b.jpg",2026-12-02T01:00:00.000Z,1,64,0,50.000,20.000,25.000,30.000,20.000,1.000,2.000,3.000,14.000,',
    );
    assert.match(lines[2], /,2,64,1,80\.000,.*,"'-boom ""x"""$/);
  });
});

describe('compare with the previous run', () => {
  it('pairs levels by concurrency with this ÷ previous ratios', () => {
    const rows = compareRuns(run.levels, [level(1, 25, 40, 60), level(4, 90, 50, 90)]);
    assert.deepEqual(
      rows.map((r) => [r.concurrency, r.throughputRatio, r.p50Ratio, r.p99Ratio]),
      [
        [1, 2, 0.5, 0.5],
        [2, undefined, undefined, undefined],
        [4, undefined, undefined, undefined],
      ],
    );
    assert.ok(rows[1].current && !rows[1].previous);
    assert.ok(!rows[2].current && rows[2].previous);
    assert.deepEqual([ratioText(2), ratioText(0.5), ratioText(undefined)], ['2.00×', '0.50×', '—']);
  });

  it('gives no ratio against a zero (a previous level where every request failed)', () => {
    const [row] = compareRuns([level(1, 10, 10, 10)], [{ ...level(1, 0, 0, 0), errors: 64 }]);
    assert.deepEqual([row.throughputRatio, row.p50Ratio, row.p99Ratio], [undefined, undefined, undefined]);
  });
});
