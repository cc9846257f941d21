// Reads and writes TensorFlow frozen GraphDef files (.pb) with protobufjs over our graph.proto, and summarizes
// them: inputs (Placeholder nodes), outputs (nodes nobody consumes) and an op histogram. Tensor names use the
// TensorFlow form `node:0`.
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { AccelError } from '../domain/errors';
import type { Dim, TensorDType, TensorSpec } from '../domain/types';
import { protosRoot } from '../wire/protosRoot';

let graphType: protobuf.Type | undefined;

export function graphDefType(): protobuf.Type {
  if (!graphType) {
    const root = new protobuf.Root();
    // Imports name paths from the protos root (`tensorflow/core/framework/...`), not from the importing file.
    root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protosRoot(), target));
    root.loadSync(path.join(protosRoot(), 'tensorflow', 'core', 'framework', 'graph.proto'), { keepCase: true });
    graphType = root.lookupType('tensorflow.GraphDef');
  }
  return graphType;
}

/** TensorFlow DataType enum values → our dtype names. */
export const TF_DTYPES: Record<number, TensorDType> = {
  1: 'float32',
  2: 'float64',
  3: 'int32',
  4: 'uint8',
  5: 'int16',
  6: 'int8',
  7: 'string',
  9: 'int64',
  10: 'bool',
  17: 'uint16',
  19: 'float16',
  22: 'uint32',
  23: 'uint64',
};

export const DT_STRING = 7;

/** Ops that never count as a model output even when nothing consumes them. */
const NOT_OUTPUT_OPS = new Set([
  'Const',
  'NoOp',
  'Assert',
  'Placeholder',
  'PlaceholderWithDefault',
  'Variable',
  'VariableV2',
  'VarHandleOp',
  'Assign',
  'AssignVariableOp',
  'SaveV2',
  'RestoreV2',
  'Save',
  'Restore',
  'MergeV2Checkpoints',
  'Print',
  'PrintV2',
]);

/** Attributes that carry a node's output element type, in the order they are tried. */
const TYPE_ATTRS = ['T', 'dtype', 'out_type', 'output_type', 'DstT', 'Tout'];

export interface GraphNode {
  name: string;
  op: string;
  input: string[];
  device?: string;
  attr: Record<string, any>;
}

export interface GraphDef {
  node: GraphNode[];
  versions?: { producer?: number; min_consumer?: number; bad_consumers?: number[] };
}

export interface GraphDefSummary {
  /** GraphDef producer version (0 when absent). */
  producer: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  nodeCount: number;
  opTypes: Record<string, number>;
  /** True when some Placeholder takes encoded image bytes (DT_STRING): the graph decodes images itself. */
  hasStringInput: boolean;
}

const FIX =
  'Pick a TensorFlow frozen graph (.pb, a GraphDef with the variables folded into constants), or an ONNX model (.onnx).';

export function decodeGraphDef(bytes: Uint8Array, fileLabel = 'the file'): GraphDef {
  if (bytes.length === 0) {
    throw new AccelError('InvalidModel', `${fileLabel} is empty (0 bytes). ${FIX}`);
  }
  let graph: any;
  try {
    graph = graphDefType().decode(bytes);
  } catch (e) {
    throw new AccelError('InvalidModel', `${fileLabel} is not a TensorFlow GraphDef (${(e as Error).message}). ${FIX}`);
  }
  const nodes: any[] = graph.node ?? [];
  if (nodes.length === 0) {
    throw new AccelError('InvalidModel', `${fileLabel} is not a TensorFlow GraphDef: it holds no nodes. ${FIX}`);
  }
  const bad = nodes.find((n) => !n.name || !n.op);
  if (bad) {
    throw new AccelError(
      'InvalidModel',
      `${fileLabel} is not a TensorFlow GraphDef: a node has no ${bad.name ? 'op' : 'name'}. ${FIX}`,
    );
  }
  const names = new Set<string>();
  for (const n of nodes) {
    if (names.has(n.name))
      throw new AccelError(
        'InvalidModel',
        `${fileLabel} is not a valid GraphDef: node "${n.name}" appears twice. ${FIX}`,
      );
    names.add(n.name);
  }
  return graph as GraphDef;
}

export function encodeGraphDef(graph: GraphDef): Uint8Array {
  const type = graphDefType();
  return type.encode(type.fromObject(graph)).finish();
}

/** `node`, `node:1` or `^node` (control input) → the producing node's name. */
export function producerOf(input: string): string {
  const name = input.startsWith('^') ? input.slice(1) : input;
  const colon = name.lastIndexOf(':');
  return colon >= 0 && /^\d+$/.test(name.slice(colon + 1)) ? name.slice(0, colon) : name;
}

/** `node` → `node:0`; names that already carry an output index stay as they are. */
export function tensorName(nodeOrTensor: string): string {
  return /:\d+$/.test(nodeOrTensor) ? nodeOrTensor : `${nodeOrTensor}:0`;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function')
    return (v as { toNumber: () => number }).toNumber();
  return Number(v);
}

/** A TensorShapeProto → our shape; unknown sizes (-1) become the dim's name or '?'. An unknown rank gives []. */
export function shapeOf(shape: any): Dim[] {
  if (!shape || shape.unknown_rank) return [];
  return (shape.dim ?? []).map((d: any) => {
    const size = toNumber(d.size ?? 0);
    return size >= 0 ? size : d.name || '?';
  });
}

/** A DataType as decoded (number) or written by hand ('DT_FLOAT'). */
export function dataTypeCode(value: unknown): number {
  if (typeof value === 'string') return graphDefType().lookupEnum('tensorflow.DataType').values[value] ?? 0;
  return toNumber(value);
}

/** Decoded messages keep unset proto3 fields on the prototype: only own properties were in the file. */
function has(obj: any, key: string): boolean {
  return obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, key);
}

function dtypeOf(node: GraphNode): TensorDType {
  for (const key of TYPE_ATTRS) {
    const attr = node.attr?.[key];
    if (has(attr, 'type')) return TF_DTYPES[dataTypeCode(attr.type)] ?? 'unknown';
  }
  return 'unknown';
}

function outputShapeOf(node: GraphNode): Dim[] {
  if (has(node.attr?.shape, 'shape')) return shapeOf(node.attr.shape.shape);
  const listed = has(node.attr?._output_shapes, 'list') ? node.attr._output_shapes.list.shape : undefined;
  return Array.isArray(listed) && listed.length > 0 ? shapeOf(listed[0]) : [];
}

export function summarizeGraphDef(graph: GraphDef): GraphDefSummary {
  const consumed = new Set<string>();
  const opTypes: Record<string, number> = {};
  for (const node of graph.node) {
    opTypes[node.op] = (opTypes[node.op] ?? 0) + 1;
    for (const input of node.input ?? []) consumed.add(producerOf(input));
  }
  const inputs: TensorSpec[] = graph.node
    .filter((n) => n.op === 'Placeholder')
    .map((n) => ({ name: tensorName(n.name), dtype: dtypeOf(n), shape: outputShapeOf(n) }));
  const outputs: TensorSpec[] = graph.node
    .filter((n) => !consumed.has(n.name) && !NOT_OUTPUT_OPS.has(n.op))
    .map((n) => ({ name: tensorName(n.name), dtype: dtypeOf(n), shape: outputShapeOf(n) }));
  return {
    producer: toNumber(graph.versions?.producer ?? 0),
    inputs,
    outputs,
    nodeCount: graph.node.length,
    opTypes,
    hasStringInput: inputs.some((i) => i.dtype === 'string'),
  };
}

export function inspectGraphDef(bytes: Uint8Array, fileLabel?: string): GraphDefSummary {
  return summarizeGraphDef(decodeGraphDef(bytes, fileLabel));
}
