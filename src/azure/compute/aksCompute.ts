// AKS computes, as the original service's AksCompute had them: provision a managed cluster (quota checked first,
// then the ARM long-running PUT with its provisioning state reported as it changes), show it (refreshed from ARM),
// delete it (refused while services use it; the ARM DELETE awaited), attach a cluster made elsewhere (by resource id
// or kubeconfig context) and detach it. The store's Compute record is what `service deploy --compute` reads.
import * as path from 'node:path';
import { ContainerServiceClient, type ManagedCluster } from '@azure/arm-containerservice';
import { describe, directDependents } from '../../core/dependencies';
import { AccelError } from '../../domain/errors';
import { validateName } from '../../domain/names';
import type { WorkspaceStore } from '../../domain/ports';
import type { AksCompute, Compute } from '../../domain/types';
import { aksUserKubeconfig, type AksClusterRef } from '../aks';
import { clientOptions, type ArmContext } from '../armContext';
import { toAzureError } from '../azureErrors';
import { connectCluster } from '../kubernetes/cluster';
import { acceleratorForVmSize, type AcceleratorFacts } from './acceleratorScheduling';
import { checkComputeQuota } from './computeQuota';

export interface ComputeDeps {
  arm: ArmContext;
  /** One line per change worth telling (quota checked, provisioning state changed, ...). */
  progress?: (line: string) => void;
  /** Stops waiting (Ctrl-C); ARM cannot cancel a cluster operation, so the record says where it was left. */
  signal?: AbortSignal;
}

export interface CreateComputeOptions {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  vmSize: string;
  agentCount: number;
  location: string;
  /** Device-plugin resource name when the cluster's plugin does not use the usual one. */
  acceleratorResource?: string;
}

export type AttachComputeOptions =
  | { name: string; clusterId: string; acceleratorResource?: string }
  | { name: string; kubeContext: string; kubeconfig?: string; vmSize?: string; acceleratorResource?: string };

/** A cluster takes minutes to create or delete: poll every 10 s unless the context says otherwise. */
const DEFAULT_POLL_MS = 10_000;
const MAX_AGENT_COUNT = 100;

// ---- input checks: every value ends up in an ARM URL or a kubeconfig lookup ------------------------------

export function validateVmSize(vmSize: string): string {
  if (typeof vmSize !== 'string' || !/^Standard_[A-Za-z0-9]+(_[A-Za-z0-9]+)*$/.test(vmSize) || vmSize.length > 64)
    throw new AccelError(
      'InvalidArgument',
      `${JSON.stringify(vmSize)} is not a VM size. Give an Azure size such as Standard_PB6s (FPGA), Standard_NC6s_v3 (GPU) or Standard_D4s_v3.`,
    );
  return vmSize;
}

export function validateAgentCount(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_AGENT_COUNT)
    throw new AccelError(
      'InvalidArgument',
      `--agent-count must be a whole number from 1 to ${MAX_AGENT_COUNT} (one model per accelerator node; got ${value}).`,
    );
  return value;
}

export function normalizeLocation(location: string): string {
  const region = typeof location === 'string' ? location.toLowerCase().replace(/\s+/g, '') : '';
  if (!/^[a-z][a-z0-9]{1,39}$/.test(region))
    throw new AccelError(
      'InvalidArgument',
      `${JSON.stringify(location)} is not an Azure region. Give one such as eastus, westeurope or westus2 (\`az account list-locations -o table\`).`,
    );
  return region;
}

export function validateResourceGroup(rg: string): string {
  if (typeof rg !== 'string' || !/^[-\w.()]{1,90}$/.test(rg) || rg.endsWith('.'))
    throw new AccelError(
      'InvalidArgument',
      `${JSON.stringify(rg)} is not a resource group name. Use 1-90 letters, digits, "-", "_", ".", "(" or ")", not ending in "." (e.g. rg-vision).`,
    );
  return rg;
}

const CLUSTER_ID =
  /^\/subscriptions\/([0-9a-fA-F-]{1,64}|[\w-]{1,64})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.ContainerService\/managedClusters\/([A-Za-z0-9][\w-]{0,62})$/i;

export function parseClusterId(id: string): AksClusterRef {
  const m = typeof id === 'string' ? CLUSTER_ID.exec(id.trim()) : null;
  if (!m || m[2].endsWith('.'))
    throw new AccelError(
      'InvalidArgument',
      `${JSON.stringify(id)} is not an AKS cluster resource id. Give /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name> (\`az aks show -g <rg> -n <name> --query id -o tsv\`).`,
    );
  return { subscriptionId: m[1], resourceGroup: m[2], name: m[3] };
}

function validateContextName(context: string): string {
  const control = (ch: string) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f;
  if (typeof context !== 'string' || context.length === 0 || context.length > 253 || [...context].some(control))
    throw new AccelError(
      'InvalidArgument',
      `--kube-context must be a kubeconfig context name (\`kubectl config get-contexts\`).`,
    );
  return context;
}

function validateResourceName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (
    !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(
      name,
    )
  )
    throw new AccelError(
      'InvalidArgument',
      `${JSON.stringify(name)} is not an extended resource name. Give <domain>/<name> as the device plugin advertises it (e.g. nvidia.com/gpu; see \`kubectl describe node\` under Capacity).`,
    );
  return name;
}

// ---- store helpers ------------------------------------------------------------------------------------------

function noSuchCompute(workspace: string, name: string): AccelError {
  return new AccelError(
    'NotFound',
    `There is no compute ${name} in workspace ${workspace}. List them with \`accel compute list\`; create one with \`accel compute create ${name} --vm-size Standard_PB6s --agent-count 1 --location eastus --resource-group <rg>\`.`,
  );
}

export async function getCompute(store: WorkspaceStore, workspace: string, name: string): Promise<Compute> {
  validateName('compute', name);
  const compute = (await store.read(workspace)).computes.find((c) => c.name === name);
  if (!compute) throw noSuchCompute(workspace, name);
  return compute;
}

export async function listComputes(store: WorkspaceStore, workspace: string): Promise<Compute[]> {
  return [...(await store.read(workspace)).computes].sort((a, b) => a.name.localeCompare(b.name));
}

/** Adds `compute` unless the name is taken (checked under the workspace lock). */
async function addRecord(store: WorkspaceStore, workspace: string, compute: Compute): Promise<void> {
  await store.update(workspace, (s) => {
    if (s.computes.some((c) => c.name === compute.name))
      throw new AccelError(
        'AlreadyExists',
        `Compute ${compute.name} already exists in workspace ${workspace}. Pick another name, or see it with \`accel compute show ${compute.name}\`.`,
      );
    s.computes.push(compute);
  });
}

async function patchAks(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  patch: Partial<AksCompute>,
): Promise<Compute> {
  return store.update(workspace, (s) => {
    const c = s.computes.find((x) => x.name === name);
    if (!c?.aks) throw noSuchCompute(workspace, name);
    c.aks = { ...c.aks, ...patch };
    return structuredClone(c);
  });
}

async function removeRecord(store: WorkspaceStore, workspace: string, name: string): Promise<void> {
  await store.update(workspace, (s) => {
    s.computes = s.computes.filter((c) => c.name !== name);
  });
}

/** Refuses while services name the compute; the message names them and the commands that delete them. */
export async function refuseWhileUsed(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  verb: string,
): Promise<void> {
  validateName('compute', name);
  const state = await store.read(workspace);
  if (!state.computes.some((c) => c.name === name)) throw noSuchCompute(workspace, name);
  // A service names its compute in `computeName` (the dependency rules) or in its Kubernetes placement.
  const users = directDependents(state, { kind: 'compute', id: name });
  for (const s of state.services) {
    const placement = s.kubernetes as { compute?: unknown } | undefined;
    if (placement?.compute === name && !users.some((u) => u.id === s.name))
      users.push(describe(state, { kind: 'service', id: s.name }));
  }
  if (users.length)
    throw new AccelError(
      'HasDependents',
      `Cannot ${verb} compute ${name}: ${users.length === 1 ? 'service' : 'services'} ${users.map((u) => u.id).join(', ')} ${users.length === 1 ? 'runs' : 'run'} on it. Delete ${users.length === 1 ? 'it' : 'them'} first (${users.map((u) => `\`${u.deleteCommand}\``).join(', ')}), then retry.`,
      { dependents: users },
    );
}

function withAcceleratorOverride(
  facts: AcceleratorFacts | undefined,
  resource: string | undefined,
  vmSize: string | undefined,
): AcceleratorFacts | undefined {
  if (!resource) return facts;
  if (!facts)
    throw new AccelError(
      'InvalidArgument',
      `--accelerator-resource applies to accelerator VM sizes only (FPGA PB/NP, GPU NC/ND/NV); ${vmSize ? `${vmSize} has none` : "give the cluster's --vm-size too"}.`,
    );
  return { ...facts, resourceName: resource };
}

// ---- ARM ---------------------------------------------------------------------------------------------------

function aksClient(ctx: ArmContext, subscriptionId: string): ContainerServiceClient {
  return new ContainerServiceClient(ctx.credential, subscriptionId, clientOptions(ctx));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return !!signal?.aborted || (e as Error)?.name === 'AbortError';
}

/** core-lro reports a failed operation as "The long-running operation has failed. <code>. <message>". */
function lroFailure(e: unknown): { code: string; message: string } | undefined {
  const m = /^The long-running operation has failed(?:\. ([^.]+)\. ([\s\S]*))?$/.exec((e as Error)?.message ?? '');
  if (!m) return undefined;
  return { code: m[1] ?? 'Failed', message: (m[2] ?? 'no error detail was returned').trim().replace(/\.+$/, '') };
}

/** The pool the compute describes: the first accelerator pool, else the system pool, else the first. */
function mainPool(cluster: ManagedCluster) {
  const pools = cluster.agentPoolProfiles ?? [];
  return (
    pools.find((p) => p.vmSize && acceleratorForVmSize(p.vmSize)) ?? pools.find((p) => p.mode === 'System') ?? pools[0]
  );
}

/** Drives an ARM long-running operation: polls it, reports the cluster's provisioning state whenever it changes. */
async function waitForOperation(
  poller: { isDone: boolean; submitted(): Promise<void>; poll(o?: { abortSignal?: AbortSignal }): Promise<unknown> },
  readState: () => Promise<string | undefined>,
  deps: ComputeDeps,
  label: string,
): Promise<void> {
  await poller.submitted();
  const started = Date.now();
  let last = '';
  const report = async () => {
    const state = await readState().catch(() => undefined);
    if (state && state !== last) {
      last = state;
      deps.progress?.(`${label}: provisioning state ${state} (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  };
  await report();
  while (!poller.isDone) {
    await sleep(deps.arm.pollIntervalMs ?? DEFAULT_POLL_MS, deps.signal);
    await poller.poll({ abortSignal: deps.signal });
    if (!poller.isDone) await report();
  }
}

/** A PUT on an existing cluster would reconfigure it: `compute create` only makes new ones (attach adopts). */
async function refuseExistingCluster(
  client: ContainerServiceClient,
  subscriptionId: string,
  resourceGroup: string,
  name: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await client.managedClusters.get(resourceGroup, name, { abortSignal: signal });
  } catch (e) {
    const err = toAzureError(e, `look for AKS cluster ${name} in ${resourceGroup}`);
    if (err.code === 'NotFound') return;
    throw err;
  }
  throw new AccelError(
    'AlreadyExists',
    `An AKS cluster named ${name} already exists in resource group ${resourceGroup}; compute create makes new clusters only. Use it with \`accel compute attach ${name} --cluster /subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}\`, or pick another name.`,
  );
}

/** `accel compute create`: quota first, then the managed cluster's PUT, awaited with its provisioning state. */
export async function createAksCompute(
  store: WorkspaceStore,
  workspace: string,
  opts: CreateComputeOptions,
  deps: ComputeDeps,
): Promise<Compute> {
  const name = validateName('compute', opts.name);
  const vmSize = validateVmSize(opts.vmSize);
  const agentCount = validateAgentCount(opts.agentCount);
  const location = normalizeLocation(opts.location);
  const resourceGroup = validateResourceGroup(opts.resourceGroup);
  const acceleratorResource = validateResourceName(opts.acceleratorResource);
  if ((await store.read(workspace)).computes.some((c) => c.name === name))
    throw new AccelError(
      'AlreadyExists',
      `Compute ${name} already exists in workspace ${workspace}. Pick another name, or see it with \`accel compute show ${name}\`.`,
    );

  const client = aksClient(deps.arm, opts.subscriptionId);
  await refuseExistingCluster(client, opts.subscriptionId, resourceGroup, name, deps.signal);
  const fit = await checkComputeQuota(deps.arm, opts.subscriptionId, location, vmSize, agentCount);
  deps.progress?.(
    `Quota: ${agentCount} × ${fit.vmSize} needs ${fit.needed} vCPUs; ${fit.familyFree} free in ${fit.family}${fit.regionalFree !== undefined ? `, ${fit.regionalFree} free in the region` : ''}.`,
  );
  const accelerator = withAcceleratorOverride(
    acceleratorForVmSize(fit.vmSize, fit.gpusPerVm),
    acceleratorResource,
    vmSize,
  );
  const resourceId = `/subscriptions/${opts.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  const record: Compute = {
    name,
    kind: 'aks',
    createdTime: new Date().toISOString(),
    properties: {},
    aks: {
      origin: 'created',
      resourceId,
      subscriptionId: opts.subscriptionId,
      resourceGroup,
      clusterName: name,
      vmSize: fit.vmSize,
      agentCount,
      location,
      provisioningState: 'Creating',
      ...(accelerator ? { accelerator } : {}),
    },
  };
  // Recorded before the PUT: the name is taken while the cluster provisions, and a stop (Ctrl-C) leaves a record
  // that `compute show` refreshes and `compute delete` removes.
  await addRecord(store, workspace, record);

  const doing = `create AKS cluster ${name} in ${resourceGroup}`;
  const cluster: ManagedCluster = {
    location,
    identity: { type: 'SystemAssigned' },
    dnsPrefix: `${name}-${resourceGroup.replace(/[^A-Za-z0-9-]/g, '')}`.slice(0, 54).replace(/-+$/, ''),
    enableRbac: true,
    agentPoolProfiles: [
      {
        name: 'agentpool',
        mode: 'System',
        count: agentCount,
        vmSize: fit.vmSize,
        osType: 'Linux',
        type: 'VirtualMachineScaleSets',
      },
    ],
    tags: { 'accelerated-models-workspace': workspace, 'accelerated-models-compute': name },
  };
  let submitted = false;
  try {
    deps.progress?.(
      `Creating AKS cluster ${name} (${agentCount} × ${fit.vmSize}) in ${location}; this can take 15 minutes.`,
    );
    // If-None-Match: * makes ARM refuse (412) rather than reconfigure a cluster someone made meanwhile.
    const poller = client.managedClusters.createOrUpdate(resourceGroup, name, cluster, {
      abortSignal: deps.signal,
      ifNoneMatch: '*',
    });
    await poller.submitted();
    submitted = true;
    await waitForOperation(
      poller,
      async () =>
        (await client.managedClusters.get(resourceGroup, name, { abortSignal: deps.signal })).provisioningState,
      deps,
      name,
    );
    const done = poller.result;
    const pool = done ? mainPool(done) : undefined;
    return await patchAks(store, workspace, name, {
      provisioningState: done?.provisioningState ?? 'Succeeded',
      ...(pool?.count ? { agentCount: pool.count } : {}),
    });
  } catch (e) {
    if (isAbort(e, deps.signal)) {
      if (!submitted) await removeRecord(store, workspace, name);
      throw new AccelError(
        'Cancelled',
        submitted
          ? `Stopped waiting for AKS cluster ${name}; Azure keeps provisioning it (ARM cannot cancel a cluster create). \`accel compute show ${name}\` reads its state; \`accel compute delete ${name}\` removes it.`
          : `Cancelled before Azure accepted the request for AKS cluster ${name}; nothing was recorded. If \`az aks show -g ${resourceGroup} -n ${name}\` finds it, delete it there.`,
      );
    }
    await removeRecord(store, workspace, name);
    if ((e as { statusCode?: number }).statusCode === 412)
      throw new AccelError(
        'AlreadyExists',
        `An AKS cluster named ${name} appeared in resource group ${resourceGroup} while this create started, so it was left unchanged. Attach it with \`accel compute attach\`, or pick another name.`,
      );
    const failed = lroFailure(e);
    if (failed)
      throw new AccelError(
        /quota/i.test(failed.code) ? 'QuotaExceeded' : 'Internal',
        `Provisioning AKS cluster ${name} failed: ${failed.code}: ${failed.message}. Nothing was recorded; Azure may keep the failed cluster resource (\`az aks delete -g ${resourceGroup} -n ${name}\` removes it). Fix the cause and run \`accel compute create\` again.`,
        { provisioningState: 'Failed', provisioningErrors: [`${failed.code}: ${failed.message}`] },
      );
    throw toAzureError(e, doing);
  }
}

/** `accel compute show`: the record, with the cluster's state refreshed from ARM when it has a resource id. */
export async function showAksCompute(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: ComputeDeps,
): Promise<Compute> {
  const compute = await getCompute(store, workspace, name);
  const aks = compute.aks;
  if (!aks?.resourceId || !aks.subscriptionId || !aks.resourceGroup || !aks.clusterName) return compute;
  let cluster: ManagedCluster;
  try {
    cluster = await aksClient(deps.arm, aks.subscriptionId).managedClusters.get(aks.resourceGroup, aks.clusterName, {
      abortSignal: deps.signal,
    });
  } catch (e) {
    const err = toAzureError(e, `read AKS cluster ${aks.clusterName}`);
    if (err.code !== 'NotFound') throw err;
    return patchAks(store, workspace, name, { provisioningState: 'NotFound' });
  }
  const pool = mainPool(cluster);
  return patchAks(store, workspace, name, {
    provisioningState: cluster.provisioningState ?? aks.provisioningState,
    ...(pool?.count !== undefined ? { agentCount: pool.count } : {}),
    ...(pool?.vmSize ? { vmSize: pool.vmSize } : {}),
  });
}

/** `accel compute delete`: refused while services use it; a created cluster is deleted in Azure (awaited). */
export async function deleteAksCompute(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: ComputeDeps,
): Promise<{ deletedInAzure: boolean }> {
  await refuseWhileUsed(store, workspace, name, 'delete');
  const compute = await getCompute(store, workspace, name);
  const aks = compute.aks;
  if (!aks || aks.origin !== 'created' || !aks.subscriptionId || !aks.resourceGroup || !aks.clusterName) {
    throw new AccelError(
      'InvalidArgument',
      `Compute ${name} was attached, not created by Accelerated Models, so its cluster is not deleted from here. \`accel compute detach ${name}\` forgets it; delete the cluster itself with \`az aks delete\` if you mean to.`,
    );
  }
  const { subscriptionId, resourceGroup, clusterName } = aks;
  const client = aksClient(deps.arm, subscriptionId);
  await patchAks(store, workspace, name, { provisioningState: 'Deleting' });
  try {
    deps.progress?.(`Deleting AKS cluster ${clusterName} in ${resourceGroup} ...`);
    const poller = client.managedClusters.delete(resourceGroup, clusterName, { abortSignal: deps.signal });
    await waitForOperation(
      poller,
      async () =>
        (await client.managedClusters.get(resourceGroup, clusterName, { abortSignal: deps.signal })).provisioningState,
      deps,
      clusterName,
    );
  } catch (e) {
    if (isAbort(e, deps.signal))
      throw new AccelError(
        'Cancelled',
        `Stopped waiting; Azure keeps deleting AKS cluster ${clusterName}. \`accel compute delete ${name}\` again waits for it and removes the record.`,
      );
    const err = toAzureError(e, `delete AKS cluster ${clusterName}`);
    if (err.code !== 'NotFound') {
      await patchAks(store, workspace, name, { provisioningState: aks.provisioningState });
      const failed = lroFailure(e);
      if (failed)
        throw new AccelError(
          'Internal',
          `Deleting AKS cluster ${clusterName} failed: ${failed.code}: ${failed.message}. The record is kept; retry \`accel compute delete ${name}\`.`,
        );
      throw err;
    }
  }
  await removeRecord(store, workspace, name);
  return { deletedInAzure: true };
}

/** `accel compute attach`: records a cluster made elsewhere, after checking it can be reached. */
export async function attachAksCompute(
  store: WorkspaceStore,
  workspace: string,
  opts: AttachComputeOptions,
  deps: ComputeDeps,
): Promise<Compute> {
  const name = validateName('compute', opts.name);
  const acceleratorResource = validateResourceName(opts.acceleratorResource);
  let aks: AksCompute;
  if ('clusterId' in opts) {
    const ref = parseClusterId(opts.clusterId);
    const client = aksClient(deps.arm, ref.subscriptionId);
    let cluster: ManagedCluster;
    try {
      cluster = await client.managedClusters.get(ref.resourceGroup, ref.name, { abortSignal: deps.signal });
    } catch (e) {
      throw toAzureError(e, `read AKS cluster ${ref.name} in ${ref.resourceGroup}`);
    }
    // The deploy fetches the user kubeconfig this way; fail now rather than at the first deploy.
    await aksUserKubeconfig(deps.arm, ref);
    const pool = mainPool(cluster);
    const accelerator = withAcceleratorOverride(
      pool?.vmSize ? acceleratorForVmSize(pool.vmSize) : undefined,
      acceleratorResource,
      pool?.vmSize,
    );
    aks = {
      origin: 'attached',
      resourceId: `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${ref.name}`,
      subscriptionId: ref.subscriptionId,
      resourceGroup: ref.resourceGroup,
      clusterName: ref.name,
      vmSize: pool?.vmSize,
      agentCount: pool?.count,
      location: cluster.location,
      provisioningState: cluster.provisioningState ?? 'Unknown',
      ...(accelerator ? { accelerator } : {}),
    };
  } else {
    const context = validateContextName(opts.kubeContext);
    const vmSize = opts.vmSize === undefined ? undefined : validateVmSize(opts.vmSize);
    const cluster = connectCluster({ context, kubeconfigPath: opts.kubeconfig });
    const accelerator = withAcceleratorOverride(
      vmSize ? acceleratorForVmSize(vmSize) : undefined,
      acceleratorResource,
      vmSize,
    );
    aks = {
      origin: 'attached',
      kubeContext: cluster.context,
      // Absolute: later commands run from other directories.
      ...(opts.kubeconfig ? { kubeconfig: path.resolve(opts.kubeconfig) } : {}),
      ...(vmSize ? { vmSize } : {}),
      provisioningState: 'Attached',
      ...(accelerator ? { accelerator } : {}),
    };
  }
  const record: Compute = { name, kind: 'aks', createdTime: new Date().toISOString(), properties: {}, aks };
  await addRecord(store, workspace, record);
  return record;
}

/** `accel compute detach`: forgets the compute (no Azure call); refused while services use it. */
export async function detachCompute(store: WorkspaceStore, workspace: string, name: string): Promise<void> {
  await refuseWhileUsed(store, workspace, name, 'detach');
  await removeRecord(store, workspace, name);
}

/** Where a service on `compute` is deployed: the AKS cluster through ARM, or a kubeconfig context. */
export function computePlacement(compute: Compute): { aks?: AksClusterRef; context?: string; kubeconfigPath?: string } {
  const aks = compute.aks;
  if (aks && /^(creating|deleting|failed|canceled|notfound)$/i.test(aks.provisioningState))
    throw new AccelError(
      'Busy',
      `Compute ${compute.name} is ${aks.provisioningState}, not ready for services. \`accel compute show ${compute.name}\` reads its state from Azure; deploy once it says Succeeded${/failed|notfound/i.test(aks.provisioningState) ? ', or delete it and create it again' : ''}.`,
    );
  if (aks?.subscriptionId && aks.resourceGroup && aks.clusterName)
    return { aks: { subscriptionId: aks.subscriptionId, resourceGroup: aks.resourceGroup, name: aks.clusterName } };
  if (aks?.kubeContext) return { context: aks.kubeContext, kubeconfigPath: aks.kubeconfig };
  throw new AccelError(
    'InvalidArgument',
    `Compute ${compute.name} is not a Kubernetes cluster. Use an AKS compute (\`accel compute list\`).`,
  );
}
