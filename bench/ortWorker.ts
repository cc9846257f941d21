// In-process floor worker: one onnxruntime session with exactly a serving replica's options and thread priority,
// no gRPC. 'step' → one run per message, answers with its time; 'throughput' → waits for 'go', runs `runs` times,
// reports 'done'.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { replicaSessionOptions } from '../src/emulator/runtime/sessionOptions';
import { lowerThisThreadPriority } from '../src/emulator/runtime/threadPriority';

const { modelPath, threads, runs, inputName, dims, mode } = workerData as {
  modelPath: string;
  threads: number;
  runs: number;
  inputName: string;
  dims: number[];
  mode: 'step' | 'throughput';
};

void (async () => {
  lowerThisThreadPriority();
  const session = await ort.InferenceSession.create(modelPath, replicaSessionOptions(threads));
  const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);
  for (let i = 0; i < 3; i++) await session.run({ [inputName]: input });
  if (mode === 'step') {
    parentPort!.on('message', async () => {
      const t = performance.now();
      await session.run({ [inputName]: input });
      parentPort!.postMessage(performance.now() - t);
    });
    parentPort!.postMessage('ready');
    return;
  }
  parentPort!.postMessage('ready');
  parentPort!.once('message', async () => {
    for (let i = 0; i < runs; i++) await session.run({ [inputName]: input });
    parentPort!.postMessage('done');
  });
})();
