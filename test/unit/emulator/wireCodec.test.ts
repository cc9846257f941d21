import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { servingRoot } from '../../../src/wire/servingProtos';
import {
  DT,
  decodePredictRequest,
  decodePredictResponse,
  encodePredictRequest,
  encodePredictResponse,
} from '../../../src/wire/wireCodec';

const root = servingRoot();
const Request = root.lookupType('tensorflow.serving.PredictRequest');
const Response = root.lookupType('tensorflow.serving.PredictResponse');

describe('wireCodec against protobufjs and the .proto files', () => {
  it('decodes a PredictRequest protobufjs wrote (packed float_val, string_val, int64 dims, model_spec, output_filter)', () => {
    const bytes = Request.encode(
      Request.fromObject({
        model_spec: { name: 'svc', version: { value: 3 }, signature_name: 'serving_default' },
        inputs: {
          a: { dtype: DT.FLOAT, tensor_shape: { dim: [{ size: 2 }, { size: 3 }] }, float_val: [1, 2, 3, 4.5, -5, 6] },
          b: {
            dtype: DT.STRING,
            tensor_shape: { dim: [{ size: 2 }] },
            string_val: [Buffer.from('x'), Buffer.from('yz')],
          },
          c: { dtype: DT.INT64, tensor_shape: { dim: [{ size: 2 }] }, int64_val: [-1, 2 ** 40] },
        },
        output_filter: ['out'],
      }),
    ).finish();
    const req = decodePredictRequest(bytes);
    assert.deepEqual(req.modelSpec, { name: 'svc', version: 3, signatureName: 'serving_default' });
    assert.deepEqual(req.outputFilter, ['out']);
    const a = req.inputs.get('a')!;
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual(Array.from(a.floatVal!), [1, 2, 3, 4.5, -5, 6]);
    assert.deepEqual(
      req.inputs.get('b')!.stringVal!.map((s) => Buffer.from(s).toString()),
      ['x', 'yz'],
    );
    assert.deepEqual(req.inputs.get('c')!.int64Val, [-1n, 2n ** 40n]);
  });

  it('accepts unpacked float_val too (proto2-style writers)', () => {
    // field 5, wire type 5 (fixed32), twice
    const tensor = Buffer.from([
      0x08,
      0x01,
      0x2d,
      ...Buffer.from(new Float32Array([1.5]).buffer),
      0x2d,
      ...Buffer.from(new Float32Array([-2]).buffer),
    ]);
    const entry = Buffer.concat([Buffer.from([0x0a, 0x01, 0x78, 0x12, tensor.length]), tensor]);
    const req = decodePredictRequest(Buffer.concat([Buffer.from([0x12, entry.length]), entry]));
    assert.deepEqual(Array.from(req.inputs.get('x')!.floatVal!), [1.5, -2]);
  });

  it('what we encode, protobufjs reads: float_val, tensor_content and int64 outputs', () => {
    const bytes = encodePredictResponse({
      outputs: new Map([
        ['probs', { dtype: DT.FLOAT, shape: [1, 3], floatVal: new Float32Array([0.25, 0.5, 0.25]) }],
        ['raw', { dtype: DT.FLOAT, shape: [2], tensorContent: new Uint8Array(new Float32Array([7, 8]).buffer) }],
        ['ids', { dtype: DT.INT64, shape: [2], int64Val: [5n, -6n] }],
      ]),
      modelSpec: { name: 'svc', version: 2, signatureName: 'serving_default' },
    });
    const obj = Response.toObject(Response.decode(bytes), { longs: Number }) as any;
    assert.deepEqual(obj.outputs.probs.float_val, [0.25, 0.5, 0.25]);
    assert.deepEqual(
      obj.outputs.probs.tensor_shape.dim.map((d: any) => d.size),
      [1, 3],
    );
    assert.deepEqual(Array.from(new Float32Array(new Uint8Array(obj.outputs.raw.tensor_content).buffer)), [7, 8]);
    assert.deepEqual(obj.outputs.ids.int64_val, [5, -6]);
    assert.equal(obj.model_spec.version.value, 2);
    const back = decodePredictResponse(bytes);
    assert.deepEqual(Array.from(back.outputs.get('probs')!.floatVal!), [0.25, 0.5, 0.25]);
  });

  it('our request encoding round-trips through protobufjs', () => {
    const bytes = encodePredictRequest({
      inputs: new Map([['images', { dtype: DT.STRING, shape: [1], stringVal: [Buffer.from([0xff, 0xd8, 0x00])] }]]),
      outputFilter: ['a', 'b'],
      modelSpec: { name: 'm', signatureName: '' },
    });
    const obj = Request.toObject(Request.decode(bytes), { longs: Number }) as any;
    assert.deepEqual([...obj.inputs.images.string_val[0]], [0xff, 0xd8, 0x00]);
    assert.deepEqual(obj.output_filter, ['a', 'b']);
    assert.equal(obj.model_spec.name, 'm');
  });

  it('rejects truncated and garbage bytes with an error rather than a hang', () => {
    const good = encodePredictRequest({
      inputs: new Map([['x', { dtype: DT.FLOAT, shape: [4], floatVal: new Float32Array(4) }]]),
      outputFilter: [],
    });
    assert.throws(() => decodePredictRequest(good.subarray(0, good.length - 3)));
    assert.throws(() => decodePredictRequest(Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f])));
  });
});
