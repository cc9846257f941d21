// The softmax head: deterministic for the same data, reaches 100% on separable data, L2 shrinks the weights,
// and its raw-feature form (what the exported Gemm computes) gives probabilities that sum to one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmaxRows, predictProbabilities, trainSoftmaxHead } from '../../../src/classifier/softmaxHead';
import { evaluate } from '../../../src/classifier/metrics';
import { rng } from '../../support/random';

/** k Gaussian-ish blobs in `dim` dimensions, non-negative like pooled ReLU features. */
function blobs(n: number, dim: number, k: number, seed: number, spread = 1) {
  const r = rng(seed);
  const centers = Array.from({ length: k }, () => Float32Array.from({ length: dim }, () => r() * 4));
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % k;
    for (let d = 0; d < dim; d++) x[i * dim + d] = Math.max(0, centers[y[i]][d] + (r() - 0.5) * spread);
  }
  return { x, y };
}

test('separable data reaches 100% training accuracy and the loss never rises', () => {
  const { x, y } = blobs(300, 64, 4, 7);
  const head = trainSoftmaxHead(x, 300, 64, y, 4, { l2: 1e-3, maxIterations: 200 });
  const predicted = argmaxRows(predictProbabilities(head, x, 300), 300, 4);
  assert.equal(evaluate(y, predicted, 4).accuracy, 1);
  for (let i = 1; i < head.lossCurve.length; i++)
    assert.ok(head.lossCurve[i] <= head.lossCurve[i - 1], `loss rose at iteration ${i}`);
  assert.ok(head.lossCurve.at(-1)! < head.lossCurve[0] / 10);
});

test('the same data and options give bit-identical weights', () => {
  const { x, y } = blobs(120, 200, 3, 11, 6);
  const a = trainSoftmaxHead(x, 120, 200, y, 3, { l2: 0.01, maxIterations: 50 });
  const b = trainSoftmaxHead(x, 120, 200, y, 3, { l2: 0.01, maxIterations: 50 });
  assert.deepEqual(Buffer.from(a.weights.buffer), Buffer.from(b.weights.buffer));
  assert.deepEqual(Buffer.from(a.bias.buffer), Buffer.from(b.bias.buffer));
  assert.deepEqual(a.lossCurve, b.lossCurve);
});

test('a stronger L2 gives smaller weights', () => {
  const { x, y } = blobs(90, 32, 3, 3, 3);
  const norm = (w: Float32Array) => Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  const weak = trainSoftmaxHead(x, 90, 32, y, 3, { l2: 1e-4, maxIterations: 200 });
  const strong = trainSoftmaxHead(x, 90, 32, y, 3, { l2: 1, maxIterations: 200 });
  assert.ok(norm(strong.weights) < norm(weak.weights) / 2, `${norm(strong.weights)} vs ${norm(weak.weights)}`);
});

test('probabilities are a distribution per row; a constant feature gets no weight', () => {
  const { x, y } = blobs(60, 16, 2, 5);
  for (let i = 0; i < 60; i++) x[i * 16 + 3] = 2.5; // constant column
  const head = trainSoftmaxHead(x, 60, 16, y, 2, { l2: 0.01, maxIterations: 100 });
  const p = predictProbabilities(head, x, 60);
  for (let i = 0; i < 60; i++) assert.ok(Math.abs(p[i * 2] + p[i * 2 + 1] - 1) < 1e-6);
  assert.equal(head.weights[3], 0);
  assert.equal(head.weights[16 + 3], 0);
});

test('the iteration limit and cancellation stop training', () => {
  const { x, y } = blobs(100, 50, 5, 9, 8);
  assert.equal(trainSoftmaxHead(x, 100, 50, y, 5, { l2: 1e-4, maxIterations: 3 }).iterations, 3);
  const stopped = trainSoftmaxHead(x, 100, 50, y, 5, { l2: 1e-4, maxIterations: 100, onIteration: (i) => i >= 2 });
  assert.equal(stopped.iterations, 2);
});
