// The whole flow through the real commands, against the real store (a temp ACCEL_HOME) and the real emulator
// host process: workspace → model → image → deploy → score (file, several files, folder) → keys, replicas,
// benchmark, logs → deletes in dependency order. Prompts are answered by the scripted input.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Image, Model, Service } from '../../src/domain/types';
import type { BatchView, BenchmarkView, ModelView, ScoreView } from '../../src/panels/protocol';
import type { TreeNode } from '../../src/vscode/trees/treeNode';
import { exec, execFailing, flatten, input, label, mobilenetPath, photosDir, testApi } from './support/harness';

const ESPRESSO = 967;
const MACAW = 88;

describe('Accelerated Models commands', function () {
  this.timeout(240_000);

  afterEach(() => input.assertDone());

  after(async () => {
    // Leave no emulator host behind (it runs in its own process group).
    await vscode.commands.executeCommand('accel.emulator.stop');
  });

  it('shows the empty state, then creates workspaces (argument and input box) and selects one', async () => {
    const api = await testApi();
    assert.deepEqual(await api.trees.workspaces.getChildren(), []);
    await exec('accel.workspace.create', 'alpha');
    input.script({ input: 'beta' });
    await exec('accel.workspace.create');
    const nodes = await api.trees.workspaces.getChildren();
    assert.deepEqual(nodes.map(label), ['alpha', 'beta']);
    assert.match(String(nodes[0].item.description), /active/, 'the first workspace becomes active');
    input.script({ pick: 'beta' });
    await exec('accel.workspace.select');
    assert.equal(await api.ctx.activeWorkspace(), 'beta');
    await exec('accel.workspace.select', nodes[0]);
    assert.equal(await api.ctx.activeWorkspace(), 'alpha');
  });

  it('rejects a bad workspace name with the rule, and deletes an empty workspace', async () => {
    const err = await execFailing('accel.workspace.create', 'Bad Name!');
    assert.match(err.message, /lowercase/);
    const beta = (await (await testApi()).trees.workspaces.getChildren()).find((n) => label(n) === 'beta')!;
    await exec('accel.workspace.delete', beta);
    assert.deepEqual(
      (await (await testApi()).ctx.store.listWorkspaces()).map((w) => w.name),
      ['alpha'],
    );
  });

  it('registers a model from the explorer (.onnx) and shows it in the Models view', async () => {
    const api = await testApi();
    input.script({ input: 'mobilenet' });
    const model = await exec<Model>('accel.model.register', vscode.Uri.file(mobilenetPath), [
      vscode.Uri.file(mobilenetPath),
    ]);
    assert.equal(model.id, 'mobilenet:1');
    assert.deepEqual(
      model.inputs.map((t) => t.name),
      ['input'],
    );
    const all = await flatten(api.trees.models);
    assert.ok(
      all.some((n) => label(n) === 'mobilenet'),
      'name node',
    );
    const version = all.find((n) => n.kind === 'modelVersion' && n.model?.id === 'mobilenet:1')!;
    assert.equal(version.item.contextValue, 'modelVersion;onnx');
    assert.equal(version.item.id, 'models/alpha/id/mobilenet:1', 'stable id');
  });

  it('adds the catalog model (from ACCEL_MIRROR) as the next version', async () => {
    const model = await exec<Model>('accel.model.addFromCatalog', 'mobilenetv2');
    assert.equal(model.id, 'mobilenetv2:1');
    assert.equal(model.preset, 'mobilenetv2');
    const missing = await execFailing('accel.model.addFromCatalog', 'resnet50');
    assert.match(
      missing.message,
      /ACCEL_MIRROR\) has no resnet50-v1-7\.onnx/,
      'a file the offline mirror lacks is named with the fix',
    );
    const refused = await execFailing('accel.model.addFromCatalog', 'ssdvgg');
    assert.match(
      refused.message,
      /no public ONNX file/,
      'a family without a download says how to bring your own graph',
    );
  });

  it('shows model details in a webview and copies the id', async () => {
    const api = await testApi();
    const node = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    await exec('accel.model.showDetails', node);
    const view = await waitForPanel<ModelView>('model', (v) => v.id === 'mobilenet:1');
    assert.equal(view.inputs[0].name, 'input');
    assert.deepEqual(view.inputs[0].shape.slice(1), [3, 224, 224]);
    assert.equal(await exec('accel.model.copyId', node), 'mobilenet:1');
  });

  it('convert wizard (Back works) converts the model; the converted model shows under its source with its report', async () => {
    const api = await testApi();
    const node = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenetv2:1')!;
    input.script(
      { pick: 'input' },
      { back: true }, // from outputs back to the input step
      { pick: 'input' },
      { pickMany: ['output'] },
      { pick: 'fp32' },
      { pick: 'Keep the int8 graph' }, // asked because the model is int8 QLinear
      { pick: 'Default' },
    );
    const converted = await exec<Model>('accel.model.convert', node);
    assert.deepEqual(
      input.asked.slice(-7).map((a) => a.split(':')[0]),
      ['pick', 'pickMany', 'pick', 'pickMany', 'pick', 'pick', 'pick'],
    );
    assert.equal(converted.parentId, 'mobilenetv2:1');
    assert.equal(converted.conversion?.precision, 'fp32');
    const convertedNode = (await flatten(api.trees.models)).find((n) => n.model?.id === converted.id)!;
    assert.equal(convertedNode.item.contextValue, 'modelVersion;converted');
    const details = await exec<ModelView>('accel.model.showDetails', convertedNode);
    assert.ok(details.report && details.report.lines.length > 0, 'the compatibility report is shown');
  });

  it('creates an image from a model node', async () => {
    const api = await testApi();
    const node = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    input.script({ input: 'mobilenet-image' });
    const image = await exec<Image>('accel.image.create', node);
    assert.equal(image.id, 'mobilenet-image:1');
    assert.equal(image.state, 'Succeeded');
    const nodes = await flatten(api.trees.images);
    assert.ok(nodes.some((n) => n.image?.id === 'mobilenet-image:1'));
    const log = await exec<string>(
      'accel.image.showBuildLog',
      nodes.find((n) => n.image)!,
    );
    assert.match(log, /Succeeded/);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-export-'));
    await exec(
      'accel.image.export',
      nodes.find((n) => n.image)!,
      out,
    );
    assert.ok(fs.readdirSync(out).length > 0, 'the build context was written');
  });

  it('deploy wizard (with Back) starts the emulator and runs the service', async () => {
    const api = await testApi();
    const imageNode = (await flatten(api.trees.images)).find((n) => n.image?.id === 'mobilenet-image:1')!;
    input.script(
      { input: 'wrong-name' },
      { back: true }, // port step → back to the name
      { input: 'mobilenet-svc' },
      { input: '' },
      { pick: '1' },
      { pick: 'Keys required' },
      { pick: 'None' },
    );
    const service = await exec<Service>('accel.service.deploy', imageNode);
    assert.equal(service.name, 'mobilenet-svc');
    assert.equal(service.authEnabled, true);
    assert.equal(api.ctx.emulator.state, 'running');
    const nodes = await api.trees.services.getChildren();
    assert.equal(nodes.length, 1);
    assert.match(String(nodes[0].item.description), /^running · grpc:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(nodes[0].item.contextValue, 'service;running;auth');
    const details = await api.trees.services.getChildren(nodes[0]);
    const auth = details.find((d) => label(d) === 'Auth')!;
    assert.ok(!String(auth.item.description).includes(service.keys!.primarySealed), 'keys are masked');
    assert.match(String(auth.item.description), /••••/);
  });

  it('scores a photo from the explorer: the Score Result shows the expected top-1', async () => {
    const file = path.join(photosDir(), 'coffee.png');
    const view = await exec<ScoreView>('accel.score.image', vscode.Uri.file(file), [vscode.Uri.file(file)]);
    assert.equal(view.top[0].index, ESPRESSO);
    assert.equal(view.top[0].label, 'espresso');
    assert.equal(view.top.length, 5);
    assert.ok(view.latency.clientMs > 0 && view.latency.inferenceMs! > 0 && view.latency.preprocessMs! >= 0);
    assert.ok(view.imageUri.length > 0, 'the image is shown');
    const shown = await waitForPanel<ScoreView>('score', (v) => v.fileName === 'coffee.png');
    assert.equal(shown.top[0].label, 'espresso');
  });

  it('scores several selected photos as a batch, and a folder with CSV export', async () => {
    const dir = photosDir();
    const picked = ['parrot.jpg', 'hot_dog.jpg'].map((f) => vscode.Uri.file(path.join(dir, f)));
    const batch = await exec<BatchView>('accel.score.image', picked[0], picked);
    assert.deepEqual(batch.rows.map((r) => [r.file, r.top1?.index]).sort(), [
      ['hot_dog.jpg', 934],
      ['parrot.jpg', MACAW],
    ]);
    const folder = await exec<BatchView>('accel.score.folder', vscode.Uri.file(dir));
    const images = fs.readdirSync(dir).filter((f) => /\.(jpe?g|png|gif|webp|bmp)$/i.test(f));
    assert.equal(folder.rows.length, images.length);
    assert.equal(folder.done, true);
    assert.equal(folder.rows.find((r) => r.file === 'bird.bmp')?.top1?.index, 19);
    // Thumbnail grid: every row carries its photo's webview URI; a tile click opens that photo's Score Result.
    for (const r of folder.rows) assert.match(r.imageUri, new RegExp(`${r.file.replace(/\./g, '\\.')}$`), r.file);
    const parrot = folder.rows.findIndex((r) => r.file === 'parrot.jpg');
    (await testApi()).panel.get('batch')!.receive({ type: 'openResult', row: parrot });
    const opened = await waitForPanel<ScoreView>('score', (v) => v.fileName === 'parrot.jpg');
    assert.equal(opened.top[0].index, MACAW);
    const csv = path.join(os.tmpdir(), `accel-scores-${process.pid}.csv`);
    await waitForPanel<BatchView>('batch', (v) => v.done && v.rows.length === images.length);
    await exec('accel.score.exportCsv', csv);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'file,label,class,score,latency_ms,error');
    assert.equal(lines.length, images.length + 1);
  });

  it('scores from the service node with picked files', async () => {
    const api = await testApi();
    const [svc] = await api.trees.services.getChildren();
    input.script({ files: [path.join(photosDir(), 'parrot.jpg')] });
    const view = await exec<ScoreView>('accel.service.score', svc);
    assert.equal(view.top[0].index, MACAW);
  });

  it('copies the scoring URI and the primary key; a regenerated key keeps scoring working', async () => {
    const api = await testApi();
    const [svc] = await api.trees.services.getChildren();
    const uri = await exec<string>('accel.service.copyScoringUri', svc);
    assert.match(uri, /^grpc:\/\/127\.0\.0\.1:\d+$/);
    await exec('accel.service.copyPrimaryKey', svc);
    const before = await api.ctx.primaryKey('alpha', svc.service!);
    input.script({ pick: 'primary' });
    await exec('accel.service.regenerateKey', svc);
    const after = await api.ctx.primaryKey('alpha', svc.service!);
    assert.notEqual(after, before, 'SecretStorage holds the new key');
    const view = await exec<ScoreView>('accel.service.score', svc, [path.join(photosDir(), 'coffee.png')]);
    assert.equal(view.top[0].index, ESPRESSO);
  });

  it('updates replicas: the emulator runs the service on two devices', async () => {
    const api = await testApi();
    const [svc] = await api.trees.services.getChildren();
    await exec('accel.service.updateReplicas', svc, 2);
    await api.ctx.emulator.refreshStatus();
    assert.equal(api.ctx.emulator.live('mobilenet-svc')?.devices.length, 2);
  });

  it('runs a benchmark and shows it', async () => {
    const api = await testApi();
    const [svc] = await api.trees.services.getChildren();
    const view = await exec<BenchmarkView>('accel.service.benchmark', svc, {
      image: path.join(photosDir(), 'hot_dog.jpg'),
      levels: [1, 2],
      requestsPerLevel: 4,
      warmup: 2,
    });
    assert.equal(view.levels.length, 2);
    assert.deepEqual(
      view.levels.map((l) => l.requests),
      [4, 4],
    );
    assert.deepEqual(
      view.levels.filter((l) => l.errors).map((l) => l.firstError),
      [],
    );
    assert.equal(view.warmupRequests, 2);
    for (const l of view.levels) {
      assert.ok(l.p50Ms > 0 && l.p50Ms <= l.p90Ms && l.p90Ms <= l.p99Ms, `c=${l.concurrency}: p50 <= p90 <= p99`);
      assert.equal(
        l.histogram.reduce((n, h) => n + h.count, 0),
        4,
        'one histogram per level, of that level only',
      );
      assert.ok(l.mean && l.mean.inferenceMs > 0, "the server's timings per level");
    }
    // A second run compares with the first (kept per service in workspaceState).
    const again = await exec<BenchmarkView>('accel.service.benchmark', svc, {
      image: path.join(photosDir(), 'hot_dog.jpg'),
      levels: [1],
      requestsPerLevel: 2,
      warmup: 0,
    });
    assert.equal(again.previous?.startedAt, view.startedAt);
    const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'accel-bench-')), 'run.csv');
    await waitForPanel<BenchmarkView>('benchmark', (v) => v.done && v.startedAt === again.startedAt);
    assert.equal(await exec<string>('accel.benchmark.export', 'csv', csv), csv);
    assert.equal(fs.readFileSync(csv, 'utf8').trimEnd().split('\n').length, 2, 'header and the one level');
  });

  it('opens the service log and the emulator log', async () => {
    const api = await testApi();
    const [svc] = await api.trees.services.getChildren();
    assert.ok(fs.existsSync(await exec<string>('accel.service.showLogs', svc)));
    assert.ok(fs.existsSync(await exec<string>('accel.emulator.showLog')));
  });

  it('refuses deletes that have dependents, naming them and the order', async () => {
    const api = await testApi();
    const modelNode = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    const m = await execFailing('accel.model.delete', modelNode, { confirmed: true });
    assert.equal(m.code, 'HasDependents');
    assert.match(m.message, /mobilenet-image:1/);
    assert.match(m.message, /Delete in this order/);
    assert.doesNotMatch(m.message, /accel (model|image|service) delete/, 'no CLI commands in VS Code');
    const imageNode = (await flatten(api.trees.images)).find((n) => n.image)!;
    const i = await execFailing('accel.image.delete', imageNode, { confirmed: true });
    assert.equal(i.code, 'HasDependents');
    assert.match(i.message, /mobilenet-svc/);
    const w = await execFailing('accel.workspace.delete', 'alpha', { force: true });
    assert.equal(w.code, 'HasDependents');
  });

  it('shows an error node instead of throwing when the store cannot be read', async () => {
    const api = await testApi();
    const file = api.ctx.store.stateFile('alpha');
    const good = fs.readFileSync(file);
    try {
      fs.writeFileSync(file, '{ not json');
      const nodes = await api.trees.models.getChildren();
      assert.equal(nodes.length, 1);
      assert.equal(nodes[0].kind, 'error');
      assert.match(label(nodes[0]), /^Error: /);
      // The Workspaces view reports the damaged workspace as an error node and leaves its file alone.
      const damaged = (await api.trees.workspaces.getChildren()).find((n) => n.item.id === 'workspace/alpha/damaged');
      assert.ok(damaged, 'an error node for the damaged workspace');
      assert.equal(damaged.kind, 'error');
      assert.equal(damaged.item.description, 'damaged: skipped');
      assert.equal(fs.readFileSync(file, 'utf8'), '{ not json', 'the damaged file is left as it is');
    } finally {
      fs.writeFileSync(file, good);
    }
  });

  it('deletes in dependency order: service → image → model; the emulator drops the service', async () => {
    const api = await testApi();
    const [svc] = await api.trees.services.getChildren();
    input.script({ confirm: true });
    await exec('accel.service.delete', svc);
    await api.ctx.emulator.refreshStatus();
    assert.equal(api.ctx.emulator.live('mobilenet-svc'), undefined);
    const imageNode = (await flatten(api.trees.images)).find((n) => n.image)!;
    await exec('accel.image.delete', imageNode, { confirmed: true });
    const convertedId = (await api.ctx.store.read('alpha')).models.find((m) => m.parentId)!.id;
    // The original documentation's order: the registered model may go before its converted model.
    for (const id of ['mobilenetv2:1', convertedId, 'mobilenet:1']) {
      const node = (await flatten(api.trees.models)).find((n) => n.model?.id === id) as TreeNode;
      await exec('accel.model.delete', node, { confirmed: true });
      if (id === 'mobilenetv2:1') {
        const orphan = (await flatten(api.trees.models)).find((n) => n.model?.id === convertedId)!;
        assert.match(String(orphan.item.description), /\(source deleted\)/);
      }
    }
    assert.deepEqual(await api.trees.models.getChildren(), []);
  });

  it('offers the sample deployment when scoring with no service, and remembers the service', async () => {
    const api = await testApi();
    input.script({ confirm: true });
    const file = path.join(photosDir(), 'coffee.png');
    const view = await exec<ScoreView>('accel.score.image', vscode.Uri.file(file));
    assert.equal(view.top[0].index, ESPRESSO);
    assert.equal(view.service, 'mobilenet-svc');
    assert.equal(api.ctx.extension.workspaceState.get('accel.lastService'), 'alpha/mobilenet-svc');
  });

  it('stops and starts the emulator; the host restores the deployed service', async () => {
    const api = await testApi();
    await exec('accel.emulator.stop');
    assert.equal(api.ctx.emulator.state, 'stopped');
    const [stopped] = await api.trees.services.getChildren();
    assert.match(String(stopped.item.description), /^stopped/);
    await exec('accel.emulator.start');
    assert.equal(api.ctx.emulator.state, 'running');
    const view = await exec<ScoreView>('accel.score.image', vscode.Uri.file(path.join(photosDir(), 'parrot.jpg')));
    assert.equal(view.top[0].index, MACAW);
  });

  it('quick actions run the picked command', async () => {
    input.script({ pick: /Show Extension Log/ });
    await exec('accel.showQuickActions');
  });

  it('never loaded onnxruntime or sharp into the extension host (inference and conversion ran in child processes)', () => {
    assert.deepEqual(
      Object.keys(require.cache).filter((k) => /onnxruntime|[\\/]sharp[\\/]/.test(k)),
      [],
    );
  });
});

/** Waits until the panel of `kind` has rendered a view matching `check` (the webview acknowledges each message). */
async function waitForPanel<V>(kind: 'score' | 'batch' | 'model' | 'benchmark', check: (v: V) => boolean): Promise<V> {
  const api = await testApi();
  for (;;) {
    const v = api.panel.get(kind)?.lastShown as V | undefined;
    if (v && check(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
