// The one test command (`npm test`): build, type-check, then every suite in order. Fails on the first failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSetup } from './ensure-setup.mjs';

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

// `node scripts/test.mjs [unit|integration|vscode]` runs one layer; no argument runs them all.
const only = process.argv[2];
const wanted = (layer) => !only || only === layer;

ensureSetup();
run('build', 'node', ['scripts/build.mjs']);
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
