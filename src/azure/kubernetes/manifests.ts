// The Kubernetes objects for one service, as plain JSON (pure: no cluster access). They mirror the original
// AksWebservice deploy configuration: autoscale on unless a replica count is given (min 1, max 10, target
// utilisation 70 %), auth on with a primary and secondary key, cpu 0.1 / memory 0.5 GB requests, liveness
// period 10 s, initial delay 310 s, timeout 2 s, failure threshold 3, and port 80 (443 with TLS).
// The container is the exported image (src/core/images.ts) running the emulator standalone on port 50051, with
// a plain-text health-only port 50052 for the kubelet's gRPC probes of TLS services.
import * as crypto from 'node:crypto';
import { AccelError } from '../../domain/errors';
import { EXPORT_GRPC_PORT, EXPORT_HEALTH_PORT } from '../../container/buildContext';
import type { PodScheduling } from '../compute/acceleratorScheduling';

export const CONTAINER_GRPC_PORT = EXPORT_GRPC_PORT;
export const CONTAINER_HEALTH_PORT = EXPORT_HEALTH_PORT;
export const FIELD_MANAGER = 'accelerated-models';
export const MANAGED_BY = 'accelerated-models';

export const AUTOSCALE_DEFAULTS = { min: 1, max: 10, targetUtilization: 70 } as const;
export const RESOURCE_DEFAULTS = { cpuCores: 0.1, memoryGb: 0.5 } as const;
export const LIVENESS_DEFAULTS = {
  periodSeconds: 10,
  initialDelaySeconds: 310,
  timeoutSeconds: 2,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

export interface Autoscale {
  min: number;
  max: number;
  targetUtilization: number;
}

export interface KubeServiceSpec {
  name: string;
  namespace: string;
  /** Pullable container image reference, e.g. `myacr.azurecr.io/mobilenet:1`. */
  image: string;
  /** The store's image id it was built from (`name:version`), recorded as an annotation. */
  imageId: string;
  /** Fixed replica count; when absent the service autoscales. */
  replicas?: number;
  autoscale?: Autoscale;
  auth: { enabled: false } | { enabled: true; primaryKey: string; secondaryKey: string };
  tls?: { certPem: string; keyPem: string };
  cpuCores?: number;
  memoryGb?: number;
  /** Azure load balancer DNS label (annotation on the Service): `<label>.<region>.cloudapp.azure.com`. */
  dnsLabel?: string;
  /** Where the pods may run: accelerator requests, node selector and tolerations of the chosen compute. */
  scheduling?: PodScheduling;
}

export type { PodScheduling };

export const DNS_LABEL_ANNOTATION = 'service.beta.kubernetes.io/azure-dns-label-name';

/** Azure DNS labels: 3-63 lowercase letters, digits and '-', starting with a letter, not ending with '-'. */
export function validateDnsLabel(label: string): void {
  if (!/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(label)) {
    throw new AccelError(
      'InvalidArgument',
      `--dns-label "${label}" is not a valid Azure DNS label: use 3-63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. "mobilenet-contoso").`,
    );
  }
}

/** The name an Azure load balancer's DNS label gives in a region, e.g. mobilenet.westus2.cloudapp.azure.com. */
export function dnsLabelName(label: string, region: string): string {
  return `${label}.${region.toLowerCase().replace(/\s+/g, '')}.cloudapp.azure.com`;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$/;

export function validateKubernetesName(name: string): void {
  if (!DNS_LABEL.test(name)) {
    throw new AccelError(
      'InvalidArgument',
      `"${name}" cannot name a Kubernetes service: use 1-50 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. "mobilenet-svc").`,
    );
  }
}

export function validateNamespace(ns: string): void {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
    throw new AccelError(
      'InvalidArgument',
      `"${ns}" is not a valid Kubernetes namespace: use lowercase letters, digits and '-' (e.g. "default" or "models").`,
    );
  }
}

export function resolveScaling(opts: { replicas?: number; autoscale?: Partial<Autoscale> | boolean }): {
  replicas?: number;
  autoscale?: Autoscale;
} {
  if (opts.replicas !== undefined && opts.autoscale) {
    throw new AccelError(
      'InvalidArgument',
      'Give either --replicas N (a fixed count) or --autoscale [--min N --max N --target-utilization P], not both.',
    );
  }
  if (opts.replicas !== undefined) {
    if (!Number.isInteger(opts.replicas) || opts.replicas < 1 || opts.replicas > 1000) {
      throw new AccelError(
        'InvalidArgument',
        `--replicas must be a whole number from 1 to 1000 (got ${opts.replicas}).`,
      );
    }
    return { replicas: opts.replicas };
  }
  const given = typeof opts.autoscale === 'object' ? opts.autoscale : {};
  const a: Autoscale = {
    min: given.min ?? AUTOSCALE_DEFAULTS.min,
    max: given.max ?? AUTOSCALE_DEFAULTS.max,
    targetUtilization: given.targetUtilization ?? AUTOSCALE_DEFAULTS.targetUtilization,
  };
  if (!Number.isInteger(a.min) || a.min < 1)
    throw new AccelError('InvalidArgument', `--min must be a whole number ≥ 1 (got ${a.min}).`);
  if (!Number.isInteger(a.max) || a.max < a.min)
    throw new AccelError('InvalidArgument', `--max must be a whole number ≥ --min (${a.min}) (got ${a.max}).`);
  if (!Number.isInteger(a.targetUtilization) || a.targetUtilization < 1 || a.targetUtilization > 100) {
    throw new AccelError(
      'InvalidArgument',
      `--target-utilization must be a percentage from 1 to 100 (got ${a.targetUtilization}).`,
    );
  }
  return { autoscale: a };
}

export function keysSecretName(name: string): string {
  return `${name}-keys`;
}

export function tlsSecretName(name: string): string {
  return `${name}-tls`;
}

function labels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

export function selectorFor(name: string): string {
  return `app.kubernetes.io/name=${name},app.kubernetes.io/managed-by=${MANAGED_BY}`;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A digest of the secrets the pods read at start-up: a change rolls the pods (new keys take effect, no downtime). */
function secretsDigest(spec: KubeServiceSpec): string {
  const h = crypto.createHash('sha256');
  if (spec.auth.enabled) h.update(`${spec.auth.primaryKey}\n${spec.auth.secondaryKey}\n`);
  if (spec.tls) h.update(`${spec.tls.certPem}\n${spec.tls.keyPem}`);
  return h.digest('hex').slice(0, 16);
}

/** The objects in apply order: secrets first, then what reads them. */
export function buildManifests(spec: KubeServiceSpec): KubeObject[] {
  validateKubernetesName(spec.name);
  validateNamespace(spec.namespace);
  const { name, namespace } = spec;
  const meta = (n: string) => ({ name: n, namespace, labels: labels(name) });
  const objects: KubeObject[] = [];

  const env: unknown[] = [
    { name: 'ACCEL_SERVICE_NAME', value: name },
    { name: 'ACCEL_REPLICAS', value: '1' },
    { name: 'ACCEL_DEVICES', value: '1' },
  ];
  const volumes: unknown[] = [];
  const mounts: unknown[] = [];
  if (spec.auth.enabled) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(keysSecretName(name)),
      type: 'Opaque',
      data: { primaryKey: b64(spec.auth.primaryKey), secondaryKey: b64(spec.auth.secondaryKey) },
    });
    env.push(
      { name: 'ACCEL_PRIMARY_KEY', valueFrom: { secretKeyRef: { name: keysSecretName(name), key: 'primaryKey' } } },
      { name: 'ACCEL_SECONDARY_KEY', valueFrom: { secretKeyRef: { name: keysSecretName(name), key: 'secondaryKey' } } },
    );
  } else {
    env.push({ name: 'ACCEL_AUTH', value: 'disabled' });
  }
  if (spec.tls) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(tlsSecretName(name)),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(spec.tls.certPem), 'tls.key': b64(spec.tls.keyPem) },
    });
    volumes.push({ name: 'tls', secret: { secretName: tlsSecretName(name) } });
    mounts.push({ name: 'tls', mountPath: '/etc/accel/tls', readOnly: true });
    env.push(
      { name: 'ACCEL_TLS_CERT_FILE', value: '/etc/accel/tls/tls.crt' },
      { name: 'ACCEL_TLS_KEY_FILE', value: '/etc/accel/tls/tls.key' },
    );
  }
  // The kubelet's gRPC probe (grpc.health.v1) speaks plain text only, so a TLS service is probed on the container's
  // plain-text health-only port (not exposed by the Service), asking for this service's status.
  const ports: unknown[] = [{ name: 'grpc', containerPort: CONTAINER_GRPC_PORT, protocol: 'TCP' }];
  if (spec.tls) {
    env.push({ name: 'ACCEL_HEALTH_PORT', value: String(CONTAINER_HEALTH_PORT) });
    ports.push({ name: 'health', containerPort: CONTAINER_HEALTH_PORT, protocol: 'TCP' });
  }
  const probe = spec.tls
    ? { grpc: { port: CONTAINER_HEALTH_PORT, service: name } }
    : { grpc: { port: CONTAINER_GRPC_PORT } };
  const cpu = spec.cpuCores ?? RESOURCE_DEFAULTS.cpuCores;
  const memoryGb = spec.memoryGb ?? RESOURCE_DEFAULTS.memoryGb;
  // Extended resources (the accelerator's device plugin) are requested through limits alone.
  const limits = spec.scheduling?.resources?.limits ?? {};
  const resources = {
    requests: { cpu: `${Math.round(cpu * 1000)}m`, memory: `${Math.round(memoryGb * 1024)}Mi` },
    ...(Object.keys(limits).length ? { limits: { ...limits } } : {}),
  };
  const nodeSelector = spec.scheduling?.nodeSelector;
  const tolerations = spec.scheduling?.tolerations;

  objects.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta(name), annotations: { 'accel.models/image-id': spec.imageId } },
    spec: {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      selector: { matchLabels: labels(name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(name), annotations: { 'accel.models/secrets-digest': secretsDigest(spec) } },
        spec: {
          containers: [
            {
              name: 'model',
              image: spec.image,
              ports,
              env,
              resources,
              readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
              livenessProbe: { ...probe, ...LIVENESS_DEFAULTS },
              ...(mounts.length ? { volumeMounts: mounts } : {}),
            },
          ],
          ...(volumes.length ? { volumes } : {}),
          ...(nodeSelector && Object.keys(nodeSelector).length ? { nodeSelector } : {}),
          ...(tolerations?.length ? { tolerations } : {}),
        },
      },
    },
  });

  objects.push(serviceManifest(spec.name, spec.namespace, !!spec.tls, spec.dnsLabel));

  if (spec.autoscale) {
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(name),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: spec.autoscale.min,
        maxReplicas: spec.autoscale.max,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: spec.autoscale.targetUtilization },
            },
          },
        ],
      },
    });
  }
  return objects;
}

/** The LoadBalancer Service (port 443 with TLS, else 80); applied on its own first when a certificate must name its address. */
export function serviceManifest(name: string, namespace: string, tls: boolean, dnsLabel?: string): KubeObject {
  if (dnsLabel) validateDnsLabel(dnsLabel);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: labels(name),
      ...(dnsLabel ? { annotations: { [DNS_LABEL_ANNOTATION]: dnsLabel } } : {}),
    },
    spec: {
      type: 'LoadBalancer',
      selector: labels(name),
      ports: [
        {
          name: tls ? 'grpcs' : 'grpc',
          port: tls ? 443 : 80,
          targetPort: 'grpc',
          protocol: 'TCP',
          appProtocol: 'grpc',
        },
      ],
    },
  };
}

/** The objects a service may own (for delete and for removing what an update no longer needs). */
export function ownedObjectRefs(name: string, namespace: string): KubeObject[] {
  const m = (n: string) => ({ name: n, namespace });
  return [
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: m(name) },
    { apiVersion: 'v1', kind: 'Service', metadata: m(name) },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: m(name) },
    { apiVersion: 'v1', kind: 'Secret', metadata: m(tlsSecretName(name)) },
    { apiVersion: 'v1', kind: 'Secret', metadata: m(keysSecretName(name)) },
  ];
}
