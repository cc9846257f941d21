// Service operations against the local emulator: write the desired state (src/core/services.ts), start the
// home's host on demand, make it reconcile, and wait for the outcome. A deploy or update the emulator cannot
// run is rolled back, so the store never keeps a service that does not work. Used by the CLI and the extension.
import type { WorkspaceStore } from '../core/ports';
import {
  deleteService, deployService, regenerateKey, restoreService, updateService,
  type DeployOptions, type KeyName, type ServiceKeysPlain, type UpdateOptions,
} from '../core/services';
import type { Service } from '../core/types';
import { findHost, startHost, waitForService, type HostClient, type LiveService, type StartOptions } from './hostControl';

export interface LocalOptions {
  host?: StartOptions;
  /** How long to wait for the model to load. */
  timeoutMs?: number;
}

async function host(store: WorkspaceStore, options: LocalOptions): Promise<HostClient> {
  return (await startHost(store.home, options.host)).client;
}

export async function deployLocalService(
  store: WorkspaceStore, workspace: string, name: string, imageRef: string, deploy: DeployOptions = {}, options: LocalOptions = {},
): Promise<{ service: Service; live: LiveService }> {
  const client = await host(store, options);
  const service = await deployService(store, workspace, name, imageRef, { ...deploy, deviceCount: deploy.deviceCount ?? client.info.devices });
  try {
    await client.reconcile();
    return { service, live: await waitForService(client, name, options.timeoutMs) };
  } catch (e) {
    await restoreService(store, workspace, name, undefined);
    await client.reconcile().catch(() => undefined);
    throw e;
  }
}

export async function updateLocalService(
  store: WorkspaceStore, workspace: string, name: string, update: UpdateOptions, options: LocalOptions = {},
): Promise<{ service: Service; live: LiveService }> {
  const client = await host(store, options);
  const { before, after } = await updateService(store, workspace, name, { ...update, deviceCount: update.deviceCount ?? client.info.devices });
  try {
    await client.reconcile();
    return { service: after, live: await waitForService(client, name, options.timeoutMs) };
  } catch (e) {
    await restoreService(store, workspace, name, before);
    await client.reconcile().catch(() => undefined);
    throw e;
  }
}

/** Replaces a key; a running host switches to it before this returns (the old key stops working at once). */
export async function regenerateLocalKey(store: WorkspaceStore, workspace: string, name: string, which: KeyName): Promise<ServiceKeysPlain> {
  const keys = await regenerateKey(store, workspace, name, which);
  await (await findHost(store.home))?.reconcile();
  return keys;
}

export async function deleteLocalService(store: WorkspaceStore, workspace: string, name: string): Promise<Service> {
  const service = await deleteService(store, workspace, name);
  await (await findHost(store.home))?.reconcile();
  return service;
}

/** The live state of a service, or undefined when no host runs (its desired state is then not served). */
export async function liveService(store: WorkspaceStore, name: string): Promise<LiveService | undefined> {
  const client = await findHost(store.home);
  if (!client) return undefined;
  return (await client.status()).services.find((s) => s.name === name);
}
