// Finding, starting, stopping and supervising the emulator host of a store home. Plain Node (no vscode, no
// onnxruntime): the CLI and the extension both use it. The host records itself in `<home>/emulator.json`
// (pid and process identity, control port, a control token, start time, version); the control API is HTTP on
// 127.0.0.1. A recorded pid is signalled only once the process is proven to be that host (it answers with the
// token, or its start time and command line match the record): pids are reused.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AccelError } from '../../domain/errors';
import { validateName } from '../../domain/names';
import {
  describeMismatch,
  identityOf,
  isProcessAlive,
  matchProcess,
  type ProcessIdentity,
  type ProcessMatch,
} from '../../processAlive';
import { PRIVATE_FILE_MODE, mkdirPrivate } from '../../store/atomicFile';
import { emulatorScript } from '../runtime/bundles';
import type { DeviceSnapshot } from '../runtime/devicePool';
import { SERVING_NODE_FLAGS } from './nodeFlags';

export const HOST_INFO_FILE = 'emulator.json';
export const HOST_LOCK_FILE = 'emulator.lock';
/** Exit code of a host that found another host already running for its home. */
export const EXIT_ALREADY_RUNNING = 3;

export interface HostInfo {
  pid: number;
  controlPort: number;
  /** Sent as `x-accel-token` on every control request. */
  token: string;
  startTime: string;
  version: string;
  devices: number;
  home: string;
  /** The host process as /proc saw it at start (absent in records of older versions). */
  identity?: ProcessIdentity;
}

export type LiveState = 'Loading' | 'Running' | 'Failed';

export interface LiveService {
  workspace: string;
  name: string;
  imageId: string;
  state: LiveState;
  error?: string;
  port: number;
  restPort?: number;
  replicas: number;
  devices: number[];
  requests: number;
  errors: number;
  tls: boolean;
  authEnabled: boolean;
  /** keyId() of each key the running endpoint accepts now (absent while it does not run). */
  keyIds?: string[];
}

/** How status names a key the endpoint accepts: a prefix of its sha256 (enough to compare, useless to guess). */
export function keyId(keyHash: string): string {
  return keyHash.slice(0, 16);
}

export interface HostStatus {
  pid: number;
  startTime: string;
  version: string;
  home: string;
  devices: DeviceSnapshot;
  services: LiveService[];
  lastReconcile?: { time: string; errors: string[] };
}

export function logsDir(home: string): string {
  return path.join(home, 'logs');
}

export function hostLogPath(home: string): string {
  return path.join(logsDir(home), 'emulator.log');
}

/** The log of a service: a valid service name (InvalidArgument otherwise), always inside the logs folder. */
export function serviceLogPath(home: string, service: string): string {
  const dir = path.join(logsDir(home), 'services');
  const file = path.join(dir, `${validateName('service', service)}.log`);
  if (path.dirname(file) !== dir)
    throw new AccelError('InvalidArgument', `${JSON.stringify(service)} is not a valid service name.`);
  return file;
}

/** The identity a host record names (its pid alone when the record predates identities). */
function recordedIdentity(info: HostInfo): ProcessIdentity {
  return (
    (info.identity && identityOf(info.identity)?.pid === info.pid ? identityOf(info.identity) : undefined) ?? {
      pid: info.pid,
    }
  );
}

/** The record in emulator.json as written, whether or not its process still runs (undefined if none or unreadable). */
export function readHostRecord(home: string): HostInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(home, HOST_INFO_FILE), 'utf8')) as HostInfo;
    return identityOf(info) && typeof info.controlPort === 'number' && typeof info.token === 'string'
      ? info
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the recorded host process still runs: 'same' proves it, 'unproven' needs the control endpoint to. */
export function matchHostProcess(info: HostInfo): ProcessMatch {
  return matchProcess(recordedIdentity(info));
}

/**
 * The recorded host of a home, unless its process is gone or its pid now belongs to another process (the
 * record of a killed host is ignored). A record without identity is returned while its pid lives: callers
 * prove it through the control endpoint (the token).
 */
export function readHostInfo(home: string): HostInfo | undefined {
  const info = readHostRecord(home);
  if (!info) return undefined;
  const match = matchHostProcess(info);
  return match === 'same' || match === 'unproven' ? info : undefined;
}

export class HostClient {
  constructor(readonly info: HostInfo) {}

  request<T>(method: 'GET' | 'POST', route: string, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.info.controlPort,
          method,
          path: route,
          headers: { 'x-accel-token': this.info.token },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const isJson = (res.headers['content-type'] ?? '').includes('json');
            const body = isJson && text ? JSON.parse(text) : text;
            if ((res.statusCode ?? 500) >= 400) {
              const message = typeof body === 'object' && body?.error ? body.error : text;
              reject(new AccelError(body?.code ?? 'Internal', message));
            } else resolve(body as T);
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new Error(`the emulator host (pid ${this.info.pid}) did not answer ${route} within ${timeoutMs} ms`),
        ),
      );
      req.on('error', (e) =>
        reject(
          new AccelError(
            'Unavailable',
            `The emulator host (pid ${this.info.pid}) cannot be reached: ${e.message}. Check \`accel emulator status\` and \`accel emulator logs\`.`,
          ),
        ),
      );
      req.end();
    });
  }

  async healthy(timeoutMs = 2000): Promise<boolean> {
    try {
      await this.request('GET', '/health', timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** True when the control endpoint answers the token and names the recorded pid: proof that it is the host. */
  async answersAsRecordedHost(timeoutMs = 2000): Promise<boolean> {
    try {
      const body = await this.request<{ pid?: number }>('GET', '/health', timeoutMs);
      return body?.pid === this.info.pid;
    } catch {
      return false;
    }
  }

  status(): Promise<HostStatus> {
    return this.request('GET', '/status');
  }

  /** Makes the host match the store now; resolves with the status once every service has been started or stopped. */
  reconcile(): Promise<HostStatus> {
    return this.request('POST', '/reconcile');
  }

  shutdown(): Promise<unknown> {
    return this.request('POST', '/shutdown');
  }
}

/** The running, healthy host of a home, or undefined. */
export async function findHost(home: string): Promise<HostClient | undefined> {
  const info = readHostInfo(home);
  if (!info) return undefined;
  const client = new HostClient(info);
  return (await client.healthy()) ? client : undefined;
}

export function readLogTail(file: string, lines = 200): string {
  if (!fs.existsSync(file)) return '';
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const length = Math.min(size, Math.max(64 * 1024, lines * 400));
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n') + (all.length ? '\n' : '');
  } finally {
    fs.closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StartOptions {
  /** Emulated devices (default ACCEL_DEVICES or 4); only used when a new host is started. */
  devices?: number;
  timeoutMs?: number;
}

export interface StartResult {
  client: HostClient;
  started: boolean;
  /** The spawned process, when this call started the host. */
  child?: ChildProcess;
}

/** Returns the home's host, starting a detached one if none runs. The host outlives the caller. */
export async function startHost(home: string, options: StartOptions = {}): Promise<StartResult> {
  const existing = await findHost(home);
  if (existing) return { client: existing, started: false };
  mkdirPrivate(logsDir(home));
  const script = emulatorScript();
  const args = [...SERVING_NODE_FLAGS, script, '--home', home];
  if (options.devices !== undefined) args.push('--devices', String(options.devices));
  const out = fs.openSync(hostLogPath(home), 'a', PRIVATE_FILE_MODE);
  let child: ChildProcess;
  try {
    // ELECTRON_RUN_AS_NODE makes process.execPath behave as plain Node when it is VS Code's Electron binary.
    child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ACCEL_HOME: home },
    });
  } finally {
    fs.closeSync(out);
  }
  child.unref();
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  child.once('error', (e) => (exit = { code: -1, signal: null, ...{ error: e } }));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let exitedAt: number | undefined;
  while (Date.now() < deadline) {
    const info = readHostInfo(home);
    if (info && (info.pid === child.pid || exit)) {
      const client = new HostClient(info);
      if (await client.healthy())
        return { client, started: info.pid === child.pid, child: info.pid === child.pid ? child : undefined };
    }
    if (exit?.code === EXIT_ALREADY_RUNNING && !readHostInfo(home) && Date.now() > (exitedAt ??= Date.now()) + 10_000) {
      throw new AccelError(
        'Unavailable',
        `Another emulator host holds ${path.join(home, HOST_LOCK_FILE)} but does not answer. Stop it (accel emulator stop) or remove the lock file if its process is gone, then retry.`,
      );
    }
    if (exit && exit.code !== EXIT_ALREADY_RUNNING) {
      throw new AccelError(
        'Unavailable',
        `The emulator host exited while starting (${exit.signal ?? `code ${exit.code}`}):\n${readLogTail(hostLogPath(home), 15)}See ${hostLogPath(home)}.`,
      );
    }
    await sleep(100);
  }
  if (!exit) child.kill('SIGKILL');
  throw new AccelError(
    'Unavailable',
    `The emulator host did not become healthy within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s. See ${hostLogPath(home)}.`,
  );
}

export type StopOutcome =
  | { result: 'none' }
  | { result: 'stopped'; pid: number }
  /** emulator.json named a process that is not this home's host: nothing was signalled, the record was removed. */
  | { result: 'stale'; pid: number; reason: string }
  /** The pid runs, but neither /proc (a record of an older version) nor the control endpoint proves it is the host. */
  | { result: 'unproven'; pid: number; reason: string }
  /** The host was proven and asked to stop, but could not be proven again to escalate to SIGKILL. */
  | { result: 'stillRunning'; pid: number; reason: string };

/** Removes emulator.json if it still holds what was read (a host starting meanwhile has written its own). */
function removeStaleRecord(home: string, info: HostInfo): void {
  const file = path.join(home, HOST_INFO_FILE);
  const now = readHostRecord(home);
  if (now && now.pid === info.pid && now.token === info.token) fs.rmSync(file, { force: true });
}

/**
 * Stops the home's host: asks it over the control endpoint (with the token), else signals SIGTERM, then SIGKILL
 * after `timeoutMs`. Every signal goes only to a process proven to be the recorded host (its start time and
 * command line match emulator.json, or it answers with the token); a record whose pid now names another process
 * is reported stale and removed, and nothing is signalled.
 */
export async function stopRecordedHost(home: string, timeoutMs = 20_000): Promise<StopOutcome> {
  const info = readHostRecord(home);
  if (!info) return { result: 'none' };
  const client = new HostClient(info);
  const answers = await client.answersAsRecordedHost();
  const match = matchHostProcess(info);
  if (!answers && match === 'unproven') {
    return {
      result: 'unproven',
      pid: info.pid,
      reason: `${describeMismatch(info.pid, match)}, and it does not answer on the recorded control port ${info.controlPort}`,
    };
  }
  if (!answers && match !== 'same') {
    removeStaleRecord(home, info);
    return { result: 'stale', pid: info.pid, reason: describeMismatch(info.pid, match) };
  }
  // Proven by /proc, or by the control endpoint (then /proc re-proves it below if the record has an identity).
  const proven = async (): Promise<boolean> => {
    const m = matchHostProcess(info);
    if (m === 'same') return true;
    if (m === 'unproven') return client.answersAsRecordedHost();
    return false;
  };
  let asked = false;
  if (answers) {
    try {
      await client.shutdown();
      asked = true;
    } catch {
      asked = false;
    }
  }
  if (!asked && (await proven())) process.kill(info.pid, 'SIGTERM');
  const running = () => {
    const m = matchHostProcess(info);
    return m === 'same' || m === 'unproven';
  };
  const deadline = Date.now() + timeoutMs;
  while (running() && Date.now() < deadline) await sleep(50);
  if (running()) {
    if (!(await proven())) {
      return {
        result: 'stillRunning',
        pid: info.pid,
        reason: `process ${info.pid} did not exit within ${Math.round(timeoutMs / 1000)} s and can no longer be proven to be the host; check it with \`ps -p ${info.pid} -o pid,lstart,args\` and stop it yourself if it is`,
      };
    }
    process.kill(info.pid, 'SIGKILL');
    while (running()) await sleep(20);
  }
  return { result: 'stopped', pid: info.pid };
}

/** Stops the home's host (see stopRecordedHost). Returns the pid that was stopped, or undefined. */
export async function stopHost(home: string, timeoutMs = 20_000): Promise<number | undefined> {
  const outcome = await stopRecordedHost(home, timeoutMs);
  return outcome.result === 'stopped' ? outcome.pid : undefined;
}

/** Waits until the host reports the service Running (resolves) or Failed (rejects with the host's reason). */
export async function waitForService(
  client: HostClient,
  name: string,
  timeoutMs = 120_000,
  workspace?: string,
): Promise<LiveService> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.status();
    const live = status.services.find((s) => s.name === name);
    if (live && workspace && live.workspace !== workspace) {
      // Names are home-wide; the host keeps the one it runs (e.g. of a damaged workspace no deploy could read).
      throw new AccelError(
        'AlreadyExists',
        `The emulator already runs a service named "${name}" from workspace "${live.workspace}", so the one of workspace "${workspace}" was not started. Deploy under another name, or delete the other service first.`,
      );
    }
    if (live?.state === 'Running') return live;
    if (live?.state === 'Failed') {
      throw new AccelError('Unavailable', `Service "${name}" failed to start: ${live.error ?? 'unknown error'}`, live);
    }
    if (Date.now() > deadline) {
      throw new AccelError(
        'Unavailable',
        `Service "${name}" is still ${live?.state ?? 'not started'} after ${Math.round(timeoutMs / 1000)} s. Check \`accel service logs ${name}\`.`,
      );
    }
    await sleep(150);
  }
}

export interface SupervisorOptions extends StartOptions {
  /** How often a host this supervisor did not spawn is health-checked. */
  healthIntervalMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long one health check may take (default 5 s). */
  healthTimeoutMs?: number;
  /**
   * Failed health checks in a row before a live host is replaced (default 3): a host that is busy for a few
   * seconds (a large request, a slow disk) is not killed with every service on it. A host that exited is
   * restarted at once.
   */
  missedChecksBeforeRestart?: number;
}

/**
 * Keeps the home's host running: starts it, notices when it dies (exit event of a host it spawned, or a
 * failed health checks in a row) and restarts it with exponential back-off. A restarted host restores every deployed
 * service from the store. Events: 'started' (HostClient, restarted: boolean), 'unresponsive' (reason: a missed check, not yet a restart), 'down' (reason), 'restartFailed' (Error).
 */
export class Supervisor extends EventEmitter {
  private current?: HostClient;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private restarting = false;
  private stopped = false;
  restarts = 0;

  constructor(
    readonly home: string,
    private readonly options: SupervisorOptions = {},
  ) {
    super();
  }

  get client(): HostClient | undefined {
    return this.current;
  }

  async start(): Promise<HostClient> {
    this.stopped = false;
    const client = await this.launch(false);
    this.timer = setInterval(() => void this.check(), this.options.healthIntervalMs ?? 2000);
    this.timer.unref();
    return client;
  }

  /** Stops supervising; with `stopHost` also shuts the host down. */
  async stop(options: { stopHost?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (options.stopHost) await stopHost(this.home);
  }

  private async launch(restarted: boolean): Promise<HostClient> {
    // A restarted host gets the device count of the one it replaces.
    const { client, child } = await startHost(this.home, {
      ...this.options,
      devices: this.options.devices ?? this.current?.info.devices,
    });
    this.current = client;
    if (restarted) this.restarts++;
    child?.once('exit', () => void this.onDown(`host pid ${client.info.pid} exited`));
    this.emit('started', client, restarted);
    return client;
  }

  private misses = 0;
  private checking = false;

  private async check(): Promise<void> {
    if (this.stopped || this.restarting || this.checking) return;
    this.checking = true;
    try {
      const info = this.current?.info;
      const alive = !!info && isProcessAlive(info.pid);
      if (alive && (await this.current!.healthy(this.options.healthTimeoutMs ?? 5000))) {
        this.failures = 0;
        this.misses = 0;
        return;
      }
      if (this.stopped || this.restarting) return;
      if (alive && ++this.misses < (this.options.missedChecksBeforeRestart ?? 3)) {
        this.emit('unresponsive', `host pid ${info!.pid} missed ${this.misses} health check(s) in a row`);
        return;
      }
      this.misses = 0;
      // Alive but not answering: replace it; only a process proven (by /proc) to be that host is killed.
      if (info && matchHostProcess(info) === 'same') process.kill(info.pid, 'SIGKILL');
      await this.onDown(info ? `host pid ${info.pid} is not healthy` : 'no host');
    } finally {
      this.checking = false;
    }
  }

  private async onDown(reason: string): Promise<void> {
    if (this.stopped || this.restarting) return;
    this.restarting = true;
    this.emit('down', reason);
    try {
      while (!this.stopped) {
        const delay = Math.min(
          this.options.maxBackoffMs ?? 10_000,
          (this.options.initialBackoffMs ?? 250) * 2 ** this.failures,
        );
        await sleep(delay);
        if (this.stopped) return;
        try {
          await this.launch(true);
          return;
        } catch (e) {
          this.failures++;
          this.emit('restartFailed', e as Error);
        }
      }
    } finally {
      this.restarting = false;
    }
  }
}
