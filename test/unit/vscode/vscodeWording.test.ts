// Errors shown in VS Code name VS Code commands and views, not CLI commands: the shared use cases' messages are
// reworded span by span, the titles are the manifest's, and a CLI verb without an equivalent stays as it is.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AccelError } from '../../../src/domain/errors';
import { errorText } from '../../../src/vscode/commands/errorActions';
import { VSCODE_EQUIVALENTS, vscodeWording } from '../../../src/vscode/commands/vscodeWording';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('errors worded for VS Code', () => {
  it('names the VS Code command or view instead of the CLI command', () => {
    assert.equal(
      vscodeWording(
        'Model m is not registered in workspace w. List models with `accel model list`, or register it with `accel model register <path> --name m`.',
      ),
      'Model m is not registered in workspace w. List models with the Models view, or register it with "Accelerated Models: Register Model…".',
    );
    assert.equal(
      vscodeWording('Check `accel emulator status` and `accel emulator logs`.'),
      'Check the Services view and "Accelerated Models: Show Emulator Log".',
    );
  });

  it('leaves CLI commands without a VS Code equivalent, and text without one, as they are', () => {
    const m = 'Create an AKS cluster with `accel compute create <name> --resource-group <rg>`; raise `--timeout`.';
    assert.equal(vscodeWording(m), m);
  });

  it("uses the manifest's titles, for commands the manifest contributes", () => {
    const titles = new Map<string, string>(
      pkg.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]),
    );
    for (const [verb, e] of Object.entries(VSCODE_EQUIVALENTS))
      if ('command' in e) assert.equal(titles.get(e.command), e.title, `accel ${verb} → ${e.command}`);
  });

  it('is what the error notification shows', () => {
    const e = new AccelError('NotFound', 'No image "x" in this workspace. List them with `accel image list`.');
    assert.equal(errorText(e), 'No image "x" in this workspace. List them with the Images view.');
    assert.equal(
      errorText(new Error('plain `accel image create` text')),
      'plain "Accelerated Models: Create Image…" text',
    );
  });
});
