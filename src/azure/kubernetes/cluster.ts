// Talking to a cluster with @kubernetes/client-node: load a kubeconfig context, server-side apply the
// generated objects, read their status, read pod logs, delete. Errors name the fix.
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type CoreV1Event,
  type V1Deployment,
  type V1Pod,
  type V1ReplicaSet,
  type V1Service,
} from '@kubernetes/client-node';
import { AccelError } from '../../domain/errors';
import { FIELD_MANAGER, type KubeObject } from './manifests';

export interface ClusterTarget {
  /** kubeconfig context; default: the kubeconfig's current context. */
  context?: string;
  /** kubeconfig file; default: $KUBECONFIG or ~/.kube/config. */
  kubeconfigPath?: string;
  /** kubeconfig text (AKS user credentials fetched through ARM); wins over the path. */
  kubeconfigYaml?: string;
}

export interface Cluster {
  kc: KubeConfig;
  context: string;
  server: string;
}

export function connectCluster(target: ClusterTarget): Cluster {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfigYaml) kc.loadFromString(target.kubeconfigYaml);
    else if (target.kubeconfigPath) kc.loadFromFile(target.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (e) {
    throw new AccelError(
      'InvalidArgument',
      `Could not read the kubeconfig (${(e as Error).message}). Point --kubeconfig or KUBECONFIG at a valid file, or fetch AKS credentials with --aks-cluster <name> --resource-group <rg>.`,
    );
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (target.context) {
    if (!contexts.includes(target.context)) {
      throw new AccelError(
        'NotFound',
        `The kubeconfig has no context "${target.context}"${contexts.length ? ` (contexts: ${contexts.join(', ')})` : ''}. Pick one with --context, or add it (\`az aks get-credentials\`, \`kubectl config get-contexts\`).`,
      );
    }
    kc.setCurrentContext(target.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || !kc.getCurrentContext()) {
    throw new AccelError(
      'NotFound',
      'No Kubernetes cluster is configured (the kubeconfig has no current context). Pass --context <name>, or create one: `az aks get-credentials --resource-group <rg> --name <cluster>`, or deploy with --aks-cluster <name> --resource-group <rg>.',
    );
  }
  return { kc, context: kc.getCurrentContext(), server: cluster.server };
}

interface KubeLikeError {
  code?: number | string;
  body?: unknown;
  message?: string;
  cause?: { code?: string };
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300);
    }
  }
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : undefined;
}

/** `doing` completes "Could not ..."; `cluster` names where. */
export function toClusterError(e: unknown, doing: string, cluster: Cluster): AccelError {
  if (e instanceof AccelError) return e;
  const err = (e ?? {}) as KubeLikeError;
  const netCode = typeof err.code === 'string' ? err.code : err.cause?.code;
  const where = `context "${cluster.context}" (${cluster.server})`;
  if (
    netCode &&
    /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(
      netCode,
    )
  ) {
    return new AccelError(
      'Unavailable',
      `Could not ${doing}: the cluster of ${where} is unreachable (${netCode}). Check that it is running and reachable (\`kubectl cluster-info --context ${cluster.context}\`), that your VPN is up, or fetch fresh credentials (\`az aks get-credentials\`), then retry.`,
    );
  }
  const status = typeof err.code === 'number' ? err.code : undefined;
  const detail = statusMessage(err.body) ?? err.message?.split('\n')[0] ?? String(e);
  switch (status) {
    case 401:
      return new AccelError(
        'NotSignedIn',
        `Could not ${doing}: the cluster of ${where} rejected the credentials (401: ${detail}). Refresh them (\`az aks get-credentials --overwrite-existing\`, or sign in again) and retry.`,
      );
    case 403:
      return new AccelError(
        'PermissionDenied',
        `Could not ${doing}: your cluster user may not do this (403: ${detail}). Ask the cluster admin for a role that can manage Deployments, Services, Secrets and HorizontalPodAutoscalers in that namespace.`,
      );
    case 404:
      return new AccelError(
        'NotFound',
        `Could not ${doing}: not found in ${where} (404: ${detail}). If the namespace is missing, create it (\`kubectl create namespace <name>\`) or pick another with --namespace.`,
      );
    case 409:
      return new AccelError(
        'Busy',
        `Could not ${doing}: another client changed the same fields (409: ${detail}). Retry; if it persists, check who else manages these objects.`,
      );
    case 422:
      return new AccelError(
        'InvalidArgument',
        `Could not ${doing}: the cluster refused the object (422: ${detail}). Check the options given; this cluster may be older than Kubernetes 1.24 (gRPC probes and autoscaling/v2 are required).`,
      );
  }
  return new AccelError('Internal', `Could not ${doing} in ${where}: ${detail}${status ? ` (HTTP ${status})` : ''}.`);
}

async function clusterCall<T>(cluster: Cluster, doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toClusterError(e, doing, cluster);
  }
}

function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
}

/** Server-side apply of each object in order (create or update, owned by our field manager). */
export async function applyObjects(cluster: Cluster, objects: KubeObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  for (const o of objects) {
    await clusterCall(cluster, `apply ${describe(o)}`, () =>
      api.patch(structuredClone(o), undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
  }
}

export async function readObject<T = KubeObject>(cluster: Cluster, ref: KubeObject): Promise<T | undefined> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  try {
    return (await api.read(structuredClone(ref) as never)) as T;
  } catch (e) {
    if ((e as KubeLikeError).code === 404) return undefined;
    throw toClusterError(e, `read ${describe(ref)}`, cluster);
  }
}

/** Deletes each object; missing ones are fine. Returns what was actually deleted. */
export async function deleteObjects(cluster: Cluster, refs: KubeObject[]): Promise<string[]> {
  const api = KubernetesObjectApi.makeApiClient(cluster.kc);
  const deleted: string[] = [];
  for (const ref of refs) {
    try {
      await api.delete(structuredClone(ref), undefined, undefined, undefined, undefined, 'Foreground');
      deleted.push(describe(ref));
    } catch (e) {
      if ((e as KubeLikeError).code !== 404) throw toClusterError(e, `delete ${describe(ref)}`, cluster);
    }
  }
  return deleted;
}

export interface PodLog {
  pod: string;
  phase?: string;
  log: string;
}

export async function podLogs(
  cluster: Cluster,
  namespace: string,
  labelSelector: string,
  tailLines = 200,
  /** Only these pods (no list call). */
  podNames?: string[],
): Promise<PodLog[]> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const pods = podNames
    ? podNames.map((name) => ({ metadata: { name }, status: undefined as { phase?: string } | undefined }))
    : (
        await clusterCall(cluster, `list the pods of ${labelSelector}`, () =>
          core.listNamespacedPod({ namespace, labelSelector }),
        )
      ).items;
  const out: PodLog[] = [];
  for (const p of pods) {
    const name = p.metadata?.name ?? '';
    let log: string;
    try {
      log = await core.readNamespacedPodLog({ name, namespace, container: 'model', tailLines });
    } catch (e) {
      // A pod whose container has not started yet has no log: the API answers 400 saying why; show that.
      if ((e as KubeLikeError).code !== 400) throw toClusterError(e, `read the log of pod ${name}`, cluster);
      log = `(no log yet: ${statusMessage((e as KubeLikeError).body) ?? 'the container has not started'})\n`;
    }
    out.push({ pod: name, phase: p.status?.phase, log });
  }
  return out;
}

/** The Deployment (typed), or undefined when it is gone. */
export async function readDeployment(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<V1Deployment | undefined> {
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  try {
    return await apps.readNamespacedDeployment({ name, namespace });
  } catch (e) {
    if ((e as KubeLikeError).code === 404) return undefined;
    throw toClusterError(e, `read Deployment ${namespace}/${name}`, cluster);
  }
}

export async function readService(cluster: Cluster, namespace: string, name: string): Promise<V1Service | undefined> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  try {
    return await core.readNamespacedService({ name, namespace });
  } catch (e) {
    if ((e as KubeLikeError).code === 404) return undefined;
    throw toClusterError(e, `read Service ${namespace}/${name}`, cluster);
  }
}

export async function listReplicaSets(
  cluster: Cluster,
  namespace: string,
  labelSelector: string,
): Promise<V1ReplicaSet[]> {
  const apps = cluster.kc.makeApiClient(AppsV1Api);
  const list = await clusterCall(cluster, `list the ReplicaSets of ${labelSelector}`, () =>
    apps.listNamespacedReplicaSet({ namespace, labelSelector }),
  );
  return list.items;
}

export async function listPods(cluster: Cluster, namespace: string, labelSelector: string): Promise<V1Pod[]> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const list = await clusterCall(cluster, `list the pods of ${labelSelector}`, () =>
    core.listNamespacedPod({ namespace, labelSelector }),
  );
  return list.items;
}

/** Events about one object (a pod, a Deployment), oldest first. */
export async function listEvents(
  cluster: Cluster,
  namespace: string,
  involved: { kind: string; name: string },
): Promise<CoreV1Event[]> {
  const core = cluster.kc.makeApiClient(CoreV1Api);
  const fieldSelector = `involvedObject.kind=${involved.kind},involvedObject.name=${involved.name}`;
  const list = await clusterCall(cluster, `list the events of ${involved.kind} ${involved.name}`, () =>
    core.listNamespacedEvent({ namespace, fieldSelector }),
  );
  const time = (e: CoreV1Event) =>
    new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? 0).getTime();
  return list.items.sort((a, b) => time(a) - time(b));
}

/** Context names of a kubeconfig (empty when there is none), the current one first. */
export function listKubeContexts(kubeconfigPath?: string): string[] {
  const kc = new KubeConfig();
  try {
    if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
    else kc.loadFromDefault();
  } catch {
    return [];
  }
  const current = kc.getCurrentContext();
  return kc
    .getContexts()
    .map((c) => c.name)
    .sort((a, b) => Number(b === current) - Number(a === current) || a.localeCompare(b));
}
