// The emulator host: one process per store home. It owns the emulated devices and runs one ServiceEndpoint
// per deployed service of every workspace, reconciling to the store: at start (restoring every service), on a
// control `reconcile` request, and when a workspace's state file changes (fs.watch, debounced).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { isAccelError } from '../../domain/errors';
import { readImageManifest } from '../../core/images';
import type { Logger, WorkspaceStore } from '../../domain/ports';
import { readTls } from '../../core/services';
import type { Service } from '../../domain/types';
import { runtimeVersions } from '../runtime/bundles';
import { DevicePool } from '../runtime/devicePool';
import { fileLogger } from './fileLogger';
import { isValidName } from '../../domain/names';
import { selfIdentity } from '../../processAlive';
import { writeFileAtomic } from '../../store/atomicFile';
import { releaseOwnLockFile, tryLockFile } from '../../store/lock';
import {
  HOST_INFO_FILE,
  HOST_LOCK_FILE,
  EXIT_ALREADY_RUNNING,
  hostLogPath,
  keyId,
  readLogTail,
  serviceLogPath,
  type HostInfo,
  type HostStatus,
  type LiveService,
} from './hostControl';
import {
  startServiceEndpoint,
  type EndpointAuth,
  type EndpointConfig,
  type ServiceEndpoint,
} from '../frontend/serviceEndpoint';

interface Desired {
  workspace: string;
  service: Service;
  /** Changes of anything but auth need a restart of the endpoint. */
  fingerprint: string;
  auth: EndpointAuth;
  config?: EndpointConfig;
  /** Why the config could not be built (missing image, unreadable key, ...). */
  problem?: string;
}

interface Running {
  desired: Desired;
  endpoint?: ServiceEndpoint;
  error?: string;
}

const authOf = (service: Service): EndpointAuth => ({
  enabled: service.authEnabled,
  keyHashes: service.keys ? [service.keys.primaryHash, service.keys.secondaryHash] : [],
});

export class HostAlreadyRunning extends Error {}

/** The most lines one /logs request returns (the tail read is bounded by this times a line's size). */
const MAX_LOG_LINES = 10_000;

/**
 * Creates `<home>/emulator.lock` for this process (pid, start time, command line). A lock whose process is gone,
 * or whose pid now belongs to another process, is taken over; a live holder is not.
 */
export function acquireHostLock(home: string): void {
  const file = path.join(home, HOST_LOCK_FILE);
  const attempt = tryLockFile(file);
  if ('content' in attempt) return;
  const holder = attempt.holder.pid;
  throw new HostAlreadyRunning(
    `An emulator host is already running for ${home} (pid ${holder}). Use \`accel emulator status\`, or \`accel emulator stop\` first.`,
  );
}

export class EmulatorHost {
  private readonly running = new Map<string, Running>();
  private readonly pool: DevicePool;
  private readonly log: Logger;
  private control?: http.Server;
  private watchers = new Map<string, fs.FSWatcher>();
  private debounce?: NodeJS.Timeout;
  private chain: Promise<unknown> = Promise.resolve();
  private pending?: Promise<HostStatus>;
  private lastReconcile?: { time: string; errors: string[] };
  private lastDamaged = '';
  private readonly token = crypto.randomBytes(24).toString('hex');
  private readonly startTime = new Date().toISOString();
  private stopping?: Promise<void>;

  constructor(
    private readonly store: WorkspaceStore,
    private readonly home: string,
    deviceCount: number,
  ) {
    this.pool = new DevicePool(deviceCount);
    this.log = fileLogger(hostLogPath(home));
  }

  async start(): Promise<HostInfo> {
    acquireHostLock(this.home);
    this.log.info(
      `emulator host pid ${process.pid} starting for ${this.home} with ${this.pool.count} devices (node ${process.version}, onnxruntime-node ${runtimeVersions().onnxruntime})`,
    );
    const port = await this.listenControl();
    const info: HostInfo = {
      pid: process.pid,
      controlPort: port,
      token: this.token,
      startTime: this.startTime,
      version: runtimeVersions().emulator,
      devices: this.pool.count,
      home: this.home,
      identity: selfIdentity(),
    };
    // A unique 0600 temp file renamed into place: the token is never readable by others, whatever was left before
    // (older versions wrote through a fixed `emulator.json.tmp` and kept the mode of a stale one: it goes).
    fs.rmSync(path.join(this.home, `${HOST_INFO_FILE}.tmp`), { force: true });
    writeFileAtomic(path.join(this.home, HOST_INFO_FILE), JSON.stringify(info, null, 2));
    this.log.info(`control endpoint http://127.0.0.1:${port}`);
    void this.reconcile().catch((e) => this.log.error(`reconcile failed: ${(e as Error).message}`));
    return info;
  }

  /** Queues a reconcile; calls made while one is waiting to start share it. */
  reconcile(): Promise<HostStatus> {
    if (this.pending) return this.pending;
    const run = this.chain.then(async () => {
      this.pending = undefined;
      await this.reconcileNow();
      return this.status();
    });
    this.pending = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  status(): HostStatus {
    const services: LiveService[] = [...this.running.values()].map(({ desired, endpoint, error }) => {
      const s = desired.service;
      const live = endpoint?.status();
      return {
        workspace: desired.workspace,
        name: s.name,
        imageId: s.imageId,
        state: live?.state ?? 'Failed',
        error: live?.error ?? error,
        port: endpoint?.port ?? s.port,
        restPort: endpoint?.restPort ?? s.restPort,
        replicas: s.replicas,
        devices: live?.devices ?? [],
        requests: live?.requests ?? 0,
        errors: live?.errors ?? 0,
        tls: !!s.tls,
        authEnabled: s.authEnabled,
        ...(endpoint ? { keyIds: desired.auth.keyHashes.map(keyId) } : {}),
      };
    });
    return {
      pid: process.pid,
      startTime: this.startTime,
      version: runtimeVersions().emulator,
      home: this.home,
      devices: this.pool.snapshot(),
      services,
      lastReconcile: this.lastReconcile,
    };
  }

  /**
   * The services the store asks for, by name. A workspace that cannot be read (damaged, newer schema) is reported
   * in `unreadable` and left alone: its running services keep running as they were, every other workspace is
   * reconciled. Names are home-wide: when two workspaces declare one name, the one already running (else the older
   * one) keeps it and the other is reported, never started over it.
   */
  private async readDesired(): Promise<{ desired: Map<string, Desired>; unreadable: Set<string>; errors: string[] }> {
    const candidates = new Map<string, Desired[]>();
    const unreadable = new Set<string>();
    const errors: string[] = [];
    const damaged = await this.store.listDamagedWorkspaces();
    for (const d of damaged) {
      unreadable.add(d.name);
      errors.push(`workspace ${d.name} is skipped (its services are left as they are): ${d.message}`);
    }
    this.reportDamaged(damaged.map((d) => `${d.name}: ${d.message}`));
    for (const ws of await this.store.listWorkspaces()) {
      let state;
      try {
        state = await this.store.read(ws.name);
      } catch (e) {
        unreadable.add(ws.name);
        errors.push(`workspace ${ws.name} is skipped (its services are left as they are): ${(e as Error).message}`);
        continue;
      }
      for (const service of state.services) {
        if (service.target !== 'local') continue;
        const d: Desired = { workspace: ws.name, service, fingerprint: '', auth: authOf(service) };
        try {
          const image = state.images.find((i) => i.id === service.imageId);
          if (!image) throw new Error(`its image ${service.imageId} is not in workspace ${ws.name}`);
          const manifest = await readImageManifest(this.store, ws.name, image);
          const modelPath = this.store.blobPath(ws.name, manifest.model.sha256);
          d.config = {
            model: {
              serviceName: service.name,
              modelName: manifest.model.name,
              modelVersion: manifest.model.version,
              modelPath,
              inputs: manifest.inputs,
              outputs: manifest.outputs,
              preset: manifest.preset,
              preprocessing: manifest.preprocessing,
              labels: manifest.labels,
            },
            port: service.port,
            restPort: service.restPort,
            replicas: service.replicas,
            auth: d.auth,
            tls: readTls(this.store, ws.name, service),
          };
          d.fingerprint = JSON.stringify([
            ws.name,
            image.digest,
            service.port,
            service.restPort,
            service.replicas,
            service.tls?.certBlob,
            service.tls?.keyBlob,
          ]);
        } catch (e) {
          d.problem = `cannot be started: ${(e as Error).message}`;
          d.fingerprint = JSON.stringify([ws.name, service.imageId, 'problem']);
        }
        candidates.set(service.name, [...(candidates.get(service.name) ?? []), d]);
      }
    }
    const desired = new Map<string, Desired>();
    for (const [name, list] of candidates) {
      const holder = this.running.get(name)?.desired.workspace;
      // A service of an unreadable workspace keeps its name; otherwise the running one, else the oldest, wins.
      const winner = unreadable.has(holder ?? '')
        ? undefined
        : (list.find((d) => d.workspace === holder) ??
          [...list].sort(
            (a, b) =>
              a.service.createdTime.localeCompare(b.service.createdTime) || a.workspace.localeCompare(b.workspace),
          )[0]);
      if (winner) desired.set(name, winner);
      for (const d of list) {
        if (d === winner) continue;
        const owner = winner?.workspace ?? holder;
        errors.push(
          `service ${name} of workspace ${d.workspace} is not started: workspace ${owner} already runs a service named ${name} (service names are unique per home). ` +
            `Delete or redeploy one of them under another name (accel service delete ${name} --workspace ${d.workspace}).`,
        );
      }
    }
    return { desired, unreadable, errors };
  }

  /** Logs the damaged workspaces when that list changes (not on every reconcile). */
  private reportDamaged(lines: string[]): void {
    const key = lines.join('\n');
    if (key === this.lastDamaged) return;
    this.lastDamaged = key;
    for (const line of lines)
      this.log.error(`workspace ${line} It is skipped and left unchanged; the other workspaces are served.`);
    if (!lines.length) this.log.info('every workspace is readable again');
  }

  private async stopOne(name: string, why: string): Promise<void> {
    const r = this.running.get(name);
    if (!r) return;
    this.running.delete(name);
    if (r.endpoint) {
      this.log.info(`stopping ${name} (${why})`);
      await r.endpoint.stop().catch((e) => this.log.error(`stopping ${name}: ${(e as Error).message}`));
    }
    this.pool.release(name);
  }

  private async startOne(d: Desired): Promise<string | undefined> {
    const name = d.service.name;
    if (d.problem || !d.config) {
      this.running.set(name, { desired: d, error: d.problem });
      this.log.error(`${name} ${d.problem}`);
      return `${name}: ${d.problem}`;
    }
    const logger = fileLogger(serviceLogPath(this.home, name), { logger: this.log, prefix: `[${name}] ` });
    logger.info(
      `starting ${name} (workspace ${d.workspace}, image ${d.service.imageId}) on port ${d.config.port}${d.config.tls ? ' with TLS' : ''}, ${d.service.replicas} replica(s), auth ${d.auth.enabled ? 'on' : 'off'}`,
    );
    try {
      const endpoint = await startServiceEndpoint({ ...d.config, logger }, this.pool);
      this.running.set(name, { desired: d, endpoint });
      endpoint.ready.then(
        () => logger.info(`${name} is Running on devices ${endpoint.status().devices.join(', ')}`),
        (e) => logger.error(`${name} failed to load its model: ${(e as Error).message}`),
      );
      return undefined;
    } catch (e) {
      const message = (e as Error).message;
      this.pool.release(name);
      this.running.set(name, { desired: d, error: message });
      logger.error(`${name} failed to start: ${message}`);
      return `${name}: ${message}`;
    }
  }

  private async reconcileNow(): Promise<void> {
    if (this.stopping) return;
    const { desired, unreadable, errors } = await this.readDesired();
    for (const [name, r] of [...this.running]) {
      if (unreadable.has(r.desired.workspace)) continue;
      const d = desired.get(name);
      if (!d) await this.stopOne(name, 'deleted');
      else if (d.fingerprint !== r.desired.fingerprint || d.workspace !== r.desired.workspace)
        await this.stopOne(name, 'changed');
    }
    for (const [name, d] of desired) {
      const r = this.running.get(name);
      if (r?.endpoint && r.endpoint.status().state === 'Failed')
        await this.stopOne(name, 'failed before: trying again');
      else if (r?.endpoint) {
        if (JSON.stringify(d.auth) !== JSON.stringify(r.desired.auth)) {
          r.endpoint.setAuth(d.auth);
          this.log.info(`${name}: keys or auth setting updated`);
        }
        r.desired = d;
        continue;
      }
      this.running.delete(name); // a start that failed before is tried again
      const error = await this.startOne(d);
      if (error) errors.push(error);
    }
    this.lastReconcile = { time: new Date().toISOString(), errors };
    // Damaged workspaces are watched too, so repairing one is picked up.
    this.watchStateFiles([...(await this.store.listWorkspaces()).map((w) => w.name), ...unreadable]);
  }

  /** Watches the home (new workspaces) and the folder of each workspace's state file; debounced reconcile. */
  private watchStateFiles(workspaces: string[]): void {
    if (this.stopping) return;
    const trigger = () => {
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reconcile(), 250);
    };
    const want = new Map<string, string | undefined>([[this.home, undefined]]);
    for (const ws of workspaces) {
      const stateFile = this.store.stateFile(ws);
      want.set(path.dirname(stateFile), path.basename(stateFile));
    }
    for (const [dir, watcher] of this.watchers) {
      if (!want.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const [dir, file] of want) {
      if (this.watchers.has(dir) || !fs.existsSync(dir)) continue;
      try {
        const watcher = fs.watch(dir, (_event, changed) => {
          if (
            dir === this.home
              ? !['logs', HOST_INFO_FILE, HOST_LOCK_FILE].some((n) => String(changed).startsWith(n))
              : !changed || String(changed) === file
          )
            trigger();
        });
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch (e) {
        this.log.warn(`cannot watch ${dir}: ${(e as Error).message}; changes apply on the next reconcile request`);
      }
    }
  }

  private listenControl(): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.control = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(type === 'application/json' ? JSON.stringify(body) : String(body));
    };
    const token = Buffer.from(String(req.headers['x-accel-token'] ?? ''));
    const expected = Buffer.from(this.token);
    if (token.length !== expected.length || !crypto.timingSafeEqual(token, expected)) {
      send(401, {
        error: 'Missing or wrong control token (read it from emulator.json in the home).',
        code: 'InvalidArgument',
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      if (req.method === 'GET' && url.pathname === '/health') send(200, { ok: true, pid: process.pid });
      else if (req.method === 'GET' && url.pathname === '/status') send(200, this.status());
      else if (req.method === 'POST' && url.pathname === '/reconcile') send(200, await this.reconcile());
      else if (req.method === 'GET' && url.pathname === '/logs') {
        const service = url.searchParams.get('service');
        const lines = Number(url.searchParams.get('lines') ?? 200);
        if (service !== null && !isValidName('service', service)) {
          send(400, {
            error: `${JSON.stringify(service.slice(0, 80))} is not a service name, so it has no log. Give the name of a deployed service (accel service list).`,
            code: 'InvalidArgument',
          });
        } else if (!Number.isInteger(lines) || lines < 1 || lines > MAX_LOG_LINES) {
          send(400, {
            error: `lines=${JSON.stringify(url.searchParams.get('lines')?.slice(0, 20))} is not valid. Give a whole number from 1 to ${MAX_LOG_LINES}.`,
            code: 'InvalidArgument',
          });
        } else
          send(
            200,
            readLogTail(service ? serviceLogPath(this.home, service) : hostLogPath(this.home), lines),
            'text/plain',
          );
      } else if (req.method === 'POST' && url.pathname === '/shutdown') {
        send(200, { ok: true, pid: process.pid });
        void this.shutdown('control request').then(() => process.exit(0));
      } else send(404, { error: `No control route ${req.method} ${url.pathname}.`, code: 'NotFound' });
    } catch (e) {
      send(500, { error: (e as Error).message, code: isAccelError(e) ? e.code : 'Internal' });
    }
  }

  /** Stops every endpoint (releasing ports and devices), the watchers and the control server; removes the records. */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info(`shutting down (${reason})`);
      if (this.debounce) clearTimeout(this.debounce);
      for (const w of this.watchers.values()) w.close();
      this.watchers.clear();
      await this.chain.catch(() => undefined);
      await Promise.all([...this.running.keys()].map((name) => this.stopOne(name, 'shutdown')));
      await new Promise<void>((r) => (this.control ? this.control.close(() => r()) : r()));
      this.removeRecords();
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  removeRecords(): void {
    const p = path.join(this.home, HOST_INFO_FILE);
    try {
      if ((JSON.parse(fs.readFileSync(p, 'utf8')) as HostInfo).pid === process.pid) fs.rmSync(p, { force: true });
    } catch {
      // already gone
    }
    releaseOwnLockFile(path.join(this.home, HOST_LOCK_FILE));
  }
}

export { EXIT_ALREADY_RUNNING };
