// Deploy to Kubernetes end to end against a local HTTPS Kubernetes API (real @kubernetes/client-node), with a
// real store and the real MobileNetV2 image: deploy, show, keys, regen-key, update, logs, delete, and the
// errors a user meets (cluster unreachable, namespace missing, credentials rejected, invalid object → rollback).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  deleteKubernetesService,
  deployKubernetesService,
  kubernetesScoringTarget,
  kubernetesServiceKeys,
  kubernetesServiceLogs,
  regenerateKubernetesKey,
  showKubernetesService,
  updateKubernetesService,
} from '../../../src/azure/kubernetesServices';
import { createImage } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import { isAccelError } from '../../../src/domain/errors';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';
import { FakeKube } from './support/fakeKube';
import { issueSelfSigned } from '../../../src/core/certificates';

const WS = 'scale';
const secretValue = (kube: FakeKube, name: string, key: string) =>
  Buffer.from(
    String((kube.get('Secret', 'models', name) as unknown as { data: Record<string, string> }).data[key]),
    'base64',
  ).toString('utf8');

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('deploy to Kubernetes (local API server)', () => {
  let kube: FakeKube;
  let store: FileStore;
  let tmp: string;
  let kubeconfigPath: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-k8s-'));
    store = openStore(path.join(tmp, 'home'));
    await store.createWorkspace(WS);
    await registerModel(store, WS, { name: 'mobilenet', path: mobilenetPath });
    await createImage(store, WS, 'mobilenet', 'mobilenet:1');
    kube = await FakeKube.start();
    kubeconfigPath = path.join(tmp, 'kubeconfig');
    fs.writeFileSync(kubeconfigPath, kube.kubeconfig('aks-westus2'));
  });
  after(async () => {
    await kube.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys: server-side applies Secret, Deployment, Service, HPA (schema-valid) and records the service', async () => {
    const start = kube.requests.length;
    const view = await deployKubernetesService(
      store,
      WS,
      {
        name: 'mobilenet-svc',
        image: 'mobilenet',
        imageRef: 'myacr.azurecr.io/mobilenet:1',
        namespace: 'models',
        context: 'aks-westus2',
        allowPlaintext: true,
      },
      { kubeconfigPath, pollMs: 10 },
    );
    const patches = kube.requests.slice(start).filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      patches.map((r) => r.path),
      [
        '/api/v1/namespaces/models/secrets/mobilenet-svc-keys',
        '/apis/apps/v1/namespaces/models/deployments/mobilenet-svc',
        '/api/v1/namespaces/models/services/mobilenet-svc',
        '/apis/autoscaling/v2/namespaces/models/horizontalpodautoscalers/mobilenet-svc',
      ],
    );
    for (const p of patches) {
      assert.equal(p.headers['content-type'], 'application/apply-patch+yaml');
      assert.deepEqual([p.query.fieldManager, p.query.force], ['accelerated-models', 'true']);
      assert.equal(p.headers.authorization, 'Bearer kube-token');
    }
    const dep = kube.get('Deployment', 'models', 'mobilenet-svc') as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(dep.spec.template.spec.containers[0].image, 'myacr.azurecr.io/mobilenet:1');
    assert.deepEqual(
      (
        kube.get('HorizontalPodAutoscaler', 'models', 'mobilenet-svc')?.spec as {
          minReplicas: number;
          maxReplicas: number;
        }
      ).maxReplicas,
      10,
    );

    assert.equal(view.state, 'Running');
    assert.equal(view.scoringUri, 'grpc://127.0.0.1:80');
    assert.deepEqual(view.autoscale, { min: 1, max: 10, targetUtilization: 70 });
    const svc = (await store.read(WS)).services.find((s) => s.name === 'mobilenet-svc')!;
    assert.equal(svc.target, 'kubernetes');
    assert.deepEqual(svc.kubernetes, {
      context: 'aks-westus2',
      namespace: 'models',
      imageRef: 'myacr.azurecr.io/mobilenet:1',
      autoscale: { min: 1, max: 10, targetUtilization: 70 },
      kubeconfig: kubeconfigPath,
    });
    assert.ok(
      svc.keys && !JSON.stringify(svc).includes(secretValue(kube, 'mobilenet-svc-keys', 'primaryKey')),
      'keys are sealed in the store',
    );
  });

  it('show, keys and the scoring target read the cluster and the store', async () => {
    const keys = await kubernetesServiceKeys(store, WS, 'mobilenet-svc');
    assert.equal(keys.primaryKey, secretValue(kube, 'mobilenet-svc-keys', 'primaryKey'));
    assert.equal(keys.secondaryKey, secretValue(kube, 'mobilenet-svc-keys', 'secondaryKey'));
    const target = await kubernetesScoringTarget(store, WS, 'mobilenet-svc', { kubeconfigPath, pollMs: 10 });
    assert.deepEqual(target, {
      address: '127.0.0.1',
      port: 80,
      useSsl: false,
      accessToken: keys.primaryKey,
      serviceName: 'mobilenet-svc',
    });
    const view = await showKubernetesService(store, WS, 'mobilenet-svc', { kubeconfigPath, pollMs: 10 });
    assert.deepEqual(view.replicas, { desired: 1, ready: 1, available: 1 });
  });

  it('regen-key replaces one key in the Secret and rolls the pods', async () => {
    const before = await kubernetesServiceKeys(store, WS, 'mobilenet-svc');
    const digest = () =>
      (
        kube.get('Deployment', 'models', 'mobilenet-svc') as unknown as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations['accel.models/secrets-digest'];
    const d0 = digest();
    const after = await regenerateKubernetesKey(store, WS, 'mobilenet-svc', 'primary', { kubeconfigPath, pollMs: 10 });
    assert.notEqual(after.primaryKey, before.primaryKey);
    assert.equal(after.secondaryKey, before.secondaryKey);
    assert.equal(secretValue(kube, 'mobilenet-svc-keys', 'primaryKey'), after.primaryKey);
    assert.notEqual(digest(), d0);
    assert.deepEqual(await kubernetesServiceKeys(store, WS, 'mobilenet-svc'), after);
  });

  it('update to a fixed replica count removes the HPA; --no-auth removes the key Secret', async () => {
    const view = await updateKubernetesService(
      store,
      WS,
      'mobilenet-svc',
      { replicas: 3 },
      { kubeconfigPath, pollMs: 10 },
    );
    assert.equal(kube.get('HorizontalPodAutoscaler', 'models', 'mobilenet-svc'), undefined);
    assert.equal((kube.get('Deployment', 'models', 'mobilenet-svc')?.spec as { replicas: number }).replicas, 3);
    assert.deepEqual(view.replicas, { desired: 3, ready: 3, available: 3 });
    await updateKubernetesService(store, WS, 'mobilenet-svc', { authEnabled: false }, { kubeconfigPath, pollMs: 10 });
    assert.equal(kube.get('Secret', 'models', 'mobilenet-svc-keys'), undefined);
    await assert.rejects(
      kubernetesServiceKeys(store, WS, 'mobilenet-svc'),
      (e) => isAccelError(e, 'InvalidArgument') && /--auth/.test(e.message),
    );
    await assert.rejects(
      updateKubernetesService(store, WS, 'mobilenet-svc', {}, { kubeconfigPath, pollMs: 10 }),
      (e) => isAccelError(e, 'InvalidArgument') && /Nothing to update/.test(e.message),
    );
  });

  it('logs come from every pod of the service', async () => {
    const logs = await kubernetesServiceLogs(store, WS, 'mobilenet-svc', { kubeconfigPath, pollMs: 10 }, 50);
    assert.equal(logs.length, 3);
    assert.match(logs[0].log, /container model tail 50/);
    const list = kube.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/models/pods').at(-1)!;
    assert.equal(
      list.query.labelSelector,
      'app.kubernetes.io/name=mobilenet-svc,app.kubernetes.io/managed-by=accelerated-models',
    );
  });

  it('delete removes every object and the record', async () => {
    const { deleted } = await deleteKubernetesService(store, WS, 'mobilenet-svc', { kubeconfigPath, pollMs: 10 });
    assert.deepEqual(deleted, ['Service models/mobilenet-svc', 'Deployment models/mobilenet-svc']);
    assert.equal([...kube.objects.values()].filter((o) => o.metadata.namespace === 'models').length, 0);
    assert.equal((await store.read(WS)).services.length, 0);
  });

  it('a TLS service is probed with grpc.health.v1 on the plain-text health port, asking for its own name (schema-valid)', async () => {
    const tls = await issueSelfSigned(['models.contoso.example']);
    const view = await deployKubernetesService(
      store,
      WS,
      {
        name: 'mobilenet-tls',
        image: 'mobilenet',
        imageRef: 'r/m:1',
        namespace: 'models',
        context: 'aks-westus2',
        replicas: 1,
        tls,
      },
      { kubeconfigPath, pollMs: 10 },
    );
    assert.equal(view.scoringUri, 'grpcs://127.0.0.1:443');
    type Container = {
      ports: unknown[];
      env: { name: string; value?: string }[];
      readinessProbe: Record<string, unknown>;
      livenessProbe: Record<string, unknown>;
    };
    const c = (
      kube.get('Deployment', 'models', 'mobilenet-tls') as unknown as {
        spec: { template: { spec: { containers: Container[] } } };
      }
    ).spec.template.spec.containers[0];
    assert.deepEqual(c.readinessProbe.grpc, { port: 50052, service: 'mobilenet-tls' });
    assert.deepEqual(c.livenessProbe.grpc, { port: 50052, service: 'mobilenet-tls' });
    assert.equal(c.readinessProbe.tcpSocket, undefined);
    assert.deepEqual(
      c.env.find((e) => e.name === 'ACCEL_HEALTH_PORT'),
      { name: 'ACCEL_HEALTH_PORT', value: '50052' },
    );
    await deleteKubernetesService(store, WS, 'mobilenet-tls', { kubeconfigPath, pollMs: 10 });
    assert.equal(kube.get('Deployment', 'models', 'mobilenet-tls'), undefined);
  });

  it('an object the cluster refuses rolls back what was applied and records nothing', async () => {
    kube.rejectKinds.add('HorizontalPodAutoscaler');
    try {
      await assert.rejects(
        deployKubernetesService(
          store,
          WS,
          {
            name: 'rollback',
            image: 'mobilenet',
            imageRef: 'r/m:1',
            namespace: 'models',
            context: 'aks-westus2',
            allowPlaintext: true,
          },
          { kubeconfigPath, pollMs: 10 },
        ),
        (e) => isAccelError(e, 'InvalidArgument') && /refused the object \(422/.test(e.message),
      );
    } finally {
      kube.rejectKinds.clear();
    }
    assert.equal([...kube.objects.values()].filter((o) => o.metadata.name.startsWith('rollback')).length, 0);
    assert.equal((await store.read(WS)).services.length, 0);
  });

  it('missing namespace → says to create it; nothing recorded', async () => {
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        {
          name: 'ns-missing',
          image: 'mobilenet',
          imageRef: 'r/m:1',
          namespace: 'nope',
          context: 'aks-westus2',
          allowPlaintext: true,
        },
        { kubeconfigPath, pollMs: 10 },
      ),
      (e) => isAccelError(e, 'NotFound') && /kubectl create namespace/.test(e.message),
    );
    assert.equal((await store.read(WS)).services.length, 0);
  });

  it('cluster unreachable → names the context and the fix', async () => {
    const port = await closedPort();
    const file = path.join(tmp, 'kubeconfig-down');
    fs.writeFileSync(file, kube.kubeconfig('down').replace(kube.url, `https://127.0.0.1:${port}`));
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        { name: 'down', image: 'mobilenet', imageRef: 'r/m:1', allowPlaintext: true },
        { kubeconfigPath: file, pollMs: 10 },
      ),
      (e) =>
        isAccelError(e, 'Unavailable') &&
        /context "down"/.test(e.message) &&
        /unreachable \(ECONNREFUSED\)/.test(e.message) &&
        /kubectl cluster-info --context down/.test(e.message),
    );
  });

  it('credentials rejected (401) → refresh them', async () => {
    const file = path.join(tmp, 'kubeconfig-stale');
    fs.writeFileSync(file, kube.kubeconfig('stale', 'expired-token'));
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        { name: 'stale', image: 'mobilenet', imageRef: 'r/m:1', allowPlaintext: true },
        { kubeconfigPath: file, pollMs: 10 },
      ),
      (e) => isAccelError(e, 'NotSignedIn') && /az aks get-credentials/.test(e.message),
    );
  });

  it('unknown context and missing image source are explained', async () => {
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        { name: 'ctx', image: 'mobilenet', imageRef: 'r/m:1', context: 'prod', allowPlaintext: true },
        { kubeconfigPath, pollMs: 10 },
      ),
      (e) => isAccelError(e, 'NotFound') && /no context "prod" \(contexts: aks-westus2\)/.test(e.message),
    );
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        { name: 'noimg', image: 'mobilenet', allowPlaintext: true },
        { kubeconfigPath, pollMs: 10 },
      ),
      (e) => isAccelError(e, 'InvalidArgument') && /--registry/.test(e.message) && /--image-ref/.test(e.message),
    );
  });
});
