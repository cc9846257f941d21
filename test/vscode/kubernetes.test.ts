// A Kubernetes service managed from the Services view, against the fake cluster (a local HTTPS server speaking the
// Kubernetes API, started here, named by a kubeconfig in this test's home). Its LoadBalancer points at a real local
// pod: the standalone server run with the pod spec's keys and TLS Secret (test/support/localPod.ts), so scoring from
// the tree really dials the address the cluster reports and checks the cluster's self-signed certificate. Each step
// checks the cluster objects it leaves. Leaves no workspace behind (lifecycle.test.ts starts from an empty store).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findImage, readImageManifest } from '../../src/core/images';
import type { Image, Model, Service } from '../../src/domain/types';
import type { ScoreView } from '../../src/panels/protocol';
import type { TreeNode } from '../../src/vscode/trees/treeNode';
import { FakeKube } from '../integration/azure/support/fakeKube';
import { LocalPod } from '../support/localPod';
import {
  EXTENSION_ID,
  cancelProgressAt,
  exec,
  execFailing,
  flatten,
  input,
  label,
  mobilenetPath,
  photosDir,
  testApi,
} from './support/harness';

const WS = 'cluster';
const SVC = 'kube-svc';
const NS = 'models';
const ESPRESSO = 967;

describe('Kubernetes services from the Services view', function () {
  this.timeout(240_000);
  let kube: FakeKube;
  let pod: LocalPod;
  let kubelet: NodeJS.Timeout | undefined;
  const previousKubeconfig = process.env.KUBECONFIG;

  /** The service's node once the background refresher has brought its description to `pattern`. */
  async function nodeWhen(pattern: RegExp): Promise<TreeNode> {
    const api = await testApi();
    let last = '';
    const deadline = Date.now() + 120_000;
    for (;;) {
      const node = (await api.trees.services.getChildren()).find((n) => n.service?.name === SVC);
      last = String(node?.item.description);
      if (node && pattern.test(last)) return node;
      await new Promise((r) => setTimeout(r, 200));
      if (Date.now() > deadline) throw new Error(`the Services view never showed ${pattern} (last: ${last})`);
    }
  }

  function objects(name = SVC): string[] {
    return [...kube.objects.values()]
      .filter(
        (o) =>
          o.metadata.namespace === NS &&
          o.metadata.name.startsWith(name) &&
          o.kind !== 'Pod' &&
          o.kind !== 'ReplicaSet' &&
          o.kind !== 'Event',
      )
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
  }

  before(async () => {
    const api = await testApi();
    kube = await FakeKube.start();
    const kubeDir = path.join(api.ctx.home, 'kube');
    fs.mkdirSync(kubeDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(kubeDir, 'config'), kube.kubeconfig('test-cluster'), { mode: 0o600 });
    process.env.KUBECONFIG = path.join(kubeDir, 'config'); // the extension host's process: what the extension reads
    await exec('accel.workspace.create', WS);
    await exec('accel.workspace.select', WS);
    input.script({ input: 'mobilenet' });
    await exec<Model>('accel.model.register', vscode.Uri.file(mobilenetPath), [vscode.Uri.file(mobilenetPath)]);
    const modelNode = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    input.script({ input: 'mobilenet-image' });
    await exec<Image>('accel.image.create', modelNode);
    const image = findImage(await api.ctx.store.read(WS), 'mobilenet-image:1');
    const manifest = await readImageManifest(api.ctx.store, WS, image);
    const repo = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    pod = await new LocalPod(kube, NS, SVC, path.join(repo, 'dist', 'emulator.js'), {
      manifest,
      modelFile: api.ctx.store.blobPath(WS, manifest.model.sha256),
    }).init();
    kube.ingressFor = (name) => (name === SVC ? { ip: '127.0.0.1', port: pod.port } : undefined);
    // The kubelet's part: the pod runs with the cluster's current Secrets (restarted when they change).
    let busy = false;
    kubelet = setInterval(() => {
      if (busy) return;
      busy = true;
      pod
        .sync()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, 100);
  });

  afterEach(() => input.assertDone());

  after(async () => {
    clearInterval(kubelet);
    await pod?.dispose();
    const api = await testApi();
    if ((await api.ctx.store.listWorkspaces()).some((w) => w.name === WS)) {
      for (const s of (await api.ctx.store.read(WS)).services)
        await vscode.commands.executeCommand(
          'accel.service.delete',
          { kind: 'service', ws: WS, service: s, item: new vscode.TreeItem(s.name) },
          { confirmed: true },
        );
      await vscode.commands.executeCommand('accel.workspace.delete', WS, { force: true });
    }
    await kube?.close();
    if (previousKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = previousKubeconfig;
    await vscode.commands.executeCommand('accel.emulator.stop');
  });

  it('deploys from the image node (target, namespace, image reference, replicas, auth, self-signed TLS) and sees it ready', async () => {
    const api = await testApi();
    const imageNode = (await flatten(api.trees.images)).find((n) => n.image?.id === 'mobilenet-image:1')!;
    input.script(
      { input: SVC },
      { pick: 'Kubernetes' },
      { input: NS },
      { input: 'myacr.azurecr.io/mobilenet:1' },
      { pick: '1' },
      { pick: 'Keys required' },
      { pick: 'Self-signed certificate' },
      { input: '' }, // TLS server name: none (the certificate names the load balancer address)
      { input: '' }, // DNS label: none
    );
    const service = await exec<Service>('accel.service.deploy', imageNode);
    assert.equal(service.target, 'kubernetes');
    assert.equal(service.kubernetes?.namespace, NS);
    assert.equal(service.tls?.selfSigned, true);
    assert.deepEqual(objects(), [`Deployment/${SVC}`, `Secret/${SVC}-keys`, `Secret/${SVC}-tls`, `Service/${SVC}`]);
    const node = await nodeWhen(/^1\/1 ready · kubernetes · grpcs:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(String(node.item.description), `1/1 ready · kubernetes · grpcs://127.0.0.1:${pod.port}`);
    assert.match(node.item.contextValue!, /^service;running;auth/);
    const details = await api.trees.services.getChildren(node);
    assert.equal(String(details.find((d) => label(d) === 'Pods')!.item.description), `1/1 ready · test-cluster/${NS}`);
    assert.match(String(details.find((d) => label(d) === 'TLS')!.item.description), /self-signed/);
  });

  it('scores a photo at the address the cluster reports, trusting its self-signed certificate', async () => {
    const node = await nodeWhen(/ready/);
    const view = await exec<ScoreView>('accel.service.score', node, [path.join(photosDir(), 'coffee.png')]);
    assert.equal(view.top[0].index, ESPRESSO);
    assert.equal(view.scoringUri, `grpcs://127.0.0.1:${pod.port}`);
    assert.equal(
      await exec<string>('accel.service.copyScoringUri', node),
      `grpcs://127.0.0.1:${pod.port}`,
      'Copy Scoring URI gives the cluster address',
    );
  });

  it('regenerates the primary key in the cluster; scoring follows the new key', async () => {
    const api = await testApi();
    const node = await nodeWhen(/ready/);
    const before = await api.ctx.primaryKey(WS, node.service!, true);
    await exec('accel.service.regenerateKey', node, 'primary');
    const after = await api.ctx.primaryKey(WS, node.service!, true);
    assert.notEqual(after, before);
    const secret = kube.get('Secret', NS, `${SVC}-keys`) as unknown as { data: Record<string, string> };
    assert.equal(Buffer.from(secret.data.primaryKey, 'base64').toString(), after, 'the cluster Secret has the new key');
    await pod.sync(); // the pods roll over to the new Secret
    const view = await exec<ScoreView>('accel.service.score', node, [path.join(photosDir(), 'coffee.png')]);
    assert.equal(view.top[0].index, ESPRESSO);
  });

  it('scales it to two pods: the Deployment asks for two and the view shows 2/2 ready', async () => {
    const node = await nodeWhen(/ready/);
    await exec('accel.service.updateReplicas', node, 2);
    assert.equal((kube.get('Deployment', NS, SVC)!.spec as { replicas: number }).replicas, 2);
    await nodeWhen(/^2\/2 ready · kubernetes/);
    assert.equal(objects().includes(`HorizontalPodAutoscaler/${SVC}`), false, 'a fixed count has no autoscaler');
  });

  it('shows the log of each pod', async () => {
    const node = await nodeWhen(/ready/);
    const sources = await exec<string>('accel.service.showLogs', node);
    assert.match(sources, new RegExp(`^pod ${SVC}-\\S+ \\(Running\\), pod ${SVC}-\\S+ \\(Running\\)$`));
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.match(text, new RegExp(`==> pod ${SVC}-`));
  });

  it('deletes it: every cluster object it made is gone, and so is its node', async () => {
    const api = await testApi();
    const node = await nodeWhen(/ready/);
    await exec('accel.service.delete', node, { confirmed: true });
    assert.deepEqual(objects(), []);
    assert.deepEqual((await api.ctx.store.read(WS)).services, []);
    assert.equal((await api.trees.services.getChildren()).filter((n) => n.service).length, 0);
  });

  /** A Kubernetes deploy with every answer given (no prompt): auth off, so plain text carries no key. */
  function preset(name: string, imageRef: string) {
    return { name, target: 'kubernetes', namespace: NS, imageRef, replicas: 1, authEnabled: false, tls: 'none' };
  }

  async function leftNothing(name: string): Promise<void> {
    const api = await testApi();
    assert.deepEqual(objects(name), [], 'every object it applied was deleted');
    assert.ok(!(await api.ctx.store.read(WS)).services.some((s) => s.name === name), 'nothing recorded');
    assert.ok(
      !(await api.trees.services.getChildren()).some((n) => n.service?.name === name || n.kind === 'placeholder'),
      'no node or placeholder is left',
    );
  }

  it('a rollout whose image the cluster cannot pull fails with the pod event and leaves nothing behind', async () => {
    const api = await testApi();
    kube.imageFailures.set('myacr.azurecr.io/missing:1', 'ErrImagePull');
    const imageNode = (await flatten(api.trees.images)).find((n) => n.image?.id === 'mobilenet-image:1')!;
    const err = await execFailing('accel.service.deploy', imageNode, preset('pull-svc', 'myacr.azurecr.io/missing:1'));
    assert.match(err.message, /did not become ready: pod pull-svc-\S+ is (ErrImagePull|ImagePullBackOff)/);
    assert.match(err.message, /Failed to pull image "myacr\.azurecr\.io\/missing:1"/);
    await leftNothing('pull-svc');
  });

  it('Cancel during the rollout stops it, deletes what it applied and records nothing', async () => {
    const api = await testApi();
    kube.stepMs = 1000; // pods take seconds to schedule, so there is a rollout to cancel
    const cancel = await cancelProgressAt(/^Deploying mobilenet-image:1 as slow-svc/, /^slow-svc: /);
    try {
      const imageNode = (await flatten(api.trees.images)).find((n) => n.image?.id === 'mobilenet-image:1')!;
      const result = await exec('accel.service.deploy', imageNode, preset('slow-svc', 'myacr.azurecr.io/mobilenet:1'));
      assert.ok(cancel.fired, 'cancelled while the pods rolled out');
      assert.equal(result, undefined);
      assert.equal(api.runner.lastError, undefined, 'a user cancel is not an error notification');
    } finally {
      cancel.dispose();
      kube.stepMs = 25;
    }
    await leftNothing('slow-svc');
  });
});
