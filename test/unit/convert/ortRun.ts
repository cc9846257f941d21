// Converts a test GraphDef and runs the ONNX result in onnxruntime-node.
import * as ort from 'onnxruntime-node';
import { encodeOnnx } from '../../../src/convert/onnxModel';
import { convertTfGraph, type TfConvertResult } from '../../../src/convert/tfToOnnx';
import { decodeGraphDef } from '../../../src/convert/graphDef';
import type { GraphDefWriter } from '../../support/graphDefWriter';
import type { T } from './nhwcReference';

export async function convertAndRun(
  g: GraphDefWriter,
  input: T,
  outputs: string[],
  inputTensor = 'x:0',
): Promise<{ results: Record<string, T>; converted: TfConvertResult; bytes: Uint8Array }> {
  // Round-trip through the wire format, as a .pb file would.
  const graph = decodeGraphDef(g.encode());
  const converted = convertTfGraph(graph, { inputTensor, outputTensors: outputs });
  const bytes = encodeOnnx(converted.model);
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [inputTensor]: new ort.Tensor('float32', input.data, input.shape) };
    const out = await session.run(feeds);
    const results: Record<string, T> = {};
    for (const name of outputs) results[name] = { shape: [...out[name].dims], data: out[name].data as Float32Array };
    return { results, converted, bytes };
  } finally {
    await session.release();
  }
}
