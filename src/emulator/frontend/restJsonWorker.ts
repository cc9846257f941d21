// The REST JSON worker thread: turns REST bodies into PredictRequest bytes and PredictResponse bytes into JSON for
// one REST listener, so a large or hostile body costs this thread's time and heap, never the main thread's, which
// serves the gRPC, health and REST ports of every service. The thread runs dist/emulator.js itself (main.ts calls
// runRestJsonWorker off the main thread), so there is no extra bundle for packaging to forget.
import { parentPort, workerData } from 'node:worker_threads';
import { isAccelError, type ErrorCode } from '../../domain/errors';
import type { ServedModel } from '../runtime/predictionService';
import { jsonFromResponse, parseRestBody, requestFromJson } from './restJson';

export interface RestJsonInit {
  model: ServedModel;
}

export interface RestJsonJob {
  id: number;
  /** request: JSON body → PredictRequest bytes; response: PredictResponse bytes → JSON body. */
  op: 'request' | 'response';
  bytes: Uint8Array;
}

export type RestJsonReply =
  { id: number; ok: true; bytes: Uint8Array } | { id: number; ok: false; code: ErrorCode; message: string };

/** A copy unless `bytes` spans an ArrayBuffer of its own (a slice of Node's shared Buffer pool must not be moved). */
function movable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes
    : Uint8Array.from(bytes);
}

export function runRestJsonWorker(): void {
  if (!parentPort) throw new Error('runRestJsonWorker runs in a worker thread only');
  const port = parentPort;
  const { model } = workerData as RestJsonInit;
  port.on('message', (job: RestJsonJob) => {
    let reply: RestJsonReply;
    try {
      const out =
        job.op === 'request'
          ? requestFromJson(model, parseRestBody(job.bytes), job.bytes.byteLength)
          : Buffer.from(JSON.stringify(jsonFromResponse(job.bytes)), 'utf8');
      reply = { id: job.id, ok: true, bytes: movable(out) };
    } catch (e) {
      reply = { id: job.id, ok: false, code: isAccelError(e) ? e.code : 'Internal', message: (e as Error).message };
    }
    port.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []);
  });
}
