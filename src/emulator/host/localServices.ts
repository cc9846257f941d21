// Service operations against the local emulator: write the desired state (src/core/services.ts), start the
// home's host on demand, make it reconcile, and wait for the outcome. A deploy or update the emulator cannot
// run is rolled back, so the store never keeps a service that does not work. Used by the CLI and the extension.
import type { WorkspaceStore } from '../../domain/ports';
import {
  deleteService,
  deployService,
  getService,
  regenerateKey,
  restoreService,
  updateService,
  type DeployOptions,
  type KeyName,
  type ServiceKeysPlain,
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
  /** How long to wait for the model to load. */
  timeoutMs?: number;
}

async function host(store: WorkspaceStore, options: LocalOptions): Promise<HostClient> {
  return (await startHost(store.home, options.host)).client;
}

export async function deployLocalService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  imageRef: string,
  deploy: DeployOptions = {},
  options: LocalOptions = {},
): Promise<{ service: Service; live: LiveService }> {
  const client = await host(store, options);
  const service = await deployService(store, workspace, name, imageRef, {
    ...deploy,
    deviceCount: deploy.deviceCount ?? client.info.devices,
  });
  try {
    await client.reconcile();
    return { service, live: await waitForService(client, name, options.timeoutMs, workspace) };
  } catch (e) {
    await restoreService(store, workspace, name, undefined);
    await client.reconcile().catch(() => undefined);
    throw e;
  }
}

export async function updateLocalService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  update: UpdateOptions,
  options: LocalOptions = {},
): Promise<{ service: Service; live: LiveService }> {
  const client = await host(store, options);
  const { before, after } = await updateService(store, workspace, name, {
    ...update,
    deviceCount: update.deviceCount ?? client.info.devices,
  });
  try {
    await client.reconcile();
    return { service: after, live: await waitForService(client, name, options.timeoutMs, workspace) };
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
