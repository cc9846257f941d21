// Runs the VS Code suites in a real VS Code (code-server 4.139.1 = VS Code 1.139.1) driven by headless chromium:
//   1. the extension-host suite (test/vscode/**, mocha) with this repo loaded as the development extension;
//   2. the UI end-to-end suite (test/e2e/**, node:test + playwright-core) against the packaged .vsix.
// Usage: node scripts/test-vscode.mjs [host|e2e|--bundle-only]   (default: both). ACCEL_TEST_VERBOSE=1 streams code-server's log.
//   --bundle-only  only bundles the extension-host suite to out/vscode-test/ (for F5 and @vscode/test-electron).
// Exits non-zero on any failure or timeout; kills every process it started.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureTools,
  launchBrowser,
  repoRoot,
  startCodeServer,
  waitFor,
  workbenchUrl,
} from './code-server-harness.mjs';

const which = process.argv[2] ?? 'all';
const shared = process.env.ACCEL_SHARED ?? join(repoRoot, '..', 'shared');
const mirror = process.env.ACCEL_MIRROR ?? join(shared, 'data', 'models', 'onnx');
const suiteOut = join(repoRoot, 'out', 'vscode-test');
const HOST_SUITE_TIMEOUT_MS = Number(process.env.ACCEL_VSCODE_TIMEOUT_MS ?? 8 * 60_000);

let passed = 0;
let failed = 0;

function testFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f))
    .sort();
}

/** A workspace folder with the shared photos, like a user's project. */
export function makePhotoWorkspace() {
  const ws = mkdtempSync(join(tmpdir(), 'accel-ws-'));
  mkdirSync(join(ws, 'photos'));
  for (const sub of ['coral', 'skimage']) {
    const dir = join(shared, 'data', 'images', sub);
    for (const f of readdirSync(dir)) cpSync(join(dir, f), join(ws, 'photos', f));
  }
  return ws;
}

async function bundleHostSuite() {
  rmSync(suiteOut, { recursive: true, force: true });
  const entries = [join(repoRoot, 'test/vscode/index.ts'), ...testFiles(join(repoRoot, 'test/vscode'), '.test.ts')];
  await build({
    entryPoints: entries,
    outdir: suiteOut,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'onnxruntime-node', 'sharp'],
    logLevel: 'warning',
  });
}

async function runHostSuite() {
  console.log('\n--- extension-host suite (test/vscode) in code-server');
  await bundleHostSuite();
  const home = mkdtempSync(join(tmpdir(), 'accel-home-'));
  const workspace = makePhotoWorkspace();
  const results = join(suiteOut, 'results.json');
  const server = await startCodeServer({
    workspace,
    label: 'host-suite',
    env: {
      ACCEL_HOME: home,
      ACCEL_MIRROR: mirror,
      ACCEL_SHARED: shared,
      ACCEL_VSCODE_RESULTS: results,
      ACCEL_HOME_PROBE: 'yes',
    },
  });
  let browser;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(
      workbenchUrl(server, {
        folder: workspace,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: join(suiteOut, 'index.js'),
      }),
    );
    await waitFor(() => existsSync(results), HOST_SUITE_TIMEOUT_MS, 'the extension-host suite to write its report');
    const report = JSON.parse(readFileSync(results, 'utf8'));
    for (const t of report.tests) {
      const mark = t.state === 'passed' ? 'ok' : t.state === 'failed' ? 'not ok' : 'ok # SKIP';
      console.log(`${mark} - ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
      if (t.error)
        console.log(
          t.error
            .split('\n')
            .map((l) => `    ${l}`)
            .join('\n'),
        );
    }
    console.log(`# extension-host suite: ${report.passed} passed, ${report.failed} failed, ${report.pending} skipped`);
    passed += report.passed;
    failed += report.failed;
    if (report.passed + report.failed === 0) {
      console.log('extension-host suite ran no test');
      failed++;
    }
  } catch (e) {
    failed++;
    console.error(`extension-host suite did not complete: ${e.message}`);
    console.error(server.log().split('\n').slice(-40).join('\n'));
  } finally {
    await browser?.close().catch(() => {});
    await server.stop();
    await stopEmulatorOf(home);
    rmSync(home, { recursive: true, force: true });
    rmSync(workspace, { recursive: true, force: true });
  }
}

/** The emulator host runs in its own process group; the suite stops it, this is the safety net. */
async function stopEmulatorOf(home) {
  const cli = join(repoRoot, 'dist', 'cli.js');
  if (!existsSync(cli)) return;
  spawnSync(process.execPath, [cli, 'emulator', 'stop', '--json'], {
    env: { ...process.env, ACCEL_HOME: home },
    stdio: 'ignore',
    timeout: 20_000,
  });
}

function runE2E() {
  console.log('\n--- UI end-to-end suite (test/e2e) against the packaged .vsix');
  const files = testFiles(join(repoRoot, 'test/e2e'), '.test.ts');
  if (!files.length) return;
  const pkg = spawnSync('npm', ['run', '--silent', 'package'], { cwd: repoRoot, stdio: 'inherit' });
  if (pkg.status !== 0) {
    failed++;
    console.error('npm run package failed: the e2e suite needs dist/accelerated-models.vsix');
    return;
  }
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ACCEL_MIRROR: mirror, ACCEL_SHARED: shared },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  process.stdout.write(r.stdout ?? '');
  const count = (name) => Number((r.stdout ?? '').match(new RegExp(`^ℹ ${name} (\\d+)`, 'm'))?.[1] ?? 0);
  passed += count('pass');
  failed += count('fail');
  if (r.status !== 0 && count('fail') === 0) failed++;
}

if (which === '--bundle-only') {
  await bundleHostSuite();
  process.exit(0);
}
ensureTools();
if (which === 'all' || which === 'host') await runHostSuite();
if (which === 'all' || which === 'e2e') runE2E();
console.log(`\nVS Code suites: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
