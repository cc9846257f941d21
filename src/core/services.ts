// Services: the desired state of a deployed image (port, replicas, auth keys, TLS) lives in the store; the
// emulator host reconciles to it. Keys are kept as sha256 hashes (what the server checks) plus sealed copies
// (so `keys` can print them); TLS private keys are sealed too. Nothing secret is stored in plain text.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { issueSelfSigned } from './certificates';
import { seal, unseal } from '../store/sealedSecrets';
import { AccelError } from '../domain/errors';
import { findImage } from './images';
import { validateName } from '../domain/names';
import type { WorkspaceStore } from '../domain/ports';
import type { Service, ServiceKeys, WorkspaceState } from '../domain/types';

export type KeyName = 'primary' | 'secondary';
export type TlsOption = 'none' | 'self-signed' | { certFile: string; keyFile: string };

/** Emulated devices a host starts with unless told otherwise (`--devices`, ACCEL_DEVICES). */
export const DEFAULT_DEVICE_COUNT = 4;

export interface DeployOptions {
  port?: number;
  restPort?: number;
  replicas?: number;
  /** Default true, as in the original service. */
  authEnabled?: boolean;
  tls?: TlsOption;
  description?: string;
  tags?: Record<string, string>;
  /** Devices of the emulator that will run it; deploys that cannot fit are refused before anything is written. */
  deviceCount?: number;
}

export interface ServiceKeysPlain {
  primaryKey: string;
  secondaryKey: string;
}

export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

function newKey(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function sealedKeyPair(home: string, primary = newKey(), secondary = newKey()): ServiceKeys {
  return {
    primaryHash: hashKey(primary),
    secondaryHash: hashKey(secondary),
    primarySealed: seal(home, primary),
    secondarySealed: seal(home, secondary),
  };
}

export function scoringUri(service: Service): string {
  return service.tls ? `grpcs://localhost:${service.port}` : `grpc://127.0.0.1:${service.port}`;
}

/** Every service in every workspace of the home: they share one emulator, so names, ports and devices are home-wide. */
export async function homeServices(store: WorkspaceStore): Promise<Array<{ workspace: string; service: Service }>> {
  const out: Array<{ workspace: string; service: Service }> = [];
  for (const ws of await store.listWorkspaces()) {
    const state = await store.read(ws.name);
    for (const service of state.services) out.push({ workspace: ws.name, service });
  }
  return out;
}

export function findService(state: WorkspaceState, name: string): Service {
  const service = state.services.find((s) => s.name === name);
  if (!service) {
    const known = state.services.map((s) => s.name).join(', ');
    throw new AccelError(
      'NotFound',
      `No service "${name}" in workspace "${state.workspace.name}"${known ? ` (services: ${known})` : ''}. List them with \`accel service list\`.`,
    );
  }
  return service;
}

function validPort(port: number, flag: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AccelError(
      'InvalidArgument',
      `${flag} ${port} is not a TCP port. Give a whole number from 1 to 65535, or leave it out to get a free port.`,
    );
  }
}

function probePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** A requested port is valid and no service of the home records it (the store only; nothing is bound). */
function checkRequestedPort(requested: number, flag: string, taken: Map<number, string>): void {
  validPort(requested, flag);
  const owner = taken.get(requested);
  if (owner)
    throw new AccelError(
      'AlreadyExists',
      `Port ${requested} is already used by service ${owner}. Choose another ${flag}, or leave it out to get a free port.`,
    );
}

/** A port no service of the home records and nothing on this machine listens on (or the requested one, checked). */
async function choosePort(requested: number | undefined, flag: string, taken: Map<number, string>): Promise<number> {
  if (requested !== undefined) {
    checkRequestedPort(requested, flag, taken);
    try {
      await probePort(requested);
    } catch (e) {
      throw new AccelError(
        'AlreadyExists',
        `Port ${requested} is in use by another program on this machine (${(e as NodeJS.ErrnoException).code}). Choose another ${flag}, or leave it out to get a free port.`,
      );
    }
    return requested;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await probePort(0);
    if (!taken.has(port)) return port;
  }
  throw new AccelError('Unavailable', 'Could not find a free TCP port on 127.0.0.1. Free some ports or pass --port.');
}

function takenPorts(all: Array<{ workspace: string; service: Service }>, except?: string): Map<number, string> {
  const taken = new Map<number, string>();
  for (const { workspace, service } of all) {
    if (service.name === except || service.target !== 'local') continue;
    const label = `"${service.name}" (workspace "${workspace}")`;
    taken.set(service.port, label);
    if (service.restPort) taken.set(service.restPort, `${label} for REST`);
  }
  return taken;
}

function checkDevices(
  all: Array<{ workspace: string; service: Service }>,
  name: string,
  replicas: number,
  deviceCount: number | undefined,
): void {
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new AccelError(
      'InvalidArgument',
      `--replicas ${replicas} is not valid: each replica occupies one accelerator device, give a whole number ≥ 1.`,
    );
  }
  if (deviceCount === undefined) return;
  const others = all.filter(({ service }) => service.name !== name && service.target === 'local');
  const used = others.reduce((n, { service }) => n + service.replicas, 0);
  if (used + replicas <= deviceCount) return;
  if (replicas > deviceCount) {
    throw new AccelError(
      'Unavailable',
      `Service "${name}" needs ${replicas} accelerator devices but the emulator has only ${deviceCount}. Use --replicas ${deviceCount} or fewer, or restart the emulator with more devices (accel emulator stop, then accel emulator start --devices ${replicas}).`,
    );
  }
  const holders = others.map(
    ({ workspace, service }) =>
      `"${service.name}" (workspace "${workspace}", ${service.replicas} device${service.replicas > 1 ? 's' : ''})`,
  );
  throw new AccelError(
    'Busy',
    `No free accelerator device for service "${name}": it needs ${replicas}, ${deviceCount - used} of ${deviceCount} free. Held by ${holders.join(', ')}. ` +
      'Free devices with `accel service delete <name>` or `accel service update <name> --replicas <fewer>`, or restart the emulator with more devices (accel emulator start --devices N).',
    { holders: Object.fromEntries(others.map(({ service }) => [service.name, service.replicas])) },
  );
}

export interface TlsPems {
  certPem: string;
  keyPem: string;
  selfSigned: boolean;
}

/** Generates or reads and checks the certificate and key; nothing is stored yet (see storeTls). */
export async function tlsPems(tls: TlsOption): Promise<TlsPems | undefined> {
  if (tls === 'none') return undefined;
  let certPem: string;
  let keyPem: string;
  if (tls === 'self-signed') {
    ({ certPem, keyPem } = await issueSelfSigned(['localhost', '127.0.0.1']));
  } else {
    for (const [flag, file] of [
      ['--ssl-cert', tls.certFile],
      ['--ssl-key', tls.keyFile],
    ]) {
      if (!fs.existsSync(file))
        throw new AccelError('InvalidArgument', `${flag} ${file}: no such file. Give the path of a PEM file.`);
    }
    certPem = fs.readFileSync(tls.certFile, 'utf8');
    keyPem = fs.readFileSync(tls.keyFile, 'utf8');
    let cert: crypto.X509Certificate;
    let key: crypto.KeyObject;
    try {
      cert = new crypto.X509Certificate(certPem);
    } catch (e) {
      throw new AccelError(
        'InvalidArgument',
        `--ssl-cert ${tls.certFile} is not a PEM certificate (${(e as Error).message}). Give the certificate (full chain) in PEM format.`,
      );
    }
    try {
      key = crypto.createPrivateKey(keyPem);
    } catch (e) {
      throw new AccelError(
        'InvalidArgument',
        `--ssl-key ${tls.keyFile} is not an unencrypted PEM private key (${(e as Error).message}). Give the key in PEM format without a passphrase.`,
      );
    }
    if (!cert.checkPrivateKey(key)) {
      throw new AccelError(
        'InvalidArgument',
        `--ssl-key ${tls.keyFile} does not belong to the certificate ${tls.certFile}. Give the key the certificate was issued for.`,
      );
    }
    if (new Date(cert.validTo).getTime() < Date.now()) {
      throw new AccelError(
        'InvalidArgument',
        `The certificate ${tls.certFile} expired on ${cert.validTo}. Renew it, or use --self-signed for local testing.`,
      );
    }
  }
  return { certPem, keyPem, selfSigned: tls === 'self-signed' };
}

/**
 * Stores the certificate and sealed key as blobs. Call it under the workspace lock (inside store.update): blob
 * garbage collection runs under that lock too, so it cannot delete a blob between its put and its reference
 * (two services given the same certificate file share its blob).
 */
export async function storeTls(store: WorkspaceStore, workspace: string, pems: TlsPems): Promise<Service['tls']> {
  const certBlob = (await store.putBlob(workspace, { bytes: Buffer.from(pems.certPem, 'utf8') })).sha256;
  const keyBlob = (await store.putBlob(workspace, { bytes: Buffer.from(seal(store.home, pems.keyPem), 'utf8') }))
    .sha256;
  return { certBlob, keyBlob, selfSigned: pems.selfSigned };
}

/** The PEM certificate and (unsealed) key a service serves TLS with. */
export function readTls(
  store: WorkspaceStore,
  workspace: string,
  service: Service,
): { certPem: string; keyPem: string } | undefined {
  if (!service.tls) return undefined;
  const certPem = fs.readFileSync(store.blobPath(workspace, service.tls.certBlob), 'utf8');
  const keyPem = unseal(store.home, fs.readFileSync(store.blobPath(workspace, service.tls.keyBlob), 'utf8'));
  return { certPem, keyPem };
}

/** The home-wide checks of a deploy (name, image, devices, ports); returns the image and the ports to use. */
async function checkDeploy(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  imageRef: string,
  replicas: number,
  options: DeployOptions,
) {
  const all = await homeServices(store);
  const clash = all.find(({ service }) => service.name === name);
  if (clash) {
    throw new AccelError(
      'AlreadyExists',
      `A service named "${name}" already exists in workspace "${clash.workspace}" (service names are unique per home: they share the local emulator). Pick another name, or change it with \`accel service update ${name} ...\`.`,
    );
  }
  const image = findImage(await store.read(workspace), imageRef);
  checkDevices(all, name, replicas, options.deviceCount);
  // The store only: binding a probe socket here (before the lock) could collide with the probe of a concurrent
  // deploy of the same port; choosePorts binds, under the home-wide lock, one deploy at a time.
  const taken = takenPorts(all);
  if (options.port !== undefined) checkRequestedPort(options.port, '--port', taken);
  if (options.restPort) checkRequestedPort(options.restPort, '--rest-port', taken);
  return { image, taken };
}

/** The service's gRPC port and optional REST port, each free on this machine and unrecorded in the home. */
async function choosePorts(name: string, options: DeployOptions, taken: Map<number, string>) {
  const port = await choosePort(options.port, '--port', taken);
  taken.set(port, `"${name}"`);
  const restPort =
    options.restPort === undefined
      ? undefined
      : await choosePort(options.restPort === 0 ? undefined : options.restPort, '--rest-port', taken);
  return { port, restPort };
}

export async function deployService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  imageRef: string,
  options: DeployOptions = {},
): Promise<Service> {
  validateName('service', name);
  const replicas = options.replicas ?? 1;
  // Fail fast before generating a certificate (a 2048-bit key takes a while, so it is made before any lock).
  await checkDeploy(store, workspace, name, imageRef, replicas, options);
  const pems = await tlsPems(options.tls ?? 'none');
  const keys = sealedKeyPair(store.home);
  // Names, ports and devices are home-wide: check again and commit under the one home-wide lock, so two deploys
  // in two workspaces cannot both pass the checks and then both commit.
  return store.withHomeWideLock(async () => {
    const { image, taken } = await checkDeploy(store, workspace, name, imageRef, replicas, options);
    const { port, restPort } = await choosePorts(name, options, taken);
    return store.update(workspace, async (state) => {
      if (state.services.some((s) => s.name === name)) {
        throw new AccelError('AlreadyExists', `A service named "${name}" was deployed meanwhile. Pick another name.`);
      }
      if (!state.images.some((i) => i.id === image.id)) {
        throw new AccelError('NotFound', `Image ${image.id} was deleted meanwhile. Create it again and retry.`);
      }
      const tls = pems && (await storeTls(store, workspace, pems));
      const now = new Date().toISOString();
      const service: Service = {
        name,
        imageId: image.id,
        target: 'local',
        description: options.description,
        tags: options.tags ?? {},
        createdTime: now,
        updatedTime: now,
        port,
        restPort,
        replicas,
        authEnabled: options.authEnabled ?? true,
        keys,
        tls,
      };
      for (const k of ['description', 'restPort', 'tls'] as const) if (service[k] === undefined) delete service[k];
      state.services.push(service);
      return service;
    });
  });
}

export async function listServices(store: WorkspaceStore, workspace: string): Promise<Service[]> {
  return (await store.read(workspace)).services;
}

export async function getService(store: WorkspaceStore, workspace: string, name: string): Promise<Service> {
  return findService(await store.read(workspace), name);
}

export async function getServiceKeys(
  store: WorkspaceStore,
  workspace: string,
  name: string,
): Promise<ServiceKeysPlain> {
  const service = await getService(store, workspace, name);
  if (!service.keys)
    throw new AccelError(
      'NotFound',
      `Service "${name}" has no keys. Enable auth with \`accel service update ${name} --auth\`.`,
    );
  return {
    primaryKey: unseal(store.home, service.keys.primarySealed),
    secondaryKey: unseal(store.home, service.keys.secondarySealed),
  };
}

/** Replaces one key; the other keeps working, so clients can roll over without downtime. */
export async function regenerateKey(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  which: KeyName,
): Promise<ServiceKeysPlain> {
  if (which !== 'primary' && which !== 'secondary') {
    throw new AccelError('InvalidArgument', `"${which}" is not a key name. Use primary or secondary.`);
  }
  const key = newKey();
  await store.update(workspace, (state) => {
    const service = findService(state, name);
    const keys = service.keys ?? sealedKeyPair(store.home);
    if (which === 'primary') Object.assign(keys, { primaryHash: hashKey(key), primarySealed: seal(store.home, key) });
    else Object.assign(keys, { secondaryHash: hashKey(key), secondarySealed: seal(store.home, key) });
    service.keys = keys;
    service.updatedTime = new Date().toISOString();
  });
  return getServiceKeys(store, workspace, name);
}

export interface UpdateOptions {
  imageRef?: string;
  replicas?: number;
  authEnabled?: boolean;
  description?: string;
  deviceCount?: number;
}

/** Changes what is given and leaves the rest; returns the service before and after (callers may roll back). */
export async function updateService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  options: UpdateOptions,
): Promise<{ before: Service; after: Service }> {
  const given = (['imageRef', 'replicas', 'authEnabled', 'description'] as const).filter(
    (k) => options[k] !== undefined,
  );
  if (given.length === 0) {
    throw new AccelError(
      'InvalidArgument',
      `Nothing to update for service "${name}". Give --image, --replicas, --auth/--no-auth or --description.`,
    );
  }
  // Devices are home-wide: check and commit under the home-wide lock (as deployService does).
  return store.withHomeWideLock(async () => {
    if (options.replicas !== undefined)
      checkDevices(await homeServices(store), name, options.replicas, options.deviceCount);
    return store.update(workspace, (state) => {
      const service = findService(state, name);
      const before = structuredClone(service);
      if (options.imageRef !== undefined) service.imageId = findImage(state, options.imageRef).id;
      if (options.replicas !== undefined) service.replicas = options.replicas;
      if (options.authEnabled !== undefined) service.authEnabled = options.authEnabled;
      if (options.description !== undefined) service.description = options.description;
      if (service.authEnabled && !service.keys) service.keys = sealedKeyPair(store.home);
      service.updatedTime = new Date().toISOString();
      return { before, after: structuredClone(service) };
    });
  });
}

/** Puts a service record back as it was (used to undo a deploy or update the emulator could not run). */
export async function restoreService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  previous: Service | undefined,
): Promise<void> {
  await store.update(workspace, (state) => {
    state.services = state.services.filter((s) => s.name !== name);
    if (previous) state.services.push(previous);
  });
}

export async function deleteService(store: WorkspaceStore, workspace: string, name: string): Promise<Service> {
  const service = await store.update(workspace, (state) => {
    const found = findService(state, name);
    state.services = state.services.filter((s) => s.name !== name);
    return found;
  });
  if (service.tls) await store.releaseBlobs?.(workspace, [service.tls.certBlob, service.tls.keyBlob]);
  return service;
}
