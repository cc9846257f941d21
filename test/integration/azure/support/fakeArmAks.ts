// The ARM side of AKS computes on a local HTTPS server (HttpsFake): Microsoft.ContainerService managedClusters PUT,
// GET, DELETE as long-running operations (201/202 with an Azure-AsyncOperation status URL that goes InProgress →
// Succeeded, or → Failed with an ARM error body; the cluster's provisioningState moves Creating → Succeeded/Failed,
// Deleting → gone), listClusterUserCredential, and the Microsoft.Compute usages and SKUs the quota check reads.
import type { HttpsFake, Recorded, Reply } from './httpsFake';

export interface FakeUsage {
  family: string;
  localName: string;
  used: number;
  limit: number;
}

export interface FakeSku {
  name: string;
  family: string;
  vcpus: number;
  gpus?: number;
}

interface Cluster {
  body: Record<string, any>;
  /** Status polls left before the operation settles. */
  pollsLeft: number;
  operation: 'create' | 'delete';
  failure?: { code: string; message: string };
}

export const AKS_API_VERSION = '2026-04-01';

export class FakeArmAks {
  private clusters = new Map<string, Cluster>();
  private operations = new Map<string, string>();
  private failures = new Map<string, { code: string; message: string }>();
  private opSeq = 0;
  /** Status polls each operation answers InProgress before it settles. */
  pollsPerOperation = 2;
  kubeconfig = '';

  constructor(
    readonly arm: HttpsFake,
    readonly subscriptionId: string,
    readonly location: string,
    usages: FakeUsage[],
    skus: FakeSku[],
  ) {
    const sub = `/subscriptions/${subscriptionId}`;
    arm.route('GET', /^\/subscriptions$/, () => ({
      json: {
        value: [{ id: sub, subscriptionId, displayName: 'Compute Tests', state: 'Enabled', tenantId: 'tenant-1' }],
      },
    }));
    arm.route('GET', new RegExp(`^${sub}/providers/Microsoft\\.Compute/locations/${location}/usages$`), () => ({
      json: {
        value: usages.map((u) => ({
          unit: 'Count',
          currentValue: u.used,
          limit: u.limit,
          name: { value: u.family, localizedValue: u.localName },
        })),
      },
    }));
    arm.route('GET', new RegExp(`^${sub}/providers/Microsoft\\.Compute/skus$`), () => ({
      json: {
        value: skus.map((s) => ({
          resourceType: 'virtualMachines',
          name: s.name,
          family: s.family,
          locations: [location],
          capabilities: [
            { name: 'vCPUs', value: String(s.vcpus) },
            ...(s.gpus ? [{ name: 'GPUs', value: String(s.gpus) }] : []),
          ],
          restrictions: [],
        })),
      },
    }));
    const cluster =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/;
    arm.route('PUT', cluster, (req, m) => this.put(req, m));
    arm.route('GET', cluster, (_req, m) => this.get(m));
    arm.route('DELETE', cluster, (_req, m) => this.delete(m));
    arm.route(
      'POST',
      /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)\/listClusterUserCredential$/,
      (_req, m) =>
        this.clusters.has(`${m[1]}/${m[2]}`)
          ? { json: { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(this.kubeconfig).toString('base64') }] } }
          : notFound(m[2]),
    );
    arm.route(
      'GET',
      /^\/subscriptions\/[^/]+\/providers\/Microsoft\.ContainerService\/locations\/[^/]+\/operations\/([^/]+)$/,
      (_req, m) => this.status(m[1]),
    );
  }

  /** The next create of `name` fails after its polls with this ARM error. */
  failNextCreate(name: string, code: string, message: string): void {
    this.failures.set(name, { code, message });
  }

  /** A cluster made outside (for attach), already Succeeded. */
  addExisting(resourceGroup: string, name: string, vmSize: string, count: number): string {
    const id = this.id(resourceGroup, name);
    this.clusters.set(`${resourceGroup}/${name}`, {
      body: this.clusterBody(id, name, this.location, 'Succeeded', [
        { name: 'system', mode: 'System', count: 1, vmSize: 'Standard_D4s_v3' },
        { name: 'fpga', mode: 'User', count, vmSize },
      ]),
      pollsLeft: 0,
      operation: 'create',
    });
    return id;
  }

  /** The cluster disappears (deleted outside). */
  remove(resourceGroup: string, name: string): void {
    this.clusters.delete(`${resourceGroup}/${name}`);
  }

  has(resourceGroup: string, name: string): boolean {
    return this.clusters.has(`${resourceGroup}/${name}`);
  }

  state(resourceGroup: string, name: string): string | undefined {
    return this.clusters.get(`${resourceGroup}/${name}`)?.body.properties.provisioningState;
  }

  /** Every request to the managedClusters API and its operations, as [method, path tail]. */
  calls(): string[] {
    return this.arm.requests
      .filter((r) => /Microsoft\.ContainerService|Microsoft\.Compute/.test(r.path))
      .map(
        (r) =>
          `${r.method} ${r.path.replace(/^\/subscriptions\/[^/]+/, '').replace(/\/resourceGroups\/[^/]+\/providers/, '')}`,
      );
  }

  private id(rg: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  }

  private clusterBody(id: string, name: string, location: string, state: string, pools: Record<string, unknown>[]) {
    return {
      id,
      name,
      type: 'Microsoft.ContainerService/ManagedClusters',
      location,
      identity: { type: 'SystemAssigned', principalId: 'p-1', tenantId: 'tenant-1' },
      properties: {
        provisioningState: state,
        kubernetesVersion: '1.33.2',
        dnsPrefix: name,
        fqdn: `${name}-dns.hcp.${location}.azmk8s.io`,
        enableRBAC: true,
        agentPoolProfiles: pools.map((p) => ({
          osType: 'Linux',
          type: 'VirtualMachineScaleSets',
          provisioningState: state,
          ...p,
        })),
      },
    };
  }

  private startOperation(key: string, location: string): Record<string, string> {
    const op = `op-${++this.opSeq}`;
    this.operations.set(op, key);
    const url = `${this.arm.url}/subscriptions/${this.subscriptionId}/providers/Microsoft.ContainerService/locations/${location}/operations/${op}?api-version=${AKS_API_VERSION}`;
    return { 'azure-asyncoperation': url, location: url.replace('/operations/', '/operationresults/') };
  }

  private put(req: Recorded, m: RegExpExecArray): Reply {
    const [, , rg, name] = m;
    const key = `${rg}/${name}`;
    const body = req.body as { location?: string; properties?: { agentPoolProfiles?: Record<string, unknown>[] } };
    if (!body?.location || !body.properties?.agentPoolProfiles?.length)
      return {
        status: 400,
        json: { error: { code: 'InvalidParameter', message: 'The request must give location and agentPoolProfiles.' } },
      };
    if (req.headers['if-none-match'] === '*' && this.clusters.has(key))
      return {
        status: 412,
        json: { error: { code: 'PreconditionFailed', message: `Managed cluster ${name} already exists.` } },
      };
    if (this.clusters.get(key)?.operation === 'delete')
      return { status: 409, json: { error: { code: 'OperationNotAllowed', message: `${name} is being deleted.` } } };
    const cluster: Cluster = {
      body: this.clusterBody(this.id(rg, name), name, body.location, 'Creating', body.properties.agentPoolProfiles),
      pollsLeft: this.pollsPerOperation,
      operation: 'create',
      failure: this.failures.get(name),
    };
    this.failures.delete(name);
    this.clusters.set(key, cluster);
    return { status: 201, headers: this.startOperation(key, body.location), json: cluster.body };
  }

  private get(m: RegExpExecArray): Reply {
    const c = this.clusters.get(`${m[2]}/${m[3]}`);
    return c ? { json: c.body } : notFound(m[3]);
  }

  private delete(m: RegExpExecArray): Reply {
    const key = `${m[2]}/${m[3]}`;
    const c = this.clusters.get(key);
    if (!c) return { status: 204 };
    c.operation = 'delete';
    c.pollsLeft = this.pollsPerOperation;
    c.failure = undefined;
    c.body.properties.provisioningState = 'Deleting';
    return { status: 202, headers: this.startOperation(key, c.body.location) };
  }

  private status(op: string): Reply {
    const key = this.operations.get(op);
    const c = key ? this.clusters.get(key) : undefined;
    const started = { name: op, startTime: new Date(0).toISOString() };
    if (!key) return notFound(op);
    if (!c) return { json: { ...started, status: 'Succeeded' } };
    if (c.pollsLeft > 0) {
      c.pollsLeft--;
      return { json: { ...started, status: 'InProgress' } };
    }
    if (c.operation === 'delete') {
      this.clusters.delete(key);
      return { json: { ...started, status: 'Succeeded' } };
    }
    if (c.failure) {
      c.body.properties.provisioningState = 'Failed';
      return { json: { ...started, status: 'Failed', error: c.failure } };
    }
    c.body.properties.provisioningState = 'Succeeded';
    for (const p of c.body.properties.agentPoolProfiles) p.provisioningState = 'Succeeded';
    return { json: { ...started, status: 'Succeeded' } };
  }
}

function notFound(name: string): Reply {
  return {
    status: 404,
    json: {
      error: {
        code: 'ResourceNotFound',
        message: `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group was not found.`,
      },
    },
  };
}
