// Services deployed to a Kubernetes cluster (AKS or any kubeconfig context): the same verbs as local
// services (deploy, show, keys, regen-key, update, logs, delete). The store keeps the desired state and the
// sealed keys; the cluster holds the objects built by kubernetes/manifests.ts. Deploys, updates and key
// rotations wait for the rollout (kubernetes/rollout.ts) and undo themselves when it fails: a new service leaves
// no object and no record behind; a changed one gets its previous objects back.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { findImage } from '../core/images';
import { exportImage } from '../container/exportImage';
import { hashKey, readTls, storeTls, tlsPems, type TlsOption } from '../core/services';
import {
  neverCancelled,
  silentProgress,
  type CancellationSignal,
  type ProgressReporter,
  type WorkspaceStore,
} from '../domain/ports';
import type { Compute, KubernetesPlacement, Service, WorkspaceState } from '../domain/types';
import { seal, unseal } from '../store/sealedSecrets';
import { buildInAcr, findRegistry } from './acr';
import { aksUserKubeconfig, type AksClusterRef } from './aks';
import { clientOptions, type ArmContext } from './armContext';
import { azureCall } from './azureErrors';
import { computePlacement } from './compute/aksCompute';
import { schedulingForCompute } from './compute/acceleratorScheduling';
import { issueSelfSigned } from '../core/certificates';
import { checkPemPair, validateServerName } from './kubernetes/certificates';
import {
  applyObjects,
  connectCluster,
  deleteObjects,
  listEvents,
  podLogs,
  readDeployment,
  readService,
  type Cluster,
  type PodLog,
} from './kubernetes/cluster';
import {
  buildManifests,
  dnsLabelName,
  ownedObjectRefs,
  resolveScaling,
  selectorFor,
  serviceManifest,
  validateDnsLabel,
  validateKubernetesName,
  validateNamespace,
  type Autoscale,
  type KubeObject,
  type PodScheduling,
} from './kubernetes/manifests';
import { DEFAULT_ROLLOUT_TIMEOUT_MS, observeRollout, pause, progressLine, waitForRollout } from './kubernetes/rollout';

/** How to reach Azure and the cluster; the CLI and VS Code each build one. */
export interface KubeDeps {
  /** Needed for --registry (ACR build) and for AKS clusters. */
  arm?: ArmContext;
  kubeconfigPath?: string;
  progress?: ProgressReporter;
  /** Stops a deploy or update while it waits; what it applied is undone. */
  cancel?: CancellationSignal;
  /** Poll interval of the rollout and load-balancer waits (default 2 s). */
  pollMs?: number;
}

/** TLS of a cluster service: PEM files or text, a self-signed certificate for its address or DNS name, or none. */
export type KubeTls = TlsOption | { certPem: string; keyPem: string };

export interface KubeDeployOptions {
  name: string;
  /** The store's image (`name[:version]`). */
  image: string;
  /** An already pushed image to run; otherwise `registry` builds one. */
  imageRef?: string;
  /** ACR name: build the exported image there with ACR Tasks. */
  registry?: string;
  context?: string;
  namespace?: string;
  aks?: AksClusterRef;
  replicas?: number;
  autoscale?: Partial<Autoscale> | boolean;
  authEnabled?: boolean;
  tls?: KubeTls;
  description?: string;
  /** Subscription for --registry when no AKS cluster names one. */
  subscriptionId?: string;
  /** Azure load balancer DNS label: the service answers at `<label>.<region>.cloudapp.azure.com`. */
  dnsLabel?: string;
  /** Region of the cluster for the DNS label's domain (default: the compute's or AKS cluster's location). */
  region?: string;
  /** The name clients verify when the certificate names a domain the address does not. */
  tlsServerName?: string;
  /** A Compute of the store: its cluster, region and accelerator scheduling. */
  compute?: string;
  /** Scheduling to use instead of the compute's (accelerator resources, node selector, tolerations). */
  scheduling?: PodScheduling;
  /** Serve keys over plain text anyway (refused by default: the load balancer is on the network). */
  allowPlaintext?: boolean;
  /** How long the rollout may take (default 10 minutes). */
  timeoutMs?: number;
}

export type KubeState = 'Ready' | 'Progressing' | 'Degraded' | 'Failed' | 'Missing';

export interface KubeServiceState {
  desiredReplicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  state: KubeState;
  /** What is happening or wrong, and what to do. */
  message?: string;
  /** Where clients connect: the load balancer's address (absent until it has one). */
  address?: { host: string; port: number; tls: boolean; serverName?: string };
  /** The events that explain a failure (quoted). */
  events: string[];
}

export interface KubeServiceView {
  name: string;
  target: 'kubernetes';
  context: string;
  namespace: string;
  imageId: string;
  imageRef: string;
  state: 'Running' | 'Deploying' | 'Missing';
  /** The rollout's state as read from the cluster, with its explanation. */
  readiness: KubeState;
  message?: string;
  events: string[];
  replicas: { desired: number; ready: number; available: number };
  autoscale?: Autoscale;
  authEnabled: boolean;
  tls: boolean;
  selfSigned?: boolean;
  port: number;
  scoringUri?: string;
  /** `<dnsLabel>.<region>.cloudapp.azure.com` when a DNS label is set. */
  dnsName?: string;
  tlsServerName?: string;
  compute?: string;
  /** Why there is no scoring URI yet. */
  pending?: string;
}

type KubeService = Service & { kubernetes: KubernetesPlacement };
type Pems = { certPem: string; keyPem: string };

const newKey = () => crypto.randomBytes(32).toString('base64url');

function findKubeService(state: WorkspaceState, name: string): KubeService {
  const svc = state.services.find((s) => s.name === name);
  if (!svc)
    throw new AccelError('NotFound', `No service "${name}" in this workspace. List them with \`accel service list\`.`);
  return asKube(svc);
}

function asKube(svc: Service): KubeService {
  if (svc.target !== 'kubernetes' || !svc.kubernetes) {
    throw new AccelError(
      'InvalidArgument',
      `Service "${svc.name}" runs on ${svc.target === 'container' ? 'a local container engine' : 'the local emulator'}, not on Kubernetes. Use the ${svc.target} service commands for it.`,
    );
  }
  return svc as KubeService;
}

async function openCluster(
  placement: { context?: string; aks?: AksClusterRef; kubeconfig?: string },
  deps: KubeDeps,
): Promise<Cluster> {
  if (placement.aks) {
    if (!deps.arm)
      throw new AccelError(
        'NotSignedIn',
        'This service runs on an AKS cluster reached through Azure: sign in to Azure first (`az login`, or "Sign in to Azure" in VS Code).',
      );
    const yaml = await aksUserKubeconfig(deps.arm, placement.aks);
    return connectCluster({ kubeconfigYaml: yaml, context: placement.context });
  }
  return connectCluster({ kubeconfigPath: deps.kubeconfigPath ?? placement.kubeconfig, context: placement.context });
}

async function readKeys(
  store: WorkspaceStore,
  svc: Service,
): Promise<{ primaryKey: string; secondaryKey: string } | undefined> {
  if (!svc.authEnabled || !svc.keys) return undefined;
  return {
    primaryKey: unseal(store.home, svc.keys.primarySealed),
    secondaryKey: unseal(store.home, svc.keys.secondarySealed),
  };
}

function sealKeys(store: WorkspaceStore, primaryKey: string, secondaryKey: string): Service['keys'] {
  return {
    primaryHash: hashKey(primaryKey),
    secondaryHash: hashKey(secondaryKey),
    primarySealed: seal(store.home, primaryKey),
    secondarySealed: seal(store.home, secondaryKey),
  };
}

function manifestsFor(
  svc: KubeService,
  keys: { primaryKey: string; secondaryKey: string } | undefined,
  tls: Pems | undefined,
  scheduling: PodScheduling | undefined,
): KubeObject[] {
  return buildManifests({
    name: svc.name,
    namespace: svc.kubernetes.namespace,
    image: svc.kubernetes.imageRef,
    imageId: svc.imageId,
    replicas: svc.kubernetes.autoscale ? undefined : svc.replicas,
    autoscale: svc.kubernetes.autoscale,
    auth: keys ? { enabled: true, ...keys } : { enabled: false },
    tls,
    dnsLabel: svc.kubernetes.dnsLabel,
    scheduling,
  });
}

/** Builds the image in ACR when asked, returning the reference the Deployment will run. */
async function resolveImageRef(
  store: WorkspaceStore,
  workspace: string,
  imageId: string,
  opts: Pick<KubeDeployOptions, 'imageRef' | 'registry' | 'aks' | 'subscriptionId'>,
  deps: KubeDeps,
): Promise<string> {
  if (opts.imageRef) return opts.imageRef;
  if (!opts.registry) {
    throw new AccelError(
      'InvalidArgument',
      'Say where the cluster pulls the image from: --registry <acr-name> builds it in Azure Container Registry (no local Docker needed), or --image-ref <registry/repository:tag> runs an image you already pushed (`accel image export` writes its build context).',
    );
  }
  if (!deps.arm)
    throw new AccelError(
      'NotSignedIn',
      'Building in Azure Container Registry needs an Azure sign-in (`az login`, or "Sign in to Azure" in VS Code).',
    );
  const subscriptionId = opts.aks?.subscriptionId ?? opts.subscriptionId ?? process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscriptionId)
    throw new AccelError(
      'InvalidArgument',
      'Which subscription holds the registry? Pass --subscription <id> or set AZURE_SUBSCRIPTION_ID.',
    );
  const registry = await findRegistry(deps.arm, subscriptionId, opts.registry);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-acr-'));
  try {
    const exported = await exportImage(store, workspace, imageId, path.join(tmp, 'context'));
    const [repository, tag] = imageId.split(':');
    const built = await buildInAcr(
      deps.arm,
      { registry, contextDir: exported.dir, repository, tag },
      deps.progress ?? silentProgress,
    );
    return built.image;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The refusal (and its warning) of bearer keys over plain text to a cluster load balancer. */
export function refusePlaintext(name: string, where: string): AccelError {
  return new AccelError(
    'InvalidArgument',
    `Refusing to serve "${name}" with auth on but without TLS on ${where}: a cluster load balancer is reachable from the network, so every bearer key a client sends would cross the network unencrypted and anyone on the path could read and reuse it. ` +
      'Serve TLS (--self-signed, or --ssl-cert <file> --ssl-key <file>; --dns-label <label> gives a name a real certificate can match), turn auth off (--no-auth) for a public model, or pass --allow-plaintext if the network is private and you accept the risk.',
  );
}

type TlsChoice = { kind: 'pems'; pems: Pems } | { kind: 'self-signed' } | undefined;

async function tlsChoice(tls: KubeTls | 'off' | undefined): Promise<TlsChoice> {
  if (tls === undefined || tls === 'none' || tls === 'off') return undefined;
  if (tls === 'self-signed') return { kind: 'self-signed' };
  if ('certPem' in tls) {
    checkPemPair(tls, 'given PEM text');
    return { kind: 'pems', pems: { certPem: tls.certPem, keyPem: tls.keyPem } };
  }
  const read = await tlsPems(tls);
  return { kind: 'pems', pems: { certPem: read!.certPem, keyPem: read!.keyPem } };
}

async function aksLocation(arm: ArmContext, ref: AksClusterRef): Promise<string | undefined> {
  const client = new ContainerServiceClient(arm.credential, ref.subscriptionId, clientOptions(arm));
  const mc = await azureCall(`read AKS cluster ${ref.name}`, () =>
    client.managedClusters.get(ref.resourceGroup, ref.name),
  );
  return mc.location;
}

/** The region giving a DNS label its domain: the option, the compute's location, or the AKS cluster's. */
async function resolveRegion(
  region: string | undefined,
  compute: Compute | undefined,
  aks: AksClusterRef | undefined,
  deps: KubeDeps,
): Promise<string> {
  const found = region ?? compute?.aks?.location ?? (aks && deps.arm ? await aksLocation(deps.arm, aks) : undefined);
  if (!found)
    throw new AccelError(
      'InvalidArgument',
      "--dns-label needs the cluster's Azure region to form <label>.<region>.cloudapp.azure.com: pass --location <region> (e.g. westus2), or deploy with --compute <name> or --aks-cluster so it is read from the cluster.",
    );
  if (!/^[a-z0-9]{2,40}$/i.test(found))
    throw new AccelError('InvalidArgument', `"${found}" is not an Azure region name. Give e.g. --location westus2.`);
  return found.toLowerCase();
}

function findCompute(state: WorkspaceState, name: string): Compute {
  const compute = state.computes.find((c) => c.name === name);
  if (!compute)
    throw new AccelError(
      'NotFound',
      `No compute "${name}" in this workspace. List them with \`accel compute list\`, or create one with \`accel compute create ${name} --vm-size <size> --agent-count <n> --location <region>\`.`,
    );
  return compute;
}

function schedulingOf(state: WorkspaceState, svc: KubeService, override?: PodScheduling): PodScheduling | undefined {
  if (override) return override;
  const name = svc.kubernetes.compute;
  return name ? schedulingForCompute(state.computes.find((c) => c.name === name)) : undefined;
}

function dnsNameOf(svc: KubeService): string | undefined {
  const k = svc.kubernetes;
  return k.dnsLabel && k.region ? dnsLabelName(k.dnsLabel, k.region) : undefined;
}

/** The Service's external address: ingress hostname or IP; the port from the ingress status when it reports one. */
async function serviceAddress(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<{ exists: boolean; host?: string; port?: number }> {
  const s = await readService(cluster, namespace, name);
  if (!s) return { exists: false };
  const ingress = s.status?.loadBalancer?.ingress?.[0];
  const host = ingress?.hostname ?? ingress?.ip;
  // LoadBalancerIngress.ports mirrors the Service ports on real clusters; a test cluster may point it elsewhere.
  const port = ingress?.ports?.[0]?.port ?? s.spec?.ports?.[0]?.port;
  return { exists: true, host, port };
}

/** Waits for the load balancer's external address (a self-signed certificate must name it). */
async function waitForAddress(
  cluster: Cluster,
  namespace: string,
  name: string,
  deps: KubeDeps,
  deadline: number,
  undone: string,
): Promise<string> {
  const cancel = deps.cancel ?? neverCancelled;
  (deps.progress ?? silentProgress).report({ message: `${name}: waiting for the load balancer's external address` });
  for (;;) {
    if (cancel.isCancellationRequested)
      throw new AccelError('Cancelled', `Deploying "${name}" was cancelled. ${undone}`);
    const addr = await serviceAddress(cluster, namespace, name);
    if (addr.host) return addr.host;
    if (Date.now() >= deadline) {
      const events = (await listEvents(cluster, namespace, { kind: 'Service', name }).catch(() => []))
        .slice(-5)
        .map((e) => `  ${e.type} ${e.reason}: ${e.message}`);
      throw new AccelError(
        'Unavailable',
        `The load balancer of "${name}" got no external address in time, so no certificate can name it.${events.length ? `\nService events:\n${events.join('\n')}` : ''}\n${undone} Retry with a longer --timeout, or give --dns-label <label> (the certificate then names <label>.<region>.cloudapp.azure.com and need not wait).`,
      );
    }
    await pause(Math.min(deps.pollMs ?? 2000, Math.max(1, deadline - Date.now())), cancel);
  }
}

/** The names a self-signed certificate is issued for: the DNS name, the server name, else the load balancer's address. */
async function selfSignedNames(
  cluster: Cluster,
  svc: KubeService,
  deps: KubeDeps,
  deadline: number,
  undone: string,
  existing = false,
): Promise<string[]> {
  const names = [dnsNameOf(svc), svc.kubernetes.tlsServerName].filter((n): n is string => !!n);
  const { namespace } = svc.kubernetes;
  const current = await serviceAddress(cluster, namespace, svc.name);
  if (current.host) return [...names, current.host];
  if (names.length) return names;
  if (existing)
    // An existing service: applying its Service now (port 443) would change it outside the rollback.
    throw new AccelError(
      'Unavailable',
      `The load balancer of "${svc.name}" has no external address yet, so no certificate can name it. Retry once \`accel service show ${svc.name}\` gives an address, or give --dns-label <label> or --tls-server-name <name> for the certificate to name.`,
    );
  await applyObjects(cluster, [serviceManifest(svc.name, namespace, true, svc.kubernetes.dnsLabel)]);
  return [await waitForAddress(cluster, namespace, svc.name, deps, deadline, undone)];
}

async function rollout(cluster: Cluster, svc: KubeService, deps: KubeDeps, deadline: number, undone: string) {
  return waitForRollout(cluster, svc.kubernetes.namespace, svc.name, {
    progress: deps.progress,
    cancel: deps.cancel,
    timeoutMs: Math.max(1, deadline - Date.now()),
    pollMs: deps.pollMs,
    undone,
  });
}

function checkTimeout(timeoutMs: number | undefined): number {
  const t = timeoutMs ?? DEFAULT_ROLLOUT_TIMEOUT_MS;
  if (!Number.isFinite(t) || t <= 0 || t > 24 * 3600_000)
    throw new AccelError('InvalidArgument', `--timeout must be from 1 second to 24 hours (got ${timeoutMs} ms).`);
  return t;
}

/** Cleans up after a failed new deploy; says so in the error, or what is left when the cleanup failed too. */
async function undoNewDeploy(cluster: Cluster, name: string, namespace: string, error: unknown): Promise<never> {
  try {
    await deleteObjects(cluster, ownedObjectRefs(name, namespace));
  } catch (cleanup) {
    const msg = error instanceof Error ? error.message : String(error);
    throw new AccelError(
      error instanceof AccelError ? error.code : 'Internal',
      `${msg}\nRemoving what the deploy created failed too (${(cleanup as Error).message}): delete it with \`kubectl delete deployment,service,hpa,secret -n ${namespace} -l app.kubernetes.io/name=${name}\`.`,
    );
  }
  throw error;
}

export async function deployKubernetesService(
  store: WorkspaceStore,
  workspace: string,
  opts: KubeDeployOptions,
  deps: KubeDeps = {},
): Promise<KubeServiceView> {
  const progress = deps.progress ?? silentProgress;
  const timeoutMs = checkTimeout(opts.timeoutMs);
  const deadline = Date.now() + timeoutMs;
  validateKubernetesName(opts.name);
  const namespace = opts.namespace ?? 'default';
  validateNamespace(namespace);
  if (opts.dnsLabel !== undefined) validateDnsLabel(opts.dnsLabel);
  if (opts.tlsServerName !== undefined) validateServerName(opts.tlsServerName);
  const scaling = resolveScaling({ replicas: opts.replicas, autoscale: opts.autoscale });
  const state = await store.read(workspace);
  if (state.services.some((s) => s.name === opts.name)) {
    throw new AccelError(
      'AlreadyExists',
      `A service named "${opts.name}" already exists in this workspace. Change it with \`accel service update ${opts.name}\`, or pick another name.`,
    );
  }
  const image = findImage(state, opts.image);
  const authEnabled = opts.authEnabled ?? true;
  const tls = await tlsChoice(opts.tls);
  if (opts.tlsServerName && !tls)
    throw new AccelError(
      'InvalidArgument',
      '--tls-server-name names what clients verify in the certificate: it needs TLS (--self-signed or --ssl-cert/--ssl-key).',
    );
  const compute = opts.compute ? findCompute(state, opts.compute) : undefined;
  const placed = compute ? computePlacement(compute) : {};
  const aks = opts.aks ?? placed.aks;
  const context = opts.aks ? undefined : (opts.context ?? placed.context);
  const kubeconfigPath = deps.kubeconfigPath ?? placed.kubeconfigPath;
  if (authEnabled && !tls && !opts.allowPlaintext)
    throw refusePlaintext(
      opts.name,
      `the load balancer of ${aks ? `AKS cluster ${aks.name}` : `context ${context ?? '(current)'}`}`,
    );
  if (authEnabled && !tls)
    progress.report({
      message: `Warning: "${opts.name}" serves keys over plain text (--allow-plaintext): anyone on the network path can read them.`,
    });
  const region = opts.dnsLabel ? await resolveRegion(opts.region, compute, aks, deps) : opts.region;

  // Reach the cluster before any slow build, and refuse to take over a Deployment someone else made.
  progress.report({ message: 'Connecting to the cluster' });
  const clusterDeps = { ...deps, kubeconfigPath };
  const cluster = await openCluster({ context, aks }, clusterDeps);
  const existing = await readDeployment(cluster, namespace, opts.name);
  if (existing && existing.metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'accelerated-models') {
    throw new AccelError(
      'AlreadyExists',
      `A Deployment "${opts.name}" not made by Accelerated Models already exists in namespace ${namespace} of ${cluster.context}. Pick another service name or namespace.`,
    );
  }

  const imageRef = await resolveImageRef(store, workspace, image.id, { ...opts, aks }, deps);
  const keys = authEnabled ? { primaryKey: newKey(), secondaryKey: newKey() } : undefined;
  const now = new Date().toISOString();
  const svc: KubeService = {
    name: opts.name,
    imageId: image.id,
    target: 'kubernetes',
    computeName: compute?.name ?? (aks ? aks.name : cluster.context),
    description: opts.description,
    tags: {},
    createdTime: now,
    updatedTime: now,
    port: tls ? 443 : 80,
    replicas: scaling.replicas ?? scaling.autoscale!.min,
    authEnabled,
    keys: keys ? sealKeys(store, keys.primaryKey, keys.secondaryKey) : undefined,
    kubernetes: {
      context: aks ? aks.name : cluster.context,
      namespace,
      imageRef,
      autoscale: scaling.autoscale,
      aks,
      kubeconfig: !aks && kubeconfigPath ? path.resolve(kubeconfigPath) : undefined,
      dnsLabel: opts.dnsLabel,
      region,
      tlsServerName: opts.tlsServerName,
      compute: compute?.name,
    },
  };
  for (const k of ['dnsLabel', 'region', 'tlsServerName', 'compute', 'aks', 'kubeconfig'] as const)
    if (svc.kubernetes[k] === undefined) delete svc.kubernetes[k];
  const scheduling = opts.scheduling ?? (compute ? schedulingForCompute(compute) : undefined);

  const undone = 'Everything the deploy created in the cluster was deleted and nothing was recorded.';
  let pems: Pems | undefined = tls?.kind === 'pems' ? tls.pems : undefined;
  try {
    if (tls?.kind === 'self-signed') {
      const names = await selfSignedNames(cluster, svc, clusterDeps, deadline, undone);
      progress.report({ message: `Issuing a self-signed certificate for ${names.join(', ')}` });
      pems = await issueSelfSigned(names);
    }
    progress.report({ message: `Applying the objects in ${cluster.context}/${namespace}` });
    await applyObjects(cluster, manifestsFor(svc, keys, pems, scheduling));
    await rollout(cluster, svc, clusterDeps, deadline, undone);
    await store.update(workspace, async (s) => {
      if (s.services.some((x) => x.name === svc.name))
        throw new AccelError(
          'AlreadyExists',
          `A service named "${svc.name}" was created meanwhile. Pick another name.`,
        );
      if (pems) svc.tls = await storeTls(store, workspace, { ...pems, selfSigned: tls?.kind === 'self-signed' });
      s.services.push(svc);
    });
  } catch (e) {
    return undoNewDeploy(cluster, svc.name, namespace, e);
  }
  return viewOf(svc, cluster);
}

async function stateOn(cluster: Cluster, svc: KubeService): Promise<KubeServiceState> {
  const { namespace } = svc.kubernetes;
  const snap = await observeRollout(cluster, namespace, svc.name);
  const addr = await serviceAddress(cluster, namespace, svc.name);
  const tls = !!svc.tls;
  const address = addr.host
    ? {
        host: addr.host,
        port: addr.port ?? svc.port,
        tls,
        ...(tls && (svc.kubernetes.tlsServerName ?? dnsNameOf(svc))
          ? { serverName: svc.kubernetes.tlsServerName ?? dnsNameOf(svc) }
          : {}),
      }
    : undefined;
  const counts = { desiredReplicas: snap.desired, readyReplicas: snap.ready, updatedReplicas: snap.updated };
  if (!snap.exists)
    return {
      ...counts,
      desiredReplicas: svc.replicas,
      state: 'Missing',
      message: `its Deployment is gone from ${svc.kubernetes.context}/${namespace}: delete the service (\`accel service delete ${svc.name}\`) and deploy it again`,
      address,
      events: [],
    };
  if (snap.failure)
    return {
      ...counts,
      state: snap.ready > 0 ? 'Degraded' : 'Failed',
      message: `${snap.failure.summary}. ${snap.failure.hint}`,
      address,
      events: snap.failure.events,
    };
  if (snap.complete) {
    const message = !addr.exists
      ? 'the Kubernetes Service is missing; redeploy'
      : addr.host
        ? undefined
        : `the load balancer has no external address yet; retry in a minute (\`kubectl get service ${svc.name} -n ${namespace}\`)`;
    return { ...counts, state: 'Ready', ...(message ? { message } : {}), address, events: [] };
  }
  return { ...counts, state: 'Progressing', message: progressLine(snap), address, events: [] };
}

/** The live state of a Kubernetes service, read from its cluster (Deployment, ReplicaSets, pods, events, Service). */
export async function kubernetesServiceState(deps: KubeDeps, service: Service): Promise<KubeServiceState> {
  const svc = asKube(service);
  return stateOn(await openCluster(svc.kubernetes, deps), svc);
}

async function viewOf(svc: KubeService, cluster: Cluster): Promise<KubeServiceView> {
  const { namespace } = svc.kubernetes;
  const live = await stateOn(cluster, svc);
  const dep = await readDeployment(cluster, namespace, svc.name);
  const scheme = svc.tls ? 'grpcs' : 'grpc';
  const host = live.address?.host;
  const hostInUri = host && host.includes(':') ? `[${host}]` : host;
  return {
    name: svc.name,
    target: 'kubernetes',
    context: svc.kubernetes.context,
    namespace,
    imageId: svc.imageId,
    imageRef: svc.kubernetes.imageRef,
    state: live.state === 'Missing' ? 'Missing' : live.state === 'Ready' ? 'Running' : 'Deploying',
    readiness: live.state,
    ...(live.message ? { message: live.message } : {}),
    events: live.events,
    replicas: {
      desired: live.desiredReplicas,
      ready: live.readyReplicas,
      available: dep?.status?.availableReplicas ?? 0,
    },
    autoscale: svc.kubernetes.autoscale,
    authEnabled: svc.authEnabled,
    tls: !!svc.tls,
    ...(svc.tls ? { selfSigned: svc.tls.selfSigned } : {}),
    port: live.address?.port ?? svc.port,
    scoringUri: host ? `${scheme}://${hostInUri}:${live.address!.port}` : undefined,
    ...(dnsNameOf(svc) ? { dnsName: dnsNameOf(svc) } : {}),
    ...(svc.kubernetes.tlsServerName ? { tlsServerName: svc.kubernetes.tlsServerName } : {}),
    ...(svc.kubernetes.compute ? { compute: svc.kubernetes.compute } : {}),
    pending: host
      ? undefined
      : live.state === 'Missing'
        ? live.message
        : `the load balancer has no external address yet; retry in a minute (\`kubectl get service ${svc.name} -n ${namespace}\`)`,
  };
}

export async function showKubernetesService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: KubeDeps = {},
): Promise<KubeServiceView> {
  const svc = findKubeService(await store.read(workspace), name);
  return viewOf(svc, await openCluster(svc.kubernetes, deps));
}

export async function kubernetesServiceKeys(
  store: WorkspaceStore,
  workspace: string,
  name: string,
): Promise<{ primaryKey: string; secondaryKey: string }> {
  const svc = findKubeService(await store.read(workspace), name);
  const keys = await readKeys(store, svc);
  if (!keys)
    throw new AccelError(
      'InvalidArgument',
      `Service "${name}" has auth disabled, so it has no keys. Turn it on with \`accel service update ${name} --auth\`.`,
    );
  return keys;
}

/**
 * Applies `next` and waits for its rollout; when that fails (or is cancelled, or times out) applies `previous`
 * again and removes the objects only `next` had, so the old pods keep serving. Objects only `previous` had are
 * removed once the rollout succeeded.
 */
async function applyWithRollback(
  cluster: Cluster,
  svc: KubeService,
  next: KubeObject[],
  previous: KubeObject[],
  deps: KubeDeps,
  deadline: number,
): Promise<void> {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
  const refs = ownedObjectRefs(svc.name, svc.kubernetes.namespace);
  const undone = 'The previous spec was applied again (its pods kept serving meanwhile); the store is unchanged.';
  try {
    await applyObjects(cluster, next);
    await rollout(cluster, svc, deps, deadline, undone);
  } catch (e) {
    try {
      await applyObjects(cluster, previous);
      const had = new Set(previous.map(key));
      await deleteObjects(
        cluster,
        refs.filter((r) => !had.has(key(r))),
      );
    } catch (restore) {
      throw new AccelError(
        e instanceof AccelError ? e.code : 'Internal',
        `${(e as Error).message}\nRestoring the previous spec failed too (${(restore as Error).message}): check \`kubectl rollout history deployment/${svc.name} -n ${svc.kubernetes.namespace}\` and undo with \`kubectl rollout undo\`.`,
      );
    }
    throw e;
  }
  const kept = new Set(next.map(key));
  await deleteObjects(
    cluster,
    refs.filter((r) => !kept.has(key(r))),
  );
}

/** Replaces one key; the pods roll one at a time (maxUnavailable 0), so the service stays up. */
export async function regenerateKubernetesKey(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  which: 'primary' | 'secondary',
  deps: KubeDeps = {},
): Promise<{ primaryKey: string; secondaryKey: string }> {
  const state = await store.read(workspace);
  const svc = findKubeService(state, name);
  const keys = await readKeys(store, svc);
  if (!keys)
    throw new AccelError(
      'InvalidArgument',
      `Service "${name}" has auth disabled, so it has no keys. Turn it on with \`accel service update ${name} --auth\`.`,
    );
  const next = which === 'primary' ? { ...keys, primaryKey: newKey() } : { ...keys, secondaryKey: newKey() };
  const cluster = await openCluster(svc.kubernetes, deps);
  const tls = readTls(store, workspace, svc);
  const scheduling = schedulingOf(state, svc);
  await applyWithRollback(
    cluster,
    svc,
    manifestsFor(svc, next, tls, scheduling),
    manifestsFor(svc, keys, tls, scheduling),
    deps,
    Date.now() + DEFAULT_ROLLOUT_TIMEOUT_MS,
  );
  await store.update(workspace, (s) => {
    const target = findKubeService(s, name);
    target.keys = sealKeys(store, next.primaryKey, next.secondaryKey);
    target.updatedTime = new Date().toISOString();
  });
  return next;
}

export interface KubeUpdateOptions {
  image?: string;
  imageRef?: string;
  registry?: string;
  subscriptionId?: string;
  replicas?: number;
  autoscale?: Partial<Autoscale> | boolean;
  authEnabled?: boolean;
  description?: string;
  /** Enable or rotate TLS (PEM files or text, self-signed for the address or DNS name), or drop it ('off'/'none'). */
  tls?: KubeTls | 'off';
  dnsLabel?: string;
  region?: string;
  tlsServerName?: string;
  allowPlaintext?: boolean;
  timeoutMs?: number;
}

export async function updateKubernetesService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  opts: KubeUpdateOptions,
  deps: KubeDeps = {},
): Promise<KubeServiceView> {
  const state = await store.read(workspace);
  const previous = findKubeService(state, name);
  const svc = structuredClone(previous);
  const changes = { ...opts, allowPlaintext: undefined, timeoutMs: undefined };
  if (Object.values(changes).every((v) => v === undefined)) {
    throw new AccelError(
      'InvalidArgument',
      'Nothing to update: give at least one of --image, --image-ref, --replicas, --autoscale, --auth/--no-auth, --ssl-cert/--ssl-key, --self-signed, --no-tls, --dns-label, --tls-server-name, --description.',
    );
  }
  const deadline = Date.now() + checkTimeout(opts.timeoutMs);
  if (opts.dnsLabel !== undefined) validateDnsLabel(opts.dnsLabel);
  if (opts.tlsServerName !== undefined) validateServerName(opts.tlsServerName);
  if (opts.image || opts.imageRef) {
    const image = opts.image ? findImage(state, opts.image) : findImage(state, svc.imageId);
    svc.imageId = image.id;
    svc.kubernetes.imageRef = await resolveImageRef(
      store,
      workspace,
      image.id,
      {
        imageRef: opts.imageRef,
        registry: opts.registry,
        subscriptionId: opts.subscriptionId,
        aks: svc.kubernetes.aks,
      },
      deps,
    );
  }
  if (opts.replicas !== undefined || opts.autoscale !== undefined) {
    const scaling = resolveScaling({
      replicas: opts.replicas,
      autoscale: opts.autoscale === undefined ? false : opts.autoscale,
    });
    svc.kubernetes.autoscale = scaling.autoscale;
    svc.replicas = scaling.replicas ?? scaling.autoscale!.min;
  }
  const previousKeys = await readKeys(store, previous);
  let keys = previousKeys;
  if (opts.authEnabled !== undefined && opts.authEnabled !== svc.authEnabled) {
    svc.authEnabled = opts.authEnabled;
    keys = opts.authEnabled ? { primaryKey: newKey(), secondaryKey: newKey() } : undefined;
    svc.keys = keys ? sealKeys(store, keys.primaryKey, keys.secondaryKey) : undefined;
  }
  if (opts.description !== undefined) svc.description = opts.description;
  if (opts.dnsLabel !== undefined) {
    svc.kubernetes.dnsLabel = opts.dnsLabel;
    svc.kubernetes.region = await resolveRegion(
      opts.region ?? svc.kubernetes.region,
      svc.kubernetes.compute ? state.computes.find((c) => c.name === svc.kubernetes.compute) : undefined,
      svc.kubernetes.aks,
      deps,
    );
  }
  if (opts.tlsServerName !== undefined) svc.kubernetes.tlsServerName = opts.tlsServerName;

  const previousPems = readTls(store, workspace, previous);
  // A self-signed certificate names the DNS name and server name: a new one of either gets a new certificate.
  const renames =
    (opts.dnsLabel !== undefined && opts.dnsLabel !== previous.kubernetes.dnsLabel) ||
    (opts.tlsServerName !== undefined && opts.tlsServerName !== previous.kubernetes.tlsServerName);
  const tlsOption = opts.tls ?? (renames && previous.tls?.selfSigned ? 'self-signed' : undefined);
  const choice = tlsOption === undefined ? undefined : await tlsChoice(tlsOption);
  const willTls = opts.tls === undefined ? !!previousPems : !!choice;
  if (svc.authEnabled && !willTls && (opts.tls !== undefined || opts.authEnabled !== undefined) && !opts.allowPlaintext)
    throw refusePlaintext(name, `the load balancer of ${svc.kubernetes.context}/${svc.kubernetes.namespace}`);
  if (svc.kubernetes.tlsServerName && !willTls)
    throw new AccelError(
      'InvalidArgument',
      '--tls-server-name names what clients verify in the certificate: it needs TLS (--self-signed or --ssl-cert/--ssl-key).',
    );
  svc.updatedTime = new Date().toISOString();
  svc.port = willTls ? 443 : 80;

  const cluster = await openCluster(svc.kubernetes, deps);
  let pems: Pems | undefined = tlsOption === undefined ? previousPems : undefined;
  let selfSigned = tlsOption === undefined ? !!previous.tls?.selfSigned : choice?.kind === 'self-signed';
  if (choice?.kind === 'pems') pems = choice.pems;
  if (choice?.kind === 'self-signed') {
    const names = await selfSignedNames(cluster, svc, deps, deadline, 'Nothing was changed.', true);
    (deps.progress ?? silentProgress).report({ message: `Issuing a self-signed certificate for ${names.join(', ')}` });
    pems = await issueSelfSigned(names);
    selfSigned = true;
  }
  const scheduling = schedulingOf(state, svc);
  await applyWithRollback(
    cluster,
    svc,
    manifestsFor(svc, keys, pems, scheduling),
    manifestsFor(previous, previousKeys, previousPems, schedulingOf(state, previous)),
    deps,
    deadline,
  );
  const tlsChanged = tlsOption !== undefined;
  await store.update(workspace, async (s) => {
    const i = s.services.findIndex((x) => x.name === name);
    if (i < 0) throw new AccelError('NotFound', `Service "${name}" was deleted meanwhile.`);
    if (tlsChanged) {
      if (pems) svc.tls = await storeTls(store, workspace, { ...pems, selfSigned });
      else delete svc.tls;
    }
    s.services[i] = svc;
  });
  if (tlsChanged && previous.tls) {
    const kept = new Set([svc.tls?.certBlob, svc.tls?.keyBlob]);
    const gone = [previous.tls.certBlob, previous.tls.keyBlob].filter((b) => !kept.has(b));
    if (gone.length) await store.releaseBlobs?.(workspace, gone);
  }
  return viewOf(svc, cluster);
}

export async function kubernetesServiceLogs(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: KubeDeps = {},
  tailLines = 200,
): Promise<PodLog[]> {
  const svc = findKubeService(await store.read(workspace), name);
  const cluster = await openCluster(svc.kubernetes, deps);
  return podLogs(cluster, svc.kubernetes.namespace, selectorFor(name), tailLines);
}

/** Deletes the cluster objects, then the store record. A cluster that is gone for good can be skipped with `forgetOnly`. */
export async function deleteKubernetesService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: KubeDeps = {},
  forgetOnly = false,
): Promise<{ deleted: string[] }> {
  const svc = findKubeService(await store.read(workspace), name);
  let deleted: string[] = [];
  if (!forgetOnly) {
    const cluster = await openCluster(svc.kubernetes, deps);
    deleted = await deleteObjects(cluster, ownedObjectRefs(name, svc.kubernetes.namespace));
  }
  await store.update(workspace, (s) => {
    s.services = s.services.filter((x) => x.name !== name);
  });
  if (svc.tls) await store.releaseBlobs?.(workspace, [svc.tls.certBlob, svc.tls.keyBlob]);
  return { deleted };
}

/** What `accel score` needs to call a Kubernetes service (address from the load balancer, key from the store). */
export async function kubernetesScoringTarget(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: KubeDeps = {},
): Promise<{
  address: string;
  port: number;
  useSsl: boolean;
  accessToken?: string;
  serviceName: string;
  /** The name to verify in the certificate when it is not the address. */
  serverName?: string;
  /** The self-signed certificate clients must trust. */
  caPem?: string;
}> {
  const svc = findKubeService(await store.read(workspace), name);
  const live = await kubernetesServiceState(deps, svc);
  if (!live.address)
    throw new AccelError(
      'Unavailable',
      `Service "${name}" has no address yet: ${live.message ?? 'the load balancer has no external address yet; retry in a minute'}.`,
    );
  const keys = svc.authEnabled ? await kubernetesServiceKeys(store, workspace, name) : undefined;
  return {
    address: live.address.host,
    port: live.address.port,
    useSsl: live.address.tls,
    accessToken: keys?.primaryKey,
    serviceName: name,
    ...(live.address.serverName ? { serverName: live.address.serverName } : {}),
    ...(svc.tls?.selfSigned ? { caPem: readTls(store, workspace, svc)!.certPem } : {}),
  };
}
