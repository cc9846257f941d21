// Worker-thread entry: one replica on one emulated device. Holds one onnxruntime session and runs the whole
// Predict path (decode, image preprocessing, inference, encode) so the host's main thread only speaks gRPC.
// A job whose call is gone (cancelled: a flag the pool sets in shared memory; or past its deadline) is skipped
// if it has not started, and stopped before its next image if it has.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { AccelError, isAccelError } from '../../domain/errors';
import { runPredict, type ServedModel } from './predictionService';
import { replicaSessionOptions } from './sessionOptions';
import { nativeAsync, useNativeState } from './nativeSection';
import { setDecodeCheckpoint, syntheticJpeg } from './preprocess';
import { lowerThisThreadPriority } from './threadPriority';
import { DT, encodePredictRequest } from '../../wire/wireCodec';

export interface WorkerInit {
  model: ServedModel;
  modelPath: string;
  device: number;
  intraOpThreads: number;
  /** Slot id % length holds id once the pool cancelled job id (see workerPool.ts). */
  cancelFlags: Int32Array;
  /** The native calls this worker is inside (nativeSection.ts), so the pool can terminate it safely. */
  nativeState: Int32Array;
}

/** `deadline`: epoch ms after which nobody waits for the reply (Infinity: no deadline). */
export type WorkerRequest = { id: number; bytes: Uint8Array; tensorContent: boolean; deadline: number };
export type WorkerReply =
  | { type: 'ready'; loadMs: number }
  | { type: 'loadFailed'; message: string }
  | { id: number; ok: true; bytes: Uint8Array; preprocessMs: number; inferenceMs: number; waitMs: number }
  | { id: number; ok: false; code: string; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;
useNativeState(init.nativeState);

async function load(): Promise<ort.InferenceSession> {
  lowerThisThreadPriority(); // before the session exists, so its threads inherit it
  const session = await nativeAsync(() =>
    ort.InferenceSession.create(init.modelPath, replicaSessionOptions(init.intraOpThreads)),
  );
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
    session = guarded(await load());
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

/** The session with every run counted as a native section (terminating the worker mid-run aborts the process). */
function guarded(session: ort.InferenceSession): ort.InferenceSession {
  const wrapper = Object.create(session) as ort.InferenceSession;
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.OnnxValueMapType>;
  wrapper.run = ((...args: unknown[]) => nativeAsync(() => run(...args))) as typeof session.run;
  return wrapper;
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

/** Throws AccelError Cancelled once the job's call is cancelled or past its deadline. */
function checkStillWanted(job: WorkerRequest, image?: number, count?: number): void {
  const where = image === undefined || image === 0 ? 'before it started' : `before image ${image + 1} of ${count}`;
  if (Atomics.load(init.cancelFlags, job.id % init.cancelFlags.length) === job.id) {
    throw new AccelError('Cancelled', `The client cancelled the call; the request was abandoned ${where}.`);
  }
  if (Date.now() > job.deadline)
    throw new AccelError('Cancelled', `The call's deadline passed; the request was abandoned ${where}.`);
}

async function serve(session: ort.InferenceSession, job: WorkerRequest, arrived: number): Promise<void> {
  const waitMs = performance.now() - arrived;
  try {
    checkStillWanted(job);
    setDecodeCheckpoint((image, count) => checkStillWanted(job, image, count));
    const r = await runPredict(init.model, session, ort, job.bytes, job.tensorContent).finally(() =>
      setDecodeCheckpoint(undefined),
    );
    const bytes = new Uint8Array(r.bytes); // own buffer, safe to transfer
    port.postMessage(
      {
        id: job.id,
        ok: true,
        bytes,
        preprocessMs: r.preprocessMs,
        inferenceMs: r.inferenceMs,
        waitMs,
      } satisfies WorkerReply,
      [bytes.buffer],
    );
  } catch (e) {
    const code = isAccelError(e) ? e.code : 'Internal';
    const message = (e as Error)?.message ?? String(e);
    port.postMessage({ id: job.id, ok: false, code, message } satisfies WorkerReply);
  }
}

void main();
