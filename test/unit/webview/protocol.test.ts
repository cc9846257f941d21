import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  batchCsv,
  histogram,
  latencyBreakdown,
  parseHostMessage,
  parseWebviewMessage,
  percentile,
  type ScoreView,
} from '../../../src/panels/protocol';

describe('webview message protocol', () => {
  it('accepts the messages a webview may send', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'exportCsv', extra: 1 }), { type: 'exportCsv' });
    assert.deepEqual(parseWebviewMessage({ type: 'copy', text: 'abc' }), { type: 'copy', text: 'abc' });
    assert.deepEqual(parseWebviewMessage({ type: 'openFile', file: '/x.png' }), { type: 'openFile', file: '/x.png' });
    assert.deepEqual(parseWebviewMessage({ type: 'exportBenchmark', format: 'csv' }), {
      type: 'exportBenchmark',
      format: 'csv',
    });
  });

  it('rejects anything else (unknown types, wrong field types, oversized text)', () => {
    for (const bad of [
      null,
      'ready',
      42,
      [],
      {},
      { type: 'eval', code: '1' },
      { type: 'copy' },
      { type: 'copy', text: 5 },
      { type: 'copy', text: 'x'.repeat(10_001) },
      { type: 'openFile', file: '' },
      { type: 'exportBenchmark' },
      { type: 'exportBenchmark', format: 'xlsx' },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 40));
    }
  });

  it('accepts host messages only for known views', () => {
    const view: ScoreView = {
      kind: 'score',
      fileName: 'a.png',
      imageUri: '',
      service: 's',
      scoringUri: 'grpc://x',
      modelId: 'm:1',
      top: [],
      latency: latencyBreakdown(1, {}),
      boxes: [],
    };
    assert.deepEqual(parseHostMessage({ type: 'show', view }), { type: 'show', view });
    assert.equal(parseHostMessage({ type: 'show', view: { kind: 'other' } }), undefined);
    assert.equal(parseHostMessage({ type: 'hide' }), undefined);
  });

  it('splits latency into network and server parts, never negative', () => {
    assert.deepEqual(latencyBreakdown(20, { queueMs: 1, preprocessMs: 4, inferenceMs: 10 }), {
      clientMs: 20,
      networkMs: 5,
      queueMs: 1,
      preprocessMs: 4,
      inferenceMs: 10,
    });
    assert.equal(latencyBreakdown(5, { inferenceMs: 10 }).networkMs, 0);
    assert.equal(latencyBreakdown(7, {}).networkMs, 7);
  });

  it('writes RFC 4180 CSV with quoting', () => {
    const csv = batchCsv([
      { file: 'a,b.jpg', top1: { index: 88, label: 'macaw', score: 0.5 }, latencyMs: 12.345 },
      { file: 'c.png', error: 'he said "no"' },
    ]);
    assert.equal(
      csv,
      'file,label,class,score,latency_ms,error\n"a,b.jpg",macaw,88,0.500000,12.35,\nc.png,,,,,"he said ""no"""\n',
    );
  });

  it('buckets latencies and picks percentiles', () => {
    const h = histogram([1, 2, 3, 4, 10], 3);
    assert.equal(h.length, 3);
    assert.equal(
      h.reduce((n, b) => n + b.count, 0),
      5,
    );
    assert.equal(h[2].count, 1);
    assert.deepEqual(histogram([]), []);
    assert.deepEqual(
      histogram([5, 5], 2).map((b) => b.count),
      [2, 0],
    );
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.ok(Math.abs(percentile([1, 2, 3, 4], 95) - 3.85) < 1e-9);
    assert.equal(percentile([1, 2, 3, 4], 100), 4);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([], 50), 0);
  });
});
