// UI end-to-end: the packaged .vsix installed into a real VS Code (code-server), driven through the workbench in
// headless chromium like a person would: views, tree context menus, the deploy wizard, right-click scoring in the
// Explorer, the Score Result webview, and the dependency message on delete. A screenshot of each step goes to
// test-artifacts/e2e/. Run by scripts/test-vscode.mjs (which packages dist/accelerated-models.vsix first).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const repoRoot = path.resolve(__dirname, '../..');
const shared = process.env.ACCEL_SHARED ?? path.resolve(repoRoot, '../shared');
const vsix = path.join(repoRoot, 'dist/accelerated-models.vsix');
const artifacts = path.join(repoRoot, 'test-artifacts/e2e');
const WAIT = { timeout: 90_000 };

let harness: any;
let server: any;
let browser: any;
let page: any;
let home: string;
let workspace: string;
let step = 0;

async function shot(name: string): Promise<void> {
  await page.mouse.move(700, 880); // away from hovers and tooltips
  await page.screenshot({ path: path.join(artifacts, `${String(++step).padStart(2, '0')}-${name}.png`) });
}

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), ...args], {
    env: { ...process.env, ACCEL_HOME: home },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `accel ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The tree row of a view whose label contains `text`. */
function row(view: string, text: string) {
  return page.locator(`.pane:has(.pane-header[aria-label^="${view}"]) .monaco-list-row`, { hasText: text }).first();
}

/** Right-clicks `target` and runs the menu entry `item` (hover focuses the entry, Enter runs it, as with a keyboard). */
async function contextMenu(target: any, item: string, screenshot?: string): Promise<void> {
  await target.click({ button: 'right' });
  const entry = page.locator('.monaco-menu .action-item', { hasText: item }).first();
  await entry.waitFor(WAIT);
  await entry.hover();
  await page.locator('.monaco-menu .action-item.focused', { hasText: item }).first().waitFor(WAIT);
  if (screenshot)
    await page.screenshot({ path: path.join(artifacts, `${String(++step).padStart(2, '0')}-${screenshot}.png`) });
  await page.keyboard.press('Enter');
  await page
    .locator('.monaco-menu')
    .first()
    .waitFor({ state: 'detached', ...WAIT });
}

/** Answers the quick input once its title shows `title` (each wizard step reuses the same widget). */
async function quickInputAccept(title: string, value?: string): Promise<void> {
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: title })
    .first()
    .waitFor({ state: 'visible', ...WAIT });
  const box = page.locator('.quick-input-widget input.input').first();
  if (value !== undefined) await box.fill(value);
  await page.keyboard.press('Enter');
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: title })
    .first()
    .waitFor({ state: 'hidden', ...WAIT });
}

async function scoreResultFrame(): Promise<any> {
  return webviewFrame('#top1');
}

/** Shows the Accelerated Models container (clicking its icon while it is shown would hide the side bar instead). */
async function showAccelViews(): Promise<void> {
  const header = page.locator('.pane-header[aria-label^="Services"]').first();
  if (!(await header.isVisible()))
    await page.locator('.activitybar [aria-label^="Accelerated Models"]').first().click();
  await header.waitFor(WAIT);
}

/** A webview frame that contains `selector`. */
async function webviewFrame(selector: string): Promise<any> {
  const deadline = Date.now() + WAIT.timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.$(selector).catch(() => null)) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview with ${selector} appeared`);
}

/** Types `text` into the open quick input, moves the focus down to the first row matching `row` and runs it. */
async function quickPickChoose(text: string, row: RegExp): Promise<void> {
  const box = page.locator('.quick-input-widget input.input').first();
  await box.waitFor({ state: 'visible', ...WAIT });
  await box.fill(text);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: row }).first().waitFor(WAIT);
  for (let i = 0; i < 20; i++) {
    const focused =
      (await page
        .locator('.quick-input-widget .monaco-list-row.focused')
        .first()
        .textContent()
        .catch(() => '')) ?? '';
    if (row.test(focused.trim())) {
      await page.keyboard.press('Enter');
      return;
    }
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`no quick-pick row matching ${row} after typing "${text}"`);
}

/**
 * Picks a color theme as a person does (Preferences: Color Theme) and waits for the workbench to apply it. The
 * picker shows labels, the setting stores ids: "Dark High Contrast" is the label of the id "Default High Contrast"
 * (code-server 4.139 = VS Code 1.139, extensions/theme-defaults).
 */
async function setColorTheme(label: string, workbenchClass: string): Promise<void> {
  // The picker lists the themes the workbench has scanned when it opens; until the built-in theme extensions are
  // scanned it offers only "Browse Additional Color Themes…", so it is opened again until the theme is there.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+Shift+P');
    await quickPickChoose('>Preferences: Color Theme', /Preferences: Color Theme/);
    const box = page.locator('.quick-input-widget input.input[placeholder*="Color Theme"]').first();
    await box.waitFor(WAIT);
    await box.fill(label);
    const found = await page
      .locator('.quick-input-widget .monaco-list-row', { hasText: label })
      .first()
      .waitFor({ timeout: 5_000 })
      .then(
        () => true,
        () => false,
      );
    if (found) break;
    if (attempt === 10) throw new Error(`the color theme picker never listed "${label}"`);
    await page.keyboard.press('Escape');
  }
  await quickPickChoose(label, new RegExp(label));
  await page.locator(`.monaco-workbench.${workbenchClass}`).first().waitFor(WAIT);
  await page
    .locator('.quick-input-widget')
    .first()
    .waitFor({ state: 'hidden', ...WAIT });
}

/** Chooses a file in code-server's simple file dialog: its full path in the path box, then Enter once the listing shows it. */
async function chooseFile(title: string, file: string): Promise<void> {
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: title })
    .first()
    .waitFor({ state: 'visible', ...WAIT });
  const box = page.locator('.quick-input-widget input.input').first();
  // The dialog fills in its start folder once it has listed it; typing before that would be overwritten.
  await page.waitForFunction(
    () => (document.querySelector('.quick-input-widget input.input') as HTMLInputElement | null)?.value.endsWith('/'),
    undefined,
    WAIT,
  );
  // The dialog can still rewrite the box just after that (seen in CI: its folder prepended to the typed path), so
  // fill again until the path sticks and the listing shows the file.
  const listed = page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(file) }).first();
  for (let attempt = 1; ; attempt++) {
    await box.fill(file);
    const shown = await listed.waitFor({ timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (shown && (await box.inputValue()) === file) break;
    if (attempt === 4) assert.fail(`the file dialog did not take ${file}; its box shows ${await box.inputValue()}`);
  }
  await page.keyboard.press('Enter');
  await page
    .locator('.quick-input-widget .quick-input-title', { hasText: title })
    .first()
    .waitFor({ state: 'hidden', ...WAIT });
}

/** An `it` whose failure leaves a screenshot of the screen it failed on. */
function step_(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    try {
      await fn();
    } catch (e) {
      await page
        ?.screenshot({ path: path.join(artifacts, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`) })
        .catch(() => undefined);
      throw e;
    }
  });
}

describe('Accelerated Models in VS Code (code-server, packaged .vsix)', { timeout: 600_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(vsix), `${vsix} is missing: run \`npm run package\` first`);
    // Screenshots of this run only; the other e2e files' (panels-*, trust-*) stay.
    fs.mkdirSync(artifacts, { recursive: true });
    for (const f of fs.readdirSync(artifacts))
      if (!/^(panels|trust)-/.test(f)) fs.rmSync(path.join(artifacts, f), { recursive: true, force: true });
    harness = await import(pathToFileURL(path.join(repoRoot, 'scripts/code-server-harness.mjs')).href);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-home-'));
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-ws-'));
    fs.mkdirSync(path.join(workspace, 'photos'));
    for (const f of ['coffee.png', 'chelsea.png'])
      fs.copyFileSync(path.join(shared, 'data/images/skimage', f), path.join(workspace, 'photos', f));
    for (const f of ['parrot.jpg', 'hot_dog.jpg'])
      fs.copyFileSync(path.join(shared, 'data/images/coral', f), path.join(workspace, 'photos', f));
    const extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-ext-'));
    harness.ensureTools();
    const install = spawnSync(
      harness.node24,
      [harness.codeServerEntry, '--extensions-dir', extensionsDir, '--install-extension', vsix],
      { encoding: 'utf8' },
    );
    assert.equal(install.status, 0, `code-server --install-extension failed: ${install.stderr}${install.stdout}`);
    assert.match(install.stdout, /successfully installed/i);
    server = await harness.startCodeServer({ workspace, extensionsDir, label: 'e2e', env: { ACCEL_HOME: home } });
    browser = await harness.launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(harness.workbenchUrl(server, { folder: workspace }));
    await page.locator('.monaco-workbench .part.activitybar').waitFor(WAIT);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (home)
      spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'emulator', 'stop'], {
        env: { ...process.env, ACCEL_HOME: home },
        stdio: 'ignore',
      });
  });

  step_('shows the container and its four views', async () => {
    await showAccelViews();
    for (const view of ['Workspaces', 'Models', 'Images', 'Services']) {
      await page.locator(`.pane-header[aria-label^="${view}"]`).first().waitFor(WAIT);
    }
    await page.locator('.welcome-view-content', { hasText: 'No workspace yet' }).first().waitFor(WAIT);
    await shot('views-empty');
  });

  step_('shows a model registered by the CLI (the views follow the shared store)', async () => {
    cli('workspace', 'create', 'demo');
    cli(
      'model',
      'register',
      path.join(shared, 'data/models/onnx/mobilenetv2-12-int8.onnx'),
      '--name',
      'mobilenet',
      '--workspace',
      'demo',
    );
    await row('Workspaces', 'demo').waitFor(WAIT);
    await row('Models', 'mobilenet:1').waitFor(WAIT);
    await shot('model-registered');
  });

  step_('creates an image and deploys it from the tree', async () => {
    await contextMenu(row('Models', 'mobilenet:1'), 'Create Image');
    await quickInputAccept('Create Image', 'mobilenet-image');
    await row('Images', 'mobilenet-image:1').waitFor(WAIT);
    await contextMenu(row('Images', 'mobilenet-image:1'), 'Deploy Image as Service');
    // A right-click that lands while the Images view refreshes (the new image's store change) reaches the command
    // without its tree item (VS Code resolves the row after the refresh dropped it); the wizard then asks the image.
    const firstStep = page.locator('.quick-input-widget .quick-input-title').first();
    await firstStep.waitFor({ state: 'visible', ...WAIT });
    if (/Deploy: image/.test((await firstStep.textContent()) ?? ''))
      await quickInputAccept('Deploy: image', 'mobilenet-image:1');
    await quickInputAccept('service name', 'mobilenet-svc');
    await quickInputAccept('gRPC port', ''); // a free one
    await quickInputAccept('replicas'); // 1
    await quickInputAccept('authentication'); // keys required
    await quickInputAccept('TLS'); // none
    await row('Services', 'mobilenet-svc').waitFor(WAIT);
    await page
      .locator('.pane:has(.pane-header[aria-label^="Services"]) .monaco-list-row .label-description', {
        hasText: 'running',
      })
      .first()
      .waitFor(WAIT);
    await shot('service-running');
  });

  step_('scores a photo from the Explorer: the Score Result shows the expected top-1', async () => {
    await page.keyboard.press('Control+Shift+E');
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'photos' }).first();
    await folder.waitFor(WAIT);
    await folder.click();
    const photo = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'coffee.png' }).first();
    await photo.waitFor(WAIT);
    await contextMenu(photo, 'Score with Accelerated Model', 'explorer-context-menu');
    const frame = await scoreResultFrame();
    await frame.locator('#top1', { hasText: 'espresso' }).waitFor(WAIT);
    assert.equal((await frame.locator('#top1').textContent())?.trim(), 'espresso');
    assert.equal(await frame.locator('#top-k li').count(), 5);
    await frame.locator('#scored-image').waitFor(WAIT);
    await page.waitForFunction(() => true);
    await shot('score-result');
  });

  step_('the Score Result follows the theme: light, dark and high contrast (the real theme names)', async () => {
    const frame = await scoreResultFrame();
    // Theme labels as code-server 4.139 (VS Code 1.139) bundles them in extensions/theme-defaults.
    const themes: Array<[string, string, string, string]> = [
      ['light', 'Light Modern', 'vs', 'vscode-light'],
      ['dark', 'Dark Modern', 'vs-dark', 'vscode-dark'],
      ['hc', 'Dark High Contrast', 'hc-black', 'vscode-high-contrast'],
    ];
    const backgrounds = new Set<string>();
    for (const [name, theme, workbenchClass, webviewClass] of themes) {
      await setColorTheme(theme, workbenchClass);
      await frame.waitForFunction((cls: string) => document.body.classList.contains(cls), webviewClass, WAIT);
      backgrounds.add(await frame.evaluate(() => getComputedStyle(document.body).backgroundColor));
      if (name === 'hc') {
        assert.equal(
          await frame.evaluate(() => getComputedStyle(document.body).backgroundColor),
          'rgb(0, 0, 0)',
          'the panel takes the high-contrast background',
        );
      }
      await page.mouse.move(700, 880);
      await page.screenshot({ path: path.join(artifacts, `score-result-${name}.png`) });
    }
    assert.equal(backgrounds.size, 3, 'each theme gives the panel its own background');
    await setColorTheme('Light Modern', 'vs');
  });

  step_(
    'runs a benchmark from the Services view: percentiles, latency vs throughput, server time and a histogram per level',
    async () => {
      await showAccelViews();
      await contextMenu(row('Services', 'mobilenet-svc'), 'Run Benchmark');
      await chooseFile('Image to score repeatedly', path.join(workspace, 'photos', 'coffee.png'));
      const frame = await webviewFrame('#bench-table');
      await frame.locator('#bench-status', { hasText: 'done' }).waitFor(WAIT);
      assert.ok((await frame.locator('#latency-histogram svg rect.hist-bar').count()) >= 2, 'histogram bars');
      // The default levels (accel.benchmark.concurrencyLevels): 1, 2, 4, 8.
      assert.equal(
        await frame.locator('#throughput-chart svg circle.tp-point').count(),
        4,
        'one point per concurrency level (1, 2, 4, 8)',
      );
      assert.equal(await frame.locator('#bench-table tbody tr').count(), 4);
      assert.equal(await frame.locator('#latency-throughput svg circle.lt-point').count(), 4, 'latency vs throughput');
      assert.ok((await frame.locator('#server-time svg rect.stack-seg').count()) >= 4, 'server time per level');
      assert.equal(await frame.locator('#latency-histogram .chart').count(), 4, 'one histogram per level');
      await shot('benchmark');
      await setColorTheme('Dark High Contrast', 'hc-black');
      await frame.waitForFunction(() => document.body.classList.contains('vscode-high-contrast'), undefined, WAIT);
      await page.mouse.move(700, 880);
      await page.screenshot({ path: path.join(artifacts, 'benchmark-hc.png') });
      await setColorTheme('Light Modern', 'vs');
    },
  );

  step_('refuses to delete a model an image uses, with the dependency message', async () => {
    await showAccelViews();
    await contextMenu(row('Models', 'mobilenet:1'), 'Delete Model');
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Delete' }).first();
    await confirm.waitFor(WAIT);
    await shot('delete-confirm');
    await confirm.focus();
    await page.keyboard.press('Enter');
    // The error notification (a toast, or — when the workbench holds toasts back right after a modal — in the
    // notification center, which the bell opens).
    await page
      .locator('.monaco-dialog-box')
      .first()
      .waitFor({ state: 'detached', ...WAIT });
    const toast = page.locator('.notification-toast', { hasText: 'Delete in this order' }).first();
    if (!(await toast.isVisible())) {
      await page.locator('#status\\.notifications a, #status\\.notifications .statusbar-item-label').first().click();
    }
    const note = page.locator('.notification-list-item', { hasText: 'Delete in this order' }).first();
    await note.waitFor(WAIT);
    assert.match(await note.textContent(), /mobilenet-image:1/);
    // Still there, and the "deleting…" placeholder is gone again.
    await page
      .locator('.pane:has(.pane-header[aria-label^="Models"]) .monaco-list-row', { hasText: 'v1 · onnx' })
      .first()
      .waitFor(WAIT);
    await shot('delete-refused');
  });
});
