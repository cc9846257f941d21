// JPEG decoding through libjpeg-turbo (TF's default IFAST IDCT), its pixel-limit guard, and the sharp fallback.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as jpegTurbo from '@julusian/jpeg-turbo';
import sharp from 'sharp';
import { AccelError } from '../../../src/domain/errors';
import { decodeImage, jpegSize } from '../../../src/emulator/runtime/preprocess';
import { imagesDir } from '../../support/paths';

const photos = ['cat_720p.jpg', 'hot_dog.jpg', 'parrot.jpg', 'pets.jpg'].map((name) =>
  path.join(imagesDir, 'coral', name),
);

async function sharpRgb(bytes: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

function difference(a: Uint8Array, b: Uint8Array): { max: number; mean: number; over8: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  let over8 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
    if (d > 8) over8++;
  }
  return { max, mean: sum / a.length, over8: over8 / a.length };
}

/** A small JPEG whose frame header is rewritten to declare width × height. */
async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const small = await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } })
    .jpeg()
    .toBuffer();
  const sof = small.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0, 'baseline frame header present');
  const out = Buffer.from(small);
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

describe('JPEG decoding', () => {
  for (const file of photos) {
    it(`${path.basename(file)}: libjpeg-turbo IFAST pixels, within IDCT rounding of sharp's ISLOW decode`, async () => {
      const bytes = fs.readFileSync(file);
      const img = await decodeImage(bytes);
      const turbo = jpegTurbo.decompressSync(bytes, { format: jpegTurbo.FORMAT_RGB });
      assert.deepEqual([img.width, img.height], [turbo.width, turbo.height]);
      assert.ok(Buffer.from(img.data).equals(turbo.data), 'decoded by libjpeg-turbo');
      const ref = await sharpRgb(bytes);
      assert.deepEqual([img.width, img.height], [ref.width, ref.height]);
      // IFAST's coarser IDCT is off by a few levels on average; on high-quality 4:4:4 photos (hot_dog, parrot)
      // a few samples in a thousand are off by up to ~20, as TF's own decode is.
      const { max, mean, over8 } = difference(img.data, ref.data);
      assert.ok(
        mean < 2 && over8 < 0.005 && max <= 32,
        `mean |Δ| ${mean.toFixed(3)}, ${(over8 * 100).toFixed(2)}% over 8, max |Δ| ${max}`,
      );
    });
  }

  it('reads the size from the frame header past APPn segments, fill bytes and progressive frames', async () => {
    for (const file of photos) {
      const bytes = fs.readFileSync(file);
      const meta = await sharp(bytes).metadata();
      assert.deepEqual(jpegSize(bytes), { width: meta.width, height: meta.height }, path.basename(file));
    }
    const progressive = await sharp(Buffer.alloc(40 * 30 * 3, 7), { raw: { width: 40, height: 30, channels: 3 } })
      .jpeg({ progressive: true })
      .toBuffer();
    assert.deepEqual(jpegSize(progressive), { width: 40, height: 30 });
    const filled = Buffer.concat([progressive.subarray(0, 2), Buffer.from([0xff, 0xff]), progressive.subarray(2)]);
    assert.deepEqual(jpegSize(filled), { width: 40, height: 30 });
    assert.deepEqual([(await decodeImage(progressive)).width, (await decodeImage(progressive)).height], [40, 30]);
    assert.equal(jpegSize(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2])), undefined, 'scan data before any frame header');
    assert.equal(jpegSize(Buffer.from('not a jpeg')), undefined);
  });

  it('grey JPEGs decode to replicated RGB', async () => {
    const width = 24;
    const height = 16;
    const grey = Buffer.from(Uint8Array.from({ length: width * height }, (_, i) => (i * 7) % 256));
    const jpeg = await sharp(grey, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 95 })
      .toBuffer();
    assert.equal((await sharp(jpeg).metadata()).channels, 1, 'a one-component JPEG');
    const img = await decodeImage(jpeg);
    assert.deepEqual([img.width, img.height, img.data.length], [width, height, width * height * 3]);
    assert.ok(
      Buffer.from(img.data).equals(jpegTurbo.decompressSync(jpeg, { format: jpegTurbo.FORMAT_RGB }).data),
      'decoded by libjpeg-turbo',
    );
    for (let i = 0; i < width * height; i++) {
      assert.equal(img.data[i * 3], img.data[i * 3 + 1], `pixel ${i}: R = G`);
      assert.equal(img.data[i * 3], img.data[i * 3 + 2], `pixel ${i}: R = B`);
    }
    const { max } = difference(img.data, (await sharpRgb(jpeg)).data);
    assert.ok(max <= 8, `grey differs from sharp's decode by up to ${max}`);
  });

  it('refuses a JPEG whose frame header declares too many pixels, from the header alone', async () => {
    for (const [w, h] of [
      [10_000, 10_000],
      [65_535, 65_535],
    ]) {
      const bomb = await jpegDeclaring(w, h);
      assert.deepEqual(jpegSize(bomb), { width: w, height: h });
      // The dimensions in the message come from our header walk (sharp's own limit error does not name them).
      await assert.rejects(decodeImage(bomb, 'The image'), (e: unknown) => {
        assert.ok(e instanceof AccelError && e.code === 'InvalidArgument');
        assert.match(
          e.message,
          new RegExp(
            `^The image is ${w}×${h}, larger than the 40,000,000-pixel limit\\. Downscale it before scoring\\.$`,
          ),
        );
        return true;
      });
    }
  });

  it('CMYK JPEGs, which libjpeg-turbo cannot turn into RGB, decode through sharp', async () => {
    const rgb = Buffer.from(Uint8Array.from({ length: 32 * 20 * 3 }, (_, i) => (i * 13) % 256));
    const cmyk = await sharp(rgb, { raw: { width: 32, height: 20, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    assert.throws(() => jpegTurbo.decompressSync(cmyk, { format: jpegTurbo.FORMAT_RGB }));
    const img = await decodeImage(cmyk);
    const ref = await sharpRgb(cmyk);
    assert.deepEqual([img.width, img.height], [32, 20]);
    assert.ok(Buffer.from(img.data).equals(ref.data), "sharp's sRGB pixels");
  });

  it('truncated or corrupt JPEGs get a clean INVALID_ARGUMENT', async () => {
    const bytes = fs.readFileSync(photos[0]);
    for (const broken of [
      bytes.subarray(0, bytes.length >> 1),
      bytes.subarray(0, 200),
      Buffer.concat([bytes.subarray(0, 600), Buffer.alloc(4000, 0xff)]),
    ]) {
      await assert.rejects(decodeImage(broken, 'The image'), (e: unknown) => {
        assert.ok(e instanceof AccelError && e.code === 'InvalidArgument', String(e));
        assert.match(
          e.message,
          /^The image \(\d+ bytes\) could not be decoded as JPEG, PNG, GIF, WebP or BMP: .*Send the image file's bytes unchanged\.$/s,
        );
        return true;
      });
    }
  });
});
