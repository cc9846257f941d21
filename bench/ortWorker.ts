// Worker for the in-process throughput floor: one onnxruntime session, the same options as a serving replica,
// running back-to-back inferences when told to go.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { modelPath, threads, runs, inputName, dims } = workerData as { modelPath: string; threads: number; runs: number; inputName: string; dims: number[] };

void (async () => {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 4,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);
  for (let i = 0; i < 3; i++) await session.run({ [inputName]: input });
  parentPort!.postMessage('ready');
  parentPort!.once('message', async () => {
    for (let i = 0; i < runs; i++) await session.run({ [inputName]: input });
    parentPort!.postMessage('done');
  });
})();
