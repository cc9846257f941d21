// Services deployed to a Kubernetes cluster (AKS or any kubeconfig context): the same verbs as local
// services (deploy, show, keys, regen-key, update, logs, delete). The store keeps the desired state and the
// sealed keys; the cluster holds the objects built by kubernetes/manifests.ts.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { findImage } from '../core/images';
import { exportImage } from '../container/exportImage';
import { hashKey } from '../core/services';
import { silentProgress, type ProgressReporter, type WorkspaceStore } from '../domain/ports';
import type { KubernetesPlacement, Service, WorkspaceState } from '../domain/types';
import { seal, unseal } from '../store/sealedSecrets';
import { buildInAcr, findRegistry } from './acr';
import { aksUserKubeconfig, type AksClusterRef } from './aks';
import type { ArmContext } from './armContext';
import {
  applyObjects,
  connectCluster,
  deleteObjects,
  podLogs,
  readObject,
  type Cluster,
  type PodLog,
} from './kubernetes/cluster';
import {
  buildManifests,
  ownedObjectRefs,
  resolveScaling,
  selectorFor,
  validateKubernetesName,
  validateNamespace,
  type Autoscale,
  type KubeObject,
} from './kubernetes/manifests';

/** How to reach Azure and the cluster; the CLI and VS Code each build one. */
export interface KubeDeps {
  /** Needed for --registry (ACR build) and for AKS clusters. */
  arm?: ArmContext;
  kubeconfigPath?: string;
  progress?: ProgressReporter;
}

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
  tls?: { certPem: string; keyPem: string };
  description?: string;
  /** Subscription for --registry when no AKS cluster names one. */
  subscriptionId?: string;
}

export interface KubeServiceView {
  name: string;
  target: 'kubernetes';
  context: string;
  namespace: string;
  imageId: string;
  imageRef: string;
  state: 'Running' | 'Deploying' | 'Missing';
  replicas: { desired: number; ready: number; available: number };
  autoscale?: Autoscale;
  authEnabled: boolean;
  tls: boolean;
  port: number;
  scoringUri?: string;
  /** Why there is no scoring URI yet. */
  pending?: string;
}

const newKey = () => crypto.randomBytes(32).toString('base64url');

function findKubeService(state: WorkspaceState, name: string): Service & { kubernetes: KubernetesPlacement } {
  const svc = state.services.find((s) => s.name === name);
  if (!svc)
    throw new AccelError('NotFound', `No service "${name}" in this workspace. List them with \`accel service list\`.`);
  if (svc.target !== 'kubernetes' || !svc.kubernetes) {
    throw new AccelError(
      'InvalidArgument',
      `Service "${name}" runs on the local emulator, not on Kubernetes. Use the local service commands for it.`,
    );
  }
  return svc as Service & { kubernetes: KubernetesPlacement };
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

async function readTls(
  store: WorkspaceStore,
  workspace: string,
  svc: Service,
): Promise<{ certPem: string; keyPem: string } | undefined> {
  if (!svc.tls) return undefined;
  return {
    certPem: fs.readFileSync(store.blobPath(workspace, svc.tls.certBlob), 'utf8'),
    keyPem: unseal(store.home, fs.readFileSync(store.blobPath(workspace, svc.tls.keyBlob), 'utf8')),
  };
}

function manifestsFor(
  svc: Service & { kubernetes: KubernetesPlacement },
  keys: { primaryKey: string; secondaryKey: string } | undefined,
  tls: { certPem: string; keyPem: string } | undefined,
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
  });
}

/** Builds the image in ACR when asked, returning the reference the Deployment will run. */
async function resolveImageRef(
  store: WorkspaceStore,
  workspace: string,
  imageId: string,
  opts: KubeDeployOptions,
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

export async function deployKubernetesService(
  store: WorkspaceStore,
  workspace: string,
  opts: KubeDeployOptions,
  deps: KubeDeps = {},
): Promise<KubeServiceView> {
  const progress = deps.progress ?? silentProgress;
  validateKubernetesName(opts.name);
  const namespace = opts.namespace ?? 'default';
  validateNamespace(namespace);
  const scaling = resolveScaling({ replicas: opts.replicas, autoscale: opts.autoscale });
  const state = await store.read(workspace);
  if (state.services.some((s) => s.name === opts.name)) {
    throw new AccelError(
      'AlreadyExists',
      `A service named "${opts.name}" already exists in this workspace. Change it with \`accel service update ${opts.name}\`, or pick another name.`,
    );
  }
  const image = findImage(state, opts.image);

  // Reach the cluster before any slow build, and refuse to take over a Deployment someone else made.
  progress.report({ message: 'Connecting to the cluster' });
  const cluster = await openCluster({ context: opts.context, aks: opts.aks }, deps);
  const existing = await readObject(cluster, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: opts.name, namespace },
  });
  if (existing && existing.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'accelerated-models') {
    throw new AccelError(
      'AlreadyExists',
      `A Deployment "${opts.name}" not made by Accelerated Models already exists in namespace ${namespace} of ${cluster.context}. Pick another service name or namespace.`,
    );
  }

  const imageRef = await resolveImageRef(store, workspace, image.id, opts, deps);
  const authEnabled = opts.authEnabled ?? true;
  const keys = authEnabled ? { primaryKey: newKey(), secondaryKey: newKey() } : undefined;
  const now = new Date().toISOString();
  const svc: Service & { kubernetes: KubernetesPlacement } = {
    name: opts.name,
    imageId: image.id,
    target: 'kubernetes',
    computeName: opts.aks ? opts.aks.name : cluster.context,
    description: opts.description,
    tags: {},
    createdTime: now,
    updatedTime: now,
    port: opts.tls ? 443 : 80,
    replicas: scaling.replicas ?? scaling.autoscale!.min,
    authEnabled,
    keys: keys ? sealKeys(store, keys.primaryKey, keys.secondaryKey) : undefined,
    kubernetes: {
      context: opts.aks ? opts.aks.name : cluster.context,
      namespace,
      imageRef,
      autoscale: scaling.autoscale,
      aks: opts.aks,
      kubeconfig: !opts.aks && deps.kubeconfigPath ? path.resolve(deps.kubeconfigPath) : undefined,
    },
  };
  if (opts.tls) {
    const cert = await store.putBlob(workspace, { bytes: Buffer.from(opts.tls.certPem, 'utf8') });
    const key = await store.putBlob(workspace, { bytes: Buffer.from(seal(store.home, opts.tls.keyPem), 'utf8') });
    svc.tls = { certBlob: cert.sha256, keyBlob: key.sha256, selfSigned: false };
  }

  progress.report({ message: `Applying the objects in ${cluster.context}/${namespace}` });
  const objects = manifestsFor(svc, keys, opts.tls);
  try {
    await applyObjects(cluster, objects);
    await store.update(workspace, (s) => {
      if (s.services.some((x) => x.name === svc.name))
        throw new AccelError(
          'AlreadyExists',
          `A service named "${svc.name}" was created meanwhile. Pick another name.`,
        );
      s.services.push(svc);
    });
  } catch (e) {
    // Leave nothing half-deployed behind.
    await deleteObjects(cluster, ownedObjectRefs(svc.name, namespace)).catch(() => undefined);
    throw e;
  }
  return viewOf(svc, cluster);
}

function asNumber(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

async function viewOf(svc: Service & { kubernetes: KubernetesPlacement }, cluster: Cluster): Promise<KubeServiceView> {
  const { namespace } = svc.kubernetes;
  const dep = await readObject<{ spec?: { replicas?: number }; status?: Record<string, unknown> }>(cluster, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: svc.name, namespace },
  });
  const k8sSvc = await readObject<{ status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } }>(
    cluster,
    { apiVersion: 'v1', kind: 'Service', metadata: { name: svc.name, namespace } },
  );
  const ready = asNumber(dep?.status?.readyReplicas);
  const available = asNumber(dep?.status?.availableReplicas);
  const desired = dep?.spec?.replicas ?? svc.replicas;
  const ingress = k8sSvc?.status?.loadBalancer?.ingress?.[0];
  const host = ingress?.hostname ?? ingress?.ip;
  const scheme = svc.tls ? 'grpcs' : 'grpc';
  return {
    name: svc.name,
    target: 'kubernetes',
    context: svc.kubernetes.context,
    namespace,
    imageId: svc.imageId,
    imageRef: svc.kubernetes.imageRef,
    state: !dep ? 'Missing' : ready > 0 && ready >= Math.min(desired, 1) && available > 0 ? 'Running' : 'Deploying',
    replicas: { desired, ready, available },
    autoscale: svc.kubernetes.autoscale,
    authEnabled: svc.authEnabled,
    tls: !!svc.tls,
    port: svc.port,
    scoringUri: host ? `${scheme}://${host}:${svc.port}` : undefined,
    pending: !k8sSvc
      ? 'the Kubernetes Service is missing; redeploy'
      : host
        ? undefined
        : 'the load balancer has no external address yet; retry in a minute (`kubectl get service ' +
          svc.name +
          ' -n ' +
          namespace +
          '`)',
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

/** Replaces one key; the pods roll one at a time (maxUnavailable 0), so the service stays up. */
export async function regenerateKubernetesKey(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  which: 'primary' | 'secondary',
  deps: KubeDeps = {},
): Promise<{ primaryKey: string; secondaryKey: string }> {
  const svc = findKubeService(await store.read(workspace), name);
  const keys = await readKeys(store, svc);
  if (!keys)
    throw new AccelError(
      'InvalidArgument',
      `Service "${name}" has auth disabled, so it has no keys. Turn it on with \`accel service update ${name} --auth\`.`,
    );
  const next = which === 'primary' ? { ...keys, primaryKey: newKey() } : { ...keys, secondaryKey: newKey() };
  const cluster = await openCluster(svc.kubernetes, deps);
  await applyObjects(cluster, manifestsFor(svc, next, await readTls(store, workspace, svc)));
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
}

export async function updateKubernetesService(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  opts: KubeUpdateOptions,
  deps: KubeDeps = {},
): Promise<KubeServiceView> {
  const state = await store.read(workspace);
  const svc = structuredClone(findKubeService(state, name));
  if (Object.values(opts).every((v) => v === undefined)) {
    throw new AccelError(
      'InvalidArgument',
      'Nothing to update: give at least one of --image, --image-ref, --replicas, --autoscale, --auth/--no-auth, --description.',
    );
  }
  if (opts.image || opts.imageRef) {
    const image = opts.image ? findImage(state, opts.image) : findImage(state, svc.imageId);
    svc.imageId = image.id;
    svc.kubernetes.imageRef = await resolveImageRef(
      store,
      workspace,
      image.id,
      {
        name,
        image: image.id,
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
  let keys = await readKeys(store, svc);
  if (opts.authEnabled !== undefined && opts.authEnabled !== svc.authEnabled) {
    svc.authEnabled = opts.authEnabled;
    keys = opts.authEnabled ? { primaryKey: newKey(), secondaryKey: newKey() } : undefined;
    svc.keys = keys ? sealKeys(store, keys.primaryKey, keys.secondaryKey) : undefined;
  }
  if (opts.description !== undefined) svc.description = opts.description;
  svc.updatedTime = new Date().toISOString();

  const cluster = await openCluster(svc.kubernetes, deps);
  const objects = manifestsFor(svc, keys, await readTls(store, workspace, svc));
  await applyObjects(cluster, objects);
  // Remove what the new shape no longer has (an HPA after --replicas, the key Secret after --no-auth).
  const kept = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  await deleteObjects(
    cluster,
    ownedObjectRefs(name, svc.kubernetes.namespace).filter((r) => !kept.has(`${r.kind}/${r.metadata.name}`)),
  );
  await store.update(workspace, (s) => {
    const i = s.services.findIndex((x) => x.name === name);
    if (i < 0) throw new AccelError('NotFound', `Service "${name}" was deleted meanwhile.`);
    s.services[i] = svc;
  });
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
  return { deleted };
}

/** What `accel score` needs to call a Kubernetes service (address from the load balancer, key from the store). */
export async function kubernetesScoringTarget(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  deps: KubeDeps = {},
): Promise<{ address: string; port: number; useSsl: boolean; accessToken?: string; serviceName: string }> {
  const view = await showKubernetesService(store, workspace, name, deps);
  if (!view.scoringUri) throw new AccelError('Unavailable', `Service "${name}" has no address yet: ${view.pending}.`);
  const url = new URL(view.scoringUri.replace(/^grpcs?:/, 'http:'));
  const keys = view.authEnabled ? await kubernetesServiceKeys(store, workspace, name) : undefined;
  return { address: url.hostname, port: view.port, useSsl: view.tls, accessToken: keys?.primaryKey, serviceName: name };
}
