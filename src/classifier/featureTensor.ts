// Finds the feature tensor of an ImageNet-style classifier ONNX graph: the tensor that feeds its final
// classification layer (Gemm / MatMul / QLinearMatMul, after the global pooling), walking back from the graph
// output through softmax, bias adds, (de)quantization and reshapes. Also reads whether a tensor is quantized
// and with which scale / zero point, so the cut featurizer can hand out float features.
import { AccelError } from '../domain/errors';

/** The parts of a decoded onnx.ModelProto this module reads. */
export interface OnnxNodeLike {
  op_type: string;
  domain?: string;
  name?: string;
  input: string[];
  output: string[];
  attribute?: Array<{ name: string; i?: unknown }>;
}

export interface OnnxGraphLike {
  node: OnnxNodeLike[];
  initializer?: Array<{ name: string; dims?: unknown[] }>;
  input?: Array<{ name: string }>;
  output?: Array<{ name: string }>;
}

export interface FeatureTensor {
  /** The tensor's name in the source graph. */
  name: string;
  /** Feature width, when the classification layer's weights tell it. */
  dim?: number;
  /** Classes of the layer found (when found automatically). */
  sourceClasses?: number;
  /** The node that consumes it (the classification layer), when found automatically. */
  layer?: string;
  /** Scale and zero-point tensors when the tensor holds quantized integers. */
  quantization?: { scale: string; zeroPoint: string };
}

/** Ops that keep the values (or their order) and may sit between the classification layer and the output. */
const PASS_THROUGH = new Set([
  'DequantizeLinear',
  'QuantizeLinear',
  'Softmax',
  'LogSoftmax',
  'Identity',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Cast',
  'Dropout',
  'Sigmoid',
]);
/** Ops through which a quantized tensor keeps its producer's scale and zero point. */
const SHAPE_ONLY = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'MaxPool']);
/** Where each quantized op's output scale and zero point sit among its inputs. */
const OUTPUT_QUANT_INPUTS: Record<string, [number, number]> = {
  QuantizeLinear: [1, 2],
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  QLinearAdd: [6, 7],
  QLinearMul: [6, 7],
  QLinearGlobalAveragePool: [3, 4],
  QLinearAveragePool: [3, 4],
  QLinearSigmoid: [3, 4],
  QLinearLeakyRelu: [3, 4],
  QLinearConcat: [0, 1],
};
/** Ops whose outputs make good features (offered as candidates when nothing is found). */
const CANDIDATE_OPS = new Set([
  'GlobalAveragePool',
  'QLinearGlobalAveragePool',
  'ReduceMean',
  'AveragePool',
  'QLinearAveragePool',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Relu',
  'Gemm',
  'MatMul',
  'DequantizeLinear',
]);

function toInt(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function')
    return (v as { toNumber: () => number }).toNumber();
  return Number(v);
}

export class GraphIndex {
  readonly producers = new Map<string, OnnxNodeLike>();
  readonly initializers = new Map<string, number[]>();
  readonly inputs: Set<string>;

  constructor(readonly graph: OnnxGraphLike) {
    for (const n of graph.node) for (const o of n.output) if (o) this.producers.set(o, n);
    for (const t of graph.initializer ?? []) this.initializers.set(t.name, (t.dims ?? []).map(toInt));
    this.inputs = new Set((graph.input ?? []).map((i) => i.name).filter((n) => !this.initializers.has(n)));
  }

  isConstant(name: string): boolean {
    return this.initializers.has(name) || this.producers.get(name)?.op_type === 'Constant';
  }

  /** The scale and zero point of a quantized tensor, or undefined for a float one. */
  quantizationOf(name: string, depth = 0): FeatureTensor['quantization'] {
    const p = this.producers.get(name);
    if (!p || depth > 32) return undefined;
    const at = OUTPUT_QUANT_INPUTS[p.op_type];
    if (at) return { scale: p.input[at[0]], zeroPoint: p.input[at[1]] };
    if (SHAPE_ONLY.has(p.op_type)) return this.quantizationOf(p.input[0], depth + 1);
    return undefined;
  }

  /** Tensors worth naming with --feature-tensor: outputs of pooling / flatten / dense nodes, late ones first. */
  candidates(limit = 12): string[] {
    const out: string[] = [];
    for (let i = this.graph.node.length - 1; i >= 0 && out.length < limit; i--) {
      const n = this.graph.node[i];
      if (CANDIDATE_OPS.has(n.op_type) || OUTPUT_QUANT_INPUTS[n.op_type]) out.push(`${n.output[0]} (${n.op_type})`);
    }
    return out;
  }
}

function attrInt(node: OnnxNodeLike, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : toInt(a.i);
}

/** The data input of a linear layer and its weight's [features, classes], or undefined when neither side is constant. */
function linearLayer(g: GraphIndex, node: OnnxNodeLike): { data: string; dim?: number; classes?: number } | undefined {
  const [a, b] = node.op_type === 'QLinearMatMul' ? [node.input[0], node.input[3]] : [node.input[0], node.input[1]];
  const aConst = g.isConstant(a);
  const bConst = g.isConstant(b);
  if (aConst === bConst) return undefined;
  const data = aConst ? b : a;
  const w = g.initializers.get(aConst ? a : b);
  if (!w || w.length !== 2) return { data };
  // Gemm: Y = A'·B' with transA/transB; the weight's feature axis is the one contracted with the data.
  let [rows, cols] = w;
  if (node.op_type === 'Gemm' && attrInt(node, bConst ? 'transB' : 'transA', 0) === 1) [rows, cols] = [cols, rows];
  return bConst ? { data, dim: rows, classes: cols } : { data, dim: cols, classes: rows };
}

const LINEAR_OPS = new Set(['Gemm', 'MatMul', 'QLinearMatMul', 'MatMulInteger']);

/**
 * The feature tensor of `graph`: `requested` when given (it must be a tensor some node produces), else the input
 * of the layer that produces the first graph output's class scores. Errors list candidate tensors.
 */
export function findFeatureTensor(graph: OnnxGraphLike, modelLabel: string, requested?: string): FeatureTensor {
  const g = new GraphIndex(graph);
  const candidates = g.candidates();
  const hint = `Candidates (latest first): ${candidates.join(', ') || 'none'}.`;
  if (requested !== undefined) {
    if (!g.producers.has(requested)) {
      const what = g.inputs.has(requested)
        ? 'is the graph input'
        : g.initializers.has(requested)
          ? 'is a constant'
          : 'is not produced by any node';
      throw new AccelError(
        'InvalidArgument',
        `Tensor "${requested}" ${what} of model ${modelLabel}, so it cannot be the feature tensor. Pass --feature-tensor with a tensor inside the network. ${hint}`,
      );
    }
    return { name: requested, quantization: g.quantizationOf(requested) };
  }
  const output = graph.output?.[0]?.name;
  let tensor = output;
  const path: string[] = [];
  for (let step = 0; tensor !== undefined && step < 32; step++) {
    const p = g.producers.get(tensor);
    if (!p) break;
    path.push(p.op_type);
    if (LINEAR_OPS.has(p.op_type)) {
      const layer = linearLayer(g, p);
      if (!layer) break;
      return {
        name: layer.data,
        dim: layer.dim,
        sourceClasses: layer.classes,
        layer: p.name || p.output[0],
        quantization: g.quantizationOf(layer.data),
      };
    }
    if (PASS_THROUGH.has(p.op_type)) {
      tensor = p.input[0];
      continue;
    }
    if (p.op_type === 'Add' || p.op_type === 'QLinearAdd') {
      const [x, y] = p.op_type === 'QLinearAdd' ? [p.input[0], p.input[3]] : [p.input[0], p.input[1]];
      if (g.isConstant(x) === g.isConstant(y)) break;
      tensor = g.isConstant(x) ? y : x;
      continue;
    }
    break;
  }
  const seen = path.length
    ? ` (walking back from output "${output}" through ${path.join(' ← ')} found no Gemm/MatMul classification layer)`
    : '';
  throw new AccelError(
    'InvalidModel',
    `Could not find the feature tensor of model ${modelLabel}${seen}. It must be an image classifier whose last layer is a dense Gemm/MatMul; otherwise name the tensor with --feature-tensor T. ${hint}`,
  );
}
