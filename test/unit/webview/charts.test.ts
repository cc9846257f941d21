// The pure parts of the panels' charts: axis ticks, scales, the stacked latency parts (Score Result legend and the
// Benchmark's mean-time bars) and where each level lands on the latency-vs-throughput plane.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchmarkLevel } from '../../../src/panels/protocol';
import { curvePoints, LATENCY_PARTS, niceTicks, scale, stackSegments } from '../../../webview/charts';

function level(concurrency: number, throughputPerSec: number, p50Ms: number, p90Ms: number, p99Ms: number) {
  return { concurrency, requests: 64, throughputPerSec, p50Ms, p90Ms, p99Ms, errors: 0, histogram: [] };
}

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

  it('scales values into a pixel span, clamped, also downwards', () => {
    const x = scale(50, 48, 496);
    assert.deepEqual([x(0), x(25), x(50), x(80), x(-3)], [48, 296, 544, 544, 48]);
    const y = scale(10, 180, -164);
    assert.deepEqual([y(0), y(5), y(10)], [180, 98, 16]);
    assert.equal(scale(0, 10, 100)(0), 10, 'an empty axis does not divide by zero');
  });
});

describe('latency parts', () => {
  it('stack connect + transport, then the server parts, in the legend order', () => {
    assert.deepEqual(
      LATENCY_PARTS.map((p) => p.label),
      ['connect + transport', 'server: queue', 'server: preprocess', 'server: inference'],
    );
    for (const p of LATENCY_PARTS) assert.match(p.color, /^var\(--vscode-charts-[a-z]+\)$/);
    assert.equal(new Set(LATENCY_PARTS.map((p) => p.color)).size, 4, 'each part has its own colour');
    assert.deepEqual(
      stackSegments({ networkMs: 3, queueMs: 1, preprocessMs: 4, inferenceMs: 10 }).map((s) => [s.key, s.from, s.to]),
      [
        ['networkMs', 0, 3],
        ['queueMs', 3, 4],
        ['preprocessMs', 4, 8],
        ['inferenceMs', 8, 18],
      ],
    );
  });

  it('leave out parts that are zero or missing (a response without server timings)', () => {
    assert.deepEqual(
      stackSegments({ networkMs: 7, queueMs: 0 }).map((s) => [s.key, s.from, s.to]),
      [['networkMs', 0, 7]],
    );
    assert.deepEqual(stackSegments({}), []);
  });
});

describe('latency vs throughput', () => {
  it('puts each level at x = throughput and y = p50, with p90 and p99 above it', () => {
    const pts = curvePoints([level(1, 10, 20, 30, 40), level(4, 40, 50, 70, 80)], 50, 100);
    assert.deepEqual(
      pts.map((p) => p.concurrency),
      [1, 4],
    );
    assert.ok(pts[0].x < pts[1].x, 'more throughput lies further right');
    for (const p of pts) assert.ok(p.y99 < p.y90 && p.y90 < p.y50, 'higher latency lies higher (smaller y)');
    assert.ok(pts[1].y50 < pts[0].y50);
    const top = curvePoints([level(2, 50, 100, 100, 100)], 50, 100)[0];
    const zero = curvePoints([level(2, 0, 0, 0, 0)], 50, 100)[0];
    assert.ok(top.x > zero.x && top.y50 < zero.y50);
  });
});
