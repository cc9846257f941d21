// What the e2e files share: the packaged .vsix installed into a fresh code-server (optionally with workspace trust
// on), headless chromium on its workbench, and the gestures a person makes there (tree rows, context menus, quick
// inputs, webview frames, colour themes), with screenshots into test-artifacts/e2e/ under the file's own prefix.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(__dirname, '../../..');
export const shared = process.env.ACCEL_SHARED ?? path.resolve(repoRoot, '../shared');
export const vsix = path.join(repoRoot, 'dist/accelerated-models.vsix');
export const artifacts = path.join(repoRoot, 'test-artifacts/e2e');
export const WAIT = { timeout: 90_000 };

export interface Session {
  page: any;
  home: string;
  workspace: string;
  stop(): Promise<void>;
}

/**
 * Installs the .vsix into a new extensions folder, starts code-server on `workspace` with ACCEL_HOME=`home`, and
 * opens its workbench in chromium. `workspaceTrust`: VS Code's trust on (the folder opens in Restricted Mode).
 */
export async function startWorkbench(o: {
  home: string;
  workspace: string;
  label: string;
  workspaceTrust?: boolean;
  userSettings?: Record<string, unknown>;
}): Promise<Session> {
  assert.ok(fs.existsSync(vsix), `${vsix} is missing: run \`npm run package\` first`);
  const harness = await import(pathToFileURL(path.join(repoRoot, 'scripts/code-server-harness.mjs')).href);
  const extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-e2e-ext-'));
  harness.ensureTools();
  const install = spawnSync(
    harness.node24,
    [harness.codeServerEntry, '--extensions-dir', extensionsDir, '--install-extension', vsix],
    { encoding: 'utf8' },
  );
  assert.equal(install.status, 0, `code-server --install-extension failed: ${install.stderr}${install.stdout}`);
  assert.match(install.stdout, /successfully installed/i);
  const server = await harness.startCodeServer({
    workspace: o.workspace,
    extensionsDir,
    label: o.label,
    env: { ACCEL_HOME: o.home },
    workspaceTrust: o.workspaceTrust ?? false,
    userSettings: o.userSettings ?? {},
  });
  const browser = await harness.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(harness.workbenchUrl(server, { folder: o.workspace }));
  await page.locator('.monaco-workbench .part.activitybar').waitFor(WAIT);
  return {
    page,
    home: o.home,
    workspace: o.workspace,
    stop: async () => {
      await browser.close().catch(() => undefined);
      await server.stop();
      spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'emulator', 'stop'], {
        env: { ...process.env, ACCEL_HOME: o.home },
        stdio: 'ignore',
      });
      fs.rmSync(extensionsDir, { recursive: true, force: true });
    },
  };
}

/** Runs the real CLI against `home`; fails the test on a non-zero exit. */
export function cli(home: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), ...args], {
    env: { ...process.env, ACCEL_HOME: home },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `accel ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Removes this file's screenshots of an earlier run (files named `<prefix>-…`), leaving the other files' ones. */
export function clearShots(prefix: string): void {
  fs.mkdirSync(artifacts, { recursive: true });
  for (const f of fs.readdirSync(artifacts)) if (f.startsWith(`${prefix}-`)) fs.rmSync(path.join(artifacts, f));
}

export class Workbench {
  constructor(
    readonly page: any,
    private readonly prefix: string,
  ) {}

  async shot(name: string): Promise<string> {
    await this.page.mouse.move(700, 880); // away from hovers and tooltips
    const file = path.join(artifacts, `${this.prefix}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The tree row of a view whose label contains `text`. */
  row(view: string, text: string): any {
    return this.page
      .locator(`.pane:has(.pane-header[aria-label^="${view}"]) .monaco-list-row`, { hasText: text })
      .first();
  }

  explorerRow(text: string): any {
    return this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: text }).first();
  }

  /** The labels of the context menu `target` opens (closed again with Escape). */
  async menuLabels(target: any): Promise<string[]> {
    await target.click({ button: 'right' });
    await this.page.locator('.monaco-menu .action-item').first().waitFor(WAIT);
    const labels: string[] = await this.page.locator('.monaco-menu .action-item .action-label').allTextContents();
    await this.page.keyboard.press('Escape');
    await this.page
      .locator('.monaco-menu')
      .first()
      .waitFor({ state: 'detached', ...WAIT });
    return labels.map((l) => l.trim()).filter(Boolean);
  }

  /**
   * Right-clicks `target` and runs the menu entry `item` (hover focuses it, Enter runs it, as with a keyboard). A
   * menu built before a context key it depends on was set lacks the entry: it is closed and opened again.
   */
  async contextMenu(target: any, item: string): Promise<void> {
    const entry = this.page.locator('.monaco-menu .action-item', { hasText: item }).first();
    for (let attempt = 1; ; attempt++) {
      await target.click({ button: 'right' });
      if (
        await entry.waitFor({ timeout: 10_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
      const labels = await this.page.locator('.monaco-menu .action-item .action-label').allTextContents();
      await this.page.keyboard.press('Escape');
      if (attempt === 6) throw new Error(`the context menu never offered "${item}"; it had: ${labels.join(' | ')}`);
      await this.page.waitForTimeout(2_000);
    }
    await entry.hover();
    await this.page.locator('.monaco-menu .action-item.focused', { hasText: item }).first().waitFor(WAIT);
    await this.page.keyboard.press('Enter');
    await this.page
      .locator('.monaco-menu')
      .first()
      .waitFor({ state: 'detached', ...WAIT });
  }

  /** Answers the quick input once its title shows `title`. */
  async quickInputAccept(title: string, value?: string): Promise<void> {
    await this.page
      .locator('.quick-input-widget .quick-input-title', { hasText: title })
      .first()
      .waitFor({ state: 'visible', ...WAIT });
    const box = this.page.locator('.quick-input-widget input.input').first();
    if (value !== undefined) await box.fill(value);
    await this.page.keyboard.press('Enter');
    await this.page
      .locator('.quick-input-widget .quick-input-title', { hasText: title })
      .first()
      .waitFor({ state: 'hidden', ...WAIT });
  }

  /** Types `text` into the open quick input, moves the focus down to the first row matching `row` and runs it. */
  async quickPickChoose(text: string, row: RegExp): Promise<void> {
    const box = this.page.locator('.quick-input-widget input.input').first();
    await box.waitFor({ state: 'visible', ...WAIT });
    await box.fill(text);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: row }).first().waitFor(WAIT);
    for (let i = 0; i < 20; i++) {
      const focused =
        (await this.page
          .locator('.quick-input-widget .monaco-list-row.focused')
          .first()
          .textContent()
          .catch(() => '')) ?? '';
      if (row.test(focused.trim())) {
        await this.page.keyboard.press('Enter');
        return;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`no quick-pick row matching ${row} after typing "${text}"`);
  }

  /** Runs a command palette entry by its title. */
  async palette(title: string): Promise<void> {
    await this.page.keyboard.press('Control+Shift+P');
    await this.quickPickChoose(`>${title}`, new RegExp(title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }

  /** A webview frame that contains `selector`. */
  async webviewFrame(selector: string): Promise<any> {
    const deadline = Date.now() + WAIT.timeout;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        if (await frame.$(selector).catch(() => null)) return frame;
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(`no webview with ${selector} appeared`);
  }

  /** Shows the Accelerated Models container (clicking its icon while it is shown would hide the side bar instead). */
  async showAccelViews(): Promise<void> {
    const header = this.page.locator('.pane-header[aria-label^="Services"]').first();
    if (!(await header.isVisible()))
      await this.page.locator('.activitybar [aria-label^="Accelerated Models"]').first().click();
    await header.waitFor(WAIT);
  }

  /** Picks a colour theme by its label (Preferences: Color Theme) and waits for the workbench to apply it. */
  async setColorTheme(label: string, workbenchClass: string): Promise<void> {
    // Until the built-in theme extensions are scanned the picker lists none of them: open it again until it does.
    for (let attempt = 1; ; attempt++) {
      await this.palette('Preferences: Color Theme');
      const box = this.page.locator('.quick-input-widget input.input[placeholder*="Color Theme"]').first();
      await box.waitFor(WAIT);
      await box.fill(label);
      const found = await this.page
        .locator('.quick-input-widget .monaco-list-row', { hasText: label })
        .first()
        .waitFor({ timeout: 5_000 })
        .then(
          () => true,
          () => false,
        );
      if (found) break;
      if (attempt === 10) throw new Error(`the color theme picker never listed "${label}"`);
      await this.page.keyboard.press('Escape');
    }
    await this.quickPickChoose(label, new RegExp(label));
    await this.page.locator(`.monaco-workbench.${workbenchClass}`).first().waitFor(WAIT);
    await this.page
      .locator('.quick-input-widget')
      .first()
      .waitFor({ state: 'hidden', ...WAIT });
  }

  /**
   * The notification whose text contains `text`: a toast, or in the notification center (new notifications go there
   * instead of a toast while it is open; the workbench may also hold toasts back right after a modal).
   */
  async notification(text: string): Promise<any> {
    const item = this.page.locator('.notification-list-item', { hasText: text }).first();
    if (
      await item.waitFor({ timeout: 20_000 }).then(
        () => true,
        () => false,
      )
    )
      return item;
    if (!(await this.page.locator('.notifications-center.visible').first().isVisible()))
      await this.page
        .locator('#status\\.notifications a, #status\\.notifications .statusbar-item-label')
        .first()
        .click();
    await item.waitFor(WAIT);
    return item;
  }

  /** Clicks an editor tab whose label contains `text`. */
  async showTab(text: string): Promise<void> {
    await this.page.locator('.tabs-container .tab', { hasText: text }).first().click();
  }
}
