import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBenchmark } from '../../../src/scoring/benchmarkRun';

describe('benchmark runner', () => {
  it('runs every level with the planned requests and counts errors with the first message', async () => {
    let calls = 0;
    const result = await runBenchmark(
      async () => {
        calls++;
        if (calls === 3) throw new Error('UNAVAILABLE');
        return calls;
      },
      { levels: [1, 3], requestsPerLevel: 5 },
      () => false,
      () => undefined,
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
    assert.equal(
      result.histogram.reduce((n, h) => n + h.count, 0),
      9,
    );
  });

  it('stops starting requests once cancelled', async () => {
    let calls = 0;
    const result = await runBenchmark(
      async () => ++calls,
      { levels: [1, 2], requestsPerLevel: 10 },
      () => calls >= 4,
      () => undefined,
    );
    assert.equal(calls, 4);
    assert.equal(result.levels.length, 1);
  });
});
