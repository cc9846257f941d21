// Folding of the shape/constant arithmetic TF graphs carry (Shape → StridedSlice → Pack → Reshape and the
// like). Everything here works on ConstTensor values in plain JS; the converter calls it when every input
// of a node is constant, so such chains never reach the ONNX graph.
import {
  foldBinary,
  makeConst,
  sizeOf,
  stridesOf,
  transposeConst,
  type ConstDType,
  type ConstTensor,
} from './constTensor';

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Gathers `t` along each axis with the given index lists (a general n-D slice). */
function gather(t: ConstTensor, indices: number[][]): ConstTensor {
  const dims = indices.map((ix) => ix.length);
  const inStrides = stridesOf(t.dims);
  const n = sizeOf(dims);
  const out: number[] = new Array(n);
  const counter = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < dims.length; d++) src += indices[d][counter[d]] * inStrides[d];
    out[i] = t.data[src];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++counter[d] < dims[d]) break;
      counter[d] = 0;
    }
  }
  return makeConst(t.dtype, dims, out);
}

export interface StridedSliceMasks {
  begin: number;
  end: number;
  shrink: number;
  ellipsis: number;
  newAxis: number;
}

export function stridedSlice(
  t: ConstTensor,
  begin: number[],
  end: number[],
  strides: number[],
  m: StridedSliceMasks,
): ConstTensor {
  if (m.ellipsis || m.newAxis) throw new Error('ellipsis_mask and new_axis_mask are not supported');
  const indices: number[][] = [];
  const keep: boolean[] = [];
  for (let d = 0; d < t.dims.length; d++) {
    const dim = t.dims[d];
    if (d >= begin.length) {
      indices.push([...Array(dim).keys()]);
      keep.push(true);
      continue;
    }
    const s = strides[d] ?? 1;
    const bit = 1 << d;
    const clampLo = s > 0 ? 0 : -1;
    const clampHi = s > 0 ? dim : dim - 1;
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, clampLo), clampHi);
    let b = m.begin & bit ? (s > 0 ? 0 : dim - 1) : norm(begin[d]);
    if (m.shrink & bit) {
      b = begin[d] < 0 ? begin[d] + dim : begin[d];
      indices.push([b]);
      keep.push(false);
      continue;
    }
    const e = m.end & bit ? (s > 0 ? dim : -1) : norm(end[d]);
    const ix: number[] = [];
    for (let i = b; s > 0 ? i < e : i > e; i += s) ix.push(i);
    indices.push(ix);
    keep.push(true);
  }
  const g = gather(t, indices);
  return { ...g, dims: g.dims.filter((_, i) => keep[i]) };
}

export function slice(t: ConstTensor, begin: number[], size: number[]): ConstTensor {
  return gather(
    t,
    t.dims.map((dim, d) => {
      const len = size[d] < 0 ? dim - begin[d] : size[d];
      return Array.from({ length: len }, (_, i) => begin[d] + i);
    }),
  );
}

export function concat(ts: ConstTensor[], axis: number): ConstTensor {
  const rank = ts[0].dims.length;
  const a = normAxis(axis, rank);
  const outer = sizeOf(ts[0].dims.slice(0, a));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const inner = sizeOf(t.dims.slice(a));
      for (let i = 0; i < inner; i++) out.push(t.data[o * inner + i]);
    }
  }
  const dims = [...ts[0].dims];
  dims[a] = ts.reduce((s, t) => s + t.dims[a], 0);
  return makeConst(ts[0].dtype, dims, out);
}

export function pack(ts: ConstTensor[], axis: number): ConstTensor {
  const a = normAxis(axis, ts[0].dims.length + 1);
  const expanded = ts.map((t) => ({ ...t, dims: [...t.dims.slice(0, a), 1, ...t.dims.slice(a)] }));
  return concat(expanded, a);
}

export function unpack(t: ConstTensor, axis: number): ConstTensor[] {
  const a = normAxis(axis, t.dims.length);
  return Array.from({ length: t.dims[a] }, (_, k) => {
    const s = slice(
      t,
      t.dims.map((_, d) => (d === a ? k : 0)),
      t.dims.map((dim, d) => (d === a ? 1 : dim)),
    );
    return { ...s, dims: s.dims.filter((_, d) => d !== a) };
  });
}

/** Resolves a TF/ONNX reshape target against a known element count (-1 = infer, 0 is not special in TF). */
export function resolveReshape(inputDims: number[] | null, target: number[]): number[] {
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`reshape target [${target}] has more than one -1`);
  if (unknown === 0 || !inputDims || inputDims.some((d) => d < 0)) return [...target];
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return target.map((d) => (d === -1 ? sizeOf(inputDims) / known : d));
}

export function reshape(t: ConstTensor, target: number[]): ConstTensor {
  return { ...t, dims: resolveReshape(t.dims, target) };
}

export function cast(t: ConstTensor, dtype: ConstDType): ConstTensor {
  const v = Array.from(t.data, (x) => (dtype === 'float32' ? x : dtype === 'bool' ? (x ? 1 : 0) : Math.trunc(x)));
  return makeConst(dtype, t.dims, v);
}

export function reduce(
  t: ConstTensor,
  axes: number[],
  keepDims: boolean,
  op: 'prod' | 'sum' | 'max' | 'min' | 'mean',
): ConstTensor {
  const rank = t.dims.length;
  const ax = new Set(axes.map((a) => normAxis(a, rank)));
  const outDims = t.dims.map((d, i) => (ax.has(i) ? 1 : d));
  const init = op === 'prod' ? 1 : op === 'max' ? -Infinity : op === 'min' ? Infinity : 0;
  const acc = new Array<number>(sizeOf(outDims)).fill(init);
  const inStrides = stridesOf(t.dims);
  const outStrides = stridesOf(outDims);
  for (let i = 0; i < t.data.length; i++) {
    let rem = i,
      o = 0;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(rem / inStrides[d]);
      rem -= c * inStrides[d];
      if (!ax.has(d)) o += c * outStrides[d];
    }
    const v = t.data[i];
    acc[o] =
      op === 'prod' ? acc[o] * v : op === 'max' ? Math.max(acc[o], v) : op === 'min' ? Math.min(acc[o], v) : acc[o] + v;
  }
  const count = [...ax].reduce((p, a) => p * t.dims[a], 1);
  const vals = op === 'mean' ? acc.map((v) => v / count) : acc;
  return makeConst(t.dtype, keepDims ? outDims : t.dims.filter((_, i) => !ax.has(i)), vals);
}

export function fill(dims: number[], value: number, dtype: ConstDType): ConstTensor {
  return makeConst(dtype, dims, new Array(sizeOf(dims)).fill(value));
}

export function range(start: number, limit: number, delta: number, dtype: ConstDType): ConstTensor {
  const out: number[] = [];
  for (let v = start; delta > 0 ? v < limit : v > limit; v += delta) out.push(v);
  return makeConst(dtype, [out.length], out);
}

export const BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  AddV2: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  RealDiv: (x, y) => x / y,
  FloorDiv: (x, y) => Math.floor(x / y),
  Maximum: (x, y) => Math.max(x, y),
  Minimum: (x, y) => Math.min(x, y),
};

export { foldBinary, transposeConst };
