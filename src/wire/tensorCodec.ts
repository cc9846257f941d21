// TensorProto ↔ typed arrays for the model's tensors, with validation whose messages name what was expected,
// what arrived and what to send instead.
import { AccelError } from '../domain/errors';
import type { Dim, TensorDType, TensorSpec } from '../domain/types';
import {
  DT,
  WireFormatError,
  readValues,
  valueCount,
  type FieldValues,
  type ValueField,
  type WireTensor,
} from './wireCodec';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Our dtype names → TF DataType. */
export const DTYPE_TO_TF: Partial<Record<TensorDType, number>> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  int32: DT.INT32,
  uint8: DT.UINT8,
  int16: DT.INT16,
  int8: DT.INT8,
  string: DT.STRING,
  int64: DT.INT64,
  bool: DT.BOOL,
  uint16: DT.UINT16,
  float16: DT.HALF,
  uint32: DT.UINT32,
  uint64: DT.UINT64,
};

const TF_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, `DT_${k}`]));

export function tfTypeName(dtype: number): string {
  return TF_NAMES[dtype] ?? `DataType ${dtype}`;
}

export function specTypeName(dtype: TensorDType): string {
  const tf = DTYPE_TO_TF[dtype];
  return tf === undefined ? dtype : tfTypeName(tf);
}

const ELEMENT: Partial<
  Record<
    TensorDType,
    { ctor: new (buf: ArrayBufferLike, byteOffset?: number, length?: number) => NumericArray; bytes: number }
  >
> = {
  float32: { ctor: Float32Array, bytes: 4 },
  float64: { ctor: Float64Array, bytes: 8 },
  int8: { ctor: Int8Array, bytes: 1 },
  uint8: { ctor: Uint8Array, bytes: 1 },
  int16: { ctor: Int16Array, bytes: 2 },
  uint16: { ctor: Uint16Array, bytes: 2 },
  int32: { ctor: Int32Array, bytes: 4 },
  uint32: { ctor: Uint32Array, bytes: 4 },
  int64: { ctor: BigInt64Array, bytes: 8 },
  uint64: { ctor: BigUint64Array, bytes: 8 },
  bool: { ctor: Uint8Array, bytes: 1 },
};

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : typeof d === 'string' && d ? d : '?')).join(',')}]`;
}

function invalid(message: string): AccelError {
  return new AccelError('InvalidArgument', message);
}

/** Number of elements; throws for negative or absurd dims so a tiny request cannot claim a huge tensor. */
export function elementCount(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw invalid(
        `${what} has an invalid dimension ${d} in shape ${formatShape(shape)}; every dimension must be a whole number ≥ 0.`,
      );
    n *= d;
    if (n > 2 ** 31)
      throw invalid(`${what} shape ${formatShape(shape)} has more than 2^31 elements; send smaller batches.`);
  }
  return n;
}

/** Checks a concrete shape against the model's declared shape (symbolic dims accept any size). */
export function checkShape(spec: TensorSpec, shape: readonly number[]): void {
  const expected = formatShape(spec.shape);
  const rankOk = spec.shape.length === 0 || spec.shape.length === shape.length;
  const dimsOk = rankOk && spec.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === shape[i]);
  if (!dimsOk) {
    const hint =
      spec.shape.length === 4 && shape.length === 4 && spec.shape[1] === 3 && shape[3] === 3
        ? ' The model takes NCHW (channels first); transpose your NHWC data.'
        : spec.shape.length === 4 && shape.length === 4 && spec.shape[3] === 3 && shape[1] === 3
          ? ' The model takes NHWC (channels last); transpose your NCHW data.'
          : '';
    throw invalid(
      `Input "${spec.name}" expects shape ${expected} (named dims = any size), got ${formatShape(shape)}.${hint}`,
    );
  }
}

/**
 * The numeric values of a request tensor as the array type the model input wants. Accepts tensor_content
 * (the same dtype, little-endian) or the matching *_val field.
 */
export function numericInput(spec: TensorSpec, t: WireTensor): { data: NumericArray; shape: number[] } {
  const wantTf = DTYPE_TO_TF[spec.dtype];
  const elem = ELEMENT[spec.dtype];
  if (wantTf === undefined || !elem)
    throw invalid(`Input "${spec.name}" has dtype ${spec.dtype}, which the emulator cannot feed from a request.`);
  if (t.dtype !== wantTf) {
    throw invalid(
      `Input "${spec.name}" expects ${tfTypeName(wantTf)}, got ${tfTypeName(t.dtype)}. Send ${tfTypeName(wantTf)} values in tensor_content or the matching *_val field.`,
    );
  }
  if (!t.shape)
    throw invalid(
      `Input "${spec.name}" has no tensor_shape; set tensor_shape to ${formatShape(spec.shape)} with concrete sizes.`,
    );
  const shape = t.shape;
  const n = elementCount(shape, `Input "${spec.name}"`);
  checkShape(spec, shape);
  if (n === 0)
    throw invalid(`Input "${spec.name}" has shape ${formatShape(shape)} with no elements; send at least one example.`);
  let data: NumericArray | undefined;
  if (t.tensorContent && t.tensorContent.length) {
    if (t.tensorContent.length !== n * elem.bytes) {
      throw invalid(
        `Input "${spec.name}": tensor_content holds ${t.tensorContent.length} bytes but shape ${formatShape(shape)} of ${tfTypeName(wantTf)} needs ${n * elem.bytes}.`,
      );
    }
    // A view when the bytes happen to be aligned for the element type (the request buffer is ours alone in the
    // worker); otherwise one aligned copy.
    const tc = t.tensorContent;
    if (tc.byteOffset % elem.bytes === 0) {
      data = new elem.ctor(tc.buffer, tc.byteOffset, n);
    } else {
      const buf = new ArrayBuffer(tc.length);
      new Uint8Array(buf).set(tc);
      data = new elem.ctor(buf);
    }
  } else {
    // Only the field this dtype uses is read, and only once its count (taken without decoding) matches the shape.
    const field = VAL_FIELD[spec.dtype]!;
    const count = wireChecked(() => valueCount(t, field));
    if (count !== n) {
      throw invalid(`Input "${spec.name}": ${field} holds ${count} values but shape ${formatShape(shape)} needs ${n}.`);
    }
    data = fromValField(
      spec.dtype,
      wireChecked(() => readValues(t, field)) as Exclude<FieldValues[ValueField], Uint8Array[]>,
    );
  }
  return { data, shape };
}

/** Runs a read of still-encoded values, turning a malformed field into the INVALID_ARGUMENT the decoder gives. */
export function wireChecked<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof WireFormatError || e instanceof RangeError) {
      throw invalid(
        `The request is not a valid tensorflow.serving.PredictRequest (${e.message}). Build it from the TF Serving predict.proto.`,
      );
    }
    throw e;
  }
}

/** The *_val field each numeric dtype travels in (TensorProto). */
const VAL_FIELD: Partial<Record<TensorDType, Exclude<ValueField, 'string_val'>>> = {
  float32: 'float_val',
  float64: 'double_val',
  int64: 'int64_val',
  uint32: 'uint32_val',
  uint64: 'uint64_val',
  bool: 'bool_val',
  int32: 'int_val',
  int8: 'int_val',
  uint8: 'int_val',
  int16: 'int_val',
  uint16: 'int_val',
};

function fromValField(dtype: TensorDType, values: Exclude<FieldValues[ValueField], Uint8Array[]>): NumericArray {
  switch (dtype) {
    case 'int8':
      return Int8Array.from(values as Int32Array);
    case 'uint8':
      return Uint8Array.from(values as Int32Array);
    case 'int16':
      return Int16Array.from(values as Int32Array);
    case 'uint16':
      return Uint16Array.from(values as Int32Array);
    default:
      return values;
  }
}

/** A model output as a TensorProto: float_val/int_val/... by default, tensor_content when asked. */
export function outputTensor(
  dtype: TensorDType,
  data: ArrayLike<unknown>,
  dims: readonly number[],
  asTensorContent: boolean,
): WireTensor {
  const tf = DTYPE_TO_TF[dtype] ?? DT.FLOAT;
  const t: WireTensor = { dtype: tf, shape: [...dims] };
  if (dtype === 'string') {
    t.stringVal = Array.from(data as ArrayLike<string>, (s) => Buffer.from(String(s)));
    return t;
  }
  const view = data as unknown as NumericArray;
  if (asTensorContent && ArrayBuffer.isView(view)) {
    t.tensorContent = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    return t;
  }
  switch (dtype) {
    case 'float32':
      t.floatVal = view as Float32Array;
      break;
    case 'float64':
      t.doubleVal = view as Float64Array;
      break;
    case 'int64':
      t.int64Val = Array.from(view as BigInt64Array);
      break;
    case 'uint64':
      t.uint64Val = Array.from(view as BigUint64Array);
      break;
    case 'uint32':
      t.uint32Val = Array.from(view as Uint32Array);
      break;
    case 'bool':
      t.boolVal = Array.from(view as Uint8Array, (v) => v !== 0);
      break;
    default:
      t.intVal = Int32Array.from(view as ArrayLike<number>);
  }
  return t;
}

/** Client side: the float values of a response tensor, from whichever field the server filled. */
export function tensorToFloat32(t: WireTensor): Float32Array {
  if (t.tensorContent && t.tensorContent.length) {
    if (t.dtype === DT.FLOAT)
      return new Float32Array(
        t.tensorContent.buffer.slice(
          t.tensorContent.byteOffset,
          t.tensorContent.byteOffset + t.tensorContent.byteLength,
        ),
      );
    if (t.dtype === DT.DOUBLE)
      return Float32Array.from(
        new Float64Array(
          t.tensorContent.buffer.slice(
            t.tensorContent.byteOffset,
            t.tensorContent.byteOffset + t.tensorContent.byteLength,
          ),
        ),
      );
  }
  if (t.floatVal) return t.floatVal;
  if (t.doubleVal) return Float32Array.from(t.doubleVal);
  if (t.intVal) return Float32Array.from(t.intVal);
  if (t.int64Val) return Float32Array.from(t.int64Val, (v) => Number(v));
  return new Float32Array(0);
}
