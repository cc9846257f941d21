// Writes class folders for test/vscode/classifier.test.ts: `<dir>/cat` and `<dir>/other` with seeded augmented
// copies of the shared photos (test/integration/classifier/photoFolders.ts). Run as a child process
// (`node --import tsx makeClassFolders.ts <dir> <perSource> <seed>`): it loads sharp, which must never load in
// the extension host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rng } from '../../support/random';
import { augment } from '../../integration/classifier/photoFolders';

const SOURCES: Record<string, string[]> = {
  cat: ['skimage/chelsea.png', 'coral/cat_720p.jpg'],
  other: ['skimage/coffee.png', 'coral/hot_dog.jpg', 'coral/parrot.jpg'],
};

async function main(dir: string, perSource: number, seed: number): Promise<void> {
  const random = rng(seed);
  const formats = ['jpeg', 'png', 'jpeg', 'webp'] as const;
  let n = 0;
  for (const [label, sources] of Object.entries(SOURCES)) {
    fs.mkdirSync(path.join(dir, label), { recursive: true });
    for (const source of sources)
      for (let i = 0; i < perSource; i++, n++) {
        const format = formats[n % formats.length];
        const file = path.join(dir, label, `${String(n).padStart(3, '0')}.${format === 'jpeg' ? 'jpg' : format}`);
        fs.writeFileSync(file, await augment(source, random, format));
      }
  }
}

const [dir, perSource, seed] = process.argv.slice(2);
main(dir, Number(perSource), Number(seed)).catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
