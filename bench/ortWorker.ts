// In-process floor worker: one onnxruntime session with exactly a serving replica's options (for the threading it
// is given) and thread priority, no gRPC. 'step' → one run per message, answers with its time; 'latency' → answers
// a message with the times of `runs` sequential runs; 'throughput' → waits for 'go', runs `runs` times, reports 'done'.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { replicaSessionOptions, type SessionThreading } from '../src/emulator/runtime/sessionOptions';
import { lowerThisThreadPriority } from '../src/emulator/runtime/threadPriority';

const { modelPath, threading, spinBetweenRuns, runs, inputName, dims, mode } = workerData as {
  modelPath: string;
  threading: SessionThreading;
  /** onnxruntime's default: spinning threads keep spinning after a run ends (replicas stop them). */
  spinBetweenRuns?: boolean;
  runs: number;
  inputName: string;
  dims: number[];
  mode: 'step' | 'latency' | 'throughput';
};

void (async () => {
  lowerThisThreadPriority();
  const options = replicaSessionOptions(threading);
  if (spinBetweenRuns) (options.extra as { session: Record<string, unknown> }).session.force_spinning_stop = '0';
  const session = await ort.InferenceSession.create(modelPath, options);
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
  if (mode === 'latency') {
    parentPort!.on('message', async () => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await session.run({ [inputName]: input });
        times.push(performance.now() - t);
      }
      parentPort!.postMessage(times);
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
