// Services with `target: 'container'`: a built image run by the local container engine, one container per
// replica, each on its own host port. The store holds the desired state; the engine is asked for the live state.
// Keys reach the containers as environment variables handed to the engine through its environment (never on
// its command line); regenerating a key recreates the containers with the new pair.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { findImage } from '../core/images';
import { validateName } from '../domain/names';
import type { WorkspaceStore } from '../domain/ports';
import {
  findService,
  getServiceKeys,
  hashKey,
  homeServices,
  readTls,
  regenerateKey,
  storeTls,
  tlsPems,
  type KeyName,
  type ServiceKeysPlain,
  type TlsOption,
  type TlsPems,
} from '../core/services';
import type { ContainerPlacement, Image, Service } from '../domain/types';
import { runHealthCheck } from '../emulator/host/healthCheck';
import { seal } from '../store/sealedSecrets';
import { EXPORT_GRPC_PORT, EXPORT_HEALTH_PORT, LABEL_PREFIX } from './buildContext';
import { engineByName, engineOutput, inspectImage, runEngine, type Engine } from './engine';

export interface ContainerDeployOptions {
  port?: number;
  replicas?: number;
  authEnabled?: boolean;
  /** 'host' where the engine cannot publish ports (rootless or nested setups); default 'bridge'. */
  network?: 'bridge' | 'host';
  description?: string;
  /** TLS on the gRPC port: the PEM files are mounted read-only into the containers (the health port stays plain). */
  tls?: TlsOption;
  /** How long a container may take to answer its health check (default 120 s). */
  readyTimeoutMs?: number;
}

export interface ContainerState {
  name: string;
  port: number;
  state: string;
  health?: string;
  exitCode?: number;
}

const MAX_REPLICAS = 8;

function homeTag(home: string): string {
  return crypto.createHash('sha256').update(home).digest('hex').slice(0, 8);
}

function containerName(home: string, service: string, index: number): string {
  return `accel-${homeTag(home)}-${service}-${index}`;
}

function probe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve()));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '0.0.0.0', exclusive: true }, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** `count` host ports nothing listens on and no service of the home records; `first` (if given) is checked, not chosen. */
async function choosePorts(
  store: WorkspaceStore,
  count: number,
  first: number | undefined,
  except?: string,
): Promise<number[]> {
  const taken = new Map<number, string>();
  for (const { workspace, service } of await homeServices(store)) {
    if (service.name === except) continue;
    const label = `service "${service.name}" (workspace "${workspace}")`;
    taken.set(service.port, label);
    if (service.restPort) taken.set(service.restPort, label);
    for (const c of service.container?.containers ?? []) {
      taken.set(c.port, label);
      taken.set(c.healthPort, label);
    }
  }
  const ports: number[] = [];
  if (first !== undefined) {
    if (!Number.isInteger(first) || first < 1 || first > 65535)
      throw new AccelError(
        'InvalidArgument',
        `--port ${first} is not a TCP port. Give 1-65535, or leave it out to get a free port.`,
      );
    const owner = taken.get(first);
    if (owner)
      throw new AccelError(
        'AlreadyExists',
        `Port ${first} is already used by ${owner}. Choose another --port, or leave it out to get a free port.`,
      );
    try {
      await probe(first);
    } catch (e) {
      throw new AccelError(
        'AlreadyExists',
        `Port ${first} is in use by another program on this machine (${(e as NodeJS.ErrnoException).code}). Choose another --port, or leave it out to get a free port.`,
      );
    }
    ports.push(first);
    taken.set(first, 'this service');
  }
  for (let attempt = 0; ports.length < count && attempt < 50; attempt++) {
    const port = await freePort();
    if (!taken.has(port)) {
      ports.push(port);
      taken.set(port, 'this service');
    }
  }
  if (ports.length < count)
    throw new AccelError(
      'Unavailable',
      'Could not find free TCP ports on this machine. Free some ports or pass --port.',
    );
  return ports;
}

/** The built engine image of `image`, checked: present in the engine and labelled with this image's digest. */
async function builtImage(image: Image): Promise<{ engine: Engine; location: string }> {
  if (!image.build || image.build.state !== 'Succeeded' || !image.build.location) {
    const why =
      image.build?.state === 'Failed' ? `its last build failed (${image.build.error})` : 'it has not been built';
    throw new AccelError(
      'InvalidArgument',
      `Image ${image.id} cannot run as a container: ${why}. Build it first: \`accel image build ${image.id}\`.`,
    );
  }
  const engine = engineByName(image.build.engine);
  const location = image.build.location;
  const inspected = await inspectImage(engine, location);
  if (!inspected)
    throw new AccelError(
      'NotFound',
      `${engine.name} has no image ${location} any more (built for ${image.id}). Rebuild it: \`accel image build ${image.id}\`.`,
    );
  const label = inspected.labels[`${LABEL_PREFIX}.image.digest`];
  if (label !== `sha256:${image.digest}`) {
    throw new AccelError(
      'InvalidArgument',
      `${location} in ${engine.name} was built for another image (digest ${label ?? 'none'}), not ${image.id} (sha256:${image.digest}): the tag was reused. Rebuild it: \`accel image build ${image.id}\`, or build with another --tag.`,
    );
  }
  return { engine, location };
}

interface RunSpec {
  service: Service;
  placement: ContainerPlacement;
  keys?: ServiceKeysPlain;
  home: string;
  /** Host folder holding tls.crt and tls.key, mounted at SECRETS_IN_CONTAINER. */
  tlsDir?: string;
}

const SECRETS_IN_CONTAINER = '/run/secrets/accel';
const CONTAINER_UID = 10001;

function tlsDirOf(home: string, service: string): string {
  return path.join(home, 'containers', `${homeTag(home)}-${service}`);
}

/**
 * Writes the PEM files for the containers: owner-only, and owned by the container's user (podman chowns the
 * mount itself with the U option; with Docker we do it, which needs root, as Docker itself does).
 */
function writeTlsFiles(engine: Engine, dir: string, pems: { certPem: string; keyPem: string }): void {
  if (/[:,]/.test(dir))
    throw new AccelError(
      'InvalidArgument',
      `The accel home path ${dir} holds ":" or ",", which a container mount cannot name. Use an ACCEL_HOME without them for container services with TLS.`,
    );
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'tls.crt'), pems.certPem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'tls.key'), pems.keyPem, { mode: 0o600 });
  if (engine.name === 'docker') {
    if (process.getuid?.() !== 0)
      throw new AccelError(
        'PermissionDenied',
        'TLS files for a Docker container must be readable by its user (uid 10001); run this as root, or use podman (it maps the files itself).',
      );
    for (const f of ['', 'tls.crt', 'tls.key']) fs.chownSync(path.join(dir, f), CONTAINER_UID, CONTAINER_UID);
  }
}

async function startContainer(engine: Engine, spec: RunSpec, index: number): Promise<void> {
  const { service, placement } = spec;
  const c = placement.containers[index];
  const env: NodeJS.ProcessEnv = { ...process.env, ACCEL_SERVICE_NAME: service.name };
  const args = [
    'run',
    '--detach',
    '--name',
    c.name,
    '--label',
    `${LABEL_PREFIX}.service=${service.name}`,
    '--label',
    `${LABEL_PREFIX}.home=${homeTag(spec.home)}`,
    '--restart',
    'unless-stopped',
    '--env',
    'ACCEL_SERVICE_NAME',
  ];
  if (spec.keys) {
    env.ACCEL_PRIMARY_KEY = spec.keys.primaryKey;
    env.ACCEL_SECONDARY_KEY = spec.keys.secondaryKey;
    args.push('--env', 'ACCEL_PRIMARY_KEY', '--env', 'ACCEL_SECONDARY_KEY');
  } else {
    args.push('--env', 'ACCEL_AUTH=disabled');
  }
  if (spec.tlsDir) {
    args.push(
      '--volume',
      `${spec.tlsDir}:${SECRETS_IN_CONTAINER}:ro${engine.name === 'podman' ? ',U' : ''}`,
      '--env',
      `ACCEL_TLS_CERT_FILE=${SECRETS_IN_CONTAINER}/tls.crt`,
      '--env',
      `ACCEL_TLS_KEY_FILE=${SECRETS_IN_CONTAINER}/tls.key`,
    );
  }
  if (placement.network === 'host') {
    // Loopback only, like a local service: keys never leave the machine in plain text (scoring dials localhost).
    args.push(
      '--network',
      'host',
      '--env',
      'ACCEL_BIND_HOST=127.0.0.1',
      '--env',
      `ACCEL_PORT=${c.port}`,
      '--env',
      `ACCEL_HEALTH_PORT=${c.healthPort}`,
    );
  } else {
    args.push(
      '--publish',
      `127.0.0.1:${c.port}:${EXPORT_GRPC_PORT}`,
      '--publish',
      `127.0.0.1:${c.healthPort}:${EXPORT_HEALTH_PORT}`,
    );
  }
  args.push(placement.location);
  const r = await runEngine(engine, args, { env, timeoutMs: 120_000 });
  if (r.code !== 0) {
    throw new AccelError(
      'Unavailable',
      `${engine.name} could not start container ${c.name}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}

async function containerStatus(
  engine: Engine,
  name: string,
): Promise<{ status: string; exitCode: number; health?: string } | undefined> {
  const r = await runEngine(engine, ['container', 'inspect', name], { timeoutMs: 60_000 });
  if (r.code !== 0) return undefined;
  const [info] = JSON.parse(r.stdout) as Array<{
    State: { Status: string; ExitCode: number; Health?: { Status: string }; Healthcheck?: { Status: string } };
  }>;
  const health = info.State.Health?.Status ?? info.State.Healthcheck?.Status;
  return { status: info.State.Status, exitCode: info.State.ExitCode, health: health || undefined };
}

async function lastLogLines(engine: Engine, name: string, lines = 15): Promise<string> {
  const r = await runEngine(engine, ['logs', '--tail', String(lines), name], { timeoutMs: 60_000 });
  return (r.stdout + r.stderr).trim();
}

async function removeContainer(engine: Engine, name: string): Promise<void> {
  await runEngine(engine, ['rm', '--force', '--time', '5', name], { timeoutMs: 120_000 });
}

/** Waits until the container answers its health check; a container that exits meanwhile fails with its last log lines. */
async function waitReady(
  engine: Engine,
  placement: ContainerPlacement,
  index: number,
  timeoutMs: number,
): Promise<void> {
  const c = placement.containers[index];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await containerStatus(engine, c.name);
    if (!status || (status.status !== 'running' && status.status !== 'created' && status.status !== 'configured')) {
      const logs = await lastLogLines(engine, c.name);
      throw new AccelError(
        'Unavailable',
        `Container ${c.name} exited at start (${status ? `state ${status.status}, exit code ${status.exitCode}` : 'gone'}). Its last log lines:\n${logs || '(no output)'}`,
      );
    }
    const healthEnv = { ACCEL_HEALTH_PORT: String(c.healthPort), ACCEL_PORT: String(c.port) };
    if (status.status === 'running' && (await runHealthCheck(healthEnv, 2000, true)) === 0) return;
    if (Date.now() > deadline) {
      const logs = await lastLogLines(engine, c.name);
      throw new AccelError(
        'Unavailable',
        `Container ${c.name} did not turn healthy within ${Math.round(timeoutMs / 1000)} s. Its last log lines:\n${logs || '(no output)'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Starts containers `from..` of the placement and waits for them; on failure removes every one it started. */
async function startAll(engine: Engine, spec: RunSpec, from: number, timeoutMs: number): Promise<void> {
  const started: string[] = [];
  try {
    for (let i = from; i < spec.placement.containers.length; i++) {
      await removeContainer(engine, spec.placement.containers[i].name); // a leftover of a crashed run
      await startContainer(engine, spec, i);
      started.push(spec.placement.containers[i].name);
      await waitReady(engine, spec.placement, i, timeoutMs);
    }
  } catch (e) {
    for (const name of started) await removeContainer(engine, name);
    throw e;
  }
}

export async function deployContainerService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  imageRef: string,
  options: ContainerDeployOptions = {},
): Promise<{ service: Service; containers: ContainerState[] }> {
  validateName('service', name);
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new AccelError(
      'InvalidArgument',
      `--replicas ${replicas} is not valid for a container service: give 1-${MAX_REPLICAS} (one container per replica, each on its own port).`,
    );
  }
  const image = findImage(await store.read(workspace), imageRef);
  const { engine, location } = await builtImage(image);
  const authEnabled = options.authEnabled ?? true;
  const pems: TlsPems | undefined = await tlsPems(options.tls ?? 'none');
  const plainKeys = authEnabled
    ? {
        primaryKey: crypto.randomBytes(32).toString('base64url'),
        secondaryKey: crypto.randomBytes(32).toString('base64url'),
      }
    : undefined;

  const service = await store.withHomeWideLock(async () => {
    const clash = (await homeServices(store)).find(({ service: s }) => s.name === name);
    if (clash)
      throw new AccelError(
        'AlreadyExists',
        `A service named "${name}" already exists in workspace "${clash.workspace}" (service names are unique per home). Pick another name.`,
      );
    const ports = await choosePorts(store, replicas * 2, options.port);
    const placement: ContainerPlacement = {
      engine: engine.name,
      location,
      network: options.network ?? 'bridge',
      containers: Array.from({ length: replicas }, (_, i) => ({
        name: containerName(store.home, name, i),
        port: ports[i],
        healthPort: ports[replicas + i],
      })),
    };
    return store.update(workspace, async (state) => {
      if (!state.images.some((i) => i.id === image.id))
        throw new AccelError('NotFound', `Image ${image.id} was deleted meanwhile. Create it again and retry.`);
      const tls = pems && (await storeTls(store, workspace, pems));
      const now = new Date().toISOString();
      const record: Service = {
        name,
        imageId: image.id,
        target: 'container',
        tags: {},
        createdTime: now,
        updatedTime: now,
        port: placement.containers[0].port,
        replicas,
        authEnabled,
        container: placement,
        ...(options.description ? { description: options.description } : {}),
        ...(tls ? { tls } : {}),
        ...(plainKeys
          ? {
              keys: {
                primaryHash: hashKey(plainKeys.primaryKey),
                secondaryHash: hashKey(plainKeys.secondaryKey),
                primarySealed: seal(store.home, plainKeys.primaryKey),
                secondarySealed: seal(store.home, plainKeys.secondaryKey),
              },
            }
          : {}),
      };
      state.services.push(record);
      return record;
    });
  });
  const tlsDir = pems ? tlsDirOf(store.home, name) : undefined;
  try {
    if (pems) writeTlsFiles(engine, tlsDir!, pems);
    await startAll(
      engine,
      { service, placement: service.container!, keys: plainKeys, home: store.home, tlsDir },
      0,
      options.readyTimeoutMs ?? 120_000,
    );
  } catch (e) {
    if (tlsDir) fs.rmSync(tlsDir, { recursive: true, force: true });
    await store.update(workspace, (state) => {
      state.services = state.services.filter((s) => s.name !== name);
    });
    if (service.tls) await store.releaseBlobs?.(workspace, [service.tls.certBlob, service.tls.keyBlob]);
    throw e;
  }
  return { service, containers: await containerStates(service) };
}

export async function containerStates(service: Service): Promise<ContainerState[]> {
  const placement = service.container!;
  const engine: Engine = { name: placement.engine, command: placement.engine };
  const out: ContainerState[] = [];
  for (const c of placement.containers) {
    const status = await containerStatus(engine, c.name).catch(() => undefined);
    out.push({
      name: c.name,
      port: c.port,
      state: status?.status ?? 'missing',
      health: status?.health,
      exitCode: status?.exitCode,
    });
  }
  return out;
}

function placementOf(service: Service): { engine: Engine; placement: ContainerPlacement } {
  if (service.target !== 'container' || !service.container)
    throw new AccelError('InvalidArgument', `Service "${service.name}" is not a container service.`);
  return { engine: engineByName(service.container.engine), placement: service.container };
}

export async function containerServiceLogs(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  lines: number,
): Promise<Array<{ container: string; log: string }>> {
  const { engine, placement } = placementOf(findService(await store.read(workspace), name));
  const out = [];
  for (const c of placement.containers) out.push({ container: c.name, log: await lastLogLines(engine, c.name, lines) });
  return out;
}

/** New key in the store, then every container recreated with the new pair (the old key is refused once it returns). */
export async function regenerateContainerKey(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  which: KeyName,
): Promise<ServiceKeysPlain> {
  const service = findService(await store.read(workspace), name);
  const { engine, placement } = placementOf(service);
  const keys = await regenerateKey(store, workspace, name, which);
  const updated = findService(await store.read(workspace), name);
  for (const c of placement.containers) await removeContainer(engine, c.name);
  await startAll(
    engine,
    {
      service: updated,
      placement,
      keys: updated.authEnabled ? keys : undefined,
      home: store.home,
      tlsDir: restoreTlsFiles(store, workspace, updated, engine),
    },
    0,
    120_000,
  );
  return keys;
}

/** More replicas: more containers on more ports; fewer: the last ones removed. */
export async function scaleContainerService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  replicas: number,
): Promise<{ service: Service; containers: ContainerState[] }> {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
    throw new AccelError(
      'InvalidArgument',
      `--replicas ${replicas} is not valid for a container service: give 1-${MAX_REPLICAS} (one container per replica, each on its own port).`,
    );
  }
  const service = findService(await store.read(workspace), name);
  const { engine, placement } = placementOf(service);
  const current = placement.containers.length;
  const keys = service.authEnabled ? await getServiceKeys(store, workspace, name) : undefined;
  if (replicas > current) {
    const extra = replicas - current;
    const grown = await store.withHomeWideLock(async () => {
      const ports = await choosePorts(store, extra * 2, undefined);
      const next: ContainerPlacement = {
        ...placement,
        containers: [
          ...placement.containers,
          ...Array.from({ length: extra }, (_, i) => ({
            name: containerName(store.home, name, current + i),
            port: ports[i],
            healthPort: ports[extra + i],
          })),
        ],
      };
      return store.update(workspace, (state) => {
        const s = findService(state, name);
        s.container = next;
        s.replicas = replicas;
        s.updatedTime = new Date().toISOString();
        return { ...s };
      });
    });
    try {
      await startAll(
        engine,
        {
          service: grown,
          placement: grown.container!,
          keys,
          home: store.home,
          tlsDir: restoreTlsFiles(store, workspace, grown, engine),
        },
        current,
        120_000,
      );
    } catch (e) {
      await store.update(workspace, (state) => {
        const s = findService(state, name);
        s.container = placement;
        s.replicas = current;
      });
      throw e;
    }
    return { service: grown, containers: await containerStates(grown) };
  }
  for (const c of placement.containers.slice(replicas)) await removeContainer(engine, c.name);
  const shrunk = await store.update(workspace, (state) => {
    const s = findService(state, name);
    s.container = { ...placement, containers: placement.containers.slice(0, replicas) };
    s.replicas = replicas;
    s.updatedTime = new Date().toISOString();
    return { ...s };
  });
  return { service: shrunk, containers: await containerStates(shrunk) };
}

/** The TLS folder of a service, written again from the store (sealed key) so a restart never lacks it. */
function restoreTlsFiles(
  store: WorkspaceStore,
  workspace: string,
  service: Service,
  engine: Engine,
): string | undefined {
  const pems = readTls(store, workspace, service);
  if (!pems) return undefined;
  const dir = tlsDirOf(store.home, service.name);
  writeTlsFiles(engine, dir, pems);
  return dir;
}

/**
 * Enables, rotates or drops TLS on a container service: the containers are recreated with the new certificate
 * folder (or without one) and must turn healthy again; if they do not, the previous TLS files and containers are
 * put back and the store is left as it was. ('none' is the same as 'off'.)
 */
export async function updateContainerTls(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  tls: TlsOption | 'off',
  options: { readyTimeoutMs?: number } = {},
): Promise<{ service: Service; containers: ContainerState[] }> {
  const before = findService(await store.read(workspace), name);
  const { engine, placement } = placementOf(before);
  const pems = tls === 'off' || tls === 'none' ? undefined : await tlsPems(tls);
  if (!pems && !before.tls)
    throw new AccelError(
      'InvalidArgument',
      `Service "${name}" does not serve TLS, so there is none to drop. Enable it with --self-signed or --ssl-cert/--ssl-key.`,
    );
  const keys = before.authEnabled ? await getServiceKeys(store, workspace, name) : undefined;
  const dir = tlsDirOf(store.home, name);
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  for (const c of placement.containers) await removeContainer(engine, c.name);
  try {
    if (pems) writeTlsFiles(engine, dir, pems);
    else fs.rmSync(dir, { recursive: true, force: true });
    await startAll(
      engine,
      { service: before, placement, keys, home: store.home, tlsDir: pems ? dir : undefined },
      0,
      timeoutMs,
    );
  } catch (e) {
    try {
      await startAll(
        engine,
        {
          service: before,
          placement,
          keys,
          home: store.home,
          tlsDir: restoreTlsFiles(store, workspace, before, engine),
        },
        0,
        120_000,
      );
    } catch (restore) {
      throw new AccelError(
        'Unavailable',
        `${(e as Error).message}\nRestarting the containers with the previous TLS failed too (${(restore as Error).message}). Delete the service and deploy it again.`,
      );
    }
    throw new AccelError(
      e instanceof AccelError ? e.code : 'Unavailable',
      `${(e as Error).message}\nThe containers were restarted with the previous TLS; nothing changed.`,
    );
  }
  const updated = await store.update(workspace, async (state) => {
    const s = findService(state, name);
    if (pems) s.tls = await storeTls(store, workspace, pems);
    else delete s.tls;
    s.updatedTime = new Date().toISOString();
    return structuredClone(s);
  });
  if (before.tls) {
    const kept = new Set([updated.tls?.certBlob, updated.tls?.keyBlob]);
    const gone = [before.tls.certBlob, before.tls.keyBlob].filter((b) => !kept.has(b));
    if (gone.length) await store.releaseBlobs?.(workspace, gone);
  }
  return { service: updated, containers: await containerStates(updated) };
}

export async function deleteContainerService(store: WorkspaceStore, workspace: string, name: string): Promise<Service> {
  const service = findService(await store.read(workspace), name);
  const { engine, placement } = placementOf(service);
  for (const c of placement.containers) await removeContainer(engine, c.name);
  const left = [];
  for (const c of placement.containers) if (await containerStatus(engine, c.name)) left.push(c.name);
  if (left.length)
    throw new AccelError(
      'Unavailable',
      `${engine.name} did not remove container(s) ${left.join(', ')}. Remove them with \`${engine.name} rm -f ${left.join(' ')}\` and delete the service again.`,
    );
  await store.update(workspace, (state) => {
    state.services = state.services.filter((s) => s.name !== name);
  });
  fs.rmSync(tlsDirOf(store.home, name), { recursive: true, force: true });
  if (service.tls) await store.releaseBlobs?.(workspace, [service.tls.certBlob, service.tls.keyBlob]);
  return service;
}
