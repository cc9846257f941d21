import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_TABLE, commandTableProblems } from '../../src/vscode/commands/commandTable';
import { EXTENSION_ID, testApi } from './support/harness';

describe('activation and manifest', () => {
  it('activates lazily without loading onnxruntime or sharp, and uses the configured home', async () => {
    const api = await testApi();
    assert.equal(api.ctx.home, path.resolve(process.env.ACCEL_HOME!));
    const loaded = Object.keys(require.cache).filter((k) => /onnxruntime|[\\/]sharp[\\/]/.test(k));
    assert.deepEqual(loaded, [], 'no native inference module in the extension host');
    assert.equal(api.ctx.emulator.state, 'stopped', 'activation does not start the emulator');
  });

  it('registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const manifest = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8'));
    const contributed: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
    );
    assert.ok(contributed.length >= 30);
    for (const c of manifest.contributes.commands)
      assert.ok(c.category && c.icon, `${c.command} has a category and an icon`);
  });

  it('registers exactly the commands of the command table', async () => {
    const api = await testApi();
    assert.deepEqual(commandTableProblems(api.runner.registered), []);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      Object.keys(COMMAND_TABLE).filter((id) => !registered.has(id)),
      [],
    );
  });

  it('declares the container, the four views and welcome content for each', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const views = manifest.contributes.views.accelModels.map((v: { id: string }) => v.id);
    assert.deepEqual(views, ['accel.workspaces', 'accel.models', 'accel.images', 'accel.services']);
    for (const v of views)
      assert.ok(
        manifest.contributes.viewsWelcome.some((w: { view: string }) => w.view === v),
        `${v} has a welcome view`,
      );
  });
});
