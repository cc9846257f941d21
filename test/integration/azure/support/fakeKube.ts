// A local Kubernetes API server over HTTPS, enough for the calls the deploy makes: API discovery, server-side
// apply (PATCH application/apply-patch+yaml), read, delete, pod, ReplicaSet and event lists, pod log. Applied
// objects are validated against the Kubernetes OpenAPI subset (422 when invalid), as a real API server would.
// It plays the controllers too, over time: a Deployment's template change makes a new ReplicaSet (revision
// annotation, pod-template-hash) whose pods go created → scheduled → image pulled and started → ready, one step of
// `stepMs` each, while the old ReplicaSet's pods keep serving until the new ones are ready (maxUnavailable 0);
// status.observedGeneration lags one step behind an apply. Failures are scripted the way a cluster would meet them:
// an image in `imageFailures` fails to pull (ErrImagePull, then ImagePullBackOff) or crash-loops; a pod whose
// limits ask for an extended resource beyond `capacity` stays Pending with a FailedScheduling event
// ("0/3 nodes are available: 3 Insufficient xilinx.com/fpga."). Each pod's events follow the same timeline.
// A LoadBalancer Service gets status.loadBalancer.ingress from `ingressFor` (after `loadBalancerDelayMs`).
import * as crypto from 'node:crypto';
import { HttpsFake, type Recorded, type Reply } from './httpsFake';
import { kubernetesSchemaErrors } from './kubeSchemas';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const RESOURCES: Record<string, { kind: string; name: string; namespaced: boolean }[]> = {
  '/api/v1': [
    { kind: 'Secret', name: 'secrets', namespaced: true },
    { kind: 'Service', name: 'services', namespaced: true },
    { kind: 'Pod', name: 'pods', namespaced: true },
    { kind: 'Event', name: 'events', namespaced: true },
    { kind: 'Namespace', name: 'namespaces', namespaced: false },
  ],
  '/apis/apps/v1': [
    { kind: 'Deployment', name: 'deployments', namespaced: true },
    { kind: 'ReplicaSet', name: 'replicasets', namespaced: true },
  ],
  '/apis/autoscaling/v2': [{ kind: 'HorizontalPodAutoscaler', name: 'horizontalpodautoscalers', namespaced: true }],
};

const status = (code: number, reason: string, message: string): Reply => ({
  status: code,
  json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code },
});

/** How the pods of an image fail: the image cannot be pulled, or the container exits at start again and again. */
export type ImageFailure = 'ErrImagePull' | 'CrashLoopBackOff';

/** Where a LoadBalancer Service is reached; `port` is reported in ingress[].ports (clients connect there). */
export interface FakeIngress {
  ip?: string;
  hostname?: string;
  port?: number;
}

interface ReplicaSetState {
  hash: string;
  revision: number;
  /** When it last became the Deployment's current ReplicaSet (its pods start then). */
  since: number;
  /** When another ReplicaSet replaced it. */
  retiredAt?: number;
  template: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Container[] } };
}

interface Container {
  name: string;
  image: string;
  resources?: { limits?: Record<string, string> };
}

interface DeploymentState {
  generation: number;
  appliedAt: number;
  sets: ReplicaSetState[];
}

type PodStage = {
  phase: string;
  scheduled: boolean | 'unschedulable';
  container?: { state: Record<string, unknown>; ready: boolean; restartCount: number; lastState?: unknown };
  ready: boolean;
  events: { type: string; reason: string; message: string; count?: number; at: number }[];
};

export class FakeKube {
  readonly objects = new Map<string, Obj>();
  readonly namespaces = new Set(['default', 'models']);
  token = 'kube-token';
  /** Kinds whose apply answers 422 (to test rollback). */
  rejectKinds = new Set<string>();
  /** The default load balancer address (see ingressFor). */
  loadBalancerIp = '127.0.0.1';
  /** How long each rollout stage of a pod takes (created → scheduled → started → ready). */
  stepMs = 25;
  /** Images whose pods fail, by image reference. */
  readonly imageFailures = new Map<string, ImageFailure>();
  /** Extended resources the nodes offer per pod (e.g. { 'xilinx.com/fpga': 1 }); anything else asked for is short. */
  capacity: Record<string, number> = {};
  /** A namespace ResourceQuota on pods: a ReplicaSet asking for more creates none (FailedCreate, ReplicaFailure). */
  podQuota?: number;
  /** Nodes the scheduler reports in FailedScheduling messages. */
  nodeCount = 3;
  /**
   * The external address of LoadBalancer Service `name`; undefined = none yet (pending). A test may point it at a
   * real local endpoint (e.g. a gRPC server on 127.0.0.1 and its port) so clients that read the address from the
   * cluster can score through it: `kube.ingressFor = (name) => ({ ip: '127.0.0.1', port: endpoint.port })`.
   */
  ingressFor: (name: string, namespace: string) => FakeIngress | undefined = () => ({ ip: this.loadBalancerIp });
  /** The address appears this long after the Service is first applied (AKS takes a minute or two). */
  loadBalancerDelayMs = 0;
  /** Why the cloud cannot make the load balancer (a Warning SyncLoadBalancerFailed event on the Service while it has no address). */
  loadBalancerError?: string;
  /** The log of a pod's container (default: what the standalone server prints, or a crash for crash-looping images). */
  podLog?: (pod: string, container: string, query: Record<string, string>) => string;
  /**
   * Virtual time for deterministic tests: each read of a Deployment or Service advances the clock by one `stepMs`, so every poll
   * of a rollout sees the next stage whatever the machine's speed. Off: wall-clock time.
   */
  get stepPerRead(): boolean {
    return this.virtual;
  }
  set stepPerRead(on: boolean) {
    this.virtualNow = Math.max(this.virtualNow, Date.now());
    this.virtual = on;
  }
  private virtual = false;
  private virtualNow = Date.now();
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly serviceCreated = new Map<string, number>();
  private version = 1;
  private constructor(readonly http: HttpsFake) {}

  static async start(): Promise<FakeKube> {
    const kube = new FakeKube(await HttpsFake.start());
    kube.install();
    return kube;
  }

  get url(): string {
    return this.http.url;
  }

  get requests(): Recorded[] {
    return this.http.requests;
  }

  kubeconfig(context = 'test-cluster', token = this.token): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${context}`,
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority-data: ${Buffer.from(this.http.ca).toString('base64')}`,
      'users:',
      `- name: ${context}-user`,
      '  user:',
      `    token: ${token}`,
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}`,
      `    user: ${context}-user`,
      `current-context: ${context}`,
      '',
    ].join('\n');
  }

  get(kind: string, namespace: string, name: string): Obj | undefined {
    return [...this.objects.values()].find(
      (o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name,
    );
  }

  private authorized(req: Recorded): boolean {
    return req.headers.authorization === `Bearer ${this.token}`;
  }

  private install(): void {
    const guard =
      (fn: (req: Recorded, m: RegExpExecArray) => Reply) =>
      (req: Recorded, m: RegExpExecArray): Reply =>
        this.authorized(req) ? fn(req, m) : status(401, 'Unauthorized', 'Unauthorized');
    for (const [root, resources] of Object.entries(RESOURCES)) {
      const groupVersion = root.replace(/^\/apis?\//, '');
      this.http.route(
        'GET',
        new RegExp(`^${root}$`),
        guard(() => ({
          json: {
            kind: 'APIResourceList',
            groupVersion,
            resources: resources.map((r) => ({
              ...r,
              singularName: '',
              verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
            })),
          },
        })),
      );
    }
    const objectPath = /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/;
    this.http.route(
      'PATCH',
      objectPath,
      guard((req, m) => this.apply(req, m)),
    );
    this.http.route(
      'GET',
      objectPath,
      guard((_req, m) => {
        const o = this.objects.get(m[0]);
        if ((o?.kind === 'Deployment' || o?.kind === 'Service') && this.virtual) this.virtualNow += this.stepMs;
        return o ? { json: this.withStatus(m[0], o) } : status(404, 'NotFound', `${m[3]} "${m[4]}" not found`);
      }),
    );
    this.http.route(
      'DELETE',
      objectPath,
      guard((_req, m) => {
        if (!this.objects.delete(m[0])) return status(404, 'NotFound', `${m[3]} "${m[4]}" not found`);
        this.deployments.delete(m[0]);
        this.serviceCreated.delete(m[0]);
        return { json: { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 } };
      }),
    );
    this.http.route(
      'GET',
      /^\/api\/v1\/namespaces\/([^/]+)\/pods$/,
      guard((req, m) => ({
        json: {
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: {},
          items: this.pods(m[1], req.query.labelSelector ?? ''),
        },
      })),
    );
    this.http.route(
      'GET',
      /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/,
      guard((req, m) => {
        const pod = this.listPods(m[1], '').find((p) => p.metadata.name === m[2]);
        if (!pod) return status(404, 'NotFound', `pods "${m[2]}" not found`);
        if (!pod.started) {
          const why =
            pod.image && this.imageFailures.get(pod.image) === 'ErrImagePull'
              ? 'trying and failing to pull image'
              : 'ContainerCreating';
          return status(
            400,
            'BadRequest',
            `container "${req.query.container}" in pod "${m[2]}" is waiting to start: ${why}`,
          );
        }
        const custom = this.podLog?.(m[2], req.query.container ?? '', req.query);
        if (custom !== undefined) return { text: custom };
        const crashing = pod.image && this.imageFailures.get(pod.image) === 'CrashLoopBackOff';
        return {
          text: crashing
            ? `pod ${m[2]} container ${req.query.container} tail ${req.query.tailLines}\nAccelError: No key configured: set ACCEL_PRIMARY_KEY (and optionally ACCEL_SECONDARY_KEY)\n`
            : `pod ${m[2]} container ${req.query.container} tail ${req.query.tailLines}\nserving gRPC on 0.0.0.0:50051\n`,
        };
      }),
    );
    this.http.route(
      'GET',
      /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/,
      guard((req, m) => ({
        json: {
          kind: 'ReplicaSetList',
          apiVersion: 'apps/v1',
          metadata: {},
          items: this.replicaSets(m[1], req.query.labelSelector ?? ''),
        },
      })),
    );
    this.http.route(
      'GET',
      /^\/api\/v1\/namespaces\/([^/]+)\/events$/,
      guard((req, m) => ({
        json: {
          kind: 'EventList',
          apiVersion: 'v1',
          metadata: {},
          items: this.events(m[1], req.query.fieldSelector ?? ''),
        },
      })),
    );
  }

  /** The Deployments' controller and the load balancer, run lazily on read. */
  private withStatus(key: string, o: Obj): Obj {
    if (o.kind === 'Deployment') o.status = this.deploymentStatus(key, o);
    if (o.kind === 'Service' && o.spec?.type === 'LoadBalancer') {
      const created = this.serviceCreated.get(key) ?? 0;
      const ingress =
        this.now() - created >= this.loadBalancerDelayMs
          ? this.ingressFor(o.metadata.name, o.metadata.namespace!)
          : undefined;
      o.status = {
        loadBalancer: ingress
          ? {
              ingress: [
                {
                  ...(ingress.ip ? { ip: ingress.ip } : {}),
                  ...(ingress.hostname ? { hostname: ingress.hostname } : {}),
                  ...(ingress.port ? { ports: [{ port: ingress.port, protocol: 'TCP' }] } : {}),
                },
              ],
            }
          : {},
      };
    }
    return o;
  }

  private now(): number {
    return this.virtual ? this.virtualNow : Date.now();
  }

  private desired(o: Obj): number {
    return (o.spec?.replicas as number | undefined) ?? 1;
  }

  /** What stage a pod of `rs` is in now, and its events so far. */
  private stage(rs: ReplicaSetState, podName: string, now = this.now()): PodStage {
    const c = rs.template.spec?.containers?.[0];
    const image = c?.image ?? '';
    const end = rs.retiredAt ?? now;
    const k = Math.floor((end - rs.since) / this.stepMs);
    const at = (i: number) => rs.since + i * this.stepMs;
    const events: PodStage['events'] = [];
    const short = Object.entries(c?.resources?.limits ?? {}).filter(
      ([r, n]) => r.includes('/') && Number(n) > (this.capacity[r] ?? 0),
    );
    if (short.length) {
      const msg = `0/${this.nodeCount} nodes are available: ${short.map(([r]) => `${this.nodeCount} Insufficient ${r}`).join(', ')}. preemption: 0/${this.nodeCount} nodes are available: ${this.nodeCount} No preemption victims found for incoming pod.`;
      if (k >= 1) events.push({ type: 'Warning', reason: 'FailedScheduling', message: msg, count: k, at: at(1) });
      return { phase: 'Pending', scheduled: k >= 1 ? 'unschedulable' : false, ready: false, events };
    }
    if (k < 1) return { phase: 'Pending', scheduled: false, ready: false, events };
    events.push(
      {
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${podName} to aks-nodepool1-0`,
        at: at(1),
      },
      { type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"`, at: at(1) },
    );
    if (k < 2)
      return {
        phase: 'Pending',
        scheduled: true,
        container: { state: { waiting: { reason: 'ContainerCreating' } }, ready: false, restartCount: 0 },
        ready: false,
        events,
      };
    const failure = this.imageFailures.get(image);
    if (failure === 'ErrImagePull') {
      const why = `failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
      events.push(
        {
          type: 'Warning',
          reason: 'Failed',
          message: `Failed to pull image "${image}": rpc error: code = NotFound desc = ${why}`,
          at: at(2),
        },
        { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull', at: at(2) },
      );
      if (k >= 3)
        events.push(
          { type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${image}"`, count: k - 2, at: at(3) },
          { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff', count: k - 2, at: at(3) },
        );
      return {
        phase: 'Pending',
        scheduled: true,
        container: {
          state: {
            waiting:
              k >= 3
                ? { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` }
                : { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = ${why}` },
          },
          ready: false,
          restartCount: 0,
        },
        ready: false,
        events,
      };
    }
    events.push(
      { type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in 1.204s`, at: at(2) },
      { type: 'Normal', reason: 'Created', message: 'Created container model', at: at(2) },
      { type: 'Normal', reason: 'Started', message: 'Started container model', at: at(2) },
    );
    if (failure === 'CrashLoopBackOff') {
      const running = k < 3;
      if (!running)
        events.push({
          type: 'Warning',
          reason: 'BackOff',
          message: `Back-off restarting failed container model in pod ${podName}`,
          count: k - 2,
          at: at(3),
        });
      return {
        phase: 'Running',
        scheduled: true,
        container: {
          state: running
            ? { running: { startedAt: new Date(at(2)).toISOString() } }
            : {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off 10s restarting failed container=model pod=${podName}`,
                },
              },
          lastState: running ? {} : { terminated: { exitCode: 1, reason: 'Error' } },
          ready: false,
          restartCount: Math.max(0, k - 2),
        },
        ready: false,
        events,
      };
    }
    const ready = k >= 3;
    return {
      phase: 'Running',
      scheduled: true,
      container: { state: { running: { startedAt: new Date(at(2)).toISOString() } }, ready, restartCount: 0 },
      ready,
      events,
    };
  }

  private current(d: DeploymentState): ReplicaSetState {
    return d.sets.reduce((a, b) => (b.revision > a.revision ? b : a));
  }

  /** The pods that exist now for a Deployment: the current ReplicaSet's, and the previous one's while it still serves. */
  private podsOf(key: string, o: Obj): { rs: ReplicaSetState; name: string; stage: PodStage }[] {
    const d = this.deployments.get(key);
    if (!d) return [];
    const n = this.desired(o);
    const cur = this.current(d);
    const created = this.quotaRefuses(o) ? 0 : n;
    const pods = Array.from({ length: created }, (_, i) => {
      const name = `${o.metadata.name}-${cur.hash}-${i}`;
      return { rs: cur, name, stage: this.stage(cur, name) };
    });
    const allReady = created > 0 && pods.every((p) => p.stage.ready);
    const previous = d.sets
      .filter((s) => s !== cur && s.retiredAt !== undefined)
      .sort((a, b) => b.revision - a.revision)[0];
    if (!allReady && previous && this.stage(previous, '').ready)
      for (let i = 0; i < n; i++) {
        const name = `${o.metadata.name}-${previous.hash}-${i}`;
        pods.push({ rs: previous, name, stage: this.stage(previous, name) });
      }
    return pods;
  }

  private quotaRefuses(o: Obj): boolean {
    return this.podQuota !== undefined && this.desired(o) > this.podQuota;
  }

  private deploymentStatus(key: string, o: Obj): Record<string, unknown> {
    const d = this.deployments.get(key)!;
    const n = this.desired(o);
    const cur = this.current(d);
    const pods = this.podsOf(key, o);
    const fresh = pods.filter((p) => p.rs === cur);
    const ready = pods.filter((p) => p.stage.ready).length;
    const complete = fresh.length === n && fresh.every((p) => p.stage.ready) && pods.length === n;
    const refused = this.quotaRefuses(o);
    const observed = this.now() - d.appliedAt >= this.stepMs;
    return {
      observedGeneration: observed ? d.generation : d.generation - 1,
      replicas: pods.length,
      updatedReplicas: fresh.length,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(pods.length - ready ? { unavailableReplicas: pods.length - ready } : {}),
      conditions: [
        ...(refused
          ? [
              {
                type: 'ReplicaFailure',
                status: 'True',
                reason: 'FailedCreate',
                message: `pods "${o.metadata.name}-${cur.hash}-0" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=${this.podQuota}, limited: pods=${this.podQuota}`,
              },
            ]
          : []),
        {
          type: 'Available',
          status: ready >= n ? 'True' : 'False',
          reason: ready >= n ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: complete ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          message: complete
            ? `ReplicaSet "${o.metadata.name}-${cur.hash}" has successfully progressed.`
            : `ReplicaSet "${o.metadata.name}-${cur.hash}" is progressing.`,
        },
      ],
    };
  }

  private matches(labels: Record<string, string> | undefined, selector: string): boolean {
    const wanted = selector
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('='));
    return wanted.every(([k, v]) => labels?.[k] === v);
  }

  private replicaSets(namespace: string, selector: string): unknown[] {
    const out: unknown[] = [];
    for (const [key, o] of this.objects) {
      if (o.kind !== 'Deployment' || o.metadata.namespace !== namespace) continue;
      const d = this.deployments.get(key);
      if (!d) continue;
      const cur = this.current(d);
      const live = new Set(this.podsOf(key, o).map((p) => p.rs));
      for (const rs of d.sets) {
        const labels = { ...(rs.template.metadata?.labels ?? {}), 'pod-template-hash': rs.hash };
        if (!this.matches(labels, selector)) continue;
        const n = live.has(rs) ? this.desired(o) : 0;
        out.push({
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${o.metadata.name}-${rs.hash}`,
            namespace,
            labels,
            annotations: { 'deployment.kubernetes.io/revision': String(rs.revision) },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: o.metadata.name,
                uid: o.metadata.uid,
                controller: true,
              },
            ],
          },
          spec: {
            replicas: rs === cur ? this.desired(o) : n,
            selector: { matchLabels: labels },
            template: rs.template,
          },
          status: { replicas: n },
        });
      }
    }
    return out;
  }

  private listPods(namespace: string, selector: string) {
    const out: {
      metadata: { name: string; namespace: string; labels: Record<string, string> };
      image?: string;
      /** The container has started (it has a log). */
      started: boolean;
      body: unknown;
    }[] = [];
    for (const [key, o] of this.objects) {
      if (o.kind !== 'Deployment' || o.metadata.namespace !== namespace) continue;
      for (const p of this.podsOf(key, o)) {
        const labels = { ...(p.rs.template.metadata?.labels ?? {}), 'pod-template-hash': p.rs.hash };
        if (!this.matches(labels, selector)) continue;
        const c = p.rs.template.spec?.containers?.[0];
        const st = p.stage;
        const conditions: unknown[] = [];
        if (st.scheduled === 'unschedulable') {
          const msg = st.events.find((e) => e.reason === 'FailedScheduling')?.message ?? '';
          conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg });
        } else if (st.scheduled) {
          conditions.push(
            { type: 'PodScheduled', status: 'True' },
            { type: 'Initialized', status: 'True' },
            { type: 'ContainersReady', status: st.ready ? 'True' : 'False' },
            { type: 'Ready', status: st.ready ? 'True' : 'False' },
          );
        }
        const metadata = { name: p.name, namespace, labels };
        out.push({
          metadata,
          image: c?.image,
          started: !!st.container && !('waiting' in st.container.state && st.container.restartCount === 0),
          body: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              ...metadata,
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: 'ReplicaSet',
                  name: `${o.metadata.name}-${p.rs.hash}`,
                  uid: `uid-rs-${p.rs.hash}`,
                },
              ],
            },
            spec: p.rs.template.spec,
            status: {
              phase: st.phase,
              conditions,
              ...(st.container
                ? {
                    containerStatuses: [
                      { name: c?.name ?? 'model', image: c?.image ?? '', imageID: '', ...st.container },
                    ],
                  }
                : {}),
            },
          },
        });
      }
    }
    return out;
  }

  private events(namespace: string, fieldSelector: string): unknown[] {
    const wanted = Object.fromEntries(
      fieldSelector
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=')),
    );
    const out: unknown[] = [];
    for (const [key, o] of this.objects) {
      if (
        o.kind === 'Service' &&
        o.metadata.namespace === namespace &&
        wanted['involvedObject.kind'] === 'Service' &&
        wanted['involvedObject.name'] === o.metadata.name &&
        !(this.withStatus(key, o).status?.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress
      ) {
        const at = new Date(this.serviceCreated.get(key) ?? this.now()).toISOString();
        const event = (reason: string, type: string, message: string) => ({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${o.metadata.name}.${reason}`, namespace },
          involvedObject: { kind: 'Service', name: o.metadata.name, namespace },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: at,
          lastTimestamp: at,
          source: { component: 'service-controller' },
        });
        out.push(event('EnsuringLoadBalancer', 'Normal', 'Ensuring load balancer'));
        if (this.loadBalancerError)
          out.push(
            event(
              'SyncLoadBalancerFailed',
              'Warning',
              `Error syncing load balancer: failed to ensure load balancer: ${this.loadBalancerError}`,
            ),
          );
      }
      if (o.kind !== 'Deployment' || o.metadata.namespace !== namespace) continue;
      const d = this.deployments.get(key);
      const rsName = d ? `${o.metadata.name}-${this.current(d).hash}` : '';
      if (
        d &&
        this.quotaRefuses(o) &&
        wanted['involvedObject.kind'] === 'ReplicaSet' &&
        wanted['involvedObject.name'] === rsName
      )
        out.push({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${rsName}.quota`, namespace },
          involvedObject: { kind: 'ReplicaSet', name: rsName, namespace },
          type: 'Warning',
          reason: 'FailedCreate',
          message: `Error creating: pods "${rsName}-0" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=${this.podQuota}, limited: pods=${this.podQuota}`,
          count: 1,
          firstTimestamp: new Date(this.current(d).since).toISOString(),
          lastTimestamp: new Date(this.current(d).since).toISOString(),
          source: { component: 'replicaset-controller' },
        });
      for (const p of this.podsOf(key, o)) {
        if (wanted['involvedObject.kind'] && wanted['involvedObject.kind'] !== 'Pod') continue;
        if (wanted['involvedObject.name'] && wanted['involvedObject.name'] !== p.name) continue;
        p.stage.events.forEach((e, i) =>
          out.push({
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: `${p.name}.${i}`, namespace },
            involvedObject: { kind: 'Pod', name: p.name, namespace },
            type: e.type,
            reason: e.reason,
            message: e.message,
            count: e.count ?? 1,
            firstTimestamp: new Date(e.at).toISOString(),
            lastTimestamp: new Date(e.at + i).toISOString(),
            source: {
              component: e.reason === 'FailedScheduling' || e.reason === 'Scheduled' ? 'default-scheduler' : 'kubelet',
            },
          }),
        );
      }
    }
    return out;
  }

  private apply(req: Recorded, m: RegExpExecArray): Reply {
    if (!String(req.headers['content-type']).startsWith('application/apply-patch+yaml'))
      return status(415, 'UnsupportedMediaType', `expected an apply patch, got ${req.headers['content-type']}`);
    if (!req.query.fieldManager) return status(422, 'Invalid', 'fieldManager is required for apply patch');
    const [, , namespace, plural, name] = m;
    if (!this.namespaces.has(namespace)) return status(404, 'NotFound', `namespaces "${namespace}" not found`);
    const obj = req.body as Obj;
    const resource = Object.values(RESOURCES)
      .flat()
      .find((r) => r.name === plural);
    if (!resource || obj.kind !== resource.kind || obj.metadata?.name !== name)
      return status(400, 'BadRequest', 'the object does not match the URL');
    const errors = kubernetesSchemaErrors(obj);
    if (errors.length || this.rejectKinds.has(obj.kind))
      return status(422, 'Invalid', `${obj.kind} "${name}" is invalid: ${errors.join('; ') || 'rejected by the test'}`);
    const stored: Obj = structuredClone(obj);
    stored.metadata = {
      ...stored.metadata,
      namespace,
      uid: `uid-${name}-${plural}`,
      resourceVersion: String(this.version++),
    };
    if (obj.kind === 'Deployment') this.rollDeployment(m[0], stored);
    if (obj.kind === 'Service' && !this.serviceCreated.has(m[0])) this.serviceCreated.set(m[0], this.now());
    this.objects.set(m[0], stored);
    return { json: this.withStatus(m[0], stored) };
  }

  /** The Deployment controller's part of an apply: generation, and a new (or revived) current ReplicaSet. */
  private rollDeployment(key: string, stored: Obj): void {
    const previous = this.objects.get(key);
    const now = this.now();
    const template = structuredClone(stored.spec?.template) as ReplicaSetState['template'];
    const hash = crypto.createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
    let d = this.deployments.get(key);
    if (!d) {
      d = { generation: 1, appliedAt: now, sets: [] };
      this.deployments.set(key, d);
    } else if (JSON.stringify(previous?.spec) !== JSON.stringify(stored.spec)) {
      d.generation++;
      d.appliedAt = now;
    }
    const revision = Math.max(0, ...d.sets.map((s) => s.revision)) + 1;
    const cur = d.sets.length ? this.current(d) : undefined;
    if (cur?.hash !== hash) {
      if (cur) cur.retiredAt = now;
      // Going back to a ReplicaSet whose pods still serve (the rollout that replaced it never completed) keeps them.
      const serving = previous ? new Set(this.podsOf(key, previous).map((p) => p.rs)) : new Set();
      const existing = d.sets.find((s) => s.hash === hash);
      if (existing && serving.has(existing)) Object.assign(existing, { revision, retiredAt: undefined });
      else if (existing) Object.assign(existing, { revision, since: now, retiredAt: undefined });
      else d.sets.push({ hash, revision, since: now, template });
    }
    stored.metadata.generation = d.generation;
    stored.metadata.annotations = {
      ...((stored.metadata.annotations as Record<string, string> | undefined) ?? {}),
      'deployment.kubernetes.io/revision': String(this.current(d).revision),
    };
  }

  private pods(namespace: string, selector: string): unknown[] {
    return this.listPods(namespace, selector).map((p) => p.body);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
