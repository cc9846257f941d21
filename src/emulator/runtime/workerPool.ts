// The replicas of one service: one inference worker thread per device, fed from a bounded queue on the main
// thread. Full queue → AccelError Busy (RESOURCE_EXHAUSTED); not yet loaded → Unavailable (UNAVAILABLE).
//
// A job carries its call's deadline and cancellation. A job whose call is gone is abandoned: never started if still
// queued, skipped by the worker if waiting there, stopped by the worker at its next checkpoint (before each image)
// if running. A decode or an inference cannot be interrupted from JS, so a job still running `graceMs` past its
// deadline or cancellation, or past the per-job budget, has its worker terminated and replaced at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AccelError, type ErrorCode } from '../../domain/errors';
import type { Logger } from '../../domain/ports';
import type { WorkerInit, WorkerReply, WorkerRequest } from './inferenceWorker';
import { claimForTermination, newNativeState } from './nativeSection';
import type { ServedModel } from './predictionService';
import { threadingPlan, type ThreadingPlan } from './threadingPlan';
import { coresAreFree } from './runnableThreads';
import { detachOnce } from './detachOnce';

export interface PoolOptions {
  model: ServedModel;
  modelPath: string;
  devices: number[];
  intraOpThreads: number;
  /** Cores the replicas share (default: the machine's); with intraOpThreads it decides the threading plan. */
  cores?: number;
  /** Whether the machine's cores are free enough to spin on now (default: /proc/loadavg's runnable count). */
  coresAreFree?: () => boolean;
  maxQueue: number;
  /** Jobs handed to one worker at a time; 2 keeps a worker busy while its previous reply travels back. */
  depth?: number;
  /** How long a running job may outlive its call before its worker is replaced, ms. Default 1000. */
  graceMs?: number;
  /** Server time one job may take in a worker before its worker is replaced, ms. Default ACCEL_JOB_BUDGET_MS or 60 000. */
  jobBudgetMs?: number;
  logger?: Logger;
}

/** What the caller knows about its call: when the client stops waiting and whether it already has. */
export interface JobControl {
  /** Epoch ms after which the client no longer waits (Infinity or absent: no deadline). */
  deadline?: number;
  cancelled?: () => boolean;
  /** Registers a callback for the call's cancellation. */
  onCancel?: (callback: () => void) => void;
}

/**
 * The per-job budget: long enough for a full batch of 64 large images on a loaded machine, short enough that a
 * stuck worker (for clients that set no deadline, e.g. REST) comes back within a minute.
 */
export function jobBudgetMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.ACCEL_JOB_BUDGET_MS);
  return Number.isFinite(ms) && ms >= 1 ? ms : 60_000;
}

/** Slots of the cancellation flags shared with a worker: more than the jobs a worker ever holds (depth). */
const CANCEL_SLOTS = 64;

export interface JobResult {
  bytes: Buffer;
  queueMs: number;
  preprocessMs: number;
  inferenceMs: number;
  /** It ran on the lead replica's solo session (every core, spinning; threadingPlan.ts). */
  solo: boolean;
}

interface Job {
  id: number;
  bytes: Uint8Array;
  /** The caller gave the bytes up: their memory may be moved to the worker instead of copied. */
  owned: boolean;
  tensorContent: boolean;
  enqueued: number;
  dispatched?: number;
  /** When the worker started it (as far as the host can tell: dispatch to an idle worker, or the previous reply). */
  started?: number;
  deadline: number;
  cancelled: () => boolean;
  /** Settled already (abandoned): a late reply from the worker is dropped. */
  settled: boolean;
  resolve: (r: JobResult) => void;
  reject: (e: AccelError) => void;
}

interface Replica {
  device: number;
  worker?: Worker;
  ready: boolean;
  inflight: Map<number, Job>;
  restarts: number;
  /** Its worker holds the solo session (the lead replica only, once loaded). */
  soloReady: boolean;
  /** Job ids the worker must skip or stop (slot = id % CANCEL_SLOTS), shared memory the worker reads synchronously. */
  cancelFlags: Int32Array;
  nativeState: Int32Array;
  /** The job the watchdog is timing, and its timer. */
  watched?: Job;
  watchdog?: NodeJS.Timeout;
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
  return (
    bytes.buffer instanceof ArrayBuffer && bytes.byteLength >= 4096 && bytes.buffer.byteLength - bytes.byteLength <= 8
  );
}

export class WorkerPool {
  state: 'Loading' | 'Running' | 'Failed' = 'Loading';
  error?: string;
  private readonly replicas: Replica[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopped = false;
  private readonly depth: number;
  private readonly graceMs: number;
  private readonly budgetMs: number;
  readonly ready: Promise<void>;
  readonly threading: ThreadingPlan;
  private readonly cores: number;

  constructor(private readonly opts: PoolOptions) {
    this.depth = opts.depth ?? 2;
    this.graceMs = opts.graceMs ?? 1000;
    this.budgetMs = opts.jobBudgetMs ?? jobBudgetMs();
    this.cores =
      opts.cores ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
    this.threading = threadingPlan(this.cores, opts.devices.length, opts.intraOpThreads);
    detachOnce(); // this thread will move every request to a worker: see detachOnce.ts
    this.replicas = opts.devices.map((device) => ({
      device,
      ready: false,
      soloReady: false,
      inflight: new Map(),
      restarts: 0,
      cancelFlags: new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS)),
      nativeState: newNativeState(),
    }));
    this.ready = Promise.all(this.replicas.map((r) => this.spawn(r))).then(() => {
      if (!this.stopped) this.state = 'Running';
    });
    this.ready.catch((e: Error) => {
      this.state = 'Failed';
      this.error = e.message;
    });
  }

  private spawn(replica: Replica): Promise<void> {
    replica.cancelFlags = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
    replica.nativeState = newNativeState();
    replica.soloReady = false;
    const init: WorkerInit = {
      model: this.opts.model,
      modelPath: this.opts.modelPath,
      device: replica.device,
      threading: this.threading.shared,
      solo: replica === this.replicas[0] ? this.threading.solo : undefined,
      cancelFlags: replica.cancelFlags,
      nativeState: replica.nativeState,
    };
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
            this.opts.logger?.info(
              `${this.opts.model.serviceName}: replica on device ${replica.device} loaded in ${msg.loadMs.toFixed(0)} ms`,
            );
            resolve();
            this.pump();
          } else if (msg.type === 'soloReady') {
            if (replica.worker === worker) replica.soloReady = true;
          } else {
            reject(
              new AccelError(
                'InvalidModel' as ErrorCode,
                `Service "${this.opts.model.serviceName}" could not load its model on device ${replica.device}: ${msg.message}`,
              ),
            );
            void worker.terminate();
          }
          return;
        }
        const job = replica.inflight.get(msg.id);
        if (!job || replica.worker !== worker) return;
        replica.inflight.delete(msg.id);
        this.watch(replica);
        if (!msg.ok && msg.code === 'Cancelled') {
          this.opts.logger?.info(
            `${this.opts.model.serviceName}: request ${job.id} on device ${replica.device}: ${msg.message}`,
          );
        }
        if (job.settled) {
          this.pump();
          return;
        }
        job.settled = true;
        if (msg.ok) {
          job.resolve({
            bytes: Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength),
            queueMs: job.dispatched! - job.enqueued + msg.waitMs,
            preprocessMs: msg.preprocessMs,
            inferenceMs: msg.inferenceMs,
            solo: msg.solo,
          });
        } else {
          job.reject(new AccelError(msg.code as ErrorCode, msg.message));
        }
        this.pump();
      });
      worker.on('error', (e) => {
        this.opts.logger?.error(
          `${this.opts.model.serviceName}: replica on device ${replica.device} failed: ${e.message}`,
        );
        reject(
          new AccelError(
            'Internal',
            `Service "${this.opts.model.serviceName}" replica on device ${replica.device} failed while loading: ${e.message}`,
          ),
        );
      });
      worker.on('exit', (code) => this.onExit(replica, worker, code));
    });
  }

  private onExit(replica: Replica, worker: Worker, code: number): void {
    if (replica.worker !== worker) return;
    replica.ready = false;
    replica.worker = undefined;
    this.unwatch(replica);
    for (const job of replica.inflight.values()) {
      this.settle(
        job,
        new AccelError(
          'Unavailable',
          `The replica on device ${replica.device} stopped while serving this request; retry.`,
        ),
      );
    }
    replica.inflight.clear();
    if (this.stopped || this.state !== 'Running') return;
    // A crashed replica comes back (with back-off) so one bad moment does not take the device away for good.
    replica.restarts++;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(replica.restarts, 7));
    this.opts.logger?.warn(
      `${this.opts.model.serviceName}: replica on device ${replica.device} exited (code ${code}); restarting in ${delay} ms`,
    );
    setTimeout(() => {
      if (!this.stopped) this.spawn(replica).catch((e: Error) => this.opts.logger?.error(e.message));
    }, delay).unref();
  }

  /**
   * Queues one serialized PredictRequest; resolves with the serialized PredictResponse. `owned`: the caller will
   * not touch `bytes` again, so a buffer that is theirs alone is moved to the worker rather than copied.
   * `control`: the call's deadline and cancellation (or just a cancellation check).
   */
  submit(
    bytes: Uint8Array,
    tensorContent: boolean,
    control: JobControl | (() => boolean) = {},
    owned = false,
  ): Promise<JobResult> {
    if (typeof control === 'function') control = { cancelled: control };
    if (this.stopped)
      return Promise.reject(
        new AccelError(
          'Unavailable',
          `Service "${this.opts.model.serviceName}" is stopping; retry once it is redeployed.`,
        ),
      );
    if (this.state === 'Loading') {
      return Promise.reject(
        new AccelError(
          'Unavailable',
          `Service "${this.opts.model.serviceName}" is still loading its model onto its devices; retry in a moment.`,
        ),
      );
    }
    if (this.state === 'Failed') {
      return Promise.reject(
        new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" failed to start: ${this.error}`),
      );
    }
    if (this.queue.length >= this.opts.maxQueue) {
      return Promise.reject(
        new AccelError(
          'Busy',
          `Service "${this.opts.model.serviceName}" has ${this.queue.length} requests waiting (the limit). Retry with back-off, or deploy it with more replicas.`,
        ),
      );
    }
    return new Promise<JobResult>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        bytes,
        owned,
        tensorContent,
        enqueued: performance.now(),
        deadline: control.deadline ?? Infinity,
        cancelled: control.cancelled ?? (() => false),
        settled: false,
        resolve,
        reject,
      };
      this.queue.push(job);
      control.onCancel?.(() => this.cancel(job));
      this.pump();
    });
  }

  private settle(job: Job, error: AccelError): void {
    if (job.settled) return;
    job.settled = true;
    job.reject(error);
  }

  /** Why a job should no longer run, or undefined while its client still waits. */
  private gone(job: Job, now = Date.now()): AccelError | undefined {
    if (job.cancelled()) return new AccelError('Cancelled', 'The client cancelled the call.');
    if (now > job.deadline)
      return new AccelError(
        'Cancelled',
        `The call's deadline passed ${now - job.deadline} ms ago; the request was abandoned.`,
      );
    return undefined;
  }

  /** The client cancelled: drop the job from the queue, or tell its worker to skip or stop it. */
  private cancel(job: Job): void {
    if (job.settled) return;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.settle(job, new AccelError('Cancelled', 'The client cancelled the call.'));
    for (const r of this.replicas) {
      if (!r.inflight.has(job.id)) continue;
      Atomics.store(r.cancelFlags, job.id % CANCEL_SLOTS, job.id);
      if (r.watched === job) this.arm(r, job);
    }
  }

  /** Times the job the replica's worker is running now (the oldest in flight). */
  private watch(replica: Replica): void {
    const head = replica.inflight.values().next().value as Job | undefined;
    if (head === replica.watched) return;
    this.unwatch(replica);
    if (!head) return;
    head.started = performance.now();
    replica.watched = head;
    this.arm(replica, head);
  }

  private unwatch(replica: Replica): void {
    if (replica.watchdog) clearTimeout(replica.watchdog);
    replica.watchdog = undefined;
    replica.watched = undefined;
  }

  /** Sets the replica's watchdog for `job`: its deadline (or now, once cancelled) plus the grace, or the budget. */
  private arm(replica: Replica, job: Job): void {
    if (replica.watchdog) clearTimeout(replica.watchdog);
    const now = Date.now();
    const until = job.cancelled() || job.settled ? now : job.deadline;
    const budgetLeft = this.budgetMs - (performance.now() - job.started!);
    const delay = Math.max(0, Math.min(until - now + this.graceMs, budgetLeft));
    if (!Number.isFinite(delay)) return;
    replica.watchdog = setTimeout(() => this.expire(replica, job), delay);
    replica.watchdog.unref();
  }

  /** The watched job outlived its call or its budget: its worker is stuck on work nobody waits for. Replace it. */
  private expire(replica: Replica, job: Job): void {
    replica.watchdog = undefined;
    if (replica.watched !== job || !replica.inflight.has(job.id) || !replica.worker) return;
    const ranMs = Math.round(performance.now() - job.started!);
    const overBudget = ranMs >= this.budgetMs;
    const why = overBudget
      ? `used its ${this.budgetMs} ms budget`
      : `outlived its call (${job.cancelled() ? 'cancelled' : 'deadline passed'}) by more than ${this.graceMs} ms`;
    this.settle(
      job,
      overBudget
        ? new AccelError(
            'InvalidArgument',
            `The request ran for more than ${this.budgetMs} ms on the replica (the per-request budget) and was abandoned. Send smaller images, or fewer per request.`,
          )
        : new AccelError('Cancelled', 'The call ended before the request finished; it was abandoned.'),
    );
    this.opts.logger?.warn(
      `${this.opts.model.serviceName}: request ${job.id} on device ${replica.device} ${why} after ${ranMs} ms in the worker; replacing the worker`,
    );
    this.replace(replica);
  }

  /** Terminates the replica's worker (a native call finishes first, on its own) and starts a fresh one now. */
  private replace(replica: Replica): void {
    const old = replica.worker!;
    replica.ready = false;
    replica.worker = undefined;
    this.unwatch(replica);
    for (const job of replica.inflight.values()) {
      this.settle(
        job,
        new AccelError(
          'Unavailable',
          `The replica on device ${replica.device} was restarted while this request waited for it; retry.`,
        ),
      );
    }
    replica.inflight.clear();
    void terminateSafely(old, replica.nativeState);
    if (this.stopped) return;
    this.spawn(replica).catch((e: Error) => this.opts.logger?.error(e.message));
  }

  private pump(): void {
    while (this.queue.length) {
      const solo = this.soloReplica();
      let best: Replica | undefined = solo;
      for (const r of best ? [] : this.replicas) {
        if (r.ready && r.worker && r.inflight.size < this.depth && (!best || r.inflight.size < best.inflight.size))
          best = r;
      }
      if (!best) return;
      const job = this.queue.shift()!;
      const gone = job.settled ? undefined : this.gone(job);
      if (job.settled || gone) {
        if (gone) this.settle(job, gone);
        continue;
      }
      job.dispatched = performance.now();
      best.inflight.set(job.id, job);
      const bytes = job.owned && ownsItsMemory(job.bytes) ? job.bytes : new Uint8Array(job.bytes);
      const request: WorkerRequest = {
        id: job.id,
        bytes,
        tensorContent: job.tensorContent,
        deadline: job.deadline,
        solo: best === solo,
      };
      best.worker!.postMessage(request, [bytes.buffer as ArrayBuffer]);
      this.watch(best);
    }
  }

  /**
   * The lead replica when the next job would have the machine to itself (the only job queued, none running in
   * any replica, fewer other threads on the machine runnable than it has cores) and the lead holds its solo
   * session; otherwise undefined.
   */
  private soloReplica(): Replica | undefined {
    const lead = this.replicas[0];
    if (this.queue.length !== 1 || !lead?.soloReady || !lead.ready || !lead.worker) return undefined;
    if (!this.replicas.every((r) => r.inflight.size === 0)) return undefined;
    if (this.threading.soloWhen === 'serviceIdle') return lead;
    return (this.opts.coresAreFree ?? (() => coresAreFree(this.cores)))() ? lead : undefined;
  }

  /** Whether the lead replica holds its solo session now. */
  soloReady(): boolean {
    return !!this.replicas[0]?.soloReady;
  }

  queued(): number {
    return this.queue.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0))
      this.settle(job, new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" is stopping.`));
    for (const r of this.replicas) this.unwatch(r);
    await Promise.all(
      this.replicas.map((r) => (r.worker ? terminateSafely(r.worker, r.nativeState) : Promise.resolve())),
    );
    for (const r of this.replicas) {
      for (const job of r.inflight.values())
        this.settle(job, new AccelError('Unavailable', `Service "${this.opts.model.serviceName}" stopped.`));
      r.inflight.clear();
    }
  }
}

/**
 * Terminates a worker once it is in no native call (see nativeSection.ts), polling until then: a native call is
 * bounded (a JPEG within the pixel and scan limits, one inference), so this waits at most about that long.
 */
export async function terminateSafely(worker: Worker, nativeState: Int32Array): Promise<void> {
  // threadId is -1 once the thread has stopped (a crash inside a native call leaves the count above 0).
  while (worker.threadId !== -1 && !claimForTermination(nativeState))
    await new Promise((resolve) => setTimeout(resolve, 10));
  await worker.terminate();
}

/** A gRPC call's deadline and cancellation, for `submit`. */
export function callControl(call: {
  getDeadline(): Date | number;
  readonly cancelled: boolean;
  once(event: 'cancelled', listener: () => void): unknown;
}): JobControl {
  const d = call.getDeadline();
  return {
    deadline: typeof d === 'number' ? d : d.getTime(),
    cancelled: () => call.cancelled,
    onCancel: (callback) => call.once('cancelled', callback),
  };
}
