// Reads and writes ONNX model files with protobufjs over our onnx.proto: no onnxruntime needed, so the
// extension host can inspect a model without loading native code.
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { AccelError } from '../domain/errors';
import type { Dim, TensorDType, TensorSpec } from '../domain/types';
import { protosRoot } from '../wire/protosRoot';

let modelType: protobuf.Type | undefined;

export function onnxModelType(): protobuf.Type {
  if (!modelType) {
    const root = new protobuf.Root();
    root.loadSync(path.join(protosRoot(), 'onnx', 'onnx.proto'), { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** ONNX TensorProto.DataType → our dtype names. */
export const ONNX_DTYPES: Record<number, TensorDType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

export interface OnnxSummary {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  graphName: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  nodeCount: number;
  opTypes: Record<string, number>;
}

export function decodeOnnx(bytes: Uint8Array, fileLabel = 'the file'): any {
  if (bytes.length === 0) {
    throw new AccelError(
      'InvalidModel',
      `${fileLabel} is empty (0 bytes). Pick a model file exported as ONNX (.onnx) or a TensorFlow frozen graph (.pb).`,
    );
  }
  let model: any;
  try {
    model = onnxModelType().decode(bytes);
  } catch (e) {
    throw new AccelError(
      'InvalidModel',
      `${fileLabel} is not an ONNX model (${(e as Error).message}). Export the model to ONNX, or register a TensorFlow frozen graph with --framework tensorflow.`,
    );
  }
  if (!model.graph || !Array.isArray(model.graph.node) || model.graph.node.length === 0 || !model.ir_version) {
    throw new AccelError(
      'InvalidModel',
      `${fileLabel} is not an ONNX model: it has no graph or no IR version. Export the model to ONNX, or register a TensorFlow frozen graph with --framework tensorflow.`,
    );
  }
  return model;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function')
    return (v as { toNumber: () => number }).toNumber();
  return Number(v);
}

function specOf(vi: any): TensorSpec {
  const tt = vi.type?.tensor_type;
  const dtype = ONNX_DTYPES[tt?.elem_type ?? 0] ?? 'unknown';
  const shape: Dim[] = (tt?.shape?.dim ?? []).map((d: any) =>
    d.dim_value !== undefined && d.dim_value !== null && d.value === 'dim_value'
      ? toNumber(d.dim_value)
      : d.dim_param || '?',
  );
  return { name: vi.name, dtype, shape };
}

export function summarizeOnnx(model: any): OnnxSummary {
  const graph = model.graph;
  const initializers = new Set<string>((graph.initializer ?? []).map((t: any) => t.name));
  const opTypes: Record<string, number> = {};
  for (const n of graph.node) opTypes[n.op_type] = (opTypes[n.op_type] ?? 0) + 1;
  return {
    irVersion: toNumber(model.ir_version),
    opsets: (model.opset_import ?? []).map((o: any) => ({
      domain: o.domain || 'ai.onnx',
      version: toNumber(o.version),
    })),
    producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
    graphName: graph.name ?? '',
    inputs: (graph.input ?? []).filter((vi: any) => !initializers.has(vi.name)).map(specOf),
    outputs: (graph.output ?? []).map(specOf),
    nodeCount: graph.node.length,
    opTypes,
  };
}

export function inspectOnnx(bytes: Uint8Array, fileLabel?: string): OnnxSummary {
  return summarizeOnnx(decodeOnnx(bytes, fileLabel));
}

export function encodeOnnx(model: object): Uint8Array {
  const type = onnxModelType();
  return type.encode(type.fromObject(model)).finish();
}
