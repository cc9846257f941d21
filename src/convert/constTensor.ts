// Constant tensors seen during conversion: decoded from TF TensorProtos, folded in JS, written as ONNX
// initializers. Floats are Float32Array; every integer/bool type is a plain number array (shape values,
// indices and axes are small, and int64 values in frozen graphs fit a double exactly).
import { AccelError } from '../domain/errors';

export type ConstDType = 'float32' | 'int32' | 'int64' | 'bool' | 'uint8' | 'string';

export interface ConstTensor {
  dtype: ConstDType;
  dims: number[];
  data: Float32Array | number[];
  /** Only for dtype 'string'. */
  strings?: Uint8Array[];
}

/** TF DataType enum values we meet in image-model graphs. */
export const TF_DTYPE: Record<number, ConstDType | 'float64'> = {
  1: 'float32',
  2: 'float64',
  3: 'int32',
  4: 'uint8',
  7: 'string',
  9: 'int64',
  10: 'bool',
};
export const TF_DT_FLOAT = 1;
export const TF_DT_STRING = 7;

/** ONNX TensorProto.DataType for each of our dtypes. */
export const ONNX_ELEM: Record<ConstDType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, string: 8, bool: 9 };

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function')
    return (v as { toNumber: () => number }).toNumber();
  return Number(v ?? 0);
}

export function sizeOf(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function isFloat(t: ConstTensor): boolean {
  return t.dtype === 'float32';
}

export function makeConst(dtype: ConstDType, dims: number[], values: ArrayLike<number>): ConstTensor {
  return { dtype, dims: [...dims], data: dtype === 'float32' ? Float32Array.from(values) : Array.from(values) };
}

export function scalarValue(t: ConstTensor): number {
  if (sizeOf(t.dims) !== 1) throw new Error(`expected a scalar, got shape [${t.dims}]`);
  return t.data[0];
}

/** Decodes a tensorflow.TensorProto (protobufjs message). */
export function fromTfTensor(proto: any, where: string): ConstTensor {
  const tfType = TF_DTYPE[proto.dtype];
  if (!tfType) {
    throw new AccelError(
      'InvalidModel',
      `Constant ${where} has TensorFlow dtype ${proto.dtype}, which the converter does not read. Freeze the graph with float32/int32/int64/bool constants.`,
    );
  }
  const dims: number[] = (proto.tensor_shape?.dim ?? []).map((d: any) => num(d.size));
  const count = sizeOf(dims);
  if (tfType === 'string') {
    const s: Uint8Array[] = proto.string_val ?? [];
    return { dtype: 'string', dims, data: [], strings: s };
  }
  const dtype: ConstDType = tfType === 'float64' ? 'float32' : tfType;
  const content: Uint8Array | undefined = proto.tensor_content;
  let values: ArrayLike<number>;
  if (content && content.length > 0) {
    const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      switch (tfType) {
        case 'float32':
          out[i] = buf.readFloatLE(i * 4);
          break;
        case 'float64':
          out[i] = buf.readDoubleLE(i * 8);
          break;
        case 'int32':
          out[i] = buf.readInt32LE(i * 4);
          break;
        case 'int64':
          out[i] = Number(buf.readBigInt64LE(i * 8));
          break;
        case 'uint8':
        case 'bool':
          out[i] = buf[i];
          break;
      }
    }
    values = out;
  } else {
    const list: any[] =
      tfType === 'float32'
        ? proto.float_val
        : tfType === 'float64'
          ? proto.double_val
          : tfType === 'int64'
            ? proto.int64_val
            : tfType === 'bool'
              ? proto.bool_val
              : proto.int_val;
    const vals = (list ?? []).map((v: any) => (typeof v === 'boolean' ? (v ? 1 : 0) : num(v)));
    // TF repeats the last value to fill the shape (a single value broadcasts).
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = vals.length === 0 ? 0 : vals[Math.min(i, vals.length - 1)];
    values = out;
  }
  return makeConst(dtype, dims, values);
}

/** An ONNX TensorProto (plain object for onnxModel.encodeOnnx). */
export function toOnnxInitializer(name: string, t: ConstTensor): object {
  let raw: Buffer;
  switch (t.dtype) {
    case 'float32': {
      const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
      raw = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
      break;
    }
    case 'int64':
      raw = Buffer.from(BigInt64Array.from(Array.from(t.data, (v) => BigInt(Math.trunc(v)))).buffer);
      break;
    case 'int32':
      raw = Buffer.from(Int32Array.from(t.data).buffer);
      break;
    case 'uint8':
    case 'bool':
      raw = Buffer.from(Uint8Array.from(t.data));
      break;
    default:
      throw new AccelError(
        'InvalidModel',
        `Constant ${name} of type ${t.dtype} cannot be stored in the converted model; keep string tensors in the preprocessing part of the graph.`,
      );
  }
  return { name, dims: t.dims, data_type: ONNX_ELEM[t.dtype], raw_data: raw };
}

/** Reads an ONNX TensorProto (decoded protobufjs message) holding float32 values. */
export function floatsOfOnnxTensor(t: any): Float32Array {
  const raw: Uint8Array | undefined = t.raw_data;
  if (raw && raw.length > 0) {
    const copy = new Uint8Array(raw); // aligned copy
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.float_data ?? []);
}

// ---- folding helpers -------------------------------------------------------------------------------

export function stridesOf(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

export function broadcastDims(a: number[], b: number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (x === -1 || y === -1) out.push(-1);
    else return null;
  }
  return out;
}

/** Elementwise binary op on constants with numpy broadcasting. */
export function foldBinary(
  a: ConstTensor,
  b: ConstTensor,
  f: (x: number, y: number) => number,
  outDtype?: ConstDType,
): ConstTensor {
  const dims = broadcastDims(a.dims, b.dims);
  if (!dims) throw new Error(`shapes [${a.dims}] and [${b.dims}] do not broadcast`);
  const n = sizeOf(dims);
  const r = dims.length;
  const pa = [...new Array(r - a.dims.length).fill(1), ...a.dims];
  const pb = [...new Array(r - b.dims.length).fill(1), ...b.dims];
  const sa = stridesOf(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = stridesOf(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const so = stridesOf(dims);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let ia = 0,
      ib = 0,
      rem = i;
    for (let d = 0; d < r; d++) {
      const c = Math.floor(rem / so[d]);
      rem -= c * so[d];
      ia += c * sa[d];
      ib += c * sb[d];
    }
    out[i] = f(a.data[ia], b.data[ib]);
  }
  const dtype = outDtype ?? a.dtype;
  return makeConst(dtype, dims, dtype === 'int32' || dtype === 'int64' ? out.map(Math.trunc) : out);
}

/** Transposes a constant: output axis i = input axis perm[i]. */
export function transposeConst(t: ConstTensor, perm: number[]): ConstTensor {
  const dims = perm.map((p) => t.dims[p]);
  const inStrides = stridesOf(t.dims);
  const outStrides = stridesOf(dims);
  const n = sizeOf(dims);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let rem = i,
      src = 0;
    for (let d = 0; d < dims.length; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      src += c * inStrides[perm[d]];
    }
    out[i] = t.data[src];
  }
  return { dtype: t.dtype, dims, data: out };
}
