import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorSpec } from '../../../src/domain/types';
import { checkShape, numericInput, outputTensor, tensorToFloat32 } from '../../../src/wire/tensorCodec';
import { DT } from '../../../src/wire/wireCodec';

const spec: TensorSpec = { name: 'input', dtype: 'float32', shape: ['N', 3, 2, 2] };

describe('tensorCodec', () => {
  it('reads tensor_content and float_val alike', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i / 2);
    const a = numericInput(spec, {
      dtype: DT.FLOAT,
      shape: [1, 3, 2, 2],
      tensorContent: new Uint8Array(values.buffer),
    });
    const b = numericInput(spec, { dtype: DT.FLOAT, shape: [1, 3, 2, 2], floatVal: values });
    assert.deepEqual(Array.from(a.data as Float32Array), Array.from(values));
    assert.deepEqual(Array.from(b.data as Float32Array), Array.from(values));
  });

  it('names expected vs got for dtype, shape, byte count and value count', () => {
    assert.throws(() => numericInput(spec, { dtype: DT.INT32, shape: [1, 3, 2, 2] }), /expects DT_FLOAT, got DT_INT32/);
    assert.throws(() => checkShape(spec, [1, 2, 2, 3]), /expects shape \[N,3,2,2\].*got \[1,2,2,3\]/);
    assert.throws(
      () => numericInput(spec, { dtype: DT.FLOAT, shape: [1, 3, 2, 2], tensorContent: new Uint8Array(8) }),
      /holds 8 bytes.*needs 48/,
    );
    assert.throws(
      () => numericInput(spec, { dtype: DT.FLOAT, shape: [1, 3, 2, 2], floatVal: new Float32Array(5) }),
      /float_val holds 5 values.*needs 12/,
    );
    assert.throws(() => numericInput(spec, { dtype: DT.FLOAT, shape: [2 ** 40, 3, 2, 2] }), /more than 2\^31 elements/);
    assert.throws(() => numericInput(spec, { dtype: DT.FLOAT, shape: [-1, 3, 2, 2] }), /invalid dimension -1/);
    assert.throws(() => numericInput(spec, { dtype: DT.FLOAT, shape: [0, 3, 2, 2] }), /no elements/);
    assert.throws(() => numericInput(spec, { dtype: DT.FLOAT }), /no tensor_shape/);
  });

  it('writes float outputs to float_val by default and tensor_content on request', () => {
    const data = new Float32Array([1, 2, 3]);
    assert.deepEqual(Array.from(outputTensor('float32', data, [1, 3], false).floatVal!), [1, 2, 3]);
    const tc = outputTensor('float32', data, [1, 3], true);
    assert.equal(tc.floatVal, undefined);
    assert.deepEqual(Array.from(tensorToFloat32(tc)), [1, 2, 3]);
    assert.deepEqual(outputTensor('int64', new BigInt64Array([4n]), [1], false).int64Val, [4n]);
  });
});
