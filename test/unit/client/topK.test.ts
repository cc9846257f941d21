import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDistribution, softmax, topK } from '../../../src/client/topK';

describe('topK', () => {
  it('applies softmax to logits and keeps probabilities as they are', () => {
    const logits = [1, 3, 2, -1];
    const top = topK(logits, ['a', 'b', 'c', 'd'], 2);
    assert.deepEqual(
      top.map((p) => p.label),
      ['b', 'c'],
    );
    const p = softmax(logits);
    assert.ok(Math.abs(top[0].score - p[1]) < 1e-12);
    assert.equal(isDistribution([0.1, 0.7, 0.2]), true);
    assert.deepEqual(topK([0.1, 0.7, 0.2], ['a', 'b', 'c'], 1)[0], { index: 1, label: 'b', score: 0.7 });
  });
  it('labels unknown indices and clamps k', () => {
    assert.deepEqual(
      topK([0, 5], [], 5).map((p) => p.label),
      ['class 1', 'class 0'],
    );
    assert.equal(topK([1, 2], [], 0).length, 0);
  });
});
