// The TensorFlow GraphDef reader (src/convert/graphDef.ts): decode, encode, summary.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeGraphDef,
  encodeGraphDef,
  inspectGraphDef,
  producerOf,
  type GraphDef,
} from '../../../src/convert/graphDef';
import { isAccelError } from '../../../src/domain/errors';

const shape = (dims: number[]) => ({ shape: { dim: dims.map((size) => ({ size })) } });

/** A small classifier graph in the layout a TF1 freeze writes: string input, decode, resize, matmul, softmax. */
function classifierGraph(): GraphDef {
  return {
    versions: { producer: 27 },
    node: [
      { name: 'Placeholder', op: 'Placeholder', input: [], attr: { dtype: { type: 7 }, shape: shape([-1]) } },
      { name: 'DecodeJpeg', op: 'DecodeJpeg', input: ['Placeholder'], attr: {} },
      { name: 'Cast', op: 'Cast', input: ['DecodeJpeg'], attr: { DstT: { type: 1 } } },
      {
        name: 'w',
        op: 'Const',
        input: [],
        attr: {
          dtype: { type: 1 },
          value: { tensor: { dtype: 1, tensor_shape: { dim: [{ size: 1 }] }, float_val: [2] } },
        },
      },
      { name: 'MatMul', op: 'MatMul', input: ['Cast:0', 'w'], attr: { T: { type: 1 } } },
      { name: 'check', op: 'Assert', input: ['Cast'], attr: {} },
      {
        name: 'classifier/Softmax',
        op: 'Softmax',
        input: ['MatMul', '^check'],
        attr: { T: { type: 1 }, _output_shapes: { list: { shape: [{ dim: [{ size: -1 }, { size: 1001 }] }] } } },
      },
      { name: 'init', op: 'NoOp', input: [], attr: {} },
      { name: 'features', op: 'Identity', input: ['MatMul'], attr: { T: { type: 1 } } },
    ],
  };
}

describe('graphDef', () => {
  it('round-trips a GraphDef and summarizes inputs, outputs and ops', () => {
    const bytes = encodeGraphDef(classifierGraph());
    const s = inspectGraphDef(bytes, 'model.pb');
    assert.equal(s.producer, 27);
    assert.equal(s.nodeCount, 9);
    assert.deepEqual(s.inputs, [{ name: 'Placeholder:0', dtype: 'string', shape: ['?'] }]);
    assert.equal(s.hasStringInput, true);
    assert.deepEqual(s.outputs, [
      { name: 'classifier/Softmax:0', dtype: 'float32', shape: ['?', 1001] },
      { name: 'features:0', dtype: 'float32', shape: [] },
    ]);
    assert.equal(s.opTypes.Const, 1);
    assert.equal(s.opTypes.Softmax, 1);
    const again = decodeGraphDef(encodeGraphDef(decodeGraphDef(bytes)));
    assert.deepEqual(inspectGraphDef(encodeGraphDef(again)), s);
  });

  it('reads float NHWC placeholders with a fixed shape', () => {
    const g: GraphDef = {
      node: [
        { name: 'input', op: 'Placeholder', input: [], attr: { dtype: { type: 1 }, shape: shape([-1, 224, 224, 3]) } },
        { name: 'out', op: 'Relu', input: ['input'], attr: { T: { type: 1 } } },
      ],
    };
    const s = inspectGraphDef(encodeGraphDef(g));
    assert.deepEqual(s.inputs, [{ name: 'input:0', dtype: 'float32', shape: ['?', 224, 224, 3] }]);
    assert.deepEqual(
      s.outputs.map((o) => o.name),
      ['out:0'],
    );
  });

  it('parses producer references', () => {
    assert.equal(producerOf('a/b:1'), 'a/b');
    assert.equal(producerOf('^ctrl'), 'ctrl');
    assert.equal(producerOf('plain'), 'plain');
  });

  it('rejects empty, garbage and node-less files with InvalidModel and a fix', () => {
    const fix = /TensorFlow frozen graph/;
    assert.throws(
      () => decodeGraphDef(new Uint8Array(), 'x.pb'),
      (e) => isAccelError(e, 'InvalidModel') && /x\.pb is empty/.test(e.message) && fix.test(e.message),
    );
    assert.throws(
      () => decodeGraphDef(Buffer.from('this is plainly not a protobuf graph\n'), 'y.pb'),
      (e) =>
        isAccelError(e, 'InvalidModel') && /y\.pb is not a TensorFlow GraphDef/.test(e.message) && fix.test(e.message),
    );
    assert.throws(
      () => decodeGraphDef(encodeGraphDef({ node: [], versions: { producer: 1 } }), 'z.pb'),
      (e) => isAccelError(e, 'InvalidModel') && /no nodes/.test(e.message),
    );
  });
});
