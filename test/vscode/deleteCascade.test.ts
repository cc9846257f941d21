// A delete refused because of dependents, then Delete with Dependents and Reveal Dependents, through the real
// commands against the real store and emulator host: the sample chain (mobilenet:1 → mobilenet-image:1 →
// mobilenet-svc) plus a converted model with its own image. Leaves no workspace behind (lifecycle.test.ts, which
// runs after this file, starts from an empty store).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Model, Service } from '../../src/domain/types';
import type { TreeNode } from '../../src/vscode/trees/treeNode';
import { exec, execFailing, flatten, input, testApi } from './support/harness';

const WS = 'cascade';
const CONVERTED = 'mobilenet.1.accelonnx:1';

describe('Delete with Dependents', function () {
  this.timeout(240_000);

  afterEach(() => input.assertDone());

  after(async () => {
    const api = await testApi();
    if ((await api.ctx.store.listWorkspaces()).some((w) => w.name === WS)) {
      for (const s of (await api.ctx.store.read(WS)).services)
        await vscode.commands.executeCommand(
          'accel.service.delete',
          { kind: 'service', ws: WS, service: s },
          {
            confirmed: true,
          },
        );
      await vscode.commands.executeCommand('accel.workspace.delete', WS, { force: true });
    }
    await vscode.commands.executeCommand('accel.emulator.stop');
  });

  it('deploys the sample chain and a converted model with its own image', async () => {
    const api = await testApi();
    await exec('accel.workspace.create', WS);
    assert.equal(await api.ctx.activeWorkspace(), WS);
    const service = await exec<Service>('accel.sample.deploy');
    assert.equal(service.name, 'mobilenet-svc');
    const source = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    const converted = await exec<Model>('accel.model.convert', source, {
      inputTensor: 'input',
      outputTensors: ['output'],
      precision: 'fp32',
      dequantize: false,
      calibrationFolder: '',
    });
    assert.equal(converted.id, CONVERTED);
    const convertedNode = (await flatten(api.trees.models)).find((n) => n.model?.id === CONVERTED)!;
    input.script({ input: 'converted-image' });
    await exec('accel.image.create', convertedNode);
    const state = await api.ctx.store.read(WS);
    assert.deepEqual(state.images.map((i) => `${i.id} ← ${i.modelId}`).sort(), [
      `converted-image:1 ← ${CONVERTED}`,
      'mobilenet-image:1 ← mobilenet:1',
    ]);
  });

  it('refuses a plain delete with VS Code wording and offers the two actions; Reveal selects the blocking image', async () => {
    const api = await testApi();
    const node = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    const refused = await execFailing('accel.model.delete', node, { confirmed: true });
    assert.equal(refused.code, 'HasDependents');
    assert.match(refused.message, /^Model mobilenet:1 is used by image mobilenet-image:1\. Delete in this order: /);
    assert.doesNotMatch(refused.message, /accel \w+ delete/, 'no CLI commands');
    assert.deepEqual(api.runner.lastError?.actions, ['Delete with Dependents…', 'Reveal Dependents']);

    const target = { workspace: WS, kind: 'model', id: 'mobilenet:1' };
    await exec('accel.revealDependents', target);
    const selected = () => api.trees.views.images.selection[0] as TreeNode | undefined;
    // The selection event arrives from the workbench after reveal resolves; the suite's timeout bounds the wait.
    while (selected()?.image?.id !== 'mobilenet-image:1') await new Promise((r) => setTimeout(r, 50));
    assert.equal(selected()?.image?.id, 'mobilenet-image:1');
  });

  it('declining the confirmation deletes nothing', async () => {
    const api = await testApi();
    const before = JSON.stringify(await api.ctx.store.read(WS));
    input.script({ confirm: false });
    assert.equal(
      await exec('accel.deleteWithDependents', { workspace: WS, kind: 'model', id: 'mobilenet:1' }),
      undefined,
    );
    assert.match(input.asked[input.asked.length - 1], /Delete model mobilenet:1 and 4 entities that depend on it\?/);
    assert.equal(JSON.stringify(await api.ctx.store.read(WS)), before);
  });

  it('deletes the model with its dependents in dependency order; the emulator drops the service', async () => {
    const api = await testApi();
    await api.ctx.emulator.refreshStatus();
    assert.ok(api.ctx.emulator.live('mobilenet-svc'), 'the service runs before');
    input.script({ confirm: true });
    const deleted = await exec<string[]>('accel.deleteWithDependents', {
      workspace: WS,
      kind: 'model',
      id: 'mobilenet:1',
    });
    assert.deepEqual(deleted, [
      'service mobilenet-svc',
      'image converted-image:1',
      'image mobilenet-image:1',
      `converted model ${CONVERTED}`,
      'model mobilenet:1',
    ]);
    const state = await api.ctx.store.read(WS);
    assert.deepEqual([state.models, state.images, state.services], [[], [], []]);
    await api.ctx.emulator.refreshStatus();
    assert.equal(api.ctx.emulator.live('mobilenet-svc'), undefined, 'the emulator no longer serves it');
    assert.deepEqual(await api.trees.models.getChildren(), []);
  });

  it('an unknown target is a clear error, not a crash', async () => {
    const err = await execFailing('accel.deleteWithDependents', { workspace: WS, kind: 'model', id: 'gone:1' });
    assert.equal(err.code, 'NotFound');
    assert.match(err.message, /no model gone:1/);
    const bad = await execFailing('accel.deleteWithDependents', { kind: 'workspace' });
    assert.equal(bad.code, 'InvalidArgument');
  });
});
