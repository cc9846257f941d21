// Makes terminating an inference worker safe. Terminating a worker thread while it is inside the libjpeg-turbo
// binding or an onnxruntime run aborts the whole process (the addon's return into the stopping JS engine throws a
// C++ Napi::Error nobody catches: "terminate called after throwing an instance of 'Napi::Error'"). So the worker
// counts the native calls it is inside in one shared Int32 and the pool terminates it only after swapping that
// count from 0 to TERMINATING, which a worker never leaves: at its next native call it parks until the thread is
// stopped. It must not throw there: an exception raised while the isolate is being terminated aborts the process
// too (Node's AppendExceptionLine assertion), so a claimed worker waits quietly instead.
import { isMainThread } from 'node:worker_threads';

const TERMINATING = -1;

let state: Int32Array | undefined;

/** A new shared state for one worker (0 = in no native call). */
export function newNativeState(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** In the worker: the state the pool watches. Without it (main thread, tests) native sections are not counted. */
export function useNativeState(shared: Int32Array): void {
  state = shared;
}

/** Thrown on the main thread (tests) when a native call is refused because its state was claimed for termination. */
export class WorkerTerminating extends Error {}

function enter(): void {
  if (!state) return;
  for (;;) {
    const now = Atomics.load(state, 0);
    if (now === TERMINATING) {
      if (isMainThread) throw new WorkerTerminating('This worker is being replaced.');
      for (;;) Atomics.wait(state, 0, TERMINATING); // woken only by terminate(), which ends the thread
    }
    if (Atomics.compareExchange(state, 0, now, now + 1) === now) return;
  }
}

function leave(): void {
  if (state) Atomics.sub(state, 0, 1);
}

/** Runs a synchronous native call inside a counted section. */
export function nativeSync<T>(call: () => T): T {
  enter();
  try {
    return call();
  } finally {
    leave();
  }
}

/** Runs an asynchronous native call inside a counted section that lasts until it settles. */
export async function nativeAsync<T>(call: () => Promise<T>): Promise<T> {
  enter();
  try {
    return await call();
  } finally {
    leave();
  }
}

/** In the pool: true once the worker is in no native call and can never enter one again; terminate it then. */
export function claimForTermination(shared: Int32Array): boolean {
  return Atomics.compareExchange(shared, 0, 0, TERMINATING) === 0;
}
