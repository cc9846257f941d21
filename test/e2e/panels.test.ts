// UI end-to-end of the newer panels in the packaged .vsix, each shown in the light and the high-contrast theme: the
// folder results as a thumbnail grid, the Compare Precisions chart, and Delete with Dependents from the Images view
// (its confirmation lists what goes; confirmed, the service and image are gone). The benchmark's curve in both
// themes is in ui.test.ts. Screenshots: test-artifacts/e2e/panels-*.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifacts, clearShots, cli, shared, startWorkbench, WAIT, Workbench, type Session } from './support/workbench';

const PREFIX = 'panels';
let session: Session;
let wb: Workbench;
const shots: string[] = [];

function step(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    try {
      await fn();
    } catch (e) {
      await wb?.page
        .screenshot({
          path: path.join(artifacts, `${PREFIX}-FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`),
        })
        .catch(() => undefined);
      throw e;
    }
  });
}

async function themed(frame: any, webviewClass: string): Promise<void> {
  await frame.waitForFunction((cls: string) => document.body.classList.contains(cls), webviewClass, WAIT);
}

/** Opens the Delete with Dependents confirmation of the image from the Images view. */
async function openCascade(): Promise<any> {
  await wb.showAccelViews();
  await wb.contextMenu(wb.row('Images', 'mobilenet-image:1'), 'Delete with Dependents');
  const dialog = wb.page.locator('.monaco-dialog-box', { hasText: 'These are deleted, in this order' }).first();
  await dialog.waitFor(WAIT);
  return dialog;
}

describe('New panels in light and high-contrast themes (packaged .vsix)', { timeout: 600_000 }, () => {
  before(async () => {
    clearShots(PREFIX);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-panels-home-'));
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-panels-ws-'));
    fs.mkdirSync(path.join(workspace, 'photos'));
    for (const f of ['coffee.png', 'chelsea.png'])
      fs.copyFileSync(path.join(shared, 'data/images/skimage', f), path.join(workspace, 'photos', f));
    for (const f of ['parrot.jpg', 'hot_dog.jpg'])
      fs.copyFileSync(path.join(shared, 'data/images/coral', f), path.join(workspace, 'photos', f));
    const model = path.join(shared, 'data/models/onnx/mobilenetv2-12-int8.onnx');
    cli(home, 'workspace', 'create', 'demo');
    cli(home, 'model', 'register', model, '--name', 'mobilenet', '--workspace', 'demo');
    cli(home, 'image', 'create', 'mobilenet-image', '--model', 'mobilenet:1', '--workspace', 'demo');
    cli(home, 'service', 'deploy', 'mobilenet-svc', '--image', 'mobilenet-image', '--workspace', 'demo');
    session = await startWorkbench({
      home,
      workspace,
      label: 'e2e-panels',
      userSettings: { 'workbench.colorTheme': 'Default Light Modern' },
    });
    wb = new Workbench(session.page, PREFIX);
  });

  after(async () => {
    await session?.stop();
  });

  step('folder results as a thumbnail grid (light)', async () => {
    await wb.page.locator('.monaco-workbench.vs').first().waitFor(WAIT);
    // Folder scoring is offered once the extension knows the workspace has a service (accel.hasService).
    await wb.showAccelViews();
    await wb.row('Services', 'mobilenet-svc').waitFor(WAIT);
    await wb.page.keyboard.press('Control+Shift+E');
    await wb.contextMenu(wb.explorerRow('photos'), 'Score All Images with Accelerated Model');
    const frame = await wb.webviewFrame('#batch-status');
    await frame.locator('#batch-status', { hasText: 'done' }).waitFor(WAIT);
    assert.equal(await frame.locator('#batch-grid .tile').count(), 4);
    assert.equal(await frame.locator('#batch-grid .tile img').count(), 4, 'a thumbnail per photo');
    await themed(frame, 'vscode-light');
    shots.push(await wb.shot('thumbnail-grid-light'));
  });

  step('Compare Precisions: one chart of fp32, msfp9 and msfp8 with its table (light)', async () => {
    await wb.showAccelViews();
    await wb.contextMenu(wb.row('Models', 'mobilenet:1'), 'Compare Precisions');
    await wb.page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Compare Precisions of mobilenet:1' })
      .first()
      .waitFor(WAIT);
    await wb.quickPickChoose('photos', /photos.*4 photos/);
    const frame = await wb.webviewFrame('#precision-chart');
    for (const cls of ['bar-top1', 'bar-top5', 'bar-size'])
      assert.equal(await frame.locator(`#precision-chart svg rect.${cls}`).count(), 3, cls);
    assert.equal(await frame.locator('#precision-chart svg circle.delta-point').count(), 3);
    assert.deepEqual(
      (await frame.locator('#precision-table tbody th').allTextContents()).map((t: string) => t.trim()),
      ['fp32', 'msfp9', 'msfp8'],
    );
    assert.match(
      await frame.locator('#precision-status').textContent(),
      /^4 photos from .*photos · compared with mobilenet:1 dequantized to fp32/,
    );
    assert.match(
      await frame.locator('#precision-chart svg').getAttribute('aria-label'),
      /^Precisions of mobilenet:1 on 4 photos: fp32: top-1 100\.0%/,
    );
    await themed(frame, 'vscode-light');
    shots.push(await wb.shot('precision-chart-light'));
  });

  step('Delete with Dependents from the Images view lists what goes (light)', async () => {
    const dialog = await openCascade();
    assert.match(await dialog.textContent(), /1\. service mobilenet-svc[\s\S]*2\. image mobilenet-image:1/i);
    shots.push(await wb.shot('delete-cascade-light'));
    await wb.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', ...WAIT });
  });

  step('the same panels in the high-contrast theme', async () => {
    await wb.setColorTheme('Dark High Contrast', 'hc-black');
    await wb.showTab('Batch Scores');
    const grid = await wb.webviewFrame('#batch-grid');
    await themed(grid, 'vscode-high-contrast');
    shots.push(await wb.shot('thumbnail-grid-hc'));
    await wb.showTab('Precisions');
    const chart = await wb.webviewFrame('#precision-chart');
    await themed(chart, 'vscode-high-contrast');
    assert.equal(await chart.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(0, 0, 0)');
    shots.push(await wb.shot('precision-chart-hc'));
    const dialog = await openCascade();
    shots.push(await wb.shot('delete-cascade-hc'));
    await dialog.locator('.monaco-button', { hasText: 'Delete All' }).first().click();
    await wb.row('Images', 'mobilenet-image:1').waitFor({ state: 'detached', ...WAIT });
    const state = JSON.parse(cli(session.home, 'service', 'list', '--workspace', 'demo', '--json'));
    assert.deepEqual(state, []);
    for (const s of shots) assert.ok(fs.statSync(s).size > 10_000, `${s} is a real screenshot`);
  });
});
