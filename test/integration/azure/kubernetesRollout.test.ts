// Deploy waits for readiness, and TLS on the cluster, against the local Kubernetes API (real @kubernetes/client-node
// over HTTPS): the fake plays the Deployment controller over time (ReplicaSets, pods created → scheduled → started →
// ready, their events) and scripted failures (image pull errors, crash loops, FailedScheduling for accelerators).
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  deleteKubernetesService,
  deployKubernetesService,
  kubernetesScoringTarget,
  kubernetesServiceLogs,
  kubernetesServiceState,
  showKubernetesService,
  updateKubernetesService,
  type KubeDeps,
} from '../../../src/azure/kubernetesServices';
import { issueSelfSigned } from '../../../src/core/certificates';
import { createImage } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import { isAccelError } from '../../../src/domain/errors';
import { signalFromAbort } from '../../../src/domain/ports';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';
import { FakeKube } from './support/fakeKube';

const WS = 'rollout';
const NS = 'models';

type PodSpec = {
  containers: {
    image: string;
    env: { name: string; value?: string }[];
    volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
    resources: { requests: Record<string, string>; limits?: Record<string, string> };
  }[];
  volumes?: { name: string; secret: { secretName: string } }[];
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, string>[];
};
type Dep = { spec: { replicas?: number; template: { spec: PodSpec } } };

describe('Kubernetes rollout and TLS (local API server)', () => {
  let kube: FakeKube;
  let store: FileStore;
  let tmp: string;
  let deps: KubeDeps & { kubeconfigPath: string };
  const messages: string[] = [];

  const objectsNamed = (prefix: string) =>
    [...kube.objects.values()].filter((o) => o.metadata.namespace === NS && o.metadata.name.startsWith(prefix));
  const records = async () => (await store.read(WS)).services.map((s) => s.name);
  const deployment = (name: string) => kube.get('Deployment', NS, name) as unknown as Dep;
  const secretData = (name: string) =>
    (kube.get('Secret', NS, name) as unknown as { type: string; data: Record<string, string> } | undefined) ??
    undefined;
  const deploy = (name: string, extra: Record<string, unknown> = {}, d: KubeDeps = deps) =>
    deployKubernetesService(
      store,
      WS,
      { name, image: 'mobilenet', imageRef: 'myacr.azurecr.io/mobilenet:1', namespace: NS, replicas: 2, ...extra },
      d,
    );

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-k8s-rollout-'));
    store = openStore(path.join(tmp, 'home'));
    await store.createWorkspace(WS);
    await registerModel(store, WS, { name: 'mobilenet', path: mobilenetPath });
    await createImage(store, WS, 'mobilenet', 'mobilenet:1');
    kube = await FakeKube.start();
    const kubeconfigPath = path.join(tmp, 'kubeconfig');
    fs.writeFileSync(kubeconfigPath, kube.kubeconfig('aks-westus2'));
    deps = { kubeconfigPath, pollMs: 5, progress: { report: (u) => u.message && messages.push(u.message) } };
  });
  beforeEach(() => {
    messages.length = 0;
    kube.stepMs = 25;
    kube.stepPerRead = true; // one rollout stage per poll, whatever the machine's speed
    kube.imageFailures.clear();
    kube.capacity = {};
    kube.loadBalancerDelayMs = 0;
    kube.ingressFor = () => ({ ip: kube.loadBalancerIp });
  });
  after(async () => {
    await kube.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('deploy returns once every pod is ready, reporting each stage; reads ReplicaSets, pods and the Deployment status', async () => {
    const start = kube.requests.length;
    const view = await deploy('ok-svc', { tls: 'self-signed' });
    assert.equal(view.readiness, 'Ready');
    assert.deepEqual(view.replicas, { desired: 2, ready: 2, available: 2 });
    const rollout = messages.filter((m) => m.startsWith('ok-svc: '));
    assert.ok(rollout.includes('ok-svc: 2/2 scheduled, 0/2 image pulled and started, 0/2 ready'), rollout.join('\n'));
    assert.ok(rollout.includes('ok-svc: 2/2 scheduled, 2/2 image pulled and started, 0/2 ready'), rollout.join('\n'));
    assert.equal(rollout.at(-1), 'ok-svc: 2/2 ready');
    const paths = new Set(kube.requests.slice(start).map((r) => `${r.method} ${r.path}`));
    for (const p of [
      `GET /apis/apps/v1/namespaces/${NS}/deployments/ok-svc`,
      `GET /apis/apps/v1/namespaces/${NS}/replicasets`,
      `GET /api/v1/namespaces/${NS}/pods`,
      `GET /api/v1/namespaces/${NS}/services/ok-svc`,
    ])
      assert.ok(paths.has(p), `${p} in ${[...paths].join(', ')}`);
    const live = await kubernetesServiceState(
      deps,
      (await store.read(WS)).services.find((s) => s.name === 'ok-svc')!,
    );
    assert.deepEqual(
      { ...live, address: { ...live.address } },
      {
        desiredReplicas: 2,
        readyReplicas: 2,
        updatedReplicas: 2,
        state: 'Ready',
        address: { host: '127.0.0.1', port: 443, tls: true },
        events: [],
      },
    );
  });

  it('an image the cluster cannot pull: the error quotes the pod events; every object is deleted, nothing recorded', async () => {
    kube.imageFailures.set('myacr.azurecr.io/missing:1', 'ErrImagePull');
    await assert.rejects(
      deploy('pull-svc', { imageRef: 'myacr.azurecr.io/missing:1', allowPlaintext: true }),
      (e) =>
        isAccelError(e, 'Unavailable') &&
        /Service "pull-svc" did not become ready: pod pull-svc-[0-9a-f]+-\d is ErrImagePull/.test(e.message) &&
        /Warning Failed: Failed to pull image "myacr.azurecr.io\/missing:1": rpc error: code = NotFound/.test(
          e.message,
        ) &&
        /deleted and nothing was recorded/.test(e.message) &&
        /--attach-acr/.test(e.message),
    );
    assert.deepEqual(objectsNamed('pull-svc'), []);
    assert.ok(!(await records()).includes('pull-svc'));
  });

  it('no node with a free FPGA: FailedScheduling quoted; the pod asked for the compute accelerator, node selector and tolerations', async () => {
    await store.update(WS, (s) => {
      s.computes.push({
        name: 'fpga-pool',
        kind: 'aks',
        createdTime: new Date().toISOString(),
        properties: {},
        aks: {
          origin: 'attached',
          kubeContext: 'aks-westus2',
          kubeconfig: deps.kubeconfigPath,
          vmSize: 'Standard_NP10s',
          location: 'westus2',
          provisioningState: 'Succeeded',
          accelerator: { kind: 'FPGA', resourceName: 'xilinx.com/fpga', count: 1 },
        },
      });
    });
    const start = kube.requests.length;
    await assert.rejects(
      deploy('fpga-svc', { compute: 'fpga-pool', replicas: 1, allowPlaintext: true }, deps),
      (e) =>
        isAccelError(e, 'QuotaExceeded') &&
        /cannot be scheduled \(0\/3 nodes are available: 3 Insufficient xilinx.com\/fpga/.test(e.message) &&
        /Warning FailedScheduling: 0\/3 nodes are available: 3 Insufficient xilinx.com\/fpga\./.test(e.message) &&
        /add accelerator nodes/.test(e.message),
    );
    const applied = kube.requests
      .slice(start)
      .find((r) => r.method === 'PATCH' && r.path.endsWith('/deployments/fpga-svc'))!.body as Dep;
    const pod = applied.spec.template.spec;
    assert.deepEqual(pod.containers[0].resources.limits, { 'xilinx.com/fpga': '1' });
    assert.deepEqual(pod.nodeSelector, { 'node.kubernetes.io/instance-type': 'Standard_NP10s' });
    assert.ok(pod.tolerations?.some((t) => t.key === 'xilinx.com/fpga' && t.operator === 'Exists'));
    assert.deepEqual(objectsNamed('fpga-svc'), []);
    assert.ok(!(await records()).includes('fpga-svc'));

    // With an FPGA on a node the same deploy lands, and the record names the compute.
    kube.capacity = { 'xilinx.com/fpga': 1 };
    const view = await deploy('fpga-svc', { compute: 'fpga-pool', replicas: 1, allowPlaintext: true }, deps);
    assert.equal(view.readiness, 'Ready');
    assert.equal(view.compute, 'fpga-pool');
    const rec = (await store.read(WS)).services.find((s) => s.name === 'fpga-svc')!;
    assert.equal(rec.computeName, 'fpga-pool');
    assert.equal(rec.kubernetes?.compute, 'fpga-pool');
    await deleteKubernetesService(store, WS, 'fpga-svc', deps);
  });

  it('a crash-looping image: the error quotes the back-off event and the container log', async () => {
    kube.imageFailures.set('myacr.azurecr.io/crash:1', 'CrashLoopBackOff');
    await assert.rejects(
      deploy('crash-svc', { imageRef: 'myacr.azurecr.io/crash:1', allowPlaintext: true }),
      (e) =>
        isAccelError(e, 'Unavailable') &&
        /is CrashLoopBackOff/.test(e.message) &&
        /Warning BackOff: Back-off restarting failed container model/.test(e.message) &&
        /No key configured/.test(e.message),
    );
    assert.deepEqual(objectsNamed('crash-svc'), []);
  });

  it('a namespace quota that forbids the pods: ReplicaFailure with the ReplicaSet event quoted', async () => {
    kube.podQuota = 1;
    try {
      await assert.rejects(
        deploy('quota-svc', { allowPlaintext: true }),
        (e) =>
          isAccelError(e, 'Unavailable') &&
          /the cluster refuses to create its pods \(pods "quota-svc-[0-9a-f]+-0" is forbidden: exceeded quota/.test(
            e.message,
          ) &&
          /Warning FailedCreate: Error creating: pods "quota-svc-[0-9a-f]+-0" is forbidden/.test(e.message) &&
          /kubectl describe quota/.test(e.message),
      );
    } finally {
      kube.podQuota = undefined;
    }
    assert.deepEqual(objectsNamed('quota-svc'), []);
  });

  it('cancel mid-rollout: the deploy stops, deletes what it applied and records nothing', async () => {
    const abort = new AbortController();
    const cancelling: KubeDeps = {
      ...deps,
      cancel: signalFromAbort(abort.signal),
      progress: {
        report: (u) => {
          if (u.message?.includes('2/2 scheduled')) abort.abort();
        },
      },
    };
    await assert.rejects(
      deploy('cancel-svc', { allowPlaintext: true }, cancelling),
      (e) => isAccelError(e, 'Cancelled') && /was cancelled/.test(e.message),
    );
    assert.deepEqual(objectsNamed('cancel-svc'), []);
    assert.ok(!(await records()).includes('cancel-svc'));
  });

  it('a rollout that outlasts --timeout is undone and says how far it got', async () => {
    kube.stepPerRead = false;
    kube.stepMs = 1000;
    await assert.rejects(
      deploy('slow-svc', { allowPlaintext: true, timeoutMs: 300 }),
      (e) =>
        isAccelError(e, 'Unavailable') &&
        /was not ready within 0 s \(0\/2 scheduled/.test(e.message) &&
        /longer --timeout/.test(e.message),
    );
    assert.deepEqual(objectsNamed('slow-svc'), []);
  });

  it('an update whose pods fail restores the previous spec; old pods serve throughout; the store is unchanged', async () => {
    await deploy('upd-svc', { allowPlaintext: true });
    const before = (await store.read(WS)).services.find((s) => s.name === 'upd-svc')!;
    const specBefore = JSON.stringify(deployment('upd-svc').spec);
    kube.imageFailures.set('myacr.azurecr.io/mobilenet:2', 'ErrImagePull');
    const states: Promise<string>[] = [];
    await assert.rejects(
      updateKubernetesService(
        store,
        WS,
        'upd-svc',
        { imageRef: 'myacr.azurecr.io/mobilenet:2' },
        {
          ...deps,
          progress: {
            report: (u) => {
              if (u.message?.includes('old pods still serving'))
                states.push(kubernetesServiceState(deps, before).then((s) => `${s.state} ${s.readyReplicas}`));
            },
          },
        },
      ),
      (e) =>
        isAccelError(e, 'Unavailable') &&
        /Failed to pull image "myacr.azurecr.io\/mobilenet:2"/.test(e.message) &&
        /previous spec was applied again/.test(e.message),
    );
    assert.ok(states.length > 0);
    assert.match(await states[0], /^(Progressing|Degraded) 2$/, 'the old pods kept serving during the failed rollout');
    assert.equal(JSON.stringify(deployment('upd-svc').spec), specBefore);
    assert.deepEqual(
      (await store.read(WS)).services.find((s) => s.name === 'upd-svc'),
      before,
    );
    const view = await showKubernetesService(store, WS, 'upd-svc', deps);
    assert.equal(view.readiness, 'Ready');
    assert.equal(view.imageRef, 'myacr.azurecr.io/mobilenet:1');
  });

  it('auth on without TLS is refused before anything is applied, saying keys would cross the network in plain text', async () => {
    const start = kube.requests.length;
    await assert.rejects(
      deploy('plain-svc'),
      (e) =>
        isAccelError(e, 'InvalidArgument') &&
        /bearer key a client sends would cross the network unencrypted/.test(e.message) &&
        /--allow-plaintext/.test(e.message) &&
        /--self-signed/.test(e.message),
    );
    assert.equal(kube.requests.length, start, 'no cluster call');
    const view = await deploy('noauth-svc', { authEnabled: false });
    assert.equal(view.tls, false, 'auth off needs no TLS');
    await deleteKubernetesService(store, WS, 'noauth-svc', deps);
  });

  it('TLS from PEM: a kubernetes.io/tls Secret mounted read-only where the standalone server reads it; port 443', async () => {
    const pems = await issueSelfSigned(['models.contoso.example']);
    const dir = fs.mkdtempSync(path.join(tmp, 'pem-'));
    fs.writeFileSync(path.join(dir, 'tls.crt'), pems.certPem);
    fs.writeFileSync(path.join(dir, 'tls.key'), pems.keyPem);
    const view = await deploy('pem-svc', {
      tls: { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') },
      tlsServerName: 'models.contoso.example',
    });
    const secret = secretData('pem-svc-tls')!;
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.equal(Buffer.from(secret.data['tls.crt'], 'base64').toString(), pems.certPem);
    const pod = deployment('pem-svc').spec.template.spec;
    assert.deepEqual(pod.volumes, [{ name: 'tls', secret: { secretName: 'pem-svc-tls' } }]);
    assert.deepEqual(pod.containers[0].volumeMounts, [{ name: 'tls', mountPath: '/etc/accel/tls', readOnly: true }]);
    const env = Object.fromEntries(pod.containers[0].env.map((e) => [e.name, e.value]));
    assert.equal(env.ACCEL_TLS_CERT_FILE, '/etc/accel/tls/tls.crt');
    assert.equal(env.ACCEL_TLS_KEY_FILE, '/etc/accel/tls/tls.key');
    assert.equal(view.scoringUri, 'grpcs://127.0.0.1:443');
    assert.equal(view.tlsServerName, 'models.contoso.example');
    const target = await kubernetesScoringTarget(store, WS, 'pem-svc', deps);
    assert.equal(target.serverName, 'models.contoso.example');
    assert.equal(target.caPem, undefined, 'a certificate from files is trusted the usual way');
    const rec = (await store.read(WS)).services.find((s) => s.name === 'pem-svc')!;
    assert.ok(!JSON.stringify(rec).includes('PRIVATE KEY'), 'the key is sealed in the store');

    // A key that is not the certificate's is refused before the cluster is touched.
    const other = await issueSelfSigned(['other.example']);
    await assert.rejects(
      deploy('badpem-svc', { tls: { certPem: pems.certPem, keyPem: other.keyPem } }),
      (e) => isAccelError(e, 'InvalidArgument') && /does not belong to the certificate/.test(e.message),
    );
    assert.deepEqual(objectsNamed('badpem-svc'), []);
  });

  it('--self-signed waits for the load balancer address and issues the certificate for it', async () => {
    kube.loadBalancerDelayMs = 100; // four polls of the Service
    kube.ingressFor = (name) => (name === 'lb-svc' ? { ip: '20.51.7.9', port: 8443 } : { ip: kube.loadBalancerIp });
    const start = kube.requests.length;
    const view = await deploy('lb-svc', { tls: 'self-signed' });
    assert.ok(messages.includes("lb-svc: waiting for the load balancer's external address"));
    assert.ok(messages.includes('Issuing a self-signed certificate for 20.51.7.9'));
    const patches = kube.requests
      .slice(start)
      .filter((r) => r.method === 'PATCH')
      .map((r) => r.path.split('/').slice(-2).join('/'));
    assert.equal(patches[0], 'services/lb-svc', 'the Service first, so its address is known');
    const cert = new crypto.X509Certificate(
      Buffer.from(secretData('lb-svc-tls')!.data['tls.crt'], 'base64').toString(),
    );
    assert.equal(cert.subjectAltName, 'IP Address:20.51.7.9');
    assert.equal(view.scoringUri, 'grpcs://20.51.7.9:8443', 'the port the load balancer reports');
    assert.equal(view.selfSigned, true);
    const target = await kubernetesScoringTarget(store, WS, 'lb-svc', deps);
    assert.equal(new crypto.X509Certificate(target.caPem!).fingerprint256, cert.fingerprint256);
    assert.deepEqual([target.address, target.port, target.useSsl], ['20.51.7.9', 8443, true]);
  });

  it('a load balancer the cloud cannot make: the self-signed deploy times out quoting the Service events, undone', async () => {
    kube.stepPerRead = false;
    kube.ingressFor = () => undefined;
    kube.loadBalancerError = 'PublicIPCountLimitReached: Cannot create more than 10 public IP addresses';
    try {
      await assert.rejects(
        deploy('nolb-svc', { tls: 'self-signed', timeoutMs: 200 }),
        (e) =>
          isAccelError(e, 'Unavailable') &&
          /got no external address in time/.test(e.message) &&
          /Warning SyncLoadBalancerFailed: Error syncing load balancer: .*PublicIPCountLimitReached/.test(e.message) &&
          /--dns-label/.test(e.message),
      );
    } finally {
      kube.loadBalancerError = undefined;
    }
    assert.deepEqual(objectsNamed('nolb-svc'), []);
  });

  it('--dns-label: Service annotation, certificate for <label>.<region>.cloudapp.azure.com, server name for clients', async () => {
    kube.ingressFor = () => undefined; // no address needed: the certificate names the DNS name
    await assert.rejects(
      deploy('dns-svc', { tls: 'self-signed', dnsLabel: 'mobilenet-contoso' }),
      (e) => isAccelError(e, 'InvalidArgument') && /--location <region>/.test(e.message),
    );
    await assert.rejects(
      deploy('dns-svc', { tls: 'self-signed', dnsLabel: 'Bad_Label', region: 'westus2' }),
      (e) => isAccelError(e, 'InvalidArgument') && /not a valid Azure DNS label/.test(e.message),
    );
    const view = await deploy('dns-svc', { tls: 'self-signed', dnsLabel: 'mobilenet-contoso', region: 'westus2' });
    const svcObj = kube.get('Service', NS, 'dns-svc')!;
    assert.equal(
      (svcObj.metadata.annotations as Record<string, string>)['service.beta.kubernetes.io/azure-dns-label-name'],
      'mobilenet-contoso',
    );
    const cert = new crypto.X509Certificate(
      Buffer.from(secretData('dns-svc-tls')!.data['tls.crt'], 'base64').toString(),
    );
    assert.equal(cert.subjectAltName, 'DNS:mobilenet-contoso.westus2.cloudapp.azure.com');
    assert.equal(view.dnsName, 'mobilenet-contoso.westus2.cloudapp.azure.com');
    assert.equal(view.scoringUri, undefined);
    assert.match(view.pending!, /no external address yet/);
    kube.ingressFor = () => ({ ip: '20.51.7.10' });
    const live = await kubernetesServiceState(
      deps,
      (await store.read(WS)).services.find((s) => s.name === 'dns-svc')!,
    );
    assert.deepEqual(live.address, {
      host: '20.51.7.10',
      port: 443,
      tls: true,
      serverName: 'mobilenet-contoso.westus2.cloudapp.azure.com',
    });
    const rec = (await store.read(WS)).services.find((s) => s.name === 'dns-svc')!;
    assert.deepEqual([rec.kubernetes?.dnsLabel, rec.kubernetes?.region], ['mobilenet-contoso', 'westus2']);

    // A new label on a self-signed service: a new certificate names it (and the address it has now).
    const relabelled = await updateKubernetesService(store, WS, 'dns-svc', { dnsLabel: 'mobilenet-fabrikam' }, deps);
    assert.equal(relabelled.dnsName, 'mobilenet-fabrikam.westus2.cloudapp.azure.com');
    const renamed = new crypto.X509Certificate(
      Buffer.from(secretData('dns-svc-tls')!.data['tls.crt'], 'base64').toString(),
    );
    assert.equal(renamed.subjectAltName, 'DNS:mobilenet-fabrikam.westus2.cloudapp.azure.com, IP Address:20.51.7.10');
    assert.equal(
      (kube.get('Service', NS, 'dns-svc')!.metadata.annotations as Record<string, string>)[
        'service.beta.kubernetes.io/azure-dns-label-name'
      ],
      'mobilenet-fabrikam',
    );
  });

  it('update rotates the self-signed certificate, drops TLS (--no-tls needs --allow-plaintext with auth on), enables it again', async () => {
    const certOf = () =>
      secretData('ok-svc-tls') && Buffer.from(secretData('ok-svc-tls')!.data['tls.crt'], 'base64').toString();
    const first = certOf();
    const rotated = await updateKubernetesService(store, WS, 'ok-svc', { tls: 'self-signed' }, deps);
    assert.notEqual(certOf(), first);
    assert.equal(rotated.tls, true);

    await assert.rejects(
      updateKubernetesService(store, WS, 'ok-svc', { tls: 'off' }, deps),
      (e) => isAccelError(e, 'InvalidArgument') && /cross the network unencrypted/.test(e.message),
    );
    assert.ok(secretData('ok-svc-tls'), 'refused before any change');
    const plain = await updateKubernetesService(store, WS, 'ok-svc', { tls: 'off', allowPlaintext: true }, deps);
    assert.equal(plain.tls, false);
    assert.equal(plain.port, 80);
    assert.equal(secretData('ok-svc-tls'), undefined, 'the TLS Secret is deleted once the pods stopped mounting it');
    assert.equal(deployment('ok-svc').spec.template.spec.volumes, undefined);
    const ports = (kube.get('Service', NS, 'ok-svc')!.spec as { ports: { port: number }[] }).ports;
    assert.equal(ports[0].port, 80);
    assert.equal((await store.read(WS)).services.find((s) => s.name === 'ok-svc')!.tls, undefined);

    const again = await updateKubernetesService(store, WS, 'ok-svc', { tls: 'self-signed' }, deps);
    assert.equal(again.tls, true);
    assert.equal(again.scoringUri, 'grpcs://127.0.0.1:443');
    assert.ok(secretData('ok-svc-tls'));
  });

  it('rotating to self-signed while the load balancer has no address is refused, nothing changed', async () => {
    kube.ingressFor = () => undefined;
    const before = secretData('lb-svc-tls')!.data['tls.crt'];
    const start = kube.requests.length;
    await assert.rejects(
      updateKubernetesService(store, WS, 'lb-svc', { tls: 'self-signed' }, deps),
      (e) =>
        isAccelError(e, 'Unavailable') && /no external address yet/.test(e.message) && /--dns-label/.test(e.message),
    );
    assert.equal(secretData('lb-svc-tls')!.data['tls.crt'], before);
    assert.equal(kube.requests.slice(start).filter((r) => r.method !== 'GET').length, 0, 'nothing applied');
  });

  it('kubernetesServiceState says Failed with the events when the running pods can no longer pull their image', async () => {
    await deploy('later-svc', { allowPlaintext: true, imageRef: 'myacr.azurecr.io/later:1' });
    const rec = (await store.read(WS)).services.find((s) => s.name === 'later-svc')!;
    assert.equal((await kubernetesServiceState(deps, rec)).state, 'Ready');
    kube.imageFailures.set('myacr.azurecr.io/later:1', 'ErrImagePull'); // e.g. the nodes were replaced and the tag deleted
    const live = await kubernetesServiceState(deps, rec);
    assert.equal(live.state, 'Failed');
    assert.equal(live.readyReplicas, 0);
    assert.match(live.message!, /is (ErrImagePull|ImagePullBackOff)/);
    assert.ok(
      live.events.some((e) => /Failed to pull image "myacr.azurecr.io\/later:1"/.test(e)),
      live.events.join('\n'),
    );
    const view = await showKubernetesService(store, WS, 'later-svc', deps);
    assert.equal(view.state, 'Deploying');
    assert.equal(view.readiness, 'Failed');
    const logs = await kubernetesServiceLogs(store, WS, 'later-svc', deps);
    assert.equal(logs.length, 2);
    assert.match(
      logs[0].log,
      /^\(no log yet: container "model" in pod "later-svc-[0-9a-f]+-0" is waiting to start: trying and failing to pull image\)/,
    );
    await deleteKubernetesService(store, WS, 'later-svc', deps);
  });

  it('kubernetesServiceState says Missing when the Deployment was deleted behind its back', async () => {
    kube.objects.delete(`/apis/apps/v1/namespaces/${NS}/deployments/pem-svc`);
    const live = await kubernetesServiceState(
      deps,
      (await store.read(WS)).services.find((s) => s.name === 'pem-svc')!,
    );
    assert.equal(live.state, 'Missing');
    assert.match(live.message!, /accel service delete pem-svc/);
    const { deleted } = await deleteKubernetesService(store, WS, 'pem-svc', deps);
    assert.deepEqual(deleted, ['Service models/pem-svc', 'Secret models/pem-svc-tls', 'Secret models/pem-svc-keys']);
  });
});
