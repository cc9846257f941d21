// Makes a fresh clone runnable: installs npm dependencies when they are missing or stale, then proves that the
// native packages (onnxruntime-node, sharp) load — npm 11 may skip install scripts. Used by `npm start`,
// `npm test` and `npm run walkthrough`, so a newcomer needs no separate install step.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

export function ensureSetup() {
  const marker = 'node_modules/.package-lock.json';
  const stale = !existsSync(marker) || statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs + 1000;
  if (stale) {
    console.log('Installing npm dependencies (npm ci)…');
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm ci failed: check that the npm registry is reachable, then run it again.');
  }
  const check = spawnSync(process.execPath, ['-e', "require('onnxruntime-node'); require('sharp')"], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`A native package does not load:\n${check.stderr}\nDelete node_modules and run \`npm ci\` again.`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) ensureSetup();
