import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MSFP_BLOCK, applyPrecision, quantizeMsfp, quantizedReason, weightBits } from '../../../src/convert/precision';

describe('msfp block floating point', () => {
  test('msfp9 keeps 3 magnitude bits under the block exponent; msfp8 keeps 2', () => {
    // Block max 0.9 → e = -1. msfp9 step = 2^(-1-3+1) = 1/8; msfp8 step = 1/4.
    const block = Float32Array.from([0.9, -0.3, 0.05, 0.52, ...new Array(12).fill(0)]);
    assert.deepEqual(Array.from(quantizeMsfp(block, [16], 0, 'msfp9').slice(0, 4)), [0.875, -0.25, 0, 0.5]);
    assert.deepEqual(Array.from(quantizeMsfp(block, [16], 0, 'msfp8').slice(0, 4)), [0.75, -0.25, 0, 0.5]);
    assert.deepEqual(Array.from(quantizeMsfp(block, [16], 0, 'fp32')), Array.from(block));
  });

  test('blocks are 16 long along the reduction axis and do not mix', () => {
    // Conv weight [Cout=1, Cin=32, 1, 1]: two blocks along Cin. A large weight in block 1 does not coarsen block 2.
    const w = new Float32Array(32).fill(0.1);
    w[0] = 8;
    const q = quantizeMsfp(w, [1, 32, 1, 1], 1, 'msfp9');
    assert.equal(q[1], 0); // 0.1 under exponent 3 (step 1) rounds to 0
    assert.ok(Math.abs(q[MSFP_BLOCK] - 0.1) < 0.01, `second block keeps its own exponent: ${q[MSFP_BLOCK]}`);
    // Along a non-contiguous axis ([K=16, N=2], axis 0): columns are separate blocks.
    const m = Float32Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 4 : 0.1));
    const qm = quantizeMsfp(m, [16, 2], 0, 'msfp9');
    assert.ok(Math.abs(qm[1] - 0.1) < 0.01);
  });

  test('the shared exponent saturates at the 5-bit range', () => {
    const big = Float32Array.from([1e6, ...new Array(15).fill(0)]);
    assert.equal(quantizeMsfp(big, [16], 0, 'msfp9')[0], 7 * 2 ** (15 - 2)); // q clamps to 7 at e = 15
    const tiny = Float32Array.from([1e-7, ...new Array(15).fill(0)]);
    assert.equal(quantizeMsfp(tiny, [16], 0, 'msfp9')[0], 0);
  });

  test('weight storage bits', () => {
    assert.equal(weightBits(32, 'fp32'), 1024);
    assert.equal(weightBits(32, 'msfp9'), 32 * 4 + 2 * 5);
    assert.equal(weightBits(32, 'msfp8'), 32 * 3 + 2 * 5);
  });

  test('already-quantized models are detected and left unchanged', () => {
    const model = {
      graph: {
        node: [
          { op_type: 'QLinearConv', input: ['x', 'xs', 'xz', 'w'] },
          { op_type: 'QuantizeLinear', input: [] },
        ],
        initializer: [{ name: 'w', data_type: 3, dims: [1] }],
      },
    };
    assert.match(quantizedReason(model)!, /QLinearConv×1, QuantizeLinear×1; 1 int8\/uint8 initializers/);
    const r = applyPrecision(model, 'msfp8');
    assert.equal(r.tensors, 0);
    assert.match(r.note!, /msfp8 not applied: the model is already quantized/);
  });
});
