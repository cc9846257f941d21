// Compatibility report of a converted model: which ops the accelerator runs (conv, matmul, pool and
// elementwise families, as Brainwave's matrix-vector and vector units did) and which stay on the host CPU,
// parameter count, multiply-accumulates per image, and weight storage at each precision.
import { num } from './constTensor';
import { matrixWeights, weightBits, type Precision } from './precision';

export type OpFamily = 'conv' | 'matmul' | 'pool' | 'elementwise';

const FAMILIES: Record<string, OpFamily> = {
  Conv: 'conv',
  QLinearConv: 'conv',
  ConvInteger: 'conv',
  MatMul: 'matmul',
  Gemm: 'matmul',
  QLinearMatMul: 'matmul',
  MatMulInteger: 'matmul',
  MaxPool: 'pool',
  AveragePool: 'pool',
  GlobalAveragePool: 'pool',
  QLinearGlobalAveragePool: 'pool',
  GlobalMaxPool: 'pool',
  Relu: 'elementwise',
  Clip: 'elementwise',
  LeakyRelu: 'elementwise',
  Sigmoid: 'elementwise',
  Tanh: 'elementwise',
  Add: 'elementwise',
  Sub: 'elementwise',
  Mul: 'elementwise',
  Div: 'elementwise',
  Max: 'elementwise',
  Min: 'elementwise',
  Sum: 'elementwise',
  BatchNormalization: 'elementwise',
  QLinearAdd: 'elementwise',
  QLinearMul: 'elementwise',
};

export interface CompatibilityReport {
  opHistogram: Record<string, number>;
  accelerator: { nodes: number; ops: Record<string, number>; families: Record<OpFamily, number> };
  host: { nodes: number; ops: Record<string, number> };
  parameters: number;
  macsPerImage: number;
  /** False when some layer's shape could not be inferred, so macsPerImage is a lower bound. */
  macsComplete: boolean;
  /** Bytes of all weights when the matrix-layer weights are stored at each precision (biases etc. at fp32). */
  weightBytes: Record<Precision, number>;
  /** Bytes the initializers take in the converted file as it is (int8 models are smaller than fp32). */
  storedWeightBytes: number;
}

const ELEM_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };

function attrInts(node: any, name: string): number[] | undefined {
  const a = (node.attribute ?? []).find((x: any) => x.name === name);
  return a ? (a.ints ?? []).map(num) : undefined;
}

function attrInt(node: any, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x: any) => x.name === name);
  return a ? num(a.i) : fallback;
}

/** Spatial output size of a windowed op along one axis. */
function windowOut(size: number, k: number, s: number, d: number, padSum: number, autoPad: boolean): number {
  return autoPad ? Math.ceil(size / s) : Math.floor((size + padSum - ((k - 1) * d + 1)) / s) + 1;
}

/** Static shapes for batch 1, propagated through the ops image models use; unknown shapes stay absent. */
function inferShapes(model: any): Map<string, number[]> {
  const g = model.graph;
  const shapes = new Map<string, number[]>();
  const inits = new Map<string, any>((g.initializer ?? []).map((t: any) => [t.name, t]));
  for (const t of g.initializer ?? []) shapes.set(t.name, (t.dims ?? []).map(num));
  for (const vi of g.input ?? []) {
    const dims = vi.type?.tensor_type?.shape?.dim ?? [];
    if (!shapes.has(vi.name))
      shapes.set(
        vi.name,
        dims.map((d: any) => (d.dim_param || !num(d.dim_value) ? 1 : num(d.dim_value))),
      );
  }
  const intValues = (name: string): number[] | undefined => {
    const t = inits.get(name);
    if (!t) return undefined;
    if (t.raw_data?.length && t.data_type === 7) {
      const b = Buffer.from(t.raw_data);
      return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigInt64LE(i * 8)));
    }
    return (t.int64_data ?? []).map(num);
  };
  for (const n of g.node) {
    const x = shapes.get(n.input[0]);
    const set = (s: number[] | undefined) =>
      s && s.every((d) => Number.isFinite(d) && d >= 0) && shapes.set(n.output[0], s);
    switch (n.op_type) {
      case 'Conv':
      case 'QLinearConv':
      case 'ConvInteger':
      case 'MaxPool':
      case 'AveragePool': {
        const wName = n.op_type === 'QLinearConv' ? n.input[3] : n.input[1];
        const w = n.op_type.endsWith('Pool') ? undefined : shapes.get(wName);
        if (!x || x.length !== 4) break;
        const k = attrInts(n, 'kernel_shape') ?? (w ? w.slice(2) : undefined);
        if (!k) break;
        const s = attrInts(n, 'strides') ?? [1, 1];
        const d = attrInts(n, 'dilations') ?? [1, 1];
        const p = attrInts(n, 'pads') ?? [0, 0, 0, 0];
        const auto = (n.attribute ?? []).some(
          (a: any) => a.name === 'auto_pad' && /SAME/.test(Buffer.from(a.s ?? []).toString()),
        );
        set([
          x[0],
          w ? w[0] : x[1],
          windowOut(x[2], k[0], s[0], d[0], p[0] + p[2], auto),
          windowOut(x[3], k[1], s[1], d[1], p[1] + p[3], auto),
        ]);
        break;
      }
      case 'GlobalAveragePool':
      case 'QLinearGlobalAveragePool':
      case 'GlobalMaxPool':
        if (x) set([x[0], x[1], 1, 1]);
        break;
      case 'Flatten':
        if (x) set([x[0], x.slice(1).reduce((a, b) => a * b, 1)]);
        break;
      case 'MatMul':
      case 'QLinearMatMul':
      case 'Gemm': {
        const b = shapes.get(n.op_type === 'QLinearMatMul' ? n.input[3] : n.input[1]);
        if (!x || !b) break;
        const transB = n.op_type === 'Gemm' && attrInt(n, 'transB', 0) === 1;
        set([...x.slice(0, -1), transB ? b[0] : b[b.length - 1]]);
        break;
      }
      case 'Reshape': {
        const target = intValues(n.input[1]);
        if (!x || !target) break;
        const total = x.reduce((a, b) => a * b, 1);
        const t = target.map((d, i) => (d === 0 ? x[i] : d));
        const known = t.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        set(t.map((d) => (d === -1 ? total / known : d)));
        break;
      }
      case 'Transpose': {
        const perm = attrInts(n, 'perm');
        if (x) set(perm ? perm.map((p) => x[p]) : [...x].reverse());
        break;
      }
      case 'Squeeze': {
        const axes = intValues(n.input[1]) ?? attrInts(n, 'axes');
        if (x)
          set(
            axes
              ? x.filter((_, i) => !axes.map((a) => (a < 0 ? a + x.length : a)).includes(i))
              : x.filter((d) => d !== 1),
          );
        break;
      }
      case 'Concat': {
        const parts = n.input.map((i: string) => shapes.get(i));
        if (parts.some((p: number[] | undefined) => !p)) break;
        const axis = attrInt(n, 'axis', 0);
        const a = axis < 0 ? axis + parts[0].length : axis;
        set(
          parts[0].map((d: number, i: number) => (i === a ? parts.reduce((s: number, p: number[]) => s + p[i], 0) : d)),
        );
        break;
      }
      case 'Pad': {
        const pads = intValues(n.input[1]);
        if (x && pads) set(x.map((d, i) => d + pads[i] + pads[i + x.length]));
        break;
      }
      case 'Shape':
      case 'Gather':
      case 'Unsqueeze':
      case 'ReduceMean':
        break;
      default:
        if (x) set(x); // elementwise, activations, (de)quantize, softmax, identity, batch norm
    }
  }
  return shapes;
}

export function compatibilityReport(model: any): CompatibilityReport {
  const g = model.graph;
  const opHistogram: Record<string, number> = {};
  const accelOps: Record<string, number> = {};
  const hostOps: Record<string, number> = {};
  const families: Record<OpFamily, number> = { conv: 0, matmul: 0, pool: 0, elementwise: 0 };
  for (const n of g.node) {
    opHistogram[n.op_type] = (opHistogram[n.op_type] ?? 0) + 1;
    const fam = FAMILIES[n.op_type];
    if (fam) {
      accelOps[n.op_type] = (accelOps[n.op_type] ?? 0) + 1;
      families[fam]++;
    } else {
      hostOps[n.op_type] = (hostOps[n.op_type] ?? 0) + 1;
    }
  }

  const shapes = inferShapes(model);
  let macs = 0;
  let complete = true;
  for (const n of g.node) {
    const fam = FAMILIES[n.op_type];
    if (fam !== 'conv' && fam !== 'matmul') continue;
    const out = shapes.get(n.output[0]);
    const w = shapes.get(n.op_type.startsWith('QLinear') ? n.input[3] : n.input[1]);
    if (w && fam === 'matmul' && w.length === 2) {
      macs += w[0] * w[1]; // a [1, K] × [K, N] product per image
    } else if (w && out) {
      const outCount = out.reduce((a, b) => a * b, 1) / (out[0] || 1); // per image
      macs += outCount * w.slice(1).reduce((a, b) => a * b, 1);
    } else {
      complete = false;
    }
  }

  const weights = new Set(matrixWeights(model).map((w) => w.name));
  for (const n of g.node) if (n.op_type === 'QLinearConv' || n.op_type === 'QLinearMatMul') weights.add(n.input[3]);
  let parameters = 0;
  let matrixParams = 0;
  let stored = 0;
  for (const t of g.initializer ?? []) {
    const count = (t.dims ?? []).map(num).reduce((a: number, b: number) => a * b, 1);
    stored += count * (ELEM_BYTES[t.data_type] ?? 4);
    if (t.data_type === 1 || t.data_type === 2 || t.data_type === 3) parameters += count; // shapes/indices are not parameters
    if (weights.has(t.name)) matrixParams += count;
  }
  const otherBytes = (parameters - matrixParams) * 4;
  const weightBytes = Object.fromEntries(
    (['fp32', 'msfp9', 'msfp8'] as Precision[]).map((p) => [
      p,
      Math.ceil(weightBits(matrixParams, p) / 8) + otherBytes,
    ]),
  ) as Record<Precision, number>;

  return {
    opHistogram,
    accelerator: { nodes: Object.values(accelOps).reduce((a, b) => a + b, 0), ops: accelOps, families },
    host: { nodes: Object.values(hostOps).reduce((a, b) => a + b, 0), ops: hostOps },
    parameters,
    macsPerImage: macs,
    macsComplete: complete,
    weightBytes,
    storedWeightBytes: stored,
  };
}
