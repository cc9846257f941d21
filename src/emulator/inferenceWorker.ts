// Worker-thread entry: one replica on one emulated device. Holds one onnxruntime session and runs the whole
// Predict path (decode, image preprocessing, inference, encode) so the host's main thread only speaks gRPC.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { isAccelError } from '../core/errors';
import { runPredict, type ServedModel } from './predictionService';
import { replicaSessionOptions } from './sessionOptions';
import { syntheticJpeg } from './preprocess';
import { lowerThisThreadPriority } from './threadPriority';
import { DT, encodePredictRequest } from './wireCodec';

export interface WorkerInit {
  model: ServedModel;
  modelPath: string;
  device: number;
  intraOpThreads: number;
}

export type WorkerRequest = { id: number; bytes: Uint8Array; tensorContent: boolean };
export type WorkerReply =
  | { type: 'ready'; loadMs: number }
  | { type: 'loadFailed'; message: string }
  | { id: number; ok: true; bytes: Uint8Array; preprocessMs: number; inferenceMs: number; waitMs: number }
  | { id: number; ok: false; code: string; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;

async function load(): Promise<ort.InferenceSession> {
  lowerThisThreadPriority(); // before the session exists, so its threads inherit it
  const session = await ort.InferenceSession.create(init.modelPath, replicaSessionOptions(init.intraOpThreads));
  const missing = [
    ...init.model.inputs.filter((s) => !session.inputNames.includes(s.name)).map((s) => `input "${s.name}"`),
    ...init.model.outputs.filter((s) => !session.outputNames.includes(s.name)).map((s) => `output "${s.name}"`),
  ];
  if (missing.length) {
    throw new Error(
      `The model file has no ${missing.join(', ')} (it has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')}). ` +
        `Recreate the image from the registered model so the tensor names match.`,
    );
  }
  return session;
}

async function main(): Promise<void> {
  const started = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await load();
  } catch (e) {
    port.postMessage({ type: 'loadFailed', message: (e as Error).message } satisfies WorkerReply);
    return;
  }
  // Jobs run one at a time: the session owns this device; a second queued job waits here, not in the host.
  let chain = Promise.resolve();
  port.on('message', (job: WorkerRequest) => {
    const arrived = performance.now();
    chain = chain.then(() => serve(session, job, arrived));
  });
  await warmUp(session);
  port.postMessage({ type: 'ready', loadMs: performance.now() - started } satisfies WorkerReply);
}

/**
 * One synthetic request through the whole Predict path before the replica reports ready (what TF Serving's model
 * warm-up does), so the first real request does not pay for JIT compilation and first-run allocations: a generated
 * JPEG for models that take images, nothing for the others. One, not more: each costs an inference in the cold
 * start. Errors are ignored; real requests report their own.
 */
async function warmUp(session: ort.InferenceSession): Promise<void> {
  if (init.model.inputs.length !== 1) return;
  const request = encodePredictRequest({
    inputs: new Map([[init.model.inputs[0].name, { dtype: DT.STRING, shape: [1], stringVal: [syntheticJpeg()] }]]),
    outputFilter: [],
  });
  try {
    await runPredict(init.model, session, ort, request, false);
  } catch {
    // not an image model (or not one this preset can feed)
  }
}

async function serve(session: ort.InferenceSession, job: WorkerRequest, arrived: number): Promise<void> {
  const waitMs = performance.now() - arrived;
  try {
    const r = await runPredict(init.model, session, ort, job.bytes, job.tensorContent);
    const bytes = new Uint8Array(r.bytes); // own buffer, safe to transfer
    port.postMessage({ id: job.id, ok: true, bytes, preprocessMs: r.preprocessMs, inferenceMs: r.inferenceMs, waitMs } satisfies WorkerReply, [bytes.buffer]);
  } catch (e) {
    const code = isAccelError(e) ? e.code : 'Internal';
    const message = (e as Error)?.message ?? String(e);
    port.postMessage({ id: job.id, ok: false, code, message } satisfies WorkerReply);
  }
}

void main();
