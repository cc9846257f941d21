// Makes a fresh clone runnable: installs npm dependencies when they are missing or stale, then proves that the
// native packages (onnxruntime-node, sharp) load — npm 11 may skip install scripts. Used by `npm start`,
// `npm test` and `npm run walkthrough`, so a newcomer needs no separate install step. Also names the sample
// photos that ship in media/samples/ (public domain / CC0, see its README), so no first-run step needs ../shared.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const samplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'media', 'samples');
/** The photo `npm run walkthrough` scores when given none (MobileNetV2 top-1: espresso). */
export const defaultSamplePhoto = join(samplesDir, 'espresso.jpg');

/** Copies the bundled sample photos into `dest` (created if missing); returns the copied paths. */
export function copySamplePhotos(dest) {
  mkdirSync(dest, { recursive: true });
  const photos = readdirSync(samplesDir).filter((f) => /\.(jpe?g|png)$/i.test(f));
  if (!photos.length)
    throw new Error(
      `No sample photos in ${samplesDir}: the clone is incomplete; run \`git status\` and restore media/samples/.`,
    );
  return photos.map((f) => {
    copyFileSync(join(samplesDir, f), join(dest, f));
    return join(dest, f);
  });
}

export function ensureSetup() {
  const marker = 'node_modules/.package-lock.json';
  const stale = !existsSync(marker) || statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs + 1000;
  if (stale) {
    console.log('Installing npm dependencies (npm ci)…');
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm ci failed: check that the npm registry is reachable, then run it again.');
  }
  const check = spawnSync(process.execPath, ['-e', "require('onnxruntime-node'); require('sharp')"], {
    encoding: 'utf8',
  });
  if (check.status !== 0) {
    throw new Error(`A native package does not load:\n${check.stderr}\nDelete node_modules and run \`npm ci\` again.`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) ensureSetup();
