// Deploy to an AKS cluster with the image built in Azure Container Registry (ACR Tasks), through the real
// @azure/arm-containerservice and @azure/arm-containerregistry clients against a local HTTPS ARM, and the real
// @kubernetes/client-node against a local HTTPS Kubernetes API whose kubeconfig ARM hands out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  deployKubernetesService,
  showKubernetesService,
  deleteKubernetesService,
} from '../../../src/azure/kubernetesServices';
import type { ArmContext } from '../../../src/azure/armContext';
import { createImage } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import { isAccelError } from '../../../src/domain/errors';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { mobilenetPath, repoRoot } from '../../support/paths';
import { FakeKube } from './support/fakeKube';
import { HttpsFake, testCredential } from './support/httpsFake';

const WS = 'cloud';
const SUB_ID = '6f1c2d3e-0000-4000-8000-00000000a001';
const SUB = `/subscriptions/${SUB_ID}`;
const ACR = `${SUB}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/myacr`;
const AKS = `${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks1`;

describe('AKS + ACR Tasks (local ARM and Kubernetes API)', () => {
  let arm: HttpsFake;
  let kube: FakeKube;
  let store: FileStore;
  let tmp: string;
  let ctx: ArmContext;
  let runStatuses: string[];
  let runLog: string;

  before(async () => {
    assert.ok(
      fs.existsSync(path.join(repoRoot, 'dist', 'emulator.js')),
      'run `node scripts/build.mjs` first: the export bundles dist/emulator.js',
    );
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-acr-'));
    store = openStore(path.join(tmp, 'home'));
    await store.createWorkspace(WS);
    await registerModel(store, WS, { name: 'mobilenet', path: mobilenetPath });
    await createImage(store, WS, 'mobilenet', 'mobilenet:1');
    arm = await HttpsFake.start();
    kube = await FakeKube.start();
    ctx = {
      credential: testCredential().credential,
      endpoint: arm.url,
      caPem: arm.ca,
      pollIntervalMs: 5,
      maxRetries: 1,
    };

    arm.route('POST', new RegExp(`^${AKS}/listClusterUserCredential$`), () => ({
      json: { kubeconfigs: [{ name: 'clusterUser', value: Buffer.from(kube.kubeconfig('aks1')).toString('base64') }] },
    }));
    arm.route('GET', new RegExp(`^${SUB}/providers/Microsoft.ContainerRegistry/registries$`), () => ({
      json: {
        value: [
          {
            id: ACR,
            name: 'myacr',
            location: 'eastus',
            sku: { name: 'Basic' },
            properties: { loginServer: 'myacr.azurecr.io' },
          },
        ],
      },
    }));
    arm.route('POST', new RegExp(`^${ACR}/listBuildSourceUploadUrl$`), () => ({
      json: {
        uploadUrl: `${arm.url}/blob/source/upload-1.tar.gz?sv=2024-01-01&sig=abc`,
        relativePath: 'source/upload-1.tar.gz',
      },
    }));
    arm.route('PUT', /^\/blob\/source\/upload-1\.tar\.gz$/, () => ({ status: 201 }));
    arm.route('POST', new RegExp(`^${ACR}/scheduleRun$`), () => ({
      status: 202,
      headers: {
        'azure-asyncoperation': `${arm.url}/acr-ops/run-op-1?api-version=2019-06-01-preview`,
        location: `${arm.url}/acr-ops/run-op-1/result?api-version=2019-06-01-preview`,
        'retry-after': '0',
      },
    }));
    arm.route('GET', /^\/acr-ops\/run-op-1$/, () => ({ json: { status: 'Succeeded' } }));
    arm.route('GET', /^\/acr-ops\/run-op-1\/result$/, () => ({
      json: { id: `${ACR}/runs/ca1`, name: 'ca1', properties: { runId: 'ca1', status: 'Queued' } },
    }));
    arm.route('GET', new RegExp(`^${ACR}/runs/ca1$`), () => ({
      json: {
        id: `${ACR}/runs/ca1`,
        name: 'ca1',
        properties: { runId: 'ca1', status: runStatuses.shift() ?? 'Succeeded' },
      },
    }));
    arm.route('POST', new RegExp(`^${ACR}/runs/ca1/listLogSasUrl$`), () => ({
      json: { logLink: `${arm.url}/blob/logs/ca1.txt?sig=log` },
    }));
    arm.route('GET', /^\/blob\/logs\/ca1\.txt$/, () => ({ text: runLog }));
  });
  after(async () => {
    await arm.close();
    await kube.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('builds the exported image in ACR, fetches AKS credentials through ARM, applies the objects', async () => {
    runStatuses = ['Running', 'Running', 'Succeeded'];
    runLog = 'Step 1/9 : FROM node:20-slim\nSuccessfully pushed myacr.azurecr.io/mobilenet:1\n';
    const messages: string[] = [];
    const view = await deployKubernetesService(
      store,
      WS,
      {
        name: 'mobilenet-aks',
        image: 'mobilenet:1',
        registry: 'myacr',
        aks: { subscriptionId: SUB_ID, resourceGroup: 'rg-aks', name: 'aks1' },
        allowPlaintext: true,
        replicas: 2,
      },
      { arm: ctx, progress: { report: (u) => u.message && messages.push(u.message) } },
    );
    assert.equal(view.imageRef, 'myacr.azurecr.io/mobilenet:1');
    assert.equal(view.context, 'aks1');
    assert.equal(view.scoringUri, 'grpc://127.0.0.1:80');

    const cred = arm.find('POST', /listClusterUserCredential$/);
    assert.equal(cred.length, 1);
    assert.equal(cred[0].query['api-version'], '2026-04-01');

    const upload = arm.find('PUT', /upload-1\.tar\.gz$/)[0];
    assert.equal(upload.headers['x-ms-blob-type'], 'BlockBlob');
    assert.equal(upload.query.sig, 'abc');
    const tgz = path.join(tmp, 'context.tar.gz');
    fs.writeFileSync(tgz, upload.raw);
    const entries = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of ['Dockerfile', 'package.json', 'dist/emulator.js', 'model/manifest.json'])
      assert.ok(entries.includes(f), `${f} in the uploaded context (${entries.join(', ')})`);
    assert.ok(entries.some((e) => /^model\/.*\.onnx$/.test(e)));

    const schedule = arm.find('POST', /\/scheduleRun$/)[0];
    assert.equal(schedule.query['api-version'], '2019-06-01-preview');
    assert.deepEqual(schedule.body, {
      type: 'DockerBuildRequest',
      imageNames: ['mobilenet:1'],
      isPushEnabled: true,
      noCache: false,
      dockerFilePath: 'Dockerfile',
      sourceLocation: 'source/upload-1.tar.gz',
      platform: { os: 'Linux', architecture: 'amd64' },
    });
    assert.equal(arm.find('GET', /\/runs\/ca1$/).length, 3, 'followed the run until it finished');
    assert.ok(messages.includes('Build ca1: Succeeded'));

    const dep = kube.get('Deployment', 'default', 'mobilenet-aks') as unknown as {
      spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(dep.spec.template.spec.containers[0].image, 'myacr.azurecr.io/mobilenet:1');
    assert.equal(dep.spec.replicas, 2);

    // Later commands fetch the credentials again through ARM (nothing written to ~/.kube).
    const shown = await showKubernetesService(store, WS, 'mobilenet-aks', { arm: ctx });
    assert.equal(shown.state, 'Running');
    assert.equal(arm.find('POST', /listClusterUserCredential$/).length, 2);
    await deleteKubernetesService(store, WS, 'mobilenet-aks', { arm: ctx });
    assert.equal(kube.get('Deployment', 'default', 'mobilenet-aks'), undefined);
  });

  it('image push denied → names the AcrPush role; nothing deployed or recorded', async () => {
    runStatuses = ['Running', 'Failed'];
    runLog =
      'Step 9/9 : CMD ...\nPushing myacr.azurecr.io/mobilenet:1\ndenied: requested access to the resource is denied\n';
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        {
          name: 'denied',
          image: 'mobilenet',
          registry: 'myacr',
          aks: { subscriptionId: SUB_ID, resourceGroup: 'rg-aks', name: 'aks1' },
          allowPlaintext: true,
        },
        { arm: ctx },
      ),
      (e) =>
        isAccelError(e, 'PermissionDenied') &&
        /push denied/.test(e.message) &&
        /AcrPush/.test(e.message) &&
        /requested access to the resource is denied/.test(e.message),
    );
    assert.equal(kube.get('Deployment', 'default', 'denied'), undefined);
    assert.equal((await store.read(WS)).services.length, 0);
  });

  it('a failing build shows the log tail and how to read the full log', async () => {
    runStatuses = ['Failed'];
    runLog = 'Step 5/9 : RUN npm install\nnpm error code E404\n';
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        {
          name: 'broken',
          image: 'mobilenet',
          registry: 'myacr',
          aks: { subscriptionId: SUB_ID, resourceGroup: 'rg-aks', name: 'aks1' },
          allowPlaintext: true,
        },
        { arm: ctx },
      ),
      (e) =>
        isAccelError(e, 'Internal') &&
        /ended Failed/.test(e.message) &&
        /npm error code E404/.test(e.message) &&
        /az acr task logs --registry myacr --run-id ca1/.test(e.message),
    );
  });

  it('unknown registry and AKS 403 are explained', async () => {
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        {
          name: 'noreg',
          image: 'mobilenet',
          registry: 'otheracr',
          aks: { subscriptionId: SUB_ID, resourceGroup: 'rg-aks', name: 'aks1' },
          allowPlaintext: true,
        },
        { arm: ctx },
      ),
      (e) =>
        isAccelError(e, 'NotFound') &&
        /No container registry "otheracr"/.test(e.message) &&
        /registries: myacr/.test(e.message) &&
        /az acr create/.test(e.message),
    );
    arm.route(
      'POST',
      new RegExp(
        `^${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/locked/listClusterUserCredential$`,
      ),
      () => ({
        status: 403,
        json: {
          error: {
            code: 'AuthorizationFailed',
            message:
              "The client does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'",
          },
        },
      }),
    );
    await assert.rejects(
      deployKubernetesService(
        store,
        WS,
        {
          name: 'locked',
          image: 'mobilenet',
          imageRef: 'r/m:1',
          aks: { subscriptionId: SUB_ID, resourceGroup: 'rg-aks', name: 'locked' },
          allowPlaintext: true,
        },
        { arm: ctx },
      ),
      (e) =>
        isAccelError(e, 'PermissionDenied') &&
        /user credentials of AKS cluster locked/.test(e.message) &&
        /listClusterUserCredential\/action/.test(e.message),
    );
  });
});
