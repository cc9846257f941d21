// UI end-to-end with VS Code's workspace trust on, as in a fresh install: the packaged .vsix in code-server, a
// folder that opens in Restricted Mode. Scoring works there; Register and Convert are not offered in the menus, and
// reached anyway (the walkthrough's links) they are refused with the trust message and its Manage Workspace Trust
// action; once the folder is trusted, a model file from it registers. Screenshots: test-artifacts/e2e/trust-*.png.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { artifacts, clearShots, cli, shared, startWorkbench, WAIT, Workbench, type Session } from './support/workbench';

const PREFIX = 'trust';
let session: Session;
let wb: Workbench;

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

/** Opens our walkthrough, expands the step titled `stepTitle` and clicks its button `button`. */
async function walkthroughButton(stepTitle: string, button: string): Promise<void> {
  const page = wb.page;
  const title = page.locator('.getting-started-step .step-title', { hasText: stepTitle }).first();
  if (!(await title.isVisible().catch(() => false))) {
    await wb.palette('Welcome: Open Walkthrough...');
    await wb.quickPickChoose('Accelerated Models', /Get started with Accelerated Models/);
    await title.waitFor(WAIT);
  }
  await title.click();
  const b = page.locator('.getting-started-step.expanded .monaco-button', { hasText: button }).first();
  await b.waitFor(WAIT);
  await b.click();
}

describe('Restricted Mode (workspace trust on, packaged .vsix)', { timeout: 600_000 }, () => {
  before(async () => {
    clearShots(PREFIX);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-trust-home-'));
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-trust-ws-'));
    fs.mkdirSync(path.join(workspace, 'photos'));
    fs.mkdirSync(path.join(workspace, 'models'));
    fs.copyFileSync(path.join(shared, 'data/images/skimage/coffee.png'), path.join(workspace, 'photos/coffee.png'));
    const model = path.join(shared, 'data/models/onnx/mobilenetv2-12-int8.onnx');
    fs.copyFileSync(model, path.join(workspace, 'models/mobilenet.onnx'));
    // A service to score with, deployed through the CLI (deploying needs no trust either; the menus are tested elsewhere).
    cli(home, 'workspace', 'create', 'demo');
    cli(home, 'model', 'register', model, '--name', 'mobilenet', '--workspace', 'demo');
    cli(home, 'image', 'create', 'mobilenet-image', '--model', 'mobilenet:1', '--workspace', 'demo');
    cli(home, 'service', 'deploy', 'mobilenet-svc', '--image', 'mobilenet-image', '--workspace', 'demo');
    session = await startWorkbench({
      home,
      workspace,
      label: 'e2e-trust',
      workspaceTrust: true,
      // The trust editor opens as an ordinary tab, not as a modal overlay over the Explorer used next.
      userSettings: { 'workbench.editor.useModal': 'off' },
    });
    wb = new Workbench(session.page, PREFIX);
  });

  after(async () => {
    await session?.stop();
  });

  step('the folder opens in Restricted Mode and the extension is active there', async () => {
    await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor(WAIT);
    await wb.showAccelViews();
    await wb.row('Models', 'mobilenet:1').waitFor(WAIT);
    await wb.row('Services', 'mobilenet-svc').waitFor(WAIT);
    await wb.shot('restricted-mode');
  });

  step('scoring works in Restricted Mode', async () => {
    await wb.page.keyboard.press('Control+Shift+E');
    await wb.explorerRow('photos').click();
    const photo = wb.explorerRow('coffee.png');
    await photo.waitFor(WAIT);
    await wb.contextMenu(photo, 'Score with Accelerated Model');
    const frame = await wb.webviewFrame('#top1');
    await frame.locator('#top1', { hasText: 'espresso' }).waitFor(WAIT);
    await wb.shot('score-restricted');
  });

  step('Register and Convert are not offered in the menus', async () => {
    await wb.explorerRow('models').click();
    const file = wb.explorerRow('mobilenet.onnx');
    await file.waitFor(WAIT);
    const fileMenu = await wb.menuLabels(file);
    assert.ok(!fileMenu.some((l) => /Register Model/.test(l)), `explorer menu: ${fileMenu.join(' | ')}`);
    await wb.showAccelViews();
    const modelMenu = await wb.menuLabels(wb.row('Models', 'mobilenet:1'));
    assert.ok(
      modelMenu.some((l) => /Create Image/.test(l)),
      `models menu: ${modelMenu.join(' | ')}`,
    );
    assert.ok(
      !modelMenu.some((l) => /Convert Model|Compare Precisions/.test(l)),
      `models menu: ${modelMenu.join(' | ')}`,
    );
  });

  step('reached from the walkthrough, Register and Convert are refused with the trust message', async () => {
    await walkthroughButton('Add a model', 'Register Model…');
    const register = await wb.notification('Registering a model needs a trusted workspace');
    assert.match(await register.textContent(), /Trust the folder \(Manage Workspace Trust\)/);
    await register.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().waitFor(WAIT);
    await wb.shot('register-refused');
    await walkthroughButton('Convert for the accelerator', 'Convert Model…');
    await wb.notification('Converting a model needs a trusted workspace');
    assert.equal(JSON.parse(cli(session.home, 'model', 'list', '--workspace', 'demo', '--json')).length, 1);
  });

  step('after trusting the folder, a model file from it registers', async () => {
    const refused = await wb.notification('Registering a model needs a trusted workspace');
    await refused.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().click();
    const trust = wb.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ }).first();
    await trust.waitFor(WAIT);
    await trust.click();
    await wb.page
      .locator('.statusbar-item', { hasText: 'Restricted Mode' })
      .first()
      .waitFor({ state: 'hidden', ...WAIT });
    await wb.shot('trusted');
    await wb.page.keyboard.press('Control+Shift+E');
    const file = wb.explorerRow('mobilenet.onnx');
    await file.waitFor(WAIT);
    await wb.contextMenu(file, 'Register Model');
    await wb.quickInputAccept('Register mobilenet.onnx', 'trusted-mobilenet');
    await wb.showAccelViews();
    await wb.row('Models', 'trusted-mobilenet:1').waitFor(WAIT);
    await wb.shot('registered-after-trust');
    const models = JSON.parse(cli(session.home, 'model', 'list', '--workspace', 'demo', '--json'));
    assert.deepEqual(models.map((m: { id: string }) => m.id).sort(), ['mobilenet:1', 'trusted-mobilenet:1']);
  });
});
