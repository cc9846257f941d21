// TensorFlow frozen GraphDef → ONNX (opset 13). Layout: TF image graphs are NHWC, ONNX convolutions are
// NCHW. Instead of wrapping every op in transposes, each converted tensor carries a layout flag: rank-4
// activations live in NCHW ("nchw") from the first convolution on, and elementwise/pool/concat/softmax ops
// just remap their axes. A transpose appears only where a tensor must leave that layout: once after the
// graph input, and before NHWC-shaped outputs or reshapes. Constant subgraphs (shape arithmetic, weights)
// are folded in JS. ONNX tensor names are the TF tensor names, so clients keep their keys.
import { AccelError } from '../domain/errors';
import type { CancellationSignal } from '../domain/ports';
import { neverCancelled } from '../domain/ports';
import { TF_DTYPE, type ConstDType, type ConstTensor } from './constTensor';
import { OnnxGraphBuilder, attr, type GraphEdge, type OnnxAttr, type OnnxNode } from './onnxBuilder';
import {
  attrs,
  consumerMap,
  dataInputs,
  nodeMap,
  parseTensorName,
  tensorName,
  type TfGraph,
  type TfNode,
} from './tfGraph';
import { OP_HANDLERS } from './tfOps';

export type Layout = 'plain' | 'nchw';

/** A converted TF tensor. `shape` is the logical (TF, NHWC) shape; -1 = dynamic dim, null = unknown rank. */
export interface Value {
  name: string;
  dtype: ConstDType;
  shape: number[] | null;
  layout: Layout;
  konst?: ConstTensor;
}

export interface TfConvertOptions {
  /** The graph input: a float Placeholder tensor, or the float tensor where a preprocessing cut ends. */
  inputTensor: string;
  /** Name the ONNX input gets (defaults to inputTensor; a preprocessing cut keeps the string placeholder's name). */
  inputName?: string;
  /** Logical NHWC shape of the input when the graph does not say (preprocessing cut). */
  inputShape?: number[];
  outputTensors: string[];
  cancel?: CancellationSignal;
}

export interface TfConvertResult {
  /** Plain ModelProto object for encodeOnnx. */
  model: object;
  inputs: GraphEdge[];
  outputs: GraphEdge[];
  /** TF op type → count, over the nodes that were converted (after cutting and before folding). */
  tfOpHistogram: Record<string, number>;
  foldedNodes: number;
}

/** Physical NCHW axis of each logical NHWC axis. */
export const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];

export function unsupported(
  node: TfNode,
  why: string,
  what = 'Remove it from the graph or pick output tensors before it (--output).',
): AccelError {
  const slash = node.name.lastIndexOf('/');
  const opName = node.name.slice(slash + 1);
  return new AccelError(
    'InvalidModel',
    `Cannot convert operator "${opName}" of type ${node.op} at node path "${node.name}": ${why}. ${what}`,
    { node: node.name, op: node.op },
  );
}

export class TfConverter {
  readonly b = new OnnxGraphBuilder();
  private readonly values = new Map<string, Value>();
  private readonly nchwCache = new Map<string, string>();
  private readonly plainCache = new Map<string, string>();
  private readonly consumers: Map<string, string[]>;
  private readonly requested: Set<string>;
  /** Conv outputs whose weights/bias may still absorb a following BiasAdd / batch norm. */
  readonly convs = new Map<
    string,
    { node: OnnxNode; weight: ConstTensor; bias: ConstTensor; weightName: string; biasName: string }
  >();
  foldedNodes = 0;

  constructor(
    readonly graph: TfGraph,
    readonly opts: TfConvertOptions,
  ) {
    this.consumers = consumerMap(graph);
    this.requested = new Set(opts.outputTensors.map(tensorName));
  }

  // ---- values ----------------------------------------------------------------------------------------

  define(tensor: string, v: Value): void {
    this.values.set(tensor, v);
  }

  value(tensor: string): Value {
    const v = this.values.get(tensorName(tensor));
    if (!v) throw new Error(`internal: tensor ${tensor} used before it was converted`);
    return v;
  }

  inputValues(node: TfNode): Value[] {
    return dataInputs(node).map((t) => this.value(t));
  }

  /** The constant value of input `i`, or an error naming the node when it is computed at run time. */
  constInput(node: TfNode, i: number, role: string): ConstTensor {
    const v = this.inputValues(node)[i];
    if (!v?.konst)
      throw unsupported(
        node,
        `its ${role} (input ${i}) is computed at run time, and the converter needs it constant`,
        'Freeze the graph so that it becomes a Const, or pick output tensors before this node.',
      );
    return v.konst;
  }

  defineConst(tensor: string, t: ConstTensor): void {
    this.define(tensor, { name: '', dtype: t.dtype, shape: [...t.dims], layout: 'plain', konst: t });
  }

  /** How many converted nodes (plus requested outputs) read a tensor. */
  consumerCount(tensor: string): number {
    return (this.consumers.get(tensorName(tensor))?.length ?? 0) + (this.requested.has(tensorName(tensor)) ? 1 : 0);
  }

  isRequestedOutput(tensor: string): boolean {
    return this.requested.has(tensorName(tensor));
  }

  // ---- emitting ----------------------------------------------------------------------------------------

  emit(op: string, inputs: string[], outputs: string[], a: Record<string, OnnxAttr> = {}): OnnxNode {
    return this.b.addNode(op, inputs, outputs, a);
  }

  /** A named initializer (weights, shapes) not tied to a TF tensor. */
  initializer(base: string, t: ConstTensor): string {
    return this.b.setInitializer(this.b.fresh(base), t);
  }

  /** ONNX tensor name of a value in the layout an op wants ('any' = as it is). */
  use(v: Value, want: Layout | 'any' = 'any'): string {
    if (v.konst && !v.name) {
      v.name = this.b.setInitializer(this.b.fresh(`const/${v.shape?.join('x') ?? 's'}`), v.konst);
    }
    if (want === 'any' || want === v.layout) return v.name;
    if (want === 'nchw') {
      if (v.shape?.length !== 4)
        throw new Error(`internal: NCHW requested for rank ${v.shape?.length} tensor ${v.name}`);
      let t = this.nchwCache.get(v.name);
      if (!t) {
        t = this.b.fresh(`${v.name}/nchw`);
        this.emit('Transpose', [v.name], [t], { perm: attr.ints([0, 3, 1, 2]) });
        this.nchwCache.set(v.name, t);
      }
      return t;
    }
    let t = this.plainCache.get(v.name);
    if (!t) {
      t = this.b.fresh(`${v.name}/nhwc`);
      const s = v.shape!;
      if (s[1] === 1 && s[2] === 1) {
        // [N,C,1,1] and [N,1,1,C] have the same memory order: a reshape is enough.
        const shapeName = this.initializer('shape', { dtype: 'int64', dims: [4], data: [0, 1, 1, s[3]] });
        this.emit('Reshape', [v.name, shapeName], [t]);
      } else {
        this.emit('Transpose', [v.name], [t], { perm: attr.ints([0, 2, 3, 1]) });
      }
      this.plainCache.set(v.name, t);
    }
    return t;
  }

  /** Output name for a TF node's output `index` (the TF tensor name itself). */
  out(node: TfNode, index = 0): string {
    const name = `${node.name}:${index}`;
    this.b.reserve(name);
    return name;
  }

  // ---- driver ----------------------------------------------------------------------------------------

  run(): TfConvertResult {
    const nodes = nodeMap(this.graph);
    const input = tensorName(this.opts.inputTensor);
    const inputName = this.opts.inputName ?? input;
    const inputNode = nodes.get(parseTensorName(input).node)!;
    const order = this.topologicalCone(nodes, input);
    const cancel = this.opts.cancel ?? neverCancelled;

    const inputShape = this.opts.inputShape ?? attrs.shape(inputNode, 'shape');
    const tfType = attrs.type(inputNode, 'dtype') ?? attrs.type(inputNode, 'T') ?? 1;
    const inputDtype = TF_DTYPE[tfType];
    if (inputDtype !== 'float32' && !this.opts.inputShape) {
      throw new AccelError(
        'InvalidModel',
        `Input tensor ${input} has type ${inputDtype ?? tfType}; the converter expects a float32 image tensor [N,H,W,C] or a string placeholder that feeds a JPEG decode/preprocessing subgraph.`,
      );
    }
    const inputEdge: GraphEdge = { name: inputName, dtype: 'float32', shape: inputShape };
    this.b.reserve(inputName);
    this.define(input, { name: inputName, dtype: 'float32', shape: inputShape, layout: 'plain' });

    const hist: Record<string, number> = {};
    for (const node of order) {
      if (cancel.isCancellationRequested) throw new AccelError('Cancelled', 'The conversion was cancelled.');
      hist[node.op] = (hist[node.op] ?? 0) + 1;
      const handler = OP_HANDLERS[node.op];
      if (!handler) throw unsupported(node, 'this operator type is not supported by the converter');
      try {
        handler(this, node);
      } catch (e) {
        if (e instanceof AccelError) throw e;
        throw unsupported(
          node,
          (e as Error).message,
          'Check the node in the source graph, or pick output tensors before it (--output).',
        );
      }
    }

    const outputs: GraphEdge[] = [];
    for (const t of this.opts.outputTensors.map(tensorName)) outputs.push(this.bindOutput(t));
    return {
      model: this.b.toModel([inputEdge], outputs, 'converted', `Converted from a TensorFlow GraphDef; input ${input}`),
      inputs: [inputEdge],
      outputs,
      tfOpHistogram: hist,
      foldedNodes: this.foldedNodes,
    };
  }

  /** Makes the graph output carry exactly the requested TF tensor name, in NHWC layout. */
  private bindOutput(t: string): GraphEdge {
    const v = this.value(t);
    if (v.konst && !v.name) this.use(v);
    const edge: GraphEdge = { name: t, dtype: v.dtype, shape: v.shape };
    if (v.layout === 'nchw') {
      if (v.name === t) {
        // The TF name is taken by the NCHW tensor: move that one aside.
        const moved = this.b.fresh(`${t}/nchw`);
        this.b.renameTensor(t, moved);
        v.name = moved;
      }
      this.emit('Transpose', [v.name], [t], { perm: attr.ints([0, 2, 3, 1]) });
    } else if (v.name !== t) {
      this.emit('Identity', [v.name], [t]);
    }
    return edge;
  }

  /** Nodes the outputs depend on, inputs first, stopping at the input tensor. */
  private topologicalCone(nodes: Map<string, TfNode>, input: string): TfNode[] {
    const inputNode = parseTensorName(input).node;
    const order: TfNode[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, from: string) => {
      if (name === inputNode || state.get(name) === 'done') return;
      const node = nodes.get(name);
      if (!node)
        throw new AccelError(
          'InvalidModel',
          `Node "${from}" reads "${name}", which is not in the graph. The GraphDef is incomplete; export it again as a frozen graph.`,
        );
      if (state.get(name) === 'visiting') {
        throw unsupported(
          node,
          'it is part of a cycle (a TF while loop) outside the preprocessing subgraph',
          'Pick output tensors before the loop.',
        );
      }
      state.set(name, 'visiting');
      for (const i of dataInputs(node)) {
        const tensor = i;
        if (tensor === input || parseTensorName(tensor).node !== inputNode) visit(parseTensorName(tensor).node, name);
        else if (parseTensorName(tensor).node === inputNode && tensor !== input) {
          throw unsupported(node, `it reads ${tensor}, another output of the input node`);
        }
      }
      if (node.op === 'Placeholder' || node.op === 'PlaceholderV2') {
        throw new AccelError(
          'InvalidArgument',
          `The outputs depend on a second input "${node.name}:0" besides ${input}. The accelerator takes one input tensor: choose outputs that depend only on ${input}, or use ${node.name}:0 as the input.`,
        );
      }
      state.set(name, 'done');
      order.push(node);
    };
    for (const t of this.opts.outputTensors) {
      const p = parseTensorName(tensorName(t));
      if (`${p.node}:${p.index}` === input) continue;
      visit(p.node, '(outputs)');
    }
    return order;
  }
}

export function convertTfGraph(graph: TfGraph, opts: TfConvertOptions): TfConvertResult {
  return new TfConverter(graph, opts).run();
}
