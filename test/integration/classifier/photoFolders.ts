// Builds class folders for the classifier tests from the real photos in ../shared/data/images, with deterministic
// augmentations (random crops, horizontal flips, brightness / saturation / hue jitter) from a seeded PRNG, written
// as JPEG, PNG or WebP.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeBmp } from '../../../src/emulator/runtime/preprocess';
import { imagesDir } from '../../support/paths';
import { rng } from '../../support/random';

/** Three classes, two source photos each (see ../shared/data/README.md for what each photo shows). */
export const CLASS_SOURCES: Record<string, string[]> = {
  bird: ['coral/parrot.jpg', 'coral/bird.bmp'],
  cat: ['skimage/chelsea.png', 'coral/cat_720p.jpg'],
  food: ['coral/hot_dog.jpg', 'skimage/coffee.png'],
};

function load(rel: string): ReturnType<typeof sharp> {
  const file = path.join(imagesDir, rel);
  if (rel.endsWith('.bmp')) {
    const img = decodeBmp(fs.readFileSync(file), rel); // sharp reads no BMP
    return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
      raw: { width: img.width, height: img.height, channels: 3 },
    });
  }
  return sharp(file);
}

/** One augmented copy of `rel`, as encoded bytes of `format`. */
export async function augment(rel: string, random: () => number, format: 'jpeg' | 'png' | 'webp'): Promise<Buffer> {
  const { data, info } = await load(rel).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const side = 0.6 + random() * 0.35;
  const width = Math.max(32, Math.round(info.width * side));
  const height = Math.max(32, Math.round(info.height * (0.6 + random() * 0.35)));
  const left = Math.floor(random() * (info.width - width + 1));
  const top = Math.floor(random() * (info.height - height + 1));
  let img = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .extract({ left, top, width, height })
    .modulate({
      brightness: 0.8 + random() * 0.4,
      saturation: 0.7 + random() * 0.6,
      hue: Math.round((random() - 0.5) * 30),
    })
    .resize({ width: 320, height: 320, fit: 'inside' });
  if (random() < 0.5) img = img.flop();
  if (format === 'png') return img.png().toBuffer();
  if (format === 'webp') return img.webp({ quality: 85 }).toBuffer();
  return img.jpeg({ quality: 85 }).toBuffer();
}

/** `<dir>/<class>/<n>.<ext>`: `perSource` augmented copies of each source photo of each class. Returns the files per class. */
export async function buildPhotoFolders(
  dir: string,
  perSource: number,
  seed: number,
): Promise<Record<string, string[]>> {
  const random = rng(seed);
  const formats = ['jpeg', 'jpeg', 'png', 'webp'] as const;
  const out: Record<string, string[]> = {};
  for (const [label, sources] of Object.entries(CLASS_SOURCES)) {
    fs.mkdirSync(path.join(dir, label), { recursive: true });
    out[label] = [];
    let n = 0;
    for (const source of sources) {
      for (let i = 0; i < perSource; i++, n++) {
        const format = formats[n % formats.length];
        const file = path.join(dir, label, `${String(n).padStart(3, '0')}.${format === 'jpeg' ? 'jpg' : format}`);
        fs.writeFileSync(file, await augment(source, random, format));
        out[label].push(file);
      }
    }
  }
  return out;
}
