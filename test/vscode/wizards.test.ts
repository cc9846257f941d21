// Wizards of step objects in the real extension: from the palette, Register Model asks the file and the name and
// Back on the name returns to the file dialog; Create Image asks the model and the name, Back returns to the model
// pick; with a tree node and a preset name it asks nothing. Leaves no workspace behind.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Image, Model } from '../../src/domain/types';
import { exec, input, mobilenetPath, testApi } from './support/harness';

const WS = 'wizards';

describe('wizards (step objects)', function () {
  this.timeout(120_000);
  let activeBefore: string | undefined;

  afterEach(() => input.assertDone());

  after(async () => {
    const api = await testApi();
    if ((await api.ctx.store.listWorkspaces()).some((w) => w.name === WS))
      await vscode.commands.executeCommand('accel.workspace.delete', WS, { force: true });
    if (activeBefore) await vscode.commands.executeCommand('accel.workspace.select', activeBefore);
  });

  it('Register Model from the palette: Back on the name returns to the file dialog', async () => {
    activeBefore = await (await testApi()).ctx.store.getActiveWorkspace();
    await exec('accel.workspace.create', WS);
    await exec('accel.workspace.select', WS);
    const from = input.asked.length;
    input.script({ files: [mobilenetPath] }, { back: true }, { files: [mobilenetPath] }, { input: 'wiz-model' });
    const model = await exec<Model>('accel.model.register');
    assert.equal(model.id, 'wiz-model:1');
    assert.deepEqual(input.asked.slice(from), [
      'open: Register Model',
      'input: Register mobilenetv2-12-int8.onnx',
      'open: Register Model',
      'input: Register mobilenetv2-12-int8.onnx',
    ]);
  });

  it('Create Image from the palette: Back on the name returns to the model pick', async () => {
    const from = input.asked.length;
    input.script({ pick: 'wiz-model:1' }, { back: true }, { pick: 'wiz-model:1' }, { input: 'wiz-image' });
    const image = await exec<Image>('accel.image.create');
    assert.equal(image.id, 'wiz-image:1');
    assert.equal(image.modelId, 'wiz-model:1');
    assert.deepEqual(input.asked.slice(from), [
      'pick: Create Image: model',
      'input: Create Image from wiz-model:1',
      'pick: Create Image: model',
      'input: Create Image from wiz-model:1',
    ]);
  });

  it('asks nothing when the tree node and the preset answer every step', async () => {
    const api = await testApi();
    const model = (await api.ctx.store.read(WS)).models.find((m) => m.id === 'wiz-model:1')!;
    const from = input.asked.length;
    const image = await exec<Image>(
      'accel.image.create',
      { kind: 'modelVersion', ws: WS, model, item: new vscode.TreeItem(model.id) },
      { name: 'wiz-image' },
    );
    assert.equal(image.id, 'wiz-image:2');
    assert.deepEqual(input.asked.slice(from), []);
  });
});
