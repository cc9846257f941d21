// Cluster pieces that need no cluster: the DNS label annotation and name, accelerator scheduling in the pod spec
// (schema-valid), certificates issued for addresses and names, PEM pair checks, and reading FailedScheduling messages.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { checkPemPair, validateServerName } from '../../../src/azure/kubernetes/certificates';
import { issueSelfSigned } from '../../../src/core/certificates';
import {
  buildManifests,
  dnsLabelName,
  validateDnsLabel,
  type KubeObject,
} from '../../../src/azure/kubernetes/manifests';
import { insufficientResources, progressLine } from '../../../src/azure/kubernetes/rollout';
import { schedulingForVmSize } from '../../../src/azure/compute/acceleratorScheduling';
import { isAccelError } from '../../../src/domain/errors';
import { kubernetesSchemaErrors } from '../../integration/azure/support/kubeSchemas';

const base = {
  name: 'mobilenet',
  namespace: 'models',
  image: 'myacr.azurecr.io/mobilenet:1',
  imageId: 'mobilenet:1',
  auth: { enabled: false } as const,
};
const kind = (objs: KubeObject[], k: string) => objs.find((o) => o.kind === k)!;

describe('cluster TLS and scheduling', () => {
  it('a DNS label is a Service annotation; the name is <label>.<region>.cloudapp.azure.com', () => {
    const objs = buildManifests({ ...base, replicas: 1, dnsLabel: 'mobilenet-contoso' });
    const svc = kind(objs, 'Service');
    assert.deepEqual(svc.metadata.annotations, {
      'service.beta.kubernetes.io/azure-dns-label-name': 'mobilenet-contoso',
    });
    assert.deepEqual(kubernetesSchemaErrors(svc), []);
    assert.equal(dnsLabelName('mobilenet-contoso', 'WestUS2'), 'mobilenet-contoso.westus2.cloudapp.azure.com');
    for (const bad of ['ab', 'Upper', '-lead', 'trail-', 'has_underscore', 'x'.repeat(64)])
      assert.throws(
        () => validateDnsLabel(bad),
        (e) => isAccelError(e, 'InvalidArgument') && /not a valid Azure DNS label/.test(e.message),
        bad,
      );
    assert.throws(
      () => validateServerName('not a name'),
      (e) => isAccelError(e, 'InvalidArgument') && /--tls-server-name/.test(e.message),
    );
  });

  it('a compute with an FPGA: the device plugin resource as a limit, a node selector and tolerations (schema-valid)', () => {
    const objs = buildManifests({ ...base, replicas: 1, scheduling: schedulingForVmSize('Standard_NP10s') });
    const dep = kind(objs, 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            containers: { resources: Record<string, Record<string, string>> }[];
            nodeSelector: unknown;
            tolerations: unknown[];
          };
        };
      };
    };
    const pod = dep.spec.template.spec;
    assert.deepEqual(pod.containers[0].resources, {
      requests: { cpu: '100m', memory: '512Mi' },
      limits: { 'xilinx.com/fpga': '1' },
    });
    assert.deepEqual(pod.nodeSelector, { 'node.kubernetes.io/instance-type': 'Standard_NP10s' });
    assert.equal(pod.tolerations.length, 2);
    assert.deepEqual(kubernetesSchemaErrors(dep as never), []);
    const plain = kind(buildManifests({ ...base, replicas: 1 }), 'Deployment') as unknown as typeof dep;
    assert.equal(plain.spec.template.spec.nodeSelector, undefined);
    assert.equal(plain.spec.template.spec.containers[0].resources.limits, undefined);
  });

  it('self-signed certificates name IP addresses and DNS names as such', async () => {
    const { certPem, keyPem } = await issueSelfSigned(['svc.westus2.cloudapp.azure.com', '20.51.7.9', '2001:db8::1']);
    const cert = new crypto.X509Certificate(certPem);
    assert.equal(
      cert.subjectAltName,
      'DNS:svc.westus2.cloudapp.azure.com, IP Address:20.51.7.9, IP Address:2001:DB8:0:0:0:0:0:1',
    );
    assert.ok(cert.checkHost('svc.westus2.cloudapp.azure.com'));
    assert.ok(cert.checkIP('20.51.7.9'));
    assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(keyPem)));
  });

  it('PEM pairs: not PEM, a key of another certificate, and an expired certificate are refused with the fix', async () => {
    const a = await issueSelfSigned(['a.example']);
    const b = await issueSelfSigned(['b.example']);
    assert.doesNotThrow(() => checkPemPair(a, 'test'));
    assert.throws(
      () => checkPemPair({ certPem: 'nope', keyPem: a.keyPem }, 'test'),
      (e) => isAccelError(e, 'InvalidArgument') && /not a PEM certificate/.test(e.message),
    );
    assert.throws(
      () => checkPemPair({ certPem: a.certPem, keyPem: b.keyPem }, 'test'),
      (e) => isAccelError(e, 'InvalidArgument') && /does not belong to the certificate/.test(e.message),
    );
    const old = await generate([{ name: 'commonName', value: 'old.example' }], {
      keySize: 2048,
      notBeforeDate: new Date(Date.now() - 10 * 86400_000),
      notAfterDate: new Date(Date.now() - 86400_000),
    } as never);
    assert.throws(
      () => checkPemPair({ certPem: old.cert, keyPem: old.private }, 'test'),
      (e) => isAccelError(e, 'InvalidArgument') && /expired on/.test(e.message),
    );
  });

  it('the progress line says how far the pods got, and why one waits for a node', () => {
    const pod = { name: 'p-0', scheduled: false, started: false, ready: false, restarts: 0 };
    const snap = {
      exists: true,
      desired: 2,
      updated: 2,
      ready: 1,
      available: 1,
      oldPods: 1,
      observed: true,
      complete: false,
    };
    assert.equal(
      progressLine({
        ...snap,
        pods: [
          { ...pod, scheduled: true, started: true, ready: true },
          { ...pod, unschedulable: '0/3 nodes are available: 3 Insufficient cpu.' },
        ],
      }),
      '1/2 scheduled, 1/2 image pulled and started, 1/2 ready, 1 old pod still serving, waiting for a node (0/3 nodes are available: 3 Insufficient cpu.)',
    );
  });

  it('FailedScheduling messages: which resources were short', () => {
    assert.deepEqual(
      insufficientResources(
        '0/3 nodes are available: 1 Insufficient cpu, 3 Insufficient xilinx.com/fpga. preemption: 0/3 nodes are available.',
      ),
      ['cpu', 'xilinx.com/fpga'],
    );
    assert.deepEqual(insufficientResources('0/2 nodes are available: 2 Insufficient nvidia.com/gpu.'), [
      'nvidia.com/gpu',
    ]);
    assert.deepEqual(insufficientResources("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity."), []);
  });
});
