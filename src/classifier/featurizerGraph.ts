// ONNX graph surgery for transfer learning: cut a classifier at its feature tensor (the featurizer: the same
// input, one float output [N, D] named "features"), and append a trained softmax head to a featurizer (Gemm,
// then Softmax: one graph, featurizer + head, output "probabilities").
import { decodeOnnx, encodeOnnx } from '../convert/onnxModel';
import { findFeatureTensor, type FeatureTensor, type OnnxGraphLike, type OnnxNodeLike } from './featureTensor';
import type { SoftmaxHead } from './softmaxHead';

export const FEATURES_OUTPUT = 'features';
export const PROBABILITIES_OUTPUT = 'probabilities';

const FLOAT = 1;

export interface Featurizer {
  bytes: Uint8Array;
  feature: FeatureTensor;
}

function freshName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

function allNames(graph: OnnxGraphLike): Set<string> {
  const names = new Set<string>();
  for (const n of graph.node) {
    for (const t of [...n.input, ...n.output]) names.add(t);
    if (n.name) names.add(n.name);
  }
  for (const t of graph.initializer ?? []) names.add(t.name);
  for (const t of graph.input ?? []) names.add(t.name);
  return names;
}

function node(op: string, inputs: string[], outputs: string[], name: string, attribute: object[] = []): OnnxNodeLike {
  return {
    op_type: op,
    domain: '',
    name,
    input: inputs,
    output: outputs,
    attribute: attribute as OnnxNodeLike['attribute'],
  };
}

function floatOutput(name: string, dims: Array<number | string>): object {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** Keeps only the nodes (and initializers, value_info) that `outputs` depend on. */
function pruneTo(graph: any, outputs: string[]): void {
  const producers = new Map<string, OnnxNodeLike>();
  for (const n of graph.node as OnnxNodeLike[]) for (const o of n.output) producers.set(o, n);
  const needed = new Set<OnnxNodeLike>();
  const usedTensors = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (usedTensors.has(t)) continue;
    usedTensors.add(t);
    const p = producers.get(t);
    if (p && !needed.has(p)) {
      needed.add(p);
      stack.push(...p.input.filter(Boolean));
    }
  }
  graph.node = (graph.node as OnnxNodeLike[]).filter((n) => needed.has(n)); // keeps the topological order
  graph.initializer = (graph.initializer ?? []).filter((t: { name: string }) => usedTensors.has(t.name));
  graph.value_info = (graph.value_info ?? []).filter((v: { name: string }) => usedTensors.has(v.name));
}

/**
 * Cuts `modelBytes` (an ONNX image classifier) at its feature tensor. Quantized features are dequantized with
 * their own scale and zero point; the result is flattened to [N, D].
 */
export function cutFeaturizer(modelBytes: Uint8Array, modelLabel: string, requestedTensor?: string): Featurizer {
  const model = decodeOnnx(modelBytes, `the file of model ${modelLabel}`);
  const graph = model.graph;
  const feature = findFeatureTensor(graph, modelLabel, requestedTensor);
  const names = allNames(graph);
  const beforeInits = new Set<string>((graph.initializer ?? []).map((t: { name: string }) => t.name));
  let tensor = feature.name;
  const added: OnnxNodeLike[] = [];
  if (feature.quantization) {
    const dq = freshName(names, `${feature.name}_dequantized`);
    added.push(
      node(
        'DequantizeLinear',
        [tensor, feature.quantization.scale, feature.quantization.zeroPoint],
        [dq],
        freshName(names, 'featurizer/DequantizeLinear'),
      ),
    );
    tensor = dq;
  }
  const out = freshName(names, FEATURES_OUTPUT);
  added.push(
    node('Flatten', [tensor], [out], freshName(names, 'featurizer/Flatten'), [{ name: 'axis', type: 2, i: 1 }]),
  );
  graph.node = [...graph.node, ...added];
  graph.output = [floatOutput(out, ['batch_size', feature.dim ?? 'features'])];
  pruneTo(graph, [out]);
  const keptInits = new Set<string>(graph.initializer.map((t: { name: string }) => t.name));
  // Old IR versions list initializers among the inputs too: drop the ones pruned away.
  graph.input = (graph.input ?? []).filter((i: { name: string }) => !beforeInits.has(i.name) || keptInits.has(i.name));
  return { bytes: encodeOnnx(model), feature };
}

function floatInitializer(name: string, dims: number[], data: Float32Array): object {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { name, data_type: FLOAT, dims, raw_data: Buffer.from(bytes) };
}

/** The name of a featurizer graph's single output. */
export function featurizerOutput(featurizerBytes: Uint8Array, label: string): string {
  return decodeOnnx(featurizerBytes, label).graph.output[0].name;
}

/** Featurizer + head: Gemm(features, W, b) → Softmax(axis 1) as the only output, [N, classes]. */
export function attachHead(featurizerBytes: Uint8Array, label: string, head: SoftmaxHead): Uint8Array {
  const model = decodeOnnx(featurizerBytes, label);
  const graph = model.graph;
  const features = graph.output[0].name as string;
  const names = allNames(graph);
  const weight = freshName(names, 'classifier_head.weight');
  const bias = freshName(names, 'classifier_head.bias');
  const logits = freshName(names, 'logits');
  const probabilities = freshName(names, PROBABILITIES_OUTPUT);
  graph.initializer = [
    ...(graph.initializer ?? []),
    floatInitializer(weight, [head.classes, head.dim], head.weights),
    floatInitializer(bias, [head.classes], head.bias),
  ];
  graph.node = [
    ...graph.node,
    node('Gemm', [features, weight, bias], [logits], freshName(names, 'classifier_head/Gemm'), [
      { name: 'transB', type: 2, i: 1 },
    ]),
    node('Softmax', [logits], [probabilities], freshName(names, 'classifier_head/Softmax'), [
      { name: 'axis', type: 2, i: 1 },
    ]),
  ];
  graph.output = [floatOutput(probabilities, ['batch_size', head.classes])];
  return encodeOnnx(model);
}
