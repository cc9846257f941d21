// Runs the extension-host suite with @vscode/test-electron in desktop VS Code (where one can be downloaded, or
// given as VSCODE_EXECUTABLE_PATH). CI here uses code-server instead (scripts/test-vscode.mjs), because this
// network cannot download VS Code. Usage: VSCODE_EXECUTABLE_PATH=/path/to/code node --import tsx test/vscode/runTestElectron.ts
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const repoRoot = path.resolve(__dirname, '../..');
  const bundle = spawnSync(process.execPath, ['scripts/test-vscode.mjs', '--bundle-only'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (bundle.status !== 0) throw new Error('bundling the suite failed');
  const shared = process.env.ACCEL_SHARED ?? path.resolve(repoRoot, '../shared');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-electron-home-'));
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-electron-ws-'));
  fs.mkdirSync(path.join(workspace, 'photos'));
  for (const sub of ['coral', 'skimage']) {
    for (const f of fs.readdirSync(path.join(shared, 'data/images', sub)))
      fs.copyFileSync(path.join(shared, 'data/images', sub, f), path.join(workspace, 'photos', f));
  }
  try {
    await runTests({
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH || undefined,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out/vscode-test/index.js'),
      extensionTestsEnv: {
        VSCODE_RUNNING_TESTS: '1',
        ACCEL_HOME: home,
        ACCEL_SHARED: shared,
        ACCEL_MIRROR: process.env.ACCEL_MIRROR ?? path.join(shared, 'data/models/onnx'),
      },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-gpu',
        `--user-data-dir=${fs.mkdtempSync(path.join(os.tmpdir(), 'accel-ud-'))}`,
      ],
    });
  } finally {
    spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'emulator', 'stop'], {
      env: { ...process.env, ACCEL_HOME: home },
      stdio: 'ignore',
    });
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`extension-host suite (test-electron) failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
