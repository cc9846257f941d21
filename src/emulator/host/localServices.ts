// Service operations against the local emulator: write the desired state (src/core/services.ts), start the
// home's host on demand, make it reconcile, and wait for the outcome with progress and cancellation. A deploy or
// update the emulator cannot run (or that is cancelled) is rolled back, so the store never keeps a service that
// does not work. The one local path of src/services, which both the CLI and the extension use.
import {
  neverCancelled,
  silentProgress,
  type CancellationSignal,
  type ProgressReporter,
  type WorkspaceStore,
} from '../../domain/ports';
import {
  deleteService,
  deployService,
  findService,
  getService,
  regenerateKey,
  restoreService,
  storeTls,
  tlsPems,
  updateService,
  type DeployOptions,
  type KeyName,
  type ServiceKeysPlain,
  type TlsOption,
  type UpdateOptions,
} from '../../core/services';
import { AccelError } from '../../domain/errors';
import type { Service } from '../../domain/types';
import {
  findHost,
  keyId,
  startHost,
  waitForService,
  type HostClient,
  type HostStatus,
  type LiveService,
  type StartOptions,
} from './hostControl';

export interface LocalOptions {
  host?: StartOptions;
  /** The running host to use (the extension's supervised one); default: started on demand with `host`. */
  client?: () => Promise<HostClient>;
  /** How long to wait for the model to load. */
  timeoutMs?: number;
  progress?: ProgressReporter;
  cancel?: CancellationSignal;
}

async function host(store: WorkspaceStore, options: LocalOptions): Promise<HostClient> {
  if (options.client) return options.client();
  return (await startHost(store.home, options.host)).client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the host runs `name` of `workspace`, reporting progress; a cancel wins until it runs. */
async function waitRunning(
  client: HostClient,
  name: string,
  workspace: string,
  options: LocalOptions,
  cancelled: string,
): Promise<LiveService> {
  const progress = options.progress ?? silentProgress;
  const cancel = options.cancel ?? neverCancelled;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let reported = false; ; await sleep(150)) {
    if (cancel.isCancellationRequested) throw new AccelError('Cancelled', cancelled);
    const live = (await client.status()).services.find((s) => s.name === name);
    if (live && !reported) {
      reported = true;
      progress.report({ message: `${name} is loading its model on port ${live.port}` });
    }
    if (cancel.isCancellationRequested) throw new AccelError('Cancelled', cancelled);
    // The checks of waitForService (another workspace's service of that name, failures, the deadline), once.
    if (!live || live.state !== 'Loading' || Date.now() > deadline)
      return waitForService(client, name, Math.max(0, deadline - Date.now()), workspace);
  }
}

export async function deployLocalService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  imageRef: string,
  deploy: DeployOptions = {},
  options: LocalOptions = {},
): Promise<{ service: Service; live: LiveService }> {
  const progress = options.progress ?? silentProgress;
  progress.report({ message: 'starting the emulator' });
  const client = await host(store, options);
  const cancelled = `Deployment of ${name} cancelled; the service was removed.`;
  if (options.cancel?.isCancellationRequested) throw new AccelError('Cancelled', cancelled);
  progress.report({ message: `recording service ${name}` });
  const service = await deployService(store, workspace, name, imageRef, {
    ...deploy,
    deviceCount: deploy.deviceCount ?? client.info.devices,
  });
  try {
    progress.report({ message: `loading ${service.imageId} on ${service.replicas} device(s)` });
    await client.reconcile();
    return { service, live: await waitRunning(client, name, workspace, options, cancelled) };
  } catch (e) {
    // Undo: the record goes, and the host stops the half-loaded service (its port is released) before this returns.
    await deleteService(store, workspace, name).catch(() => restoreService(store, workspace, name, undefined));
    await client.reconcile().catch(() => undefined);
    throw e;
  }
}

export interface LocalUpdate extends UpdateOptions {
  /** Enable, rotate ('self-signed' or PEM files again) or drop ('none') TLS. */
  tls?: TlsOption;
}

export async function updateLocalService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  update: LocalUpdate,
  options: LocalOptions = {},
): Promise<{ service: Service; live: LiveService }> {
  const { tls, ...rest } = update;
  // Generate or check the certificate before anything changes (a 2048-bit key takes a while).
  const pems = tls === undefined ? undefined : await tlsPems(tls);
  const client = await host(store, options);
  const coreGiven = (['imageRef', 'replicas', 'authEnabled', 'description'] as const).some(
    (k) => rest[k] !== undefined,
  );
  let before = structuredClone(await getService(store, workspace, name));
  let after = before;
  if (coreGiven || tls === undefined)
    ({ before, after } = await updateService(store, workspace, name, {
      ...rest,
      deviceCount: rest.deviceCount ?? client.info.devices,
    }));
  try {
    if (tls !== undefined)
      after = await store.update(workspace, async (state) => {
        const service = findService(state, name);
        service.tls = pems && (await storeTls(store, workspace, pems));
        if (!service.tls) delete service.tls;
        service.updatedTime = new Date().toISOString();
        return structuredClone(service);
      });
    (options.progress ?? silentProgress).report({ message: `restarting ${name} with the change` });
    await client.reconcile();
    const live = await waitRunning(client, name, workspace, options, `Update of ${name} cancelled; it was put back.`);
    const dropped = before.tls && before.tls.certBlob !== after.tls?.certBlob ? before.tls : undefined;
    if (dropped) await store.releaseBlobs?.(workspace, [dropped.certBlob, dropped.keyBlob]);
    return { service: after, live };
  } catch (e) {
    await restoreService(store, workspace, name, before);
    await client.reconcile().catch(() => undefined);
    throw e;
  }
}

export interface RegeneratedKeys extends ServiceKeysPlain {
  /**
   * 'applied': the running service accepts exactly the stored keys now (the new one, not the old one);
   * 'host-not-running' / 'service-not-running': only the store changed, which is what a start will use.
   */
  effect: 'applied' | 'host-not-running' | 'service-not-running';
}

/** Lines of the host's last reconcile that explain why it did not apply the store. */
function reconcileErrors(status: HostStatus): string {
  const errors = status.lastReconcile?.errors ?? [];
  return errors.length ? ` The emulator reports: ${errors.join(' | ')}` : '';
}

/**
 * Replaces a key. When the host runs the service, returns only once the host reports that the running endpoint
 * accepts the new key and no longer the old one; otherwise says that only the store changed.
 */
export async function regenerateLocalKey(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  which: KeyName,
): Promise<RegeneratedKeys> {
  const keys = await regenerateKey(store, workspace, name, which);
  const client = await findHost(store.home);
  if (!client) return { ...keys, effect: 'host-not-running' };
  const notApplied = (why: string) =>
    new AccelError(
      'Unavailable',
      `The new ${which} key of service "${name}" is saved, but the running service still accepts the old one: ${why} Retry \`accel service regen-key ${name} ${which}\`; if it fails again, check \`accel emulator status\` and \`accel emulator logs\`, or restart the emulator (accel emulator stop, then accel emulator start).`,
    );
  let status: HostStatus;
  try {
    status = await client.reconcile();
  } catch (e) {
    throw notApplied(`the emulator host could not reconcile (${(e as Error).message}).`);
  }
  const live = status.services.find((s) => s.name === name && s.workspace === workspace);
  if (!live?.keyIds) {
    const other = status.services.find((s) => s.name === name && s.workspace !== workspace);
    if (other)
      throw notApplied(
        `the emulator runs a service of that name from workspace "${other.workspace}" instead.${reconcileErrors(status)}`,
      );
    return { ...keys, effect: 'service-not-running' };
  }
  const stored = (await getService(store, workspace, name)).keys;
  const want = stored ? [keyId(stored.primaryHash), keyId(stored.secondaryHash)] : [];
  if (JSON.stringify(live.keyIds) !== JSON.stringify(want))
    throw notApplied(`the emulator has not applied the change.${reconcileErrors(status)}`);
  return { ...keys, effect: 'applied' };
}

/** Deletes a service; a running host has stopped it before this returns. */
export async function deleteLocalService(store: WorkspaceStore, workspace: string, name: string): Promise<Service> {
  const service = await deleteService(store, workspace, name);
  const client = await findHost(store.home);
  if (!client) return service;
  const status = await client.reconcile();
  if (status.services.some((s) => s.name === name && s.workspace === workspace)) {
    throw new AccelError(
      'Unavailable',
      `Service "${name}" is deleted from the store, but the emulator still runs it.${reconcileErrors(status)} Check \`accel emulator status\` and \`accel emulator logs\`, or restart the emulator (accel emulator stop, then accel emulator start).`,
    );
  }
  return service;
}

/** The live state of a service, or undefined when no host runs (its desired state is then not served). */
export async function liveService(store: WorkspaceStore, name: string): Promise<LiveService | undefined> {
  const client = await findHost(store.home);
  if (!client) return undefined;
  return (await client.status()).services.find((s) => s.name === name);
}
