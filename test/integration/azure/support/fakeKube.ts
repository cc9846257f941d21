// A local Kubernetes API server over HTTPS, enough for the calls the deploy makes: API discovery, server-side
// apply (PATCH application/apply-patch+yaml), read, delete, pod list and pod log. Applied objects are
// validated against the Kubernetes OpenAPI subset (422 when invalid), as a real API server would.
// It plays the controllers too: a Deployment gets ready replicas and pods, a LoadBalancer Service an address.
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
    { kind: 'Namespace', name: 'namespaces', namespaced: false },
  ],
  '/apis/apps/v1': [{ kind: 'Deployment', name: 'deployments', namespaced: true }],
  '/apis/autoscaling/v2': [{ kind: 'HorizontalPodAutoscaler', name: 'horizontalpodautoscalers', namespaced: true }],
};

const status = (code: number, reason: string, message: string): Reply => ({
  status: code,
  json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code },
});

export class FakeKube {
  readonly objects = new Map<string, Obj>();
  readonly namespaces = new Set(['default', 'models']);
  token = 'kube-token';
  /** Kinds whose apply answers 422 (to test rollback). */
  rejectKinds = new Set<string>();
  loadBalancerIp = '127.0.0.1';
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
        return o ? { json: o } : status(404, 'NotFound', `${m[3]} "${m[4]}" not found`);
      }),
    );
    this.http.route(
      'DELETE',
      objectPath,
      guard((_req, m) => {
        if (!this.objects.delete(m[0])) return status(404, 'NotFound', `${m[3]} "${m[4]}" not found`);
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
      guard((req, m) => ({
        text: `pod ${m[2]} container ${req.query.container} tail ${req.query.tailLines}\nserving gRPC on 0.0.0.0:50051\n`,
      })),
    );
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
    if (obj.kind === 'Deployment') {
      const replicas = (obj.spec?.replicas as number | undefined) ?? 1;
      stored.status = { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas };
    }
    if (obj.kind === 'Service' && obj.spec?.type === 'LoadBalancer')
      stored.status = { loadBalancer: { ingress: [{ ip: this.loadBalancerIp }] } };
    this.objects.set(m[0], stored);
    return { json: stored };
  }

  private pods(namespace: string, selector: string): unknown[] {
    const wanted = Object.fromEntries(
      selector
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=')),
    );
    const out: unknown[] = [];
    for (const d of this.objects.values()) {
      if (d.kind !== 'Deployment' || d.metadata.namespace !== namespace) continue;
      if (!Object.entries(wanted).every(([k, v]) => d.metadata.labels?.[k] === v)) continue;
      const n = (d.status?.replicas as number) ?? 1;
      for (let i = 0; i < n; i++)
        out.push({
          metadata: { name: `${d.metadata.name}-6f7c9-${i}`, namespace, labels: d.metadata.labels },
          status: { phase: 'Running' },
        });
    }
    return out;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
