import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { niceTicks } from '../../../webview/charts';

describe('chart axes', () => {
  it('ticks from 0 in steps of 1, 2 or 5 × 10^k, reaching the maximum', () => {
    assert.deepEqual(niceTicks(10), [0, 5, 10]);
    assert.deepEqual(niceTicks(37), [0, 10, 20, 30, 40]);
    assert.deepEqual(niceTicks(7.3), [0, 2, 4, 6, 8]);
    assert.deepEqual(niceTicks(0.42), [0, 0.2, 0.4, 0.6]);
    assert.deepEqual(niceTicks(1), [0, 0.5, 1]);
  });

  it('gives a usable axis for an empty chart', () => {
    assert.deepEqual(niceTicks(0), [0, 1]);
    assert.deepEqual(niceTicks(Number.NaN), [0, 1]);
  });
});
