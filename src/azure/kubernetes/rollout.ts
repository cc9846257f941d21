// Rollout status of a service's Deployment, read the way `kubectl rollout status` does (observedGeneration, the
// new ReplicaSet by revision, updated/available replicas), plus what kubectl leaves to the user: which pods are
// stuck and why (image pull errors, crash loops, FailedScheduling for want of accelerators), quoted from their
// events. waitForRollout polls it with progress, cancellation and a deadline.
import type { V1Pod } from '@kubernetes/client-node';
import { AccelError } from '../../domain/errors';
import { neverCancelled, silentProgress, type CancellationSignal, type ProgressReporter } from '../../domain/ports';
import { listEvents, listPods, listReplicaSets, podLogs, readDeployment, type Cluster } from './cluster';
import { selectorFor } from './manifests';

const REVISION = 'deployment.kubernetes.io/revision';

/** Container waiting reasons that do not heal by waiting. */
const FATAL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export interface PodSnapshot {
  name: string;
  phase?: string;
  scheduled: boolean;
  /** Why the scheduler cannot place it (PodScheduled=False message). */
  unschedulable?: string;
  /** The image is pulled and the container started. */
  started: boolean;
  ready: boolean;
  waiting?: { reason: string; message?: string };
  restarts: number;
}

export interface RolloutFailure {
  reason: string;
  pod?: string;
  /** One line saying what is wrong. */
  summary: string;
  /** What to do about it. */
  hint: string;
  /** The pod's Warning events (and a crashing container's last log lines), quoted. */
  events: string[];
}

export interface RolloutSnapshot {
  exists: boolean;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** Old pods still running besides the updated ones. */
  oldPods: number;
  /** The controller has seen the latest spec. */
  observed: boolean;
  complete: boolean;
  /** Pods of the new ReplicaSet. */
  pods: PodSnapshot[];
  /** The new ReplicaSet's name, once the controller made it. */
  replicaSet?: string;
  failure?: RolloutFailure;
}

function podSnapshot(p: V1Pod): PodSnapshot {
  const cond = (type: string) => p.status?.conditions?.find((c) => c.type === type);
  const scheduled = cond('PodScheduled');
  const cs = p.status?.containerStatuses?.[0];
  const waiting = cs?.state?.waiting;
  return {
    name: p.metadata?.name ?? '',
    phase: p.status?.phase,
    scheduled: scheduled?.status === 'True',
    unschedulable:
      scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? (scheduled.message ?? '') : undefined,
    started: !!cs?.state?.running || !!cs?.state?.terminated || (cs?.restartCount ?? 0) > 0,
    ready: cond('Ready')?.status === 'True',
    waiting: waiting?.reason ? { reason: waiting.reason, message: waiting.message } : undefined,
    restarts: cs?.restartCount ?? 0,
  };
}

/** Extended resources (vendor.com/name) the scheduler found short, e.g. xilinx.com/fpga, nvidia.com/gpu. */
export function insufficientResources(message: string): string[] {
  return [
    ...message.matchAll(
      /Insufficient ([a-z0-9.-]+\/[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?|cpu|memory|ephemeral-storage|pods)/g,
    ),
  ].map((m) => m[1]);
}

function hintFor(reason: string, detail: string): string {
  if (/ImagePull|ErrImage|InvalidImageName/.test(reason))
    return 'Check the image reference (--image-ref) exists and that the cluster may pull from its registry (for Azure Container Registry: `az aks update --name <cluster> --resource-group <rg> --attach-acr <registry>`).';
  if (reason === 'CrashLoopBackOff' || /CreateContainer|RunContainer/.test(reason))
    return 'The container exits at start: its last log lines are quoted above. Check the image was exported from this store (`accel image export`) and the keys/TLS secrets it mounts.';
  if (reason === 'FailedScheduling') {
    const short = insufficientResources(detail).filter((r) => r.includes('/'));
    if (short.length)
      return `No node has a free ${short.join(', ')}: add accelerator nodes (a compute whose VM size has them, e.g. \`accel compute create <name> --vm-size Standard_PB6s\`), deploy with fewer replicas, or delete services holding them.`;
    return 'No node can take the pod: add nodes or scale the node pool (`az aks nodepool scale`), or lower the replicas.';
  }
  if (reason === 'ProgressDeadlineExceeded')
    return 'Check the pods with `kubectl describe pods` and their logs (`accel service logs <name>`).';
  return 'Check the pods with `kubectl describe pods` and `accel service logs <name>`.';
}

function quoteEvent(e: { type?: string; reason?: string; message?: string; count?: number }): string {
  return `${e.type ?? 'Normal'} ${e.reason ?? ''}: ${(e.message ?? '').trim()}${e.count && e.count > 1 ? ` (x${e.count})` : ''}`;
}

async function explainPod(cluster: Cluster, namespace: string, pod: PodSnapshot, reason: string): Promise<string[]> {
  const events = await listEvents(cluster, namespace, { kind: 'Pod', name: pod.name }).catch(() => []);
  const warnings = events.filter((e) => e.type === 'Warning').slice(-5);
  const quoted = (warnings.length ? warnings : events.slice(-3)).map(quoteEvent);
  if (reason === 'CrashLoopBackOff') {
    const logs = await podLogs(cluster, namespace, '', 20, [pod.name]).catch(() => []);
    const lines = logs[0]?.log.trim().split('\n').slice(-10) ?? [];
    if (lines.length) quoted.push(`last log lines of ${pod.name}:`, ...lines.map((l) => `  ${l}`));
  }
  return quoted;
}

/** One look at the rollout; `fatalUnschedulable` says whether a pod the scheduler cannot place is a failure yet. */
export async function observeRollout(
  cluster: Cluster,
  namespace: string,
  name: string,
  fatalUnschedulable: (pod: PodSnapshot) => boolean = (p) =>
    insufficientResources(p.unschedulable ?? '').some((r) => r.includes('/')),
): Promise<RolloutSnapshot> {
  const dep = await readDeployment(cluster, namespace, name);
  if (!dep)
    return {
      exists: false,
      desired: 0,
      updated: 0,
      ready: 0,
      available: 0,
      oldPods: 0,
      observed: false,
      complete: false,
      pods: [],
    };
  const desired = dep.spec?.replicas ?? 1;
  const st = dep.status ?? {};
  const observed = (st.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0);
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const ready = st.readyReplicas ?? 0;
  const available = st.availableReplicas ?? 0;
  const revision = dep.metadata?.annotations?.[REVISION];
  const selector = selectorFor(name);
  const sets = await listReplicaSets(cluster, namespace, selector);
  const current = sets.find(
    (rs) =>
      rs.metadata?.annotations?.[REVISION] === revision &&
      (rs.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && o.name === name),
  );
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  const pods = hash
    ? (await listPods(cluster, namespace, `${selector},pod-template-hash=${hash}`)).map(podSnapshot)
    : [];
  const snapshot: RolloutSnapshot = {
    exists: true,
    desired,
    updated,
    ready,
    available,
    oldPods: Math.max(0, total - updated),
    observed,
    complete: observed && updated >= desired && total <= updated && available >= desired,
    pods,
    replicaSet: current?.metadata?.name,
  };
  if (snapshot.complete) return snapshot;

  const stalled = st.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  // The ReplicaSet cannot create pods at all (a namespace ResourceQuota, an admission webhook, a PodSecurity rule).
  const refused = st.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const crashing = pods.find((p) => p.waiting && FATAL_WAITING.has(p.waiting.reason));
  const unplaceable = pods.find((p) => p.unschedulable !== undefined && fatalUnschedulable(p));
  if (crashing) {
    const w = crashing.waiting!;
    snapshot.failure = {
      reason: w.reason,
      pod: crashing.name,
      summary: `pod ${crashing.name} is ${w.reason}${w.message ? ` (${w.message})` : ''}`,
      hint: hintFor(w.reason, w.message ?? ''),
      events: await explainPod(cluster, namespace, crashing, w.reason),
    };
  } else if (unplaceable) {
    snapshot.failure = {
      reason: 'FailedScheduling',
      pod: unplaceable.name,
      summary: `pod ${unplaceable.name} cannot be scheduled (${unplaceable.unschedulable})`,
      hint: hintFor('FailedScheduling', unplaceable.unschedulable ?? ''),
      events: await explainPod(cluster, namespace, unplaceable, 'FailedScheduling'),
    };
  } else if (refused) {
    snapshot.failure = {
      reason: refused.reason ?? 'FailedCreate',
      summary: `the cluster refuses to create its pods (${refused.message ?? refused.reason})`,
      hint: "Check the namespace's ResourceQuota and LimitRange (`kubectl describe quota`) and admission policies, or deploy to another --namespace.",
      events: await replicaSetEvents(cluster, namespace, snapshot.replicaSet),
    };
  } else if (stalled) {
    snapshot.failure = {
      reason: 'ProgressDeadlineExceeded',
      summary: `the Deployment made no progress (${stalled.message ?? 'ProgressDeadlineExceeded'})`,
      hint: hintFor('ProgressDeadlineExceeded', ''),
      events: (await listEvents(cluster, namespace, { kind: 'Deployment', name }).catch(() => []))
        .slice(-5)
        .map(quoteEvent),
    };
  }
  return snapshot;
}

async function replicaSetEvents(cluster: Cluster, namespace: string, name: string | undefined): Promise<string[]> {
  if (!name) return [];
  const events = await listEvents(cluster, namespace, { kind: 'ReplicaSet', name }).catch(() => []);
  return events
    .filter((e) => e.type === 'Warning')
    .slice(-5)
    .map(quoteEvent);
}

export function progressLine(s: RolloutSnapshot): string {
  const n = s.desired;
  const count = (f: (p: PodSnapshot) => boolean) => Math.min(n, s.pods.filter(f).length);
  const parts = [
    `${count((p) => p.scheduled)}/${n} scheduled`,
    `${count((p) => p.started)}/${n} image pulled and started`,
    `${Math.min(n, s.pods.filter((p) => p.ready).length)}/${n} ready`,
  ];
  if (s.oldPods > 0) parts.push(`${s.oldPods} old pod${s.oldPods > 1 ? 's' : ''} still serving`);
  const waiting = s.pods.find((p) => p.unschedulable);
  if (waiting) parts.push(`waiting for a node (${waiting.unschedulable})`);
  return parts.join(', ');
}

function progressFraction(s: RolloutSnapshot): number {
  if (!s.desired) return 0;
  const score = s.pods.reduce((a, p) => a + Number(p.scheduled) + Number(p.started) + Number(p.ready), 0);
  return Math.min(1, score / (3 * s.desired));
}

export interface WaitOptions {
  progress?: ProgressReporter;
  cancel?: CancellationSignal;
  /** Default 10 minutes. */
  timeoutMs?: number;
  /** Default 2 s. */
  pollMs?: number;
  /** How long a pod short of cpu/memory may wait for a node (cluster autoscaler) before it counts as failed; default 3 minutes. Accelerator shortages fail at once. */
  unschedulableGraceMs?: number;
}

export const DEFAULT_ROLLOUT_TIMEOUT_MS = 10 * 60_000;

/** Sleeps `ms`, waking early on cancellation. */
export function pause(ms: number, cancel: CancellationSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const sub = cancel.onCancellationRequested(done);
    function done() {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}

/** Error for a failed rollout: what is wrong, the quoted events, what to do. */
export function rolloutError(name: string, failure: RolloutFailure, undone: string): AccelError {
  const quoted = failure.events.length ? `\nPod events:\n${failure.events.map((e) => `  ${e}`).join('\n')}` : '';
  const code = failure.reason === 'FailedScheduling' ? 'QuotaExceeded' : 'Unavailable';
  return new AccelError(
    code,
    `Service "${name}" did not become ready: ${failure.summary}.${quoted}\n${undone} ${failure.hint}`,
    { reason: failure.reason, pod: failure.pod, events: failure.events },
  );
}

/**
 * Polls until the rollout is complete; throws (without undoing anything: the caller rolls back) when a pod fails
 * for good, on cancellation, or at the deadline. `undone` completes the error message (what the caller will undo).
 */
export async function waitForRollout(
  cluster: Cluster,
  namespace: string,
  name: string,
  opts: WaitOptions & { undone: string },
): Promise<RolloutSnapshot> {
  const progress = opts.progress ?? silentProgress;
  const cancel = opts.cancel ?? neverCancelled;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ROLLOUT_TIMEOUT_MS;
  const grace = opts.unschedulableGraceMs ?? 180_000;
  const started = Date.now();
  const firstUnschedulable = new Map<string, number>();
  let last = '';
  for (;;) {
    if (cancel.isCancellationRequested)
      throw new AccelError('Cancelled', `Deploying "${name}" was cancelled. ${opts.undone}`);
    const snap = await observeRollout(cluster, namespace, name, (p) => {
      if (insufficientResources(p.unschedulable ?? '').some((r) => r.includes('/'))) return true;
      const since = firstUnschedulable.get(p.name) ?? Date.now();
      firstUnschedulable.set(p.name, since);
      return Date.now() - since >= grace;
    });
    if (!snap.exists)
      throw new AccelError(
        'NotFound',
        `The Deployment ${namespace}/${name} disappeared while rolling out (deleted by someone else?). ${opts.undone}`,
      );
    if (snap.complete) {
      progress.report({ message: `${name}: ${snap.ready}/${snap.desired} ready`, fraction: 1 });
      return snap;
    }
    if (snap.failure) throw rolloutError(name, snap.failure, opts.undone);
    const line = `${name}: ${progressLine(snap)}`;
    if (line !== last) progress.report({ message: line, fraction: progressFraction(snap) });
    last = line;
    if (Date.now() - started >= timeoutMs) {
      const stuck = snap.pods.find((p) => !p.ready);
      const events = stuck
        ? await explainPod(cluster, namespace, stuck, stuck.waiting?.reason ?? '')
        : await replicaSetEvents(cluster, namespace, snap.replicaSet);
      throw new AccelError(
        'Unavailable',
        `Service "${name}" was not ready within ${Math.round(timeoutMs / 1000)} s (${progressLine(snap)}).${events.length ? `\nPod events:\n${events.map((e) => `  ${e}`).join('\n')}` : ''}\n${opts.undone} Retry with a longer --timeout, or check the pods with \`kubectl describe pods -n ${namespace}\`.`,
        { events },
      );
    }
    await pause(Math.min(opts.pollMs ?? 2000, Math.max(1, timeoutMs - (Date.now() - started))), cancel);
  }
}
