// The server's request decoder (scanPredictRequest + valueCount/readValues): values are located, not decoded, until
// a model input asks for its one field, and every value field reads back as protobufjs wrote it.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protobuf from 'protobufjs';
import type { AccelError } from '../../../src/domain/errors';
import type { TensorSpec } from '../../../src/domain/types';
import { servingRoot } from '../../../src/wire/servingProtos';
import { numericInput } from '../../../src/wire/tensorCodec';
import {
  DT,
  MAX_RANK,
  MAX_VALUE_RUNS,
  WireFormatError,
  readValues,
  scanPredictRequest,
  valueCount,
} from '../../../src/wire/wireCodec';

const Request = servingRoot().lookupType('tensorflow.serving.PredictRequest');
const floatSpec: TensorSpec = { name: 'input', dtype: 'float32', shape: ['N', 3, 2, 2] };

/** A PredictRequest whose one input is a TensorProto written byte by byte: `fields` follow dtype and shape. */
function requestWith(dtype: number, dims: number[], fields: (w: protobuf.Writer) => void, key = 'input'): Uint8Array {
  const t = protobuf.Writer.create();
  t.uint32((1 << 3) | 0).int32(dtype);
  t.uint32((2 << 3) | 2).fork();
  for (const d of dims)
    t.uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int64(d)
      .ldelim();
  t.ldelim();
  fields(t);
  const w = protobuf.Writer.create();
  w.uint32((2 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string(key)
    .uint32((2 << 3) | 2)
    .bytes(t.finish())
    .ldelim();
  return w.finish();
}

describe('scanPredictRequest', () => {
  it('reads every value field back as protobufjs wrote it, packed and unpacked', () => {
    const bytes = Request.encode(
      Request.fromObject({
        inputs: {
          f: { dtype: DT.FLOAT, float_val: [1.5, -2, 3] },
          d: { dtype: DT.DOUBLE, double_val: [0.25, 1e300] },
          i: { dtype: DT.INT32, int_val: [-1, 2147483647, -2147483648, 0] },
          l: { dtype: DT.INT64, int64_val: ['-9223372036854775808', '9223372036854775807', '-3'] },
          u: { dtype: DT.UINT64, uint64_val: ['18446744073709551615', '7'] },
          w: { dtype: DT.UINT32, uint32_val: [4294967295, 1] },
          b: { dtype: DT.BOOL, bool_val: [true, false, true] },
          s: { dtype: DT.STRING, string_val: [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('c')] },
        },
      }),
    ).finish();
    const req = scanPredictRequest(bytes);
    const t = (k: string) => req.inputs.get(k)!;
    assert.deepEqual(Array.from(readValues(t('f'), 'float_val')), [1.5, -2, 3]);
    assert.deepEqual(Array.from(readValues(t('d'), 'double_val')), [0.25, 1e300]);
    assert.deepEqual(Array.from(readValues(t('i'), 'int_val')), [-1, 2147483647, -2147483648, 0]);
    assert.deepEqual(Array.from(readValues(t('l'), 'int64_val')), [-(2n ** 63n), 2n ** 63n - 1n, -3n]);
    assert.deepEqual(Array.from(readValues(t('u'), 'uint64_val')), [2n ** 64n - 1n, 7n]);
    assert.deepEqual(Array.from(readValues(t('w'), 'uint32_val')), [4294967295, 1]);
    assert.deepEqual(Array.from(readValues(t('b'), 'bool_val')), [1, 0, 1]);
    assert.deepEqual(
      readValues(t('s'), 'string_val').map((s) => Buffer.from(s).toString()),
      ['ab', '', 'c'],
    );
    assert.equal(valueCount(t('s'), 'string_val'), 3);
    assert.equal(valueCount(t('f'), 'int64_val'), 0);

    // Unpacked (proto2-style) varints and floats, split in two runs by another field.
    const unpacked = requestWith(DT.INT64, [3], (w) => {
      w.uint32((10 << 3) | 0).int64(5);
      w.uint32((10 << 3) | 0).int64(-6);
      w.uint32((5 << 3) | 5).float(1);
      w.uint32((10 << 3) | 0).int64(2 ** 40);
    });
    const u = scanPredictRequest(unpacked).inputs.get('input')!;
    assert.equal(valueCount(u, 'int64_val'), 3);
    assert.deepEqual(Array.from(readValues(u, 'int64_val')), [5n, -6n, 2n ** 40n]);
    assert.deepEqual(Array.from(readValues(u, 'float_val')), [1]);
  });

  it('leaves value fields undecoded: a float input is refused on its dtype even when int64_val is garbage', () => {
    // 1 MiB of packed int64_val whose last varint never ends: decoding it would fail with a wire error.
    const garbage = Buffer.alloc(1024 * 1024, 0x81);
    const bytes = requestWith(DT.INT64, [1, 3, 2, 2], (w) => w.uint32((10 << 3) | 2).bytes(garbage));
    const t = scanPredictRequest(bytes).inputs.get('input')!;
    assert.equal(t.int64Val, undefined);
    assert.ok(t.undecoded);
    assert.throws(() => numericInput(floatSpec, t), /expects DT_FLOAT, got DT_INT64/);
  });

  it('counts the expected field before allocating it, and reads no other field', () => {
    // A float input declared [1,3,2,2] (12 values) with 4 MiB of float_val and 4 MiB of garbage int64_val.
    const bytes = requestWith(DT.FLOAT, [1, 3, 2, 2], (w) => {
      w.uint32((10 << 3) | 2).bytes(Buffer.alloc(4 * 1024 * 1024, 0x81));
      w.uint32((5 << 3) | 2).bytes(Buffer.alloc(4 * 1024 * 1024));
    });
    const t = scanPredictRequest(bytes).inputs.get('input')!;
    assert.throws(() => numericInput(floatSpec, t), /float_val holds 1048576 values but shape \[1,3,2,2\] needs 12/);

    const good = requestWith(DT.FLOAT, [1, 3, 2, 2], (w) => {
      w.uint32((10 << 3) | 2).bytes(Buffer.alloc(64, 0x81));
      w.uint32((5 << 3) | 2).bytes(Buffer.from(Float32Array.from({ length: 12 }, (_, i) => i).buffer));
    });
    const { data } = numericInput(floatSpec, scanPredictRequest(good).inputs.get('input')!);
    assert.deepEqual(
      Array.from(data as Float32Array),
      Array.from({ length: 12 }, (_, i) => i),
    );
  });

  it('a malformed value field is found when its input reads it, and refused as INVALID_ARGUMENT', () => {
    const partial = requestWith(DT.FLOAT, [1, 3, 2, 2], (w) => w.uint32((5 << 3) | 2).bytes(Buffer.alloc(5)));
    assert.throws(
      () => numericInput(floatSpec, scanPredictRequest(partial).inputs.get('input')!),
      (e: AccelError) => {
        assert.equal(e.code, 'InvalidArgument');
        assert.match(e.message, /not a valid tensorflow\.serving\.PredictRequest \(float_val holds a partial float\)/);
        return true;
      },
    );
    const intSpec: TensorSpec = { name: 'input', dtype: 'int32', shape: [2] };
    const cut = requestWith(DT.INT32, [2], (w) => w.uint32((7 << 3) | 2).bytes(Buffer.from([0x01, 0x81])));
    assert.throws(
      () => numericInput(intSpec, scanPredictRequest(cut).inputs.get('input')!),
      /int_val ends inside a varint/,
    );
  });

  it('stops counting string_val one past a limit', () => {
    const bytes = requestWith(DT.STRING, [100_000], (w) => {
      for (let i = 0; i < 100_000; i++) w.uint32((8 << 3) | 2).bytes(Buffer.alloc(0));
    });
    const t = scanPredictRequest(bytes).inputs.get('input')!;
    assert.equal(valueCount(t, 'string_val', 64), 65);
    assert.equal(valueCount(t, 'string_val'), 100_000);
  });

  it("refuses shapes beyond TensorFlow's rank limit and value fields interleaved element by element", () => {
    assert.throws(
      () => scanPredictRequest(requestWith(DT.FLOAT, new Array(MAX_RANK + 1).fill(1), () => undefined)),
      WireFormatError,
    );
    assert.equal(
      scanPredictRequest(requestWith(DT.FLOAT, new Array(MAX_RANK).fill(1), () => undefined)).inputs.get('input')!
        .shape!.length,
      MAX_RANK,
    );
    const interleaved = requestWith(DT.FLOAT, [1], (w) => {
      for (let i = 0; i <= MAX_VALUE_RUNS; i++) {
        w.uint32((5 << 3) | 5).float(i);
        w.uint32((7 << 3) | 0).int32(i);
      }
    });
    assert.throws(() => scanPredictRequest(interleaved), /more than 1024 runs/);
  });

  it('keeps at most one more input name and output_filter name than the model has', () => {
    const w = protobuf.Writer.create();
    for (let i = 0; i < 10_000; i++) {
      w.uint32((2 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string(`in${i}`)
        .uint32((2 << 3) | 2)
        .fork()
        .uint32(8)
        .int32(DT.FLOAT)
        .ldelim()
        .ldelim();
      w.uint32((3 << 3) | 2).string(`out${i}`);
    }
    const req = scanPredictRequest(w.finish(), { maxInputs: 1, maxOutputFilter: 2 });
    assert.deepEqual([...req.inputs.keys()], ['in0', 'in1']);
    assert.deepEqual(req.outputFilter, ['out0', 'out1', 'out2']);
  });

  it('a value run that ends past its tensor is a wire error, not a read past the buffer', () => {
    const bytes = requestWith(DT.FLOAT, [2], (w) =>
      w
        .uint32((5 << 3) | 2)
        .uint32(400)
        .float(1),
    );
    assert.throws(
      () => scanPredictRequest(bytes),
      (e: Error) => e instanceof WireFormatError || e instanceof RangeError,
    );
  });
});
