// The one test command (`npm test`): build, type-check, then every suite in order, then the unit and integration
// layers again on Node 22 LTS (`npm run test:unit` / `test:integration` with the npm-packaged Node 22 first on PATH;
// docs/decisions/0010-node-22-layer.md). Fails on the first failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { ensureSetup } from './ensure-setup.mjs';
import { ensureNode22 } from './node22.mjs';

function run(label, cmd, args, extraEnv = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (r.status !== 0) {
    console.error(`\n${label} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status || 1);
  }
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const shared = process.env.ACCEL_SHARED ?? join(process.cwd(), '..', 'shared');
const env = { ACCEL_MIRROR: process.env.ACCEL_MIRROR ?? join(shared, 'data', 'models', 'onnx'), ACCEL_SHARED: shared };

// `node scripts/test.mjs [unit|integration|vscode|node22]` runs one layer; no argument runs them all.
const only = process.argv[2];
const wanted = (layer) => !only || only === layer;
const layers = ['unit', 'integration', 'vscode', 'node22'];
if (only && !layers.includes(only)) {
  console.error(`Unknown test layer "${only}": use one of ${layers.join(', ')}, or none for all.`);
  process.exit(2);
}

ensureSetup();
// The Node 22 pass reruns this script per layer; the bundles it tests are the ones built here (esbuild's output does
// not depend on the Node that runs it).
if (!process.env.ACCEL_TEST_BUILT) run('build', 'node', ['scripts/build.mjs']);
if (!only) run('typecheck', 'npx', ['tsc', '-p', '.', '--noEmit']);
if (!only) run('lint (eslint, prettier, rooms)', 'npm', ['run', '-s', 'lint']);
const unit = testFiles('test/unit');
if (wanted('unit') && unit.length)
  run('unit tests', 'node', ['--import', 'tsx', '--test', '--test-reporter=spec', ...unit], env);
const integration = testFiles('test/integration');
if (wanted('integration') && integration.length)
  run(
    'integration tests',
    'node',
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...integration],
    env,
  );
if (wanted('vscode')) run('VS Code tests (code-server)', 'node', ['scripts/test-vscode.mjs'], env);
if (wanted('node22')) {
  const node22 = ensureNode22();
  // Node 22 first on PATH: npm, the test runner and every child (`node`, process.execPath: the CLI, the emulator
  // host, inference workers) run on it.
  const env22 = { PATH: `${dirname(node22)}${delimiter}${process.env.PATH}`, ACCEL_TEST_BUILT: '1' };
  run(
    'Node 22: version',
    'node',
    ['-e', 'if (process.versions.node.split(".")[0] !== "22") process.exit(1); console.log(process.version)'],
    env22,
  );
  run('Node 22: unit tests', 'npm', ['run', 'test:unit'], env22);
  run('Node 22: integration tests', 'npm', ['run', 'test:integration'], env22);
}
