// The generated Kubernetes objects, validated against the Kubernetes OpenAPI subset, and the AksWebservice defaults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildManifests, resolveScaling, type KubeObject } from '../../../src/azure/kubernetes/manifests';
import { isAccelError } from '../../../src/domain/errors';
import { EXPORT_HEALTH_PORT } from '../../../src/container/buildContext';
import { kubernetesSchemaErrors } from '../../integration/azure/support/kubeSchemas';

const base = { name: 'mobilenet', namespace: 'models', image: 'myacr.azurecr.io/mobilenet:1', imageId: 'mobilenet:1' };
const byKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
const dig = (o: any, ...keys: (string | number)[]) => keys.reduce((v, k) => v?.[k], o);

describe('Kubernetes manifests', () => {
  it('default deploy: autoscale 1..10 at 70 %, auth on, port 80, gRPC health probes, AksWebservice resource and liveness defaults — all schema-valid', () => {
    const objs = buildManifests({
      ...base,
      ...resolveScaling({}),
      auth: { enabled: true, primaryKey: 'p-key', secondaryKey: 's-key' },
    });
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['Secret', 'Deployment', 'Service', 'HorizontalPodAutoscaler'],
    );
    for (const o of objs) assert.deepEqual(kubernetesSchemaErrors(o), [], `${o.kind} must match the Kubernetes schema`);
    const [secret] = byKind(objs, 'Secret');
    assert.equal(Buffer.from(dig(secret, 'data', 'primaryKey'), 'base64').toString(), 'p-key');
    const dep = byKind(objs, 'Deployment')[0];
    assert.equal(dig(dep, 'spec', 'replicas'), undefined, 'the HPA owns the replica count');
    const c = dig(dep, 'spec', 'template', 'spec', 'containers', 0);
    assert.deepEqual(c.ports, [{ name: 'grpc', containerPort: 50051, protocol: 'TCP' }]);
    assert.deepEqual(c.readinessProbe.grpc, { port: 50051 });
    assert.deepEqual(c.livenessProbe, {
      grpc: { port: 50051 },
      periodSeconds: 10,
      initialDelaySeconds: 310,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '512Mi' } });
    assert.deepEqual(c.env.find((e: { name: string }) => e.name === 'ACCEL_PRIMARY_KEY').valueFrom, {
      secretKeyRef: { name: 'mobilenet-keys', key: 'primaryKey' },
    });
    const svc = byKind(objs, 'Service')[0];
    assert.deepEqual(dig(svc, 'spec', 'ports'), [
      { name: 'grpc', port: 80, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
    ]);
    const hpa = byKind(objs, 'HorizontalPodAutoscaler')[0];
    assert.deepEqual(dig(hpa, 'spec'), {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'mobilenet' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    });
  });

  it('fixed replicas, no auth, TLS: no HPA, port 443, TLS secret mounted, gRPC probes on the plain-text health port (kubelet gRPC probes cannot speak TLS)', () => {
    const objs = buildManifests({
      ...base,
      ...resolveScaling({ replicas: 3 }),
      auth: { enabled: false },
      tls: { certPem: '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n', keyPem: 'KEY' },
    });
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['Secret', 'Deployment', 'Service'],
    );
    for (const o of objs) assert.deepEqual(kubernetesSchemaErrors(o), []);
    assert.equal(dig(objs[0], 'type'), 'kubernetes.io/tls');
    const dep = objs[1];
    assert.equal(dig(dep, 'spec', 'replicas'), 3);
    const c = dig(dep, 'spec', 'template', 'spec', 'containers', 0);
    assert.ok(c.env.some((e: { name: string; value?: string }) => e.name === 'ACCEL_AUTH' && e.value === 'disabled'));
    assert.ok(
      c.env.some(
        (e: { name: string; value?: string }) =>
          e.name === 'ACCEL_TLS_CERT_FILE' && e.value === '/etc/accel/tls/tls.crt',
      ),
    );
    assert.ok(
      c.env.some(
        (e: { name: string; value?: string }) =>
          e.name === 'ACCEL_HEALTH_PORT' && e.value === String(EXPORT_HEALTH_PORT),
      ),
    );
    assert.deepEqual(c.ports, [
      { name: 'grpc', containerPort: 50051, protocol: 'TCP' },
      { name: 'health', containerPort: 50052, protocol: 'TCP' },
    ]);
    assert.deepEqual(c.readinessProbe, {
      grpc: { port: 50052, service: 'mobilenet' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    assert.deepEqual(c.livenessProbe, {
      grpc: { port: 50052, service: 'mobilenet' },
      periodSeconds: 10,
      initialDelaySeconds: 310,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(
      dig(objs[2], 'spec', 'ports'),
      [{ name: 'grpcs', port: 443, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' }],
      'the health port stays inside the cluster',
    );
  });

  it('the schema check is real: misplaced or mistyped fields fail', () => {
    const [dep] = byKind(buildManifests({ ...base, replicas: 1, auth: { enabled: false } }), 'Deployment');
    const broken = structuredClone(dep) as KubeObject & {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    broken.spec.template.spec.containers[0].livenessProbe = { grpc: { port: '50051' } };
    broken.spec.template.spec.containers[0].readinesProbe = {};
    broken.spec.template.spec.containers[0].readinessProbe = { grpc: { port: 50052, serviceName: 'mobilenet' } };
    const errors = kubernetesSchemaErrors(broken);
    assert.ok(
      errors.some((e) => /livenessProbe\/grpc\/port must be integer/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /readinessProbe\/grpc must NOT have additional properties: serviceName/.test(e)),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => /readinesProbe/.test(e)),
      errors.join('\n'),
    );
  });

  it('regenerating a key changes the pod template (rolling restart), nothing else', () => {
    const a = buildManifests({ ...base, replicas: 2, auth: { enabled: true, primaryKey: 'k1', secondaryKey: 's' } });
    const b = buildManifests({ ...base, replicas: 2, auth: { enabled: true, primaryKey: 'k2', secondaryKey: 's' } });
    const ann = (objs: KubeObject[]) =>
      dig(byKind(objs, 'Deployment')[0], 'spec', 'template', 'metadata', 'annotations', 'accel.models/secrets-digest');
    assert.notEqual(ann(a), ann(b));
    assert.deepEqual(byKind(a, 'Service'), byKind(b, 'Service'));
  });

  it('rejects names Kubernetes cannot take, and contradictory scaling, with the fix', () => {
    assert.throws(
      () => buildManifests({ ...base, name: 'Mobile_Net', auth: { enabled: false } }),
      (e) => isAccelError(e, 'InvalidArgument') && /lowercase letters, digits and '-'/.test(e.message),
    );
    assert.throws(
      () => resolveScaling({ replicas: 2, autoscale: true }),
      (e) => isAccelError(e, 'InvalidArgument') && /either --replicas/.test(e.message),
    );
    assert.throws(
      () => resolveScaling({ autoscale: { min: 5, max: 2 } }),
      (e) => isAccelError(e, 'InvalidArgument') && /--max/.test(e.message),
    );
    assert.throws(
      () => resolveScaling({ autoscale: { targetUtilization: 150 } }),
      (e) => isAccelError(e, 'InvalidArgument') && /1 to 100/.test(e.message),
    );
    assert.deepEqual(resolveScaling({ autoscale: { max: 4 } }), {
      autoscale: { min: 1, max: 4, targetUtilization: 70 },
    });
  });
});
