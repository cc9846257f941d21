// Compare Precisions in the extension host, against the real store and the CLI child (onnxruntime never loads
// here): the photo pick, the comparison, the panel's view, and the convert wizard's precision pick describing each
// precision with the comparison's numbers (guidance before one exists). Leaves no workspace behind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PrecisionComparison } from '../../src/core/precisionCache';
import type { Model } from '../../src/domain/types';
import type { PrecisionView } from '../../src/panels/protocol';
import { precisionItemText, PRECISION_GUIDANCE } from '../../src/vscode/commands/comparePrecisionsRun';
import type { PickOptions, UserInput } from '../../src/vscode/ui';
import { exec, execFailing, flatten, input, mobilenetPath, testApi } from './support/harness';

const WS = 'precisions';

/** The scripted input, also keeping the items of every pick it answers. */
function recording(): { ui: UserInput; picks: Map<string, Array<{ label: string; description?: string }>> } {
  const picks = new Map<string, Array<{ label: string; description?: string }>>();
  const ui: UserInput = Object.assign(Object.create(input) as UserInput, {
    pick: <T>(o: PickOptions<T>) => {
      picks.set(
        o.title ?? '',
        o.items.map((i) => ({ label: i.label, description: i.description })),
      );
      return input.pick(o);
    },
  });
  return { ui, picks };
}

async function convertPrecisionItems(node: unknown): Promise<Array<{ label: string; description?: string }>> {
  const api = await testApi();
  const { ui, picks } = recording();
  api.setUserInput(ui);
  try {
    input.script({ pick: 'fp32' });
    const converted = await exec<Model>('accel.model.convert', node, {
      inputTensor: 'input',
      outputTensors: ['output'],
      dequantize: false,
      calibrationFolder: '',
    });
    await exec(
      'accel.model.delete',
      (await flatten(api.trees.models)).find((n) => n.model?.id === converted.id),
      {
        confirmed: true,
      },
    );
  } finally {
    api.setUserInput(input);
  }
  return picks.get('Convert mobilenet:1: precision') ?? [];
}

describe('Compare Precisions', function () {
  this.timeout(240_000);

  afterEach(() => input.assertDone());

  after(async () => {
    const api = await testApi();
    if ((await api.ctx.store.listWorkspaces()).some((w) => w.name === WS))
      await vscode.commands.executeCommand('accel.workspace.delete', WS, { force: true });
  });

  it('describes each precision with guidance before a comparison, and with its numbers after one', async () => {
    const api = await testApi();
    await exec('accel.workspace.create', WS);
    await exec('accel.model.register', vscode.Uri.file(mobilenetPath), { name: 'mobilenet' });
    const node = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;

    const before = await convertPrecisionItems(node);
    assert.deepEqual(
      before.map((i) => i.description),
      [PRECISION_GUIDANCE.fp32, PRECISION_GUIDANCE.msfp9, PRECISION_GUIDANCE.msfp8],
    );

    input.script({ pick: 'Sample photos' });
    const c = await exec<PrecisionComparison>('accel.model.comparePrecisions', node);
    assert.equal(c.model, 'mobilenet:1');
    assert.ok(c.images >= 5, `${c.images} sample photos`);
    assert.deepEqual(
      c.rows.map((r) => r.precision),
      ['fp32', 'msfp9', 'msfp8'],
    );
    let view: PrecisionView | undefined;
    while (!(view = api.panel.get('precision')?.lastShown as PrecisionView | undefined))
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(view.kind, 'precision');
    assert.equal(view.images, c.images);
    assert.deepEqual(
      view.rows.map((r) => [r.precision, r.top1Agreement, r.weightBytes]),
      c.rows.map((r) => [r.precision, r.top1Agreement, r.weightBytes]),
    );

    const after = await convertPrecisionItems(node);
    assert.deepEqual(
      after.map((i) => i.description),
      (['fp32', 'msfp9', 'msfp8'] as const).map((p) => precisionItemText(p, c).description),
    );
    assert.match(after[1].description!, /^top-1 \d+% · top-5 \d+% · mean \|Δp\| \d\.\de-\d · weights \d/);
  });

  it('a folder without photos is refused, naming what to do', async () => {
    const api = await testApi();
    const node = (await flatten(api.trees.models)).find((n) => n.model?.id === 'mobilenet:1')!;
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-no-photos-'));
    input.script({ pick: 'Choose a folder…' }, { files: [empty] });
    const refused = await execFailing('accel.model.comparePrecisions', node);
    assert.equal(refused.code, 'InvalidArgument');
    assert.match(refused.message, /holds no images .*Add some photos or pass another folder/);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
