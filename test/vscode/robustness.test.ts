// What happens off the happy path, through the real commands, store, emulator and CLI runner: cancelling a
// conversion, a deployment and a folder scoring (cancelled at a known step through the progress token, never
// after a delay), a key regenerated behind the extension's back, TLS with the user's own PEM files, and the
// convert wizard's --dequantize option. Runs in its own workspace ("gamma") after the lifecycle suite.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as grpc from '@grpc/grpc-js';
import type { Image, Model, Service } from '../../src/domain/types';
import { regenerateLocalKey } from '../../src/emulator/host/localServices';
import { ServiceScorer } from '../../src/scoring/serviceScorer';
import { graphTensors } from '../../src/vscode/commands/convertCommand';
import type { BatchView, ModelView } from '../../src/panels/protocol';
import type { TreeNode } from '../../src/vscode/trees/treeNode';
import { isProcessAlive } from '../../src/processAlive';
import {
  cancelProgressAt,
  exec,
  execFailing,
  flatten,
  input,
  mobilenetPath,
  photosDir,
  testApi,
} from './support/harness';

const WS = 'gamma';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on the port any more (it can be bound again). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function modelNode(id: string): Promise<TreeNode> {
  const node = (await flatten((await testApi()).trees.models)).find((n) => n.ws === WS && n.model?.id === id);
  if (!node) throw new Error(`no tree node for model ${id} in ${WS}`);
  return node;
}

async function serviceNode(name: string): Promise<TreeNode> {
  const node = (await (await testApi()).trees.services.getChildren()).find((n) => n.service?.name === name);
  if (!node) throw new Error(`no tree node for service ${name}`);
  return node;
}

describe('Cancellation, stale keys, TLS and dequantize', function () {
  this.timeout(240_000);
  let image: Image;

  before(async () => {
    await exec('accel.workspace.create', WS);
    await exec('accel.workspace.select', WS);
    await exec<Model>('accel.model.register', vscode.Uri.file(mobilenetPath), { name: 'mobilenet' });
    image = await exec<Image>('accel.image.create', await modelNode('mobilenet:1'), { name: 'mobilenet-image' });
  });

  afterEach(async () => {
    input.assertDone();
    (await testApi()).setProgressObserver(undefined);
  });

  after(async () => {
    await vscode.commands.executeCommand('accel.emulator.stop');
  });

  it('cancelling a conversion stops its runner process: the operation ends Cancelled and nothing is registered', async () => {
    const api = await testApi();
    const before = (await api.ctx.store.read(WS)).models.length;
    // Cancel once the operation runs in its own process (started and attached: it is converting).
    const cancel = await cancelProgressAt(/^Converting mobilenet:1/, /^running as operation /);
    const result = await exec('accel.model.convert', await modelNode('mobilenet:1'), {
      inputTensor: 'input',
      outputTensors: ['output'],
      precision: 'fp32',
      dequantize: false,
      calibrationFolder: '',
    });
    assert.ok(cancel.fired, 'the progress was cancelled while the runner was converting');
    assert.equal(result, undefined, 'a cancelled command returns nothing');
    assert.equal(api.runner.lastError, undefined, 'a user cancel is not an error notification');
    const state = await api.ctx.store.read(WS);
    const op = state.operations.filter((o) => o.kind === 'convert' && o.target === 'mobilenet:1').at(-1)!;
    assert.equal(op.state, 'Cancelled');
    assert.ok(op.pid, 'the operation recorded its runner process');
    assert.equal(isProcessAlive(op.pid!), false, `the runner process ${op.pid} is gone`);
    assert.equal(state.models.length, before, 'no converted model was registered');
    const log = fs.readFileSync(
      path.join(path.dirname(api.ctx.store.stateFile(WS)), 'operations', `${op.id}.log`),
      'utf8',
    );
    assert.match(log, /Cancelled/);
    assert.ok(!state.models.some((m) => m.parentId === 'mobilenet:1'));
  });

  it('cancelling a deployment while the model loads removes the service and frees its port', async () => {
    const api = await testApi();
    const port = await freePort();
    const cancel = await cancelProgressAt(/^Deploying mobilenet-image:1 as cancel-svc/, /is loading its model/);
    const result = await exec('accel.service.deploy', undefined, {
      imageId: image.id,
      name: 'cancel-svc',
      port,
      replicas: 1,
      authEnabled: true,
      tls: 'none',
    });
    assert.ok(cancel.fired, 'cancelled once the emulator had started the service');
    assert.equal(result, undefined);
    assert.equal(api.runner.lastError, undefined, 'a user cancel is not an error notification');
    assert.ok(
      !(await api.ctx.store.read(WS)).services.some((s) => s.name === 'cancel-svc'),
      'the service record was removed',
    );
    await api.ctx.emulator.refreshStatus();
    assert.equal(api.ctx.emulator.live('cancel-svc'), undefined, 'the emulator no longer runs it');
    assert.equal(await portIsFree(port), true, `port ${port} was released`);
    assert.ok(
      !(await api.trees.services.getChildren()).some(
        (n) => n.service?.name === 'cancel-svc' || n.kind === 'placeholder',
      ),
      'no node or placeholder is left',
    );
  });

  it('deploys with TLS from PEM files picked in the wizard: grpcs:// and it scores', async () => {
    const api = await testApi();
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-pem-'));
    fs.writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
    fs.writeFileSync(path.join(dir, 'key.pem'), pems.private);
    input.script(
      { input: 'tls-svc' },
      { input: '' },
      { pick: '1' },
      { pick: 'Keys required' },
      { pick: 'PEM files…' },
      { files: [path.join(dir, 'cert.pem')] },
      { files: [path.join(dir, 'key.pem')] },
    );
    const imageNode = (await flatten(api.trees.images)).find((n) => n.ws === WS && n.image?.id === image.id);
    const service = await exec<Service>('accel.service.deploy', imageNode);
    assert.ok(service.tls, 'the service records its certificate');
    assert.equal(service.tls!.selfSigned, false);
    const node = await serviceNode('tls-svc');
    assert.match(String(node.item.description), /^running · grpcs:\/\/localhost:\d+$/);
    const view = await exec<{ top: Array<{ label: string }>; scoringUri: string }>('accel.service.score', node, [
      path.join(photosDir(), 'coffee.png'),
    ]);
    assert.equal(view.top[0].label, 'espresso');
    assert.match(view.scoringUri, /^grpcs:\/\//);

    // A key that does not belong to the certificate: refused with what to do, nothing recorded.
    const other = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    fs.writeFileSync(path.join(dir, 'other-key.pem'), other.private);
    input.script(
      { input: 'tls-bad-svc' },
      { input: '' },
      { pick: '1' },
      { pick: 'Off' },
      { pick: 'PEM files…' },
      { files: [path.join(dir, 'cert.pem')] },
      { files: [path.join(dir, 'other-key.pem')] },
    );
    const refused = await execFailing('accel.service.deploy', imageNode);
    assert.match(refused.message, /does not belong to the certificate/);
    assert.ok(!(await api.ctx.store.read(WS)).services.some((s) => s.name === 'tls-bad-svc'));
  });

  it("a key regenerated behind the extension's back (as `accel service regen-key` does): scoring re-reads it and works", async () => {
    const api = await testApi();
    const node = await serviceNode('tls-svc');
    const secretId = api.ctx.serviceKeyId(WS, 'tls-svc', 'primary');
    const cached = await api.ctx.secrets.get(secretId);
    assert.ok(cached, 'scoring cached the primary key in SecretStorage');
    // The core use case plus the host reconcile, exactly what the CLI runs; the extension is not told.
    const keys = await regenerateLocalKey(api.ctx.store, WS, 'tls-svc', 'primary');
    assert.notEqual(keys.primaryKey, cached);
    assert.equal(await api.ctx.secrets.get(secretId), cached, 'the cached key is stale now');
    // The stale key really is refused by the service (what the retry has to recover from).
    const stale = await ServiceScorer.open(api.ctx.store, WS, node.service!, { key: async () => cached! });
    try {
      await assert.rejects(
        stale.scoreFile(path.join(photosDir(), 'coffee.png')),
        (e: { code?: number }) => e.code === grpc.status.UNAUTHENTICATED,
      );
    } finally {
      stale.close();
    }
    const view = await exec<{ top: Array<{ label: string }> }>('accel.service.score', node, [
      path.join(photosDir(), 'coffee.png'),
    ]);
    assert.equal(view.top[0].label, 'espresso');
    assert.equal(await api.ctx.secrets.get(secretId), keys.primaryKey, 'SecretStorage holds the new key');
  });

  it('cancelling a folder scoring stops sending requests; the table and CSV hold only the finished images', async () => {
    const api = await testApi();
    const dir = photosDir();
    const images = fs.readdirSync(dir).filter((f) => /\.(jpe?g|png|gif|webp|bmp)$/i.test(f));
    await api.ctx.emulator.refreshStatus();
    const requestsBefore = api.ctx.emulator.live('tls-svc')!.requests;
    const cancel = await cancelProgressAt(/^Scoring \d+ images with tls-svc/, /^2\//);
    const view = await exec<BatchView>('accel.score.folder', vscode.Uri.file(dir));
    assert.ok(cancel.fired);
    assert.equal(api.runner.lastError, undefined, 'a user cancel is not an error notification');
    assert.equal(view.cancelled, true);
    assert.ok(
      view.rows.length >= 2 && view.rows.length < images.length,
      `${view.rows.length} of ${images.length} images scored`,
    );
    assert.ok(
      view.rows.every((r) => r.top1 && !r.error),
      'only finished images are listed',
    );
    await api.ctx.emulator.refreshStatus();
    const sent = api.ctx.emulator.live('tls-svc')!.requests - requestsBefore;
    assert.ok(sent < images.length, `the service got ${sent} requests for ${images.length} images`);
    // The panel is shared with earlier batches: wait for this one's final view (fewer rows than a full run).
    const shown = await waitForBatch((v) => v.done && v.folder === dir && v.rows.length === view.rows.length);
    assert.equal(shown.cancelled, true);
    assert.equal(shown.rows.length, view.rows.length);
    const csv = path.join(os.tmpdir(), `accel-cancelled-${process.pid}.csv`);
    await exec('accel.score.exportCsv', csv);
    assert.equal(fs.readFileSync(csv, 'utf8').trim().split('\n').length, view.rows.length + 1);
  });

  it('the convert wizard offers --dequantize for an int8 QLinear model; dequantize + msfp9 shows the accuracy deltas in Model Details', async () => {
    const api = await testApi();
    const calibration = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-calib-'));
    for (const f of ['coffee.png', 'parrot.jpg', 'hot_dog.jpg'])
      fs.copyFileSync(path.join(photosDir(), f), path.join(calibration, f));
    input.script(
      { pick: 'input' },
      { pickMany: ['output'] },
      { pick: 'msfp9' },
      { pick: 'Dequantize to fp32 first' },
      { pick: 'Choose a folder…' },
      { files: [calibration] },
    );
    const converted = await exec<Model>('accel.model.convert', await modelNode('mobilenet:1'));
    assert.ok(
      input.asked.some((a) => /int8 model/.test(a)),
      'the int8 question was asked',
    );
    assert.equal(converted.conversion?.precision, 'msfp9');
    assert.match(converted.description ?? '', /dequantized from int8/);
    const details = await exec<ModelView>('accel.model.showDetails', await modelNode(converted.id));
    assert.ok(
      details.report!.lines.some((l) => /^dequantized from int8: .*QLinearConv×\d+/.test(l)),
      details.report!.lines.join('\n'),
    );
    assert.equal(details.report!.accuracyDelta.length, 2, 'against the int8 source and against its fp32 rewrite');
    assert.match(
      details.report!.accuracyDelta[0],
      /^vs mobilenet:1: top-1 agreement \d+\.\d%, top-5 \d+\.\d% over 3 images/,
    );
    assert.match(details.report!.accuracyDelta[1], /^vs mobilenet:1 dequantized to fp32: top-1 agreement/);
    const shown = await waitForPanel<ModelView>('model', (v) => v.id === converted.id);
    assert.deepEqual(shown.report!.accuracyDelta, details.report!.accuracyDelta, 'the panel rendered the deltas');

    // Only int8 QLinear models are asked: the fp32 rewrite itself has no QLinear operator.
    assert.equal(graphTensors(mobilenetPath, converted).qlinear, true);
    assert.equal(graphTensors(api.ctx.store.blobPath(WS, converted.blob), converted).qlinear, false);
  });
});

async function waitForBatch(check: (v: BatchView) => boolean): Promise<BatchView> {
  return waitForPanel('batch', check);
}

/** Waits until the panel of `kind` has rendered a view matching `check` (the webview acknowledges each message). */
async function waitForPanel<V>(kind: 'batch' | 'model', check: (v: V) => boolean): Promise<V> {
  const api = await testApi();
  for (;;) {
    const v = api.panel.get(kind)?.lastShown as V | undefined;
    if (v && check(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
