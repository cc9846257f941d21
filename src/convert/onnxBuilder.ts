// Builds an ONNX ModelProto (as the plain object onnxModel.encodeOnnx takes): nodes, initializers,
// graph inputs/outputs. Opset 13, IR version 8 — what onnxruntime-node loads.
import { ONNX_ELEM, toOnnxInitializer, type ConstDType, type ConstTensor } from './constTensor';

export const OPSET = 13;
export const IR_VERSION = 8;

export type OnnxAttr =
  | { kind: 'int'; v: number }
  | { kind: 'float'; v: number }
  | { kind: 'ints'; v: number[] }
  | { kind: 'string'; v: string };

export const attr = {
  int: (v: number): OnnxAttr => ({ kind: 'int', v }),
  float: (v: number): OnnxAttr => ({ kind: 'float', v }),
  ints: (v: number[]): OnnxAttr => ({ kind: 'ints', v }),
  string: (v: string): OnnxAttr => ({ kind: 'string', v }),
};

export interface OnnxNode {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: object[];
}

function encodeAttr(name: string, a: OnnxAttr): object {
  switch (a.kind) {
    case 'int':
      return { name, type: 2, i: a.v };
    case 'float':
      return { name, type: 1, f: a.v };
    case 'ints':
      return { name, type: 7, ints: a.v };
    case 'string':
      return { name, type: 3, s: Buffer.from(a.v, 'utf8') };
  }
}

export interface GraphEdge {
  name: string;
  dtype: ConstDType;
  /** -1 = dynamic (written as dim_param "N"); null = unknown rank. */
  shape: number[] | null;
}

function valueInfo(e: GraphEdge): object {
  const tensor_type: any = { elem_type: ONNX_ELEM[e.dtype] };
  if (e.shape) tensor_type.shape = { dim: e.shape.map((d) => (d < 0 ? { dim_param: 'N' } : { dim_value: d })) };
  return { name: e.name, type: { tensor_type } };
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  private readonly initializers = new Map<string, ConstTensor>();
  private readonly used = new Set<string>();

  /** A tensor/node name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  addNode(
    op: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, OnnxAttr> = {},
    name?: string,
  ): OnnxNode {
    for (const o of outputs) this.used.add(o);
    const node: OnnxNode = {
      name: this.fresh(name ?? `${outputs[0]}/${op}`),
      op_type: op,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    };
    this.nodes.push(node);
    return node;
  }

  /** Registers (or replaces) an initializer; returns its name. */
  setInitializer(name: string, t: ConstTensor): string {
    this.used.add(name);
    this.initializers.set(name, t);
    return name;
  }

  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** Renames a tensor everywhere it appears (used to free a TF name for a graph output). */
  renameTensor(from: string, to: string): void {
    for (const n of this.nodes) {
      n.input = n.input.map((x) => (x === from ? to : x));
      n.output = n.output.map((x) => (x === from ? to : x));
    }
    this.used.add(to);
  }

  toModel(inputs: GraphEdge[], outputs: GraphEdge[], graphName: string, docString = ''): object {
    return {
      ir_version: IR_VERSION,
      opset_import: [{ domain: '', version: OPSET }],
      producer_name: 'accelerated-models',
      producer_version: '0.1.0',
      doc_string: docString,
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: [...this.initializers].map(([name, t]) => toOnnxInitializer(name, t)),
        input: inputs.map(valueInfo),
        output: outputs.map(valueInfo),
      },
    };
  }
}
