// The CLI walkthrough on the embedded default (no Azure account): installs what is missing, builds, then
// creates a workspace, registers the sample model, packages it, deploys it on the local accelerator emulator
// and scores a photo shipped in media/samples/ (or the one given), printing the top-5. Safe to run again: it reuses what the last run created.
// Uses ACCEL_HOME (default ~/.accel) like the CLI and VS Code; ACCEL_MIRROR names an offline copy of the model.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultSamplePhoto, ensureSetup } from './ensure-setup.mjs';

const shared = process.env.ACCEL_SHARED ?? resolve('..', 'shared');
const photo = process.argv[2] ? resolve(process.argv[2]) : defaultSamplePhoto;

function accel(args, { allowFail = false } = {}) {
  console.log(`\n$ accel ${args.join(' ')}`);
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' });
  if (r.status !== 0 && !allowFail) process.exit(r.status ?? 1);
  return r.status === 0;
}

function accelJson(args) {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args, '--json'], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

ensureSetup();
const bundledMirror = join(shared, 'data', 'models', 'onnx');
if (!process.env.ACCEL_MIRROR && existsSync(bundledMirror)) {
  // Optional, for offline development machines: the test data's copy of the sample model (same checksum).
  process.env.ACCEL_MIRROR = bundledMirror;
  console.log(`Using the sample model from ${bundledMirror} (ACCEL_MIRROR).`);
}
if (spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
if (!existsSync(photo)) {
  console.error(`Photo ${photo} not found: pass an existing JPEG/PNG as an argument (npm run walkthrough -- my.jpg).`);
  process.exit(2);
}

const workspaces = accelJson(['workspace', 'list']) ?? [];
if (!workspaces.some((w) => w.name === 'demo')) accel(['workspace', 'create', 'demo']);
const ws = ['--workspace', 'demo'];
if (!(accelJson(['model', 'list', '--name', 'mobilenet', ...ws]) ?? []).length)
  accel(['model', 'register', '--sample', '--name', 'mobilenet', ...ws]);
if (!(accelJson(['image', 'list', ...ws]) ?? []).some((i) => i.name === 'classifier'))
  accel(['image', 'create', 'classifier', '--model', 'mobilenet', ...ws]);
if (!(accelJson(['service', 'list', ...ws]) ?? []).some((s) => s.name === 'mobilenet-svc')) {
  accel(['service', 'deploy', 'mobilenet-svc', '--image', 'classifier', ...ws]);
}
accel(['score', 'mobilenet-svc', photo, '--top', '5', ...ws]);
console.log('\nThe service keeps running in the emulator host. Stop it with `npx accel emulator stop`;');
console.log(
  'delete everything in dependency order with `npx accel service delete mobilenet-svc -w demo`, then image, then model.',
);
