// Worker-thread entry: one replica on one emulated device. Holds one onnxruntime session and runs the whole
// Predict path (decode, image preprocessing, inference, encode) so the host's main thread only speaks gRPC.
// A job whose call is gone (cancelled: a flag the pool sets in shared memory; or past its deadline) is skipped
// if it has not started, and stopped before its next image if it has.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { AccelError, isAccelError } from '../../domain/errors';
import { runPredict, type ServedModel } from './predictionService';
import { replicaSessionOptions, type SessionThreading } from './sessionOptions';
import { nativeAsync, useNativeState } from './nativeSection';
import { imageLayoutFor, preprocessImages, setDecodeCheckpoint, syntheticJpeg } from './preprocess';
import { presetOf } from '../../domain/presets';
import { lowerThisThreadPriority } from './threadPriority';
import { detachOnce } from './detachOnce';
import { DT, encodePredictRequest } from '../../wire/wireCodec';

export interface WorkerInit {
  model: ServedModel;
  modelPath: string;
  device: number;
  /** The session every job runs on unless it is solo. */
  threading: SessionThreading;
  /** A second session for jobs the pool marks solo (threadingPlan.ts); loaded after the replica reports ready. */
  solo?: SessionThreading;
  /** Slot id % length holds id once the pool cancelled job id (see workerPool.ts). */
  cancelFlags: Int32Array;
  /** The native calls this worker is inside (nativeSection.ts), so the pool can terminate it safely. */
  nativeState: Int32Array;
}

/** `deadline`: epoch ms after which nobody waits for the reply (Infinity: no deadline). */
export type WorkerRequest = {
  id: number;
  bytes: Uint8Array;
  tensorContent: boolean;
  deadline: number;
  /** Run on the solo session (every core, spinning): nothing else runs in the service meanwhile. */
  solo: boolean;
};
export type WorkerReply =
  | { type: 'ready'; loadMs: number }
  | { type: 'soloReady'; loadMs: number }
  | { type: 'loadFailed'; message: string }
  | {
      id: number;
      ok: true;
      bytes: Uint8Array;
      preprocessMs: number;
      inferenceMs: number;
      waitMs: number;
      /** It ran on the solo session. */
      solo: boolean;
    }
  | { id: number; ok: false; code: string; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;
useNativeState(init.nativeState);

async function load(threading: SessionThreading): Promise<ort.InferenceSession> {
  lowerThisThreadPriority(); // before the session exists, so its threads inherit it
  const session = await nativeAsync(() =>
    ort.InferenceSession.create(init.modelPath, replicaSessionOptions(threading)),
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
  detachOnce(); // before anything is optimised: see detachOnce.ts
  let session: ort.InferenceSession;
  try {
    session = guarded(await load(init.threading));
  } catch (e) {
    port.postMessage({ type: 'loadFailed', message: (e as Error).message } satisfies WorkerReply);
    return;
  }
  // Jobs run one at a time: the session owns this device; a second queued job waits here, not in the host.
  let chain = Promise.resolve();
  let pending = 0;
  let solo: ort.InferenceSession | undefined;
  const soloLoader = init.solo
    ? deferUntilIdle(
        init.solo,
        () => pending,
        (s) => (solo = s),
      )
    : undefined;
  port.on('message', (job: WorkerRequest) => {
    const arrived = performance.now();
    pending++;
    soloLoader?.();
    const useSolo = job.solo ? solo : undefined;
    chain = chain.then(() => serve(useSolo ?? session, job, arrived, !!useSolo)).finally(() => pending--);
  });
  await warmUp(session);
  port.postMessage({ type: 'ready', loadMs: performance.now() - started } satisfies WorkerReply);
  soloLoader?.();
}

/** Quiet time after the last job before the solo session loads: loading takes the CPU the first photos need. */
const SOLO_LOAD_AFTER_IDLE_MS = 1000;

/**
 * Loads the solo session once this worker has had no job for SOLO_LOAD_AFTER_IDLE_MS, so neither the cold start
 * nor the first requests after a deploy wait for it; until it is there, solo jobs run on the shared session.
 * Returns the function to call on every job (it pushes the load back).
 */
function deferUntilIdle(
  threading: SessionThreading,
  pending: () => number,
  loaded: (session: ort.InferenceSession) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const start = async () => {
    if (pending() > 0) return arm();
    done = true;
    const started = performance.now();
    try {
      const session = guarded(await load(threading));
      await warmUp(session);
      loaded(session);
      port.postMessage({ type: 'soloReady', loadMs: performance.now() - started } satisfies WorkerReply);
    } catch {
      // The shared session loaded the same file; a failure here only costs the lone-request speed-up.
    }
  };
  const arm = () => {
    if (done) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void start(), SOLO_LOAD_AFTER_IDLE_MS);
    timer.unref();
  };
  return arm;
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
 * photo-sized JPEG for models that take images, nothing for the others. One, not more: each costs an inference in
 * the cold start. The decode and preprocessing alone run a few more times first (no inference, a few ms each), so
 * V8 has optimised them and the allocator holds photo-sized buffers before the first photo arrives.
 * Errors are ignored; real requests report their own.
 */
async function warmUp(session: ort.InferenceSession): Promise<void> {
  if (init.model.inputs.length !== 1) return;
  const spec = init.model.inputs[0];
  const jpeg = syntheticJpeg(WARM_UP_PHOTO.width, WARM_UP_PHOTO.height);
  try {
    const preset = presetOf(init.model);
    const layout = imageLayoutFor(spec, preset);
    for (let i = 0; i < PREPROCESS_WARM_UPS; i++) await preprocessImages([jpeg], preset, layout);
  } catch {
    // not an image model (or not one this preset can feed)
  }
  const request = encodePredictRequest({
    inputs: new Map([[spec.name, { dtype: DT.STRING, shape: [1], stringVal: [jpeg] }]]),
    outputFilter: [],
  });
  try {
    await runPredict(init.model, session, ort, request, false);
  } catch {
    // as above
  }
}

/** A phone/webcam photo size: decode and resize buffers of this size are what a first real photo needs. */
const WARM_UP_PHOTO = { width: 1280, height: 720 };
const PREPROCESS_WARM_UPS = 3;

/** Throws AccelError Cancelled once the job's call is cancelled or past its deadline. */
function checkStillWanted(job: WorkerRequest, image?: number, count?: number): void {
  const where = image === undefined || image === 0 ? 'before it started' : `before image ${image + 1} of ${count}`;
  if (Atomics.load(init.cancelFlags, job.id % init.cancelFlags.length) === job.id) {
    throw new AccelError('Cancelled', `The client cancelled the call; the request was abandoned ${where}.`);
  }
  if (Date.now() > job.deadline)
    throw new AccelError('Cancelled', `The call's deadline passed; the request was abandoned ${where}.`);
}

async function serve(session: ort.InferenceSession, job: WorkerRequest, arrived: number, solo: boolean): Promise<void> {
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
        solo,
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
