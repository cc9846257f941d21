import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { PRESETS } from '../../../src/domain/presets';
import type { PreprocessingPreset } from '../../../src/domain/types';
import {
  decodeBmp,
  decodeImage,
  imageLayoutFor,
  resizeCropNormalize,
  resizedSize,
  type RgbImage,
} from '../../../src/emulator/runtime/preprocess';

function randomImage(width: number, height: number, seed = 1): RgbImage {
  let s = seed;
  const data = Uint8Array.from({ length: width * height * 3 }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  return { width, height, data };
}

/** Plain TF1 resize_bilinear(align_corners=False) of the whole image, then crop and normalise: the reference. */
function reference(img: RgbImage, p: PreprocessingPreset, outH: number, outW: number): Float32Array {
  const { width: rw, height: rh } = p.resizeShortestSide
    ? resizedSize(img.width, img.height, p.resizeShortestSide)
    : { width: outW, height: outH };
  const resized = new Float64Array(rw * rh * 3);
  for (let y = 0; y < rh; y++) {
    const inY = Math.fround(y * Math.fround(img.height / rh));
    const y0 = Math.floor(inY);
    const y1 = Math.min(Math.ceil(inY), img.height - 1);
    for (let x = 0; x < rw; x++) {
      const inX = Math.fround(x * Math.fround(img.width / rw));
      const x0 = Math.floor(inX);
      const x1 = Math.min(Math.ceil(inX), img.width - 1);
      for (let c = 0; c < 3; c++) {
        const px = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 3 + c];
        const top = px(y0, x0) + (px(y0, x1) - px(y0, x0)) * (inX - x0);
        const bot = px(y1, x0) + (px(y1, x1) - px(y1, x0)) * (inX - x0);
        resized[(y * rw + x) * 3 + c] = top + (bot - top) * (inY - y0);
      }
    }
  }
  const offY = Math.trunc((rh - outH) / 2);
  const offX = Math.trunc((rw - outW) / 2);
  const out = new Float32Array(3 * outH * outW);
  const order = p.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let k = 0; k < 3; k++) {
    const c = order[k];
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        const v = resized[((y + offY) * rw + x + offX) * 3 + c];
        out[k * outH * outW + y * outW + x] = ((v * p.inputScale - p.mean[c]) / p.std[c]) * p.scalingFactor;
      }
    }
  }
  return out;
}

describe('preprocess', () => {
  it('computes the intermediate size as TF does (float32, truncated)', () => {
    assert.deepEqual(resizedSize(1280, 720, 256), { width: 455, height: 256 });
    assert.deepEqual(resizedSize(720, 1280, 256), { width: 256, height: 455 });
    assert.deepEqual(resizedSize(300, 300, 256), { width: 256, height: 256 });
  });

  for (const preset of [
    PRESETS.mobilenetv2,
    PRESETS.resnet50,
    PRESETS.densenet121,
    { ...PRESETS.vgg16, channelOrder: 'BGR' as const },
    PRESETS.ssdvgg,
  ]) {
    it(`fused resize+crop+normalise equals the plain reference (${preset.name}, ${preset.channelOrder})`, () => {
      const img = randomImage(333, 500, preset.height);
      const out = new Float32Array(3 * preset.height * preset.width);
      resizeCropNormalize(img, preset, { layout: 'NCHW', height: preset.height, width: preset.width }, out, 0);
      const ref = reference(img, preset, preset.height, preset.width);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]));
      assert.ok(worst < 1e-3, `max difference ${worst}`);
    });
  }

  it('NHWC holds the same values as NCHW, transposed', () => {
    const img = randomImage(300, 260);
    const p = PRESETS.resnet50;
    const nchw = new Float32Array(3 * 224 * 224);
    const nhwc = new Float32Array(3 * 224 * 224);
    resizeCropNormalize(img, p, { layout: 'NCHW', height: 224, width: 224 }, nchw, 0);
    resizeCropNormalize(img, p, imageLayoutFor({ name: 'x', dtype: 'float32', shape: [-1, 224, 224, 3] }, p), nhwc, 0);
    for (const [y, x, c] of [
      [0, 0, 0],
      [100, 17, 1],
      [223, 223, 2],
    ])
      assert.equal(nhwc[(y * 224 + x) * 3 + c], nchw[c * 224 * 224 + y * 224 + x]);
  });

  it('reads 24-bit bottom-up and 32-bit top-down BMPs', () => {
    const img = randomImage(5, 3, 7);
    const bmp = (bpp: 24 | 32, topDown: boolean) => {
      const stride = Math.floor((bpp * img.width + 31) / 32) * 4;
      const buf = Buffer.alloc(54 + stride * img.height);
      buf.write('BM', 0, 'latin1');
      buf.writeUInt32LE(buf.length, 2);
      buf.writeUInt32LE(54, 10);
      buf.writeUInt32LE(40, 14);
      buf.writeInt32LE(img.width, 18);
      buf.writeInt32LE(topDown ? -img.height : img.height, 22);
      buf.writeUInt16LE(1, 26);
      buf.writeUInt16LE(bpp, 28);
      for (let y = 0; y < img.height; y++) {
        const row = 54 + (topDown ? y : img.height - 1 - y) * stride;
        for (let x = 0; x < img.width; x++) {
          const p = row + x * (bpp / 8);
          const s = (y * img.width + x) * 3;
          buf[p] = img.data[s + 2];
          buf[p + 1] = img.data[s + 1];
          buf[p + 2] = img.data[s];
        }
      }
      return buf;
    };
    for (const [bpp, topDown] of [
      [24, false],
      [32, true],
    ] as const) {
      const decoded = decodeBmp(bmp(bpp, topDown));
      assert.deepEqual([decoded.width, decoded.height], [5, 3]);
      assert.deepEqual(Array.from(decoded.data), Array.from(img.data));
    }
    assert.throws(() => decodeBmp(bmp(24, false).subarray(0, 60)), /truncated/);
  });

  it('grey images become RGB and alpha is dropped, as decode_png(channels=3) does', async () => {
    const grey = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    assert.deepEqual(Array.from((await decodeImage(grey)).data), [0, 0, 0, 128, 128, 128, 255, 255, 255, 64, 64, 64]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    assert.deepEqual(Array.from((await decodeImage(rgba)).data), [10, 20, 30, 40, 50, 60]);
  });

  it('refuses bytes it cannot decode, and inputs that are not image batches, with the fix', async () => {
    await assert.rejects(decodeImage(Buffer.from('hello')), /could not be decoded as JPEG, PNG, GIF, WebP or BMP/);
    await assert.rejects(decodeImage(Buffer.alloc(0)), /empty/);
    assert.throws(
      () => imageLayoutFor({ name: 'ids', dtype: 'float32', shape: [-1, 128] }, PRESETS.resnet50),
      /not an image batch.*DT_FLOAT/,
    );
  });
});
