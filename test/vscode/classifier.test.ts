// Train Classifier from Folder in the extension host, against the real store, CLI child and emulator host: class
// folders made from the shared photos (seeded augmentations, built in a child process since sharp never loads
// here), the wizard with Back, per-photo progress, the Training Result view, a real cancel, the Models view marks,
// then Create Image and Deploy and Score a Photo on photos it never saw. Leaves the home as it found it (the next
// suite expects an empty store).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Service } from '../../src/domain/types';
import type { ScoreView, TrainingView } from '../../src/panels/protocol';
import { cancelProgressAt, EXTENSION_ID, exec, flatten, input, testApi } from './support/harness';

const WS = 'classify';

/** Runs test/vscode/support/makeClassFolders.ts in a Node child (with tsx from the extension's node_modules). */
function makeClassFolders(dir: string, perSource: number, seed: number): void {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'test/vscode/support/makeClassFolders.ts'),
      dir,
      String(perSource),
      String(seed),
    ],
    { cwd: root, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`makeClassFolders failed (${r.status ?? r.signal}): ${r.stderr}`);
}

async function waitForTraining(check: (v: TrainingView) => boolean): Promise<TrainingView> {
  const api = await testApi();
  for (;;) {
    const v = api.panel.get('training')?.lastShown as TrainingView | undefined;
    if (v && check(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Train Classifier from Folder', function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-train-'));
  const data = path.join(tmp, 'Pet Photos');
  const unseen = path.join(tmp, 'unseen');

  before(async () => {
    await testApi();
    await exec('accel.workspace.create', WS);
    await exec('accel.workspace.select', WS);
    await exec('accel.model.addFromCatalog', 'mobilenetv2');
    makeClassFolders(data, 6, 1);
    makeClassFolders(unseen, 1, 99); // photos it never trains on: other crops of the same sources
  });

  afterEach(() => input.assertDone());

  after(async () => {
    const api = await testApi();
    api.setProgressObserver(undefined);
    // Leave the store empty and no emulator host behind, as the next suite expects.
    const state = await api.ctx.store.read(WS).catch(() => undefined);
    for (const s of state?.services ?? []) {
      await vscode.commands.executeCommand(
        'accel.service.delete',
        { kind: 'service', ws: WS, service: s, item: new vscode.TreeItem(s.name) },
        { confirmed: true },
      );
    }
    await vscode.commands.executeCommand('accel.workspace.delete', WS, { force: true });
    await vscode.commands.executeCommand('accel.emulator.stop');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the wizard (with Back) trains on the folder with per-photo progress; the Training Result shows the figures', async () => {
    const api = await testApi();
    const messages: string[] = [];
    api.setProgressObserver((title, update) => {
      if (/^Training classifier pets/.test(title) && update.message) messages.push(update.message);
    });
    input.script(
      { pick: 'mobilenetv2:1' },
      { input: 'wrong-name' },
      { back: true }, // hold-out → back to the name
      { input: 'pets' },
      { pick: '20%' },
    );
    const view = await exec<TrainingView>('accel.classifier.train', vscode.Uri.file(data));
    api.setProgressObserver(undefined);
    assert.equal(view.kind, 'training');
    assert.equal(view.modelId, 'pets:1');
    assert.deepEqual(view.labels, ['cat', 'other']);
    assert.equal(view.evaluatedOn, 'holdout');
    assert.equal(typeof view.accuracy.holdout, 'number');
    assert.ok(view.accuracy.holdout! >= 0.8, `hold-out accuracy ${view.accuracy.holdout}`);
    assert.deepEqual(
      view.perClass.map((c) => c.label),
      ['cat', 'other'],
    );
    assert.equal(view.confusion.length, 2);
    assert.ok(view.lossCurve.length > 1);
    assert.equal(view.photos.total, 30);
    const counts = messages.filter((m) => /^Featurizing photos \d+\/30$/.test(m));
    assert.ok(counts.length >= 2, `per-photo counts in the progress: ${JSON.stringify(messages)}`);
    const shown = await waitForTraining((v) => v.modelId === 'pets:1');
    assert.deepEqual(shown.labels, ['cat', 'other']);
    for (const m of shown.misclassified) assert.match(m.imageUri, /^(https?|vscode-(webview-)?resource|vscode-file):/);
    const roots = api.panel.get('training')!.webview.options.localResourceRoots ?? [];
    assert.ok(
      roots.some((r) => r.fsPath === fs.realpathSync(data) || r.fsPath === data),
      `the panel may load the data folder's photos: ${roots.map((r) => r.fsPath).join(', ')}`,
    );
  });

  it('marks the trained classifier and its featurizer in the Models view', async () => {
    const api = await testApi();
    const nodes = await flatten(api.trees.models);
    const pets = nodes.find((n) => n.model?.id === 'pets:1')!;
    assert.match(String(pets.item.description), /classifier · 2 classes · on mobilenetv2:1/);
    assert.match(String(pets.item.contextValue), /^modelVersion;onnx;classifier$/);
    const tooltip = (pets.item.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /cat, other/);
    assert.match(tooltip, /mobilenetv2:1/);
    const featurizer = nodes.find((n) => n.model?.id === 'mobilenetv2:1')!;
    assert.match(String(featurizer.item.description), /featurizer of 1 classifier/);
  });

  it('Cancel while featurizing stops the training: nothing registered, no temporary model left', async () => {
    const api = await testApi();
    const cancel = await cancelProgressAt(/^Training classifier never/, /^Featurizing photos \d+\//);
    try {
      const r = await vscode.commands.executeCommand('accel.classifier.train', vscode.Uri.file(data), {
        featurizer: 'mobilenetv2:1',
        name: 'never',
        holdout: 0.2,
      });
      assert.equal(r, undefined);
      assert.ok(cancel.fired, 'cancelled while featurizing');
      assert.equal(api.runner.lastError, undefined, 'a cancel is not an error');
    } finally {
      cancel.dispose();
    }
    const models = (await api.ctx.store.read(WS)).models;
    assert.deepEqual(models.map((m) => m.id).sort(), ['mobilenetv2:1', 'pets:1']);
    assert.deepEqual((await api.ctx.store.read(WS)).services, []);
  });

  it('Create Image and Deploy, then Score a Photo names the right class for photos it never saw', async () => {
    const service = await exec<Service>('accel.classifier.deploy');
    assert.equal(service.name, 'pets-svc');
    const shown = await waitForTraining((v) => v.service === 'pets-svc');
    assert.equal(shown.modelId, 'pets:1');
    for (const label of ['cat', 'other']) {
      const [photo] = fs.readdirSync(path.join(unseen, label)).sort();
      const view = await exec<ScoreView>('accel.classifier.scorePhoto', path.join(unseen, label, photo));
      assert.equal(view.service, 'pets-svc');
      assert.equal(view.modelId, 'pets:1');
      assert.deepEqual(view.top.map((p) => p.label).sort(), ['cat', 'other']);
      assert.equal(view.top[0].label, label, `${label}/${photo}`);
    }
  });

  it('never loaded onnxruntime or sharp into the extension host', () => {
    assert.deepEqual(
      Object.keys(require.cache).filter((k) => /onnxruntime|[\\/]sharp[\\/]/.test(k)),
      [],
    );
  });
});
