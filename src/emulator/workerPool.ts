// The replicas of one service: one inference worker thread per device, fed from a bounded queue on the main
// thread. Full queue → AccelError Busy (RESOURCE_EXHAUSTED); not yet loaded → Unavailable (UNAVAILABLE).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AccelError, type ErrorCode } from '../core/errors';
import type { Logger } from '../core/ports';
import type { WorkerInit, WorkerReply } from './inferenceWorker';
import type { ServedModel } from './predictionService';

export interface PoolOptions {
  model: ServedModel;
  modelPath: string;
  devices: number[];
  intraOpThreads: number;
  maxQueue: number;
  /** Jobs handed to one worker at a time; 2 keeps a worker busy while its previous reply travels back. */
  depth?: number;
  logger?: Logger;
}

export interface JobResult {
  bytes: Buffer;
  queueMs: number;
  preprocessMs: number;
  inferenceMs: number;
}

interface Job {
  id: number;
  bytes: Uint8Array;
  /** The caller gave the bytes up: their memory may be moved to the worker instead of copied. */
  owned: boolean;
  tensorContent: boolean;
  enqueued: number;
  dispatched?: number;
  isCancelled: () => boolean;
  resolve: (r: JobResult) => void;
  reject: (e: AccelError) => void;
}

interface Replica {
  device: number;
  worker?: Worker;
  ready: boolean;
  inflight: Map<number, Job>;
  restarts: number;
}

/** The worker entry: the bundled dist/inferenceWorker.js next to us, or the TypeScript source under tsx. */
export function workerFile(): string {
  const candidates = [path.join(__dirname, 'inferenceWorker.js'), path.join(__dirname, 'inferenceWorker.ts')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`inferenceWorker not found next to ${__dirname}; rebuild with \`npm run build\``);
  return found;
}

/**
 * Whether moving `bytes.buffer` to a worker can affect no other object. Node's Buffer pool hands out slices of
 * shared 8 KiB slabs only for requests under 4 KiB, so a view of 4 KiB or more that spans its whole ArrayBuffer
 * (bar grpc-js's 5-byte frame header) is a buffer of its own. Moving it saves a copy and, more to the point, a
 * large allocation per request on the gRPC thread: those drive V8's full GCs, whose pauses delay every RPC.
 */
function ownsItsMemory(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteLength >= 4096 && bytes.buffer.byteLength - bytes.byteLength <= 8;
}

export class WorkerPool {
  state: 'Loading' | 'Running' | 'Failed' = 'Loading';
  error?: string;
  private readonly replicas: Replica[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopped = false;
  private readonly depth: number;
  readonly ready: Promise<void>;

  constructor(private readonly opts: PoolOptions) {
    this.depth = opts.depth ?? 2;
    this.replicas = opts.devices.map((device) => ({ device, ready: false, inflight: new Map(), restarts: 0 }));
    this.ready = Promise.all(this.replicas.map((r) => this.spawn(r))).then(() => {
      if (!this.stopped) this.state = 'Running';
    });
    this.ready.catch((e: Error) => {
      this.state = 'Failed';
      this.error = e.message;
    });
  }

  private spawn(replica: Replica): Promise<void> {
    const init: WorkerInit = { model: this.opts.model, modelPath: this.opts.modelPath, device: replica.device, intraOpThreads: this.opts.intraOpThreads };
    const file = workerFile();
    // Under tsx (tests, bench) the worker needs the TypeScript loader registered inside the worker itself.
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: init })
      : new Worker(file, { workerData: init });
    replica.worker = worker;
    replica.ready = false;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: WorkerReply) => {
        if ('type' in msg) {
          if (msg.type === 'ready') {
            replica.ready = true;
            this.opts.logger?.info(`${this.opts.model.serviceName}: replica on device ${replica.device} loaded in ${msg.loadMs.toFixed(0)} ms`);
            resolve();
            this.pump();
          } else {
            reject(new AccelError('InvalidModel' as ErrorCode, `Service "${this.opts.model.serviceName}" could not load its model on device ${replica.device}: ${msg.message}`));
            void worker.terminate();
          }
          return;
        }
        const job = replica.inflight.get(msg.id);
        if (!job) return;
        replica.inflight.delete(msg.id);
        if (msg.ok) {
          job.resolve({
            bytes: Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength),
            queueMs: job.dispatched! - job.enqueued + msg.waitMs,
            preprocessMs: msg.preprocessMs,
            inferenceMs: msg.inferenceMs,
          });
        } else {
          job.reject(new AccelError(msg.code as ErrorCode, msg.message));
        }
        this.pump();
      });
      worker.on('error', (e) => {
        this.opts.logger?.error(`${this.opts.model.serviceName}: replica on device ${replica.device} failed: ${e.message}`);
        reject(new AccelError('Internal', `Service "${this.opts.model.serviceName}" replica on device ${replica.device} failed while loading: ${e.message}`));
      });
      worker.on('exit', (code) => this.onExit(replica, worker, code));
    });
  }

  private onExit(replica: Replica, worker: Worker, code: number): void {
    if (replica.worker !== worker) return;
    replica.ready = false;
    replica.worker = undefined;
    for (const job of replica.inflight.values()) {
      job.reject(new AccelError('Unavailable', `The replica on device ${replica.device} stopped while serving this request; retry.`));
    }
    replica.inflight.clear();
    if (this.stopped || this.state !== 'Running') return;
    // A crashed replica comes back (with back-off) so one bad moment does not take the device away for good.
    replica.restarts++;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(replica.restarts, 7));
    this.opts.logger?.warn(`${this.opts.model.serviceName}: replica on device ${replica.device} exited (code ${code}); restarting in ${delay} ms`);
    setTimeout(() => {
      if (!this.stopped) this.spawn(replica).catch((e: Error) => this.opts.logger?.error(e.message));
    }, delay).unref();
  }

  /**
   * Queues one serialized PredictRequest; resolves with the serialized PredictResponse. `owned`: the caller will
   * not touch `bytes` again, so a buffer that is theirs alone is moved to the worker rather than copied.
   */
  submit(bytes: Uint8Array, tensorContent: boolean, isCancelled: () => boolean = () => false, owned = false): Promise<JobResult> {
    if (this.stopped) return Promise.reject(new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" is stopping; retry once it is redeployed.`));
    if (this.state === 'Loading') {
      return Promise.reject(new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" is still loading its model onto its devices; retry in a moment.`));
    }
    if (this.state === 'Failed') {
      return Promise.reject(new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" failed to start: ${this.error}`));
    }
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(
        new AccelError('Busy', `Service "${this.opts.model.serviceName}" has ${this.queue.length} requests waiting (the limit). Retry with back-off, or deploy it with more replicas.`),
      );
    }
    return new Promise<JobResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, bytes, owned, tensorContent, enqueued: performance.now(), isCancelled, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let best: Replica | undefined;
      for (const r of this.replicas) {
        if (r.ready && r.worker && r.inflight.size < this.depth && (!best || r.inflight.size < best.inflight.size)) best = r;
      }
      if (!best) return;
      const job = this.queue.shift()!;
      if (job.isCancelled()) {
        job.reject(new AccelError('Cancelled', 'The client cancelled the call.'));
        continue;
      }
      job.dispatched = performance.now();
      best.inflight.set(job.id, job);
      const bytes = job.owned && ownsItsMemory(job.bytes) ? job.bytes : new Uint8Array(job.bytes);
      best.worker!.postMessage({ id: job.id, bytes, tensorContent: job.tensorContent }, [bytes.buffer as ArrayBuffer]);
    }
  }

  queued(): number {
    return this.queue.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0)) job.reject(new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" is stopping.`));
    await Promise.all(this.replicas.map((r) => r.worker?.terminate()));
    for (const r of this.replicas) {
      for (const job of r.inflight.values()) job.reject(new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" stopped.`));
      r.inflight.clear();
    }
  }
}
