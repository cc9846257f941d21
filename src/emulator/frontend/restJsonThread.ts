// The main thread's handle on one REST listener's JSON worker (restJsonWorker.ts): started on the first request,
// ended after a minute idle (its heap goes with it), replaced if it dies. Its heap is capped, so a body that
// parses into more objects than fit fails that request (and the worker), never the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AccelError } from '../../domain/errors';
import type { Logger } from '../../domain/ports';
import type { ServedModel } from '../runtime/predictionService';
import type { RestJsonInit, RestJsonJob, RestJsonReply } from './restJsonWorker';

/** Old-space cap of a REST JSON worker: a 64 MiB body of float image lists needs ~250 MB. */
export const REST_JSON_HEAP_MB = 512;
/** Jobs queued on one worker beyond which a request is answered Busy (429). */
export const REST_JSON_MAX_PENDING = 16;
const IDLE_MS = 60_000;

/** The worker entry: dist/emulator.js when bundled (main.ts runs the worker off the main thread), the TypeScript source under tsx. */
export function restJsonWorkerFile(): string {
  const candidates = [path.join(__dirname, 'restJsonWorker.ts'), path.join(__dirname, 'emulator.js')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found)
    throw new AccelError(
      'Internal',
      `Neither restJsonWorker.ts nor emulator.js is next to ${__dirname}; rebuild with \`npm run build\`.`,
    );
  return found;
}

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (e: AccelError) => void;
}

export class RestJsonThread {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly model: ServedModel,
    private readonly logger?: Logger,
    private readonly heapMb = REST_JSON_HEAP_MB,
  ) {}

  /** Runs one job; `bytes` is moved to the worker when it owns its memory, else copied. */
  run(op: RestJsonJob['op'], bytes: Uint8Array): Promise<Uint8Array> {
    if (this.closed)
      return Promise.reject(
        new AccelError('Unavailable', `Service "${this.model.serviceName}" is stopping; retry once it is redeployed.`),
      );
    if (this.pending.size >= REST_JSON_MAX_PENDING) {
      return Promise.reject(
        new AccelError(
          'Busy',
          `Service "${this.model.serviceName}" has ${this.pending.size} REST bodies waiting to be parsed (the limit). Retry with back-off.`,
        ),
      );
    }
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const own =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // a job in flight keeps the process alive; an idle worker does not
      const job: RestJsonJob = { id, op, bytes };
      worker.postMessage(job, own ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  private ensureWorker(): Worker {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    if (this.worker) return this.worker;
    const file = restJsonWorkerFile();
    const init: RestJsonInit = { model: this.model };
    const options = { workerData: init, resourceLimits: { maxOldGenerationSizeMb: this.heapMb } };
    // Under tsx (tests) the worker needs the TypeScript loader registered inside the worker itself.
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)}).runRestJsonWorker();`, {
          ...options,
          eval: true,
        })
      : new Worker(file, options);
    worker.unref();
    this.worker = worker;
    worker.on('message', (reply: RestJsonReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.bytes);
      else p.reject(new AccelError(reply.code, reply.message));
      if (this.pending.size === 0) {
        worker.unref();
        this.idle = setTimeout(() => void this.endWorker(), IDLE_MS).unref();
      }
    });
    let failure: Error | undefined;
    worker.on('error', (e) => (failure = e));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.closed || this.pending.size === 0) return;
      const outOfMemory = (failure as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.logger?.warn(
        `${this.model.serviceName}: REST JSON worker ended (${failure?.message ?? `exit code ${code}`}) with ${this.pending.size} request(s) in it; they fail, the next request starts a new worker`,
      );
      let first = true;
      for (const p of this.pending.values()) {
        p.reject(
          first && outOfMemory
            ? new AccelError(
                'InvalidArgument',
                `The JSON body holds more values than the REST parser's ${this.heapMb} MB limit allows. Send fewer instances per request, or use gRPC with tensor_content.`,
              )
            : new AccelError(
                'Unavailable',
                `Service "${this.model.serviceName}": the REST JSON parser stopped while this request waited (${failure?.message ?? `exit code ${code}`}). Retry.`,
              ),
        );
        first = false;
      }
      this.pending.clear();
    });
    return worker;
  }

  private async endWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.pending.size > 0) return;
    this.worker = undefined;
    await worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    for (const p of this.pending.values())
      p.reject(
        new AccelError('Unavailable', `Service "${this.model.serviceName}" is stopping; retry once it is redeployed.`),
      );
    this.pending.clear();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
