// Accelerator precision emulation: Brainwave's ms-fp formats, block floating point (BFP).
//
// Format. Each weight keeps a sign and an m-bit mantissa; a block of weights shares one 5-bit exponent
// (ms-fp9: m = 3, ms-fp8: m = 2; "9"/"8" = 1 sign + 5 exponent + m mantissa bits when written per element).
// For a block with largest magnitude M, the shared exponent is e = floor(log2 M), clamped to the 5-bit range
// [-14, 15] (fp16's normal range). A weight x becomes sign(x) · q · 2^(e-m+1) with q = round(|x| / 2^(e-m+1))
// clamped to [0, 2^m - 1]: the mantissa has no hidden bit, since only the block's largest element is known
// to have its leading one at e. Small weights in a block with a large one lose bits — the effect BFP has.
//
// Block size 16 along the reduction (input-channel) dimension. The hardware's dot-product units share one
// exponent across the vector elements they multiply and sum together, so a block must hold weights of the
// same dot product: for a Conv weight [Cout, Cin, KH, KW] the block runs along Cin at a fixed (cout, kh, kw);
// for MatMul B [K, N] along K; for Gemm along K (axis 1 when transB). 16 is the block size Microsoft's MSFP
// publications use: it keeps the exponent overhead at 5/16 bit per weight while one large weight can
// only coarsen 15 neighbours.
//
// Only weights of matrix layers (Conv/MatMul/Gemm initializers) are rounded; biases and activations stay
// fp32. fp32 is a pass-through. Already-quantized models (int8 QLinear*/QDQ graphs) are left unchanged unless
// the conversion first rewrites them to fp32 (--dequantize, convert/dequantize.ts).
import { floatsOfOnnxTensor, num } from './constTensor';

export type Precision = 'fp32' | 'msfp9' | 'msfp8';
export const PRECISIONS: Precision[] = ['fp32', 'msfp9', 'msfp8'];
export const MSFP_BLOCK = 16;
export const MSFP_EXPONENT_BITS = 5;
const EXP_MIN = -14;
const EXP_MAX = 15;

export function mantissaBits(p: Precision): number {
  return p === 'msfp9' ? 3 : p === 'msfp8' ? 2 : 23;
}

/** Rounds one block in place (indices `start + k*stride`, k < count). */
function roundBlock(data: Float32Array, start: number, stride: number, count: number, m: number): void {
  let max = 0;
  for (let k = 0; k < count; k++) max = Math.max(max, Math.abs(data[start + k * stride]));
  if (max === 0 || !Number.isFinite(max)) return;
  const e = Math.min(Math.max(Math.floor(Math.log2(max)), EXP_MIN), EXP_MAX);
  const step = 2 ** (e - m + 1);
  const qmax = 2 ** m - 1;
  for (let k = 0; k < count; k++) {
    const i = start + k * stride;
    const q = Math.min(Math.round(Math.abs(data[i]) / step), qmax);
    data[i] = Math.sign(data[i]) * q * step;
  }
}

/** BFP-rounds a weight tensor with blocks of MSFP_BLOCK along `axis`. Returns a new array. */
export function quantizeMsfp(values: Float32Array, dims: number[], axis: number, precision: Precision): Float32Array {
  const out = Float32Array.from(values);
  if (precision === 'fp32') return out;
  const m = mantissaBits(precision);
  const len = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let b = 0; b < len; b += MSFP_BLOCK) {
        roundBlock(out, (o * len + b) * inner + i, inner, Math.min(MSFP_BLOCK, len - b), m);
      }
    }
  }
  return out;
}

/** Storage bits of n weights: fp32, or (1 sign + m) bits each plus one 5-bit exponent per block of 16. */
export function weightBits(n: number, precision: Precision): number {
  if (precision === 'fp32') return n * 32;
  return n * (1 + mantissaBits(precision)) + Math.ceil(n / MSFP_BLOCK) * MSFP_EXPONENT_BITS;
}

const QUANTIZED_OPS = new Set([
  'QLinearConv',
  'QLinearMatMul',
  'QuantizeLinear',
  'DequantizeLinear',
  'ConvInteger',
  'MatMulInteger',
  'QLinearAdd',
  'QGemm',
  'DynamicQuantizeLinear',
]);

/** Why a model counts as already quantized (its op types and int8 weights), or null. */
export function quantizedReason(model: any): string | null {
  const ops = new Map<string, number>();
  for (const n of model.graph.node) if (QUANTIZED_OPS.has(n.op_type)) ops.set(n.op_type, (ops.get(n.op_type) ?? 0) + 1);
  const int8 = (model.graph.initializer ?? []).filter((t: any) => t.data_type === 2 || t.data_type === 3).length;
  if (ops.size === 0 && int8 === 0) return null;
  const list = [...ops].map(([op, c]) => `${op}×${c}`).join(', ');
  return `the model is already quantized (${list || 'no quantized ops'}${int8 ? `; ${int8} int8/uint8 initializers` : ''})`;
}

export interface WeightTensor {
  name: string;
  op: string;
  dims: number[];
  /** The reduction axis blocks run along. */
  axis: number;
}

/** Float32 initializers used as Conv/MatMul/Gemm weights, with the axis their dot products reduce over. */
export function matrixWeights(model: any): WeightTensor[] {
  const inits = new Map<string, any>((model.graph.initializer ?? []).map((t: any) => [t.name, t]));
  const out = new Map<string, WeightTensor>();
  for (const n of model.graph.node) {
    const w = inits.get(n.input?.[1]);
    if (!w || w.data_type !== 1) continue;
    const dims: number[] = (w.dims ?? []).map(num);
    let axis: number | undefined;
    if (n.op_type === 'Conv' && dims.length >= 3) axis = 1;
    else if (n.op_type === 'MatMul' && dims.length === 2) axis = 0;
    else if (n.op_type === 'Gemm' && dims.length === 2) {
      const transB = (n.attribute ?? []).find((a: any) => a.name === 'transB');
      axis = transB && num(transB.i) === 1 ? 1 : 0;
    }
    if (axis !== undefined) out.set(w.name, { name: w.name, op: n.op_type, dims, axis });
  }
  return [...out.values()];
}

export interface PrecisionResult {
  precision: Precision;
  /** Weight tensors rewritten. */
  tensors: number;
  /** Weights rewritten. */
  weights: number;
  /** Set when the model was left unchanged. */
  note?: string;
}

/** Applies the precision to a decoded ONNX model in place (Conv/MatMul/Gemm weights). */
export function applyPrecision(model: any, precision: Precision): PrecisionResult {
  if (precision === 'fp32') return { precision, tensors: 0, weights: 0, note: 'fp32: weights kept as they are.' };
  const reason = quantizedReason(model);
  if (reason) {
    return {
      precision,
      tensors: 0,
      weights: 0,
      note: `${precision} not applied: ${reason}; its weights already have the accelerator's narrow precision, so they are left numerically unchanged (pass --dequantize to rewrite it to fp32 and apply ${precision} instead).`,
    };
  }
  const inits = new Map<string, any>((model.graph.initializer ?? []).map((t: any) => [t.name, t]));
  let weights = 0;
  const list = matrixWeights(model);
  for (const w of list) {
    const t = inits.get(w.name);
    const q = quantizeMsfp(floatsOfOnnxTensor(t), w.dims, w.axis, precision);
    t.raw_data = Buffer.from(q.buffer, q.byteOffset, q.byteLength);
    t.float_data = [];
    weights += q.length;
  }
  return { precision, tensors: list.length, weights };
}
