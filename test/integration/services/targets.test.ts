// The service verbs of the real CLI (dist/cli.js) through src/services, per target: a Kubernetes service on the fake
// cluster whose load balancer points at a real local pod (the standalone server run with the pod spec's keys and TLS
// Secret, see test/support/localPod.ts), so `service score` really dials the address the cluster reports, with the
// cluster's self-signed certificate; and a local service whose TLS is enabled, rotated and dropped in place. Options
// that do not apply to a target are refused and leave nothing behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createImage, findImage, readImageManifest } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import { openStore } from '../../../src/store/fileStore';
import { AccelHome } from '../../support/accelCli';
import { LocalPod } from '../../support/localPod';
import { imagesDir, mobilenetPath, repoRoot } from '../../support/paths';
import { FakeKube } from '../azure/support/fakeKube';

const ESPRESSO = 967;
const coffee = path.join(imagesDir, 'skimage', 'coffee.png');
const W = ['--workspace', 'svc'];

describe('service verbs per target through src/services (CLI)', () => {
  let kube: FakeKube;
  let home: AccelHome;
  let pod: LocalPod;
  let tmp: string;
  let syncing: NodeJS.Timeout | undefined;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-targets-'));
    kube = await FakeKube.start();
    fs.writeFileSync(path.join(tmp, 'kubeconfig'), kube.kubeconfig('dev-cluster'));
    home = new AccelHome({ KUBECONFIG: path.join(tmp, 'kubeconfig') });
    const store = openStore(home.home);
    await store.createWorkspace('svc');
    await registerModel(store, 'svc', {
      name: 'mobilenet',
      path: mobilenetPath,
      preset: 'mobilenetv2',
      labels: 'imagenet-1000',
    });
    await createImage(store, 'svc', 'mobilenet-image', 'mobilenet:1');
    const image = findImage(await store.read('svc'), 'mobilenet-image');
    const manifest = await readImageManifest(store, 'svc', image);
    pod = await new LocalPod(kube, 'models', 'mnet', path.join(repoRoot, 'dist', 'emulator.js'), {
      manifest,
      modelFile: store.blobPath('svc', manifest.model.sha256),
    }).init();
    kube.ingressFor = (name) => (name === 'mnet' ? { ip: '127.0.0.1', port: pod.port } : { ip: '127.0.0.1' });
  });

  after(async () => {
    clearInterval(syncing);
    await pod?.dispose();
    await kube?.close();
    await home?.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Keeps the local pod in step with the cluster's Secrets while a CLI command runs (as the kubelet would). */
  function kubelet(): void {
    let busy = false;
    syncing = setInterval(() => {
      if (busy) return;
      busy = true;
      pod
        .sync()
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, 100);
  }

  it('refuses options that do not apply to the target, naming why, and leaves nothing behind', async () => {
    const base = ['service', 'deploy', 'mnet', '--image', 'mobilenet-image', ...W];
    const cases: Array<[string[], RegExp]> = [
      [['--target', 'kubernetes', '--port', '5000', '--image-ref', 'r/m:1'], /--port does not apply to Kubernetes/],
      [
        ['--target', 'kubernetes', '--rest-port', '0', '--image-ref', 'r/m:1'],
        /--rest-port does not apply to Kubernetes/,
      ],
      [['--target', 'local', '--namespace', 'models'], /--namespace does not apply to the local emulator/],
      [['--target', 'local', '--dns-label', 'mnet'], /--dns-label does not apply to the local emulator/],
      [['--target', 'local', '--tls-server-name', 'a.example.com'], /--tls-server-name does not apply/],
      [['--target', 'container', '--rest-port', '0'], /--rest-port does not apply to a container service/],
      [['--network', 'host'], /--network does not apply to the local emulator/],
      [
        ['--target', 'kubernetes', '--namespace', 'models', '--image-ref', 'r/m:1'],
        /unencrypted across the network.*--allow-plaintext/,
      ],
    ];
    for (const [extra, pattern] of cases) {
      const r = await home.run([...base, ...extra], { expectFailure: true });
      assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, extra.join(' '));
    }
    assert.deepEqual((await home.run(['service', 'list', '--json', ...W])).json, []);
    assert.equal(kube.get('Deployment', 'models', 'mnet'), undefined, 'nothing reached the cluster');
  });

  it('Kubernetes: deploy with self-signed TLS waits for the pods; show, score at the cluster address, regen-key, scale, logs, delete', async () => {
    kubelet();
    const deployed = await home.run([
      'service',
      'deploy',
      'mnet',
      '--image',
      'mobilenet-image',
      '--target',
      'kubernetes',
      '--namespace',
      'models',
      '--image-ref',
      'myacr.azurecr.io/mobilenet:1',
      '--replicas',
      '1',
      '--self-signed',
      '--json',
      ...W,
    ]);
    const view = deployed.json;
    assert.deepEqual(
      [view.target, view.state, view.ready, view.desired, view.scoringUri],
      ['kubernetes', 'Running', 1, 1, `grpcs://127.0.0.1:${pod.port}`],
    );
    assert.equal(view.tls.selfSigned, true);
    assert.ok(kube.get('Secret', 'models', 'mnet-tls'), 'the TLS Secret is in the cluster');

    const shown = (await home.run(['service', 'show', 'mnet', '--json', ...W])).json;
    assert.match(shown.tls.certificate, /BEGIN CERTIFICATE/);
    const listed = (await home.run(['service', 'list', '--json', ...W])).json;
    assert.deepEqual(
      listed.map((v: { name: string; target: string; state: string }) => [v.name, v.target, v.state]),
      [['mnet', 'kubernetes', 'Running']],
    );

    // Scoring dials the address the cluster reports and verifies the cluster's self-signed certificate.
    const scored = (await home.run(['service', 'score', 'mnet', coffee, '--json', ...W])).json;
    assert.equal(scored.scoringUri, `grpcs://127.0.0.1:${pod.port}`);
    assert.equal(scored.results[0].top[0].index, ESPRESSO);
    const viaScore = (await home.run(['score', 'mnet', coffee, '--json', ...W])).json;
    assert.equal(viaScore.results[0].top[0].index, ESPRESSO, '`accel score` takes the same path');

    const keys = (await home.run(['service', 'keys', 'mnet', '--json', ...W])).json;
    const regen = (await home.run(['service', 'regen-key', 'mnet', 'primary', '--json', ...W])).json;
    assert.notEqual(regen.primaryKey, keys.primaryKey);
    assert.equal(regen.secondaryKey, keys.secondaryKey);
    const secret = (kube.get('Secret', 'models', 'mnet-keys') as unknown as { data: Record<string, string> }).data;
    assert.equal(Buffer.from(secret.primaryKey, 'base64').toString(), regen.primaryKey, 'the cluster has the new key');
    await pod.sync();
    const again = (await home.run(['service', 'score', 'mnet', coffee, '--json', ...W])).json;
    assert.equal(again.results[0].top[0].index, ESPRESSO, 'scores with the new key');

    const scaled = (await home.run(['service', 'update', 'mnet', '--replicas', '2', '--json', ...W])).json;
    assert.deepEqual([scaled.replicas, scaled.ready, scaled.desired], [2, 2, 2]);
    assert.equal((kube.get('Deployment', 'models', 'mnet')!.spec as { replicas: number }).replicas, 2);

    const logs = (await home.run(['service', 'logs', 'mnet', '--lines', '5', '--json', ...W])).json;
    assert.equal(logs.target, 'kubernetes');
    assert.equal(logs.logs.length, 2, 'one log per pod');
    assert.match(logs.logs[0].source, /^pod mnet-/);

    const plain = await home.run(['service', 'update', 'mnet', '--no-tls', ...W], { expectFailure: true });
    assert.match(plain.stderr, /unencrypted across the network/);
    assert.ok(kube.get('Secret', 'models', 'mnet-tls'), 'refused before anything changed');
    const container = await home.run(['service', 'update', 'mnet', '--network', 'host', ...W], { expectFailure: true });
    assert.match(container.stderr, /unknown option '--network'/);

    const del = (await home.run(['service', 'delete', 'mnet', '--json', ...W])).json;
    assert.equal(del.deleted, 'mnet');
    for (const [kind, name] of [
      ['Deployment', 'mnet'],
      ['Service', 'mnet'],
      ['Secret', 'mnet-keys'],
      ['Secret', 'mnet-tls'],
      ['HorizontalPodAutoscaler', 'mnet'],
    ])
      assert.equal(kube.get(kind, 'models', name), undefined, `${kind} ${name} is gone from the cluster`);
    assert.deepEqual((await home.run(['service', 'list', '--json', ...W])).json, []);
    clearInterval(syncing);
  });

  it('local: TLS enabled, rotated and dropped in place; each time the service scores at its new URI', async () => {
    const deployed = (await home.run(['service', 'deploy', 'loc', '--image', 'mobilenet-image', '--json', ...W])).json;
    assert.equal(deployed.scoringUri, `grpc://127.0.0.1:${deployed.port}`);
    const on = (await home.run(['service', 'update', 'loc', '--self-signed', '--json', ...W])).json;
    assert.equal(on.scoringUri, `grpcs://localhost:${deployed.port}`);
    assert.equal(on.state, 'Running');
    const first = (await home.run(['service', 'show', 'loc', '--json', ...W])).json.tls.certificate;
    assert.equal(
      (await home.run(['service', 'score', 'loc', coffee, '--json', ...W])).json.results[0].top[0].index,
      ESPRESSO,
    );
    await home.run(['service', 'update', 'loc', '--self-signed', ...W]);
    const second = (await home.run(['service', 'show', 'loc', '--json', ...W])).json.tls.certificate;
    assert.notEqual(second, first, 'rotated: a new certificate');
    assert.equal(
      (await home.run(['service', 'score', 'loc', coffee, '--json', ...W])).json.results[0].top[0].index,
      ESPRESSO,
    );
    const off = (await home.run(['service', 'update', 'loc', '--no-tls', '--json', ...W])).json;
    assert.equal(off.scoringUri, `grpc://127.0.0.1:${deployed.port}`);
    assert.equal(off.tls, null);
    assert.equal(
      (await home.run(['service', 'score', 'loc', coffee, '--json', ...W])).json.results[0].top[0].index,
      ESPRESSO,
    );
    const both = await home.run(['service', 'update', 'loc', '--self-signed', '--no-tls', ...W], {
      expectFailure: true,
    });
    assert.match(both.stderr, /Give one of --self-signed, --no-tls/);
    const kubeOnly = await home.run(['service', 'update', 'loc', '--autoscale', ...W], { expectFailure: true });
    assert.match(kubeOnly.stderr, /--autoscale does not apply to the local emulator/);
    const logs = (await home.run(['service', 'logs', 'loc', '--json', ...W])).json;
    assert.equal(logs.target, 'local');
    assert.match(logs.logs[0].text, /loc/);
    await home.run(['service', 'delete', 'loc', ...W]);
  });
});
