// --dns-label on an AKS cluster named by --aks-cluster: the region comes from the managed cluster (ARM GET through the
// real @azure/arm-containerservice against a local HTTPS ARM), the kubeconfig from listClusterUserCredential, and the
// self-signed certificate names <label>.<region>.cloudapp.azure.com.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteKubernetesService, deployKubernetesService } from '../../../src/azure/kubernetesServices';
import type { ArmContext } from '../../../src/azure/armContext';
import { createImage } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';
import { FakeKube } from './support/fakeKube';
import { HttpsFake, testCredential } from './support/httpsFake';

const WS = 'dns';
const SUB_ID = '6f1c2d3e-0000-4000-8000-00000000a002';
const AKS = `/subscriptions/${SUB_ID}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-west`;

describe('DNS label region from the AKS cluster (local ARM and Kubernetes API)', () => {
  let arm: HttpsFake;
  let kube: FakeKube;
  let store: FileStore;
  let tmp: string;
  let ctx: ArmContext;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-aks-dns-'));
    store = openStore(path.join(tmp, 'home'));
    await store.createWorkspace(WS);
    await registerModel(store, WS, { name: 'mobilenet', path: mobilenetPath });
    await createImage(store, WS, 'mobilenet', 'mobilenet:1');
    arm = await HttpsFake.start();
    kube = await FakeKube.start();
    kube.ingressFor = () => undefined; // the certificate names the DNS name: no address needed
    ctx = {
      credential: testCredential().credential,
      endpoint: arm.url,
      caPem: arm.ca,
      pollIntervalMs: 5,
      maxRetries: 1,
    };
    arm.route('POST', new RegExp(`^${AKS}/listClusterUserCredential$`), () => ({
      json: {
        kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kube.kubeconfig('aks-west')).toString('base64') }],
      },
    }));
    arm.route('GET', new RegExp(`^${AKS}$`), () => ({
      json: {
        id: AKS,
        name: 'aks-west',
        location: 'westeurope',
        properties: { provisioningState: 'Succeeded', kubernetesVersion: '1.29.2' },
      },
    }));
  });
  after(async () => {
    await arm.close();
    await kube.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reads the region from the managed cluster and issues the certificate for the DNS name', async () => {
    const view = await deployKubernetesService(
      store,
      WS,
      {
        name: 'mobilenet-dns',
        image: 'mobilenet',
        imageRef: 'myacr.azurecr.io/mobilenet:1',
        aks: { subscriptionId: SUB_ID, resourceGroup: 'rg-aks', name: 'aks-west' },
        replicas: 1,
        tls: 'self-signed',
        dnsLabel: 'contoso-mobilenet',
      },
      { arm: ctx, pollMs: 5 },
    );
    assert.equal(view.dnsName, 'contoso-mobilenet.westeurope.cloudapp.azure.com');
    assert.equal(arm.find('GET', new RegExp(`^${AKS}$`)).length, 1, 'the cluster was read once for its location');
    const secret = kube.get('Secret', 'default', 'mobilenet-dns-tls') as unknown as { data: Record<string, string> };
    const cert = new crypto.X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64').toString());
    assert.equal(cert.subjectAltName, 'DNS:contoso-mobilenet.westeurope.cloudapp.azure.com');
    const rec = (await store.read(WS)).services[0];
    assert.deepEqual(
      [rec.kubernetes?.dnsLabel, rec.kubernetes?.region, rec.kubernetes?.aks?.name],
      ['contoso-mobilenet', 'westeurope', 'aks-west'],
    );
    await deleteKubernetesService(store, WS, 'mobilenet-dns', { arm: ctx });
    assert.equal([...kube.objects.values()].length, 0);
  });
});
