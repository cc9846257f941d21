// Compare Precisions, the pure parts: the chart's bars and mean |Δp| axis, the panel's messages, the panel view of a
// comparison and the convert wizard's precision descriptions (measured numbers, or guidance before a comparison).
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PrecisionComparison } from '../../../src/core/precisionCache';
import { parseHostMessage, parseWebviewMessage } from '../../../src/panels/protocol';
import {
  compareArgs,
  PRECISION_GUIDANCE,
  precisionItemText,
  precisionView,
} from '../../../src/vscode/commands/comparePrecisionsRun';
import { precisionChartModel } from '../../../webview/precisionView';

const comparison: PrecisionComparison = {
  model: 'mobilenet:1',
  modelBlob: 'a'.repeat(64),
  inputTensor: 'input',
  outputTensor: 'output',
  calibrationDir: '/photos',
  images: 5,
  reference: 'mobilenet:1 dequantized to fp32',
  dequantized: true,
  measuredAt: '2026-12-02T03:40:00.000Z',
  rows: [
    {
      precision: 'fp32',
      weightBytes: 13_952_000,
      top1Agreement: 1,
      top5Agreement: 1,
      meanAbsProbDiff: 0,
      maxAbsProbDiff: 0,
      weightsRounded: 0,
    },
    {
      precision: 'msfp9',
      weightBytes: 1_943_552,
      top1Agreement: 0.8,
      top5Agreement: 0.6,
      meanAbsProbDiff: 0.0015,
      maxAbsProbDiff: 0.89,
      weightsRounded: 3_400_000,
    },
    {
      precision: 'msfp8',
      weightBytes: 1_509_376,
      top1Agreement: 0.4,
      top5Agreement: 0.2,
      meanAbsProbDiff: 0.00195,
      maxAbsProbDiff: 0.9,
      weightsRounded: 3_400_000,
    },
  ],
};

describe('Compare Precisions (pure parts)', () => {
  it('charts three bars per precision (top-1, top-5, size as a share of fp32) and mean |Δp| on its own axis', () => {
    const m = precisionChartModel(precisionView(comparison).rows);
    assert.deepEqual(
      m.bars.map((b) => `${b.precision}/${b.key}`),
      [
        'fp32/top1',
        'fp32/top5',
        'fp32/size',
        'msfp9/top1',
        'msfp9/top5',
        'msfp9/size',
        'msfp8/top1',
        'msfp8/top5',
        'msfp8/size',
      ],
    );
    const size = m.bars.filter((b) => b.key === 'size').map((b) => Number(b.value.toFixed(4)));
    assert.deepEqual(size, [1, 0.1393, 0.1082]);
    assert.equal(m.bars.find((b) => b.precision === 'msfp9' && b.key === 'top1')!.text, '80.0%');
    assert.match(m.bars.find((b) => b.precision === 'msfp8' && b.key === 'size')!.text, /^10\.8% \(1474 KiB\)$/);
    assert.equal(m.deltaTicks[0], 0);
    assert.ok(m.deltaTicks.at(-1)! >= 0.00195, `${m.deltaTicks}`);
    assert.deepEqual(
      m.deltas.map((d) => d.value),
      [0, 0.0015, 0.00195],
    );
  });

  it('an all-zero |Δp| still has an axis', () => {
    const rows = precisionView(comparison).rows.map((r) => ({ ...r, meanAbsProbDiff: 0 }));
    assert.deepEqual(precisionChartModel(rows).deltaTicks, [0, 1]);
  });

  it('the panel shows precision views and asks to convert only at a known precision', () => {
    const view = precisionView(comparison);
    assert.equal(view.kind, 'precision');
    assert.equal('modelBlob' in view, false, 'only what the panel shows crosses to the webview');
    assert.deepEqual(parseHostMessage({ type: 'show', view })?.view, view);
    assert.deepEqual(parseWebviewMessage({ type: 'convertAt', precision: 'msfp9' }), {
      type: 'convertAt',
      precision: 'msfp9',
    });
    assert.equal(parseWebviewMessage({ type: 'convertAt', precision: 'int4' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'convertAt' }), undefined);
  });

  it('the wizard describes each precision with the measured numbers, or with guidance before any comparison', () => {
    assert.deepEqual(precisionItemText('msfp9', comparison), {
      description: 'top-1 80% · top-5 60% · mean |Δp| 1.5e-3 · weights 1.9 MiB',
      detail: 'vs mobilenet:1 dequantized to fp32 on 5 photos (2026-12-02)',
    });
    assert.deepEqual(precisionItemText('fp32', comparison), { description: 'reference · weights 13.3 MiB' });
    for (const p of ['fp32', 'msfp9', 'msfp8'] as const)
      assert.equal(precisionItemText(p, undefined).description, PRECISION_GUIDANCE[p]);
    assert.match(precisionItemText('msfp8', undefined).detail!, /Compare Precisions/);
  });

  it('runs the CLI verb with --json in the workspace', () => {
    assert.deepEqual(compareArgs({ model: 'mobilenet:1', images: '/p', workspace: 'w' }), [
      'model',
      'compare-precisions',
      'mobilenet:1',
      '--images',
      '/p',
      '--workspace',
      'w',
      '--json',
    ]);
  });
});
