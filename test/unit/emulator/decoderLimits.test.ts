// The decoder's limits on their own: format by magic bytes, the JPEG scan count (as libjpeg walks the markers),
// first frame of animations, the per-image checkpoint, and the native-section guard that makes terminating an
// inference worker safe.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { AccelError } from '../../../src/domain/errors';
import { foreignFormatName, sniffImageFormat } from '../../../src/emulator/runtime/imageFormat';
import { MAX_JPEG_SCANS, jpegFrame, jpegScanCount } from '../../../src/emulator/runtime/jpegMarkers';
import {
  WorkerTerminating,
  claimForTermination,
  nativeSync,
  newNativeState,
  useNativeState,
} from '../../../src/emulator/runtime/nativeSection';
import {
  decodeBudgetMs,
  decodeImage,
  preprocessImages,
  setDecodeCheckpoint,
} from '../../../src/emulator/runtime/preprocess';
import { jobBudgetMs, terminateSafely } from '../../../src/emulator/runtime/workerPool';
import { PRESETS } from '../../../src/domain/presets';
import { animated, avifFile, heicHeader, progressiveScanBomb, slowSvg, tiffFile } from '../../support/hostileImages';
import { imagesDir } from '../../support/paths';

const parrot = () => fs.readFileSync(path.join(imagesDir, 'coral', 'parrot.jpg'));

const invalidWith = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AccelError && e.code === 'InvalidArgument', String(e));
  assert.match(e.message, pattern);
  return true;
};

describe('image format by magic bytes', () => {
  it('knows the five documented formats and names the refused ones', async () => {
    const small = sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } });
    assert.equal(sniffImageFormat(await small.clone().jpeg().toBuffer()), 'jpeg');
    assert.equal(sniffImageFormat(await small.clone().png().toBuffer()), 'png');
    assert.equal(sniffImageFormat(await small.clone().gif().toBuffer()), 'gif');
    assert.equal(sniffImageFormat(await small.clone().webp().toBuffer()), 'webp');
    assert.equal(sniffImageFormat(fs.readFileSync(path.join(imagesDir, 'coral', 'bird.bmp'))), 'bmp');
    for (const [bytes, name] of [
      [await tiffFile(), 'TIFF'],
      [await avifFile(), 'AVIF'],
      [heicHeader(), 'HEIF'],
      [slowSvg(), 'SVG'],
      [Buffer.from('\ufeff  <?xml version="1.0"?><svg/>'), 'SVG'],
      [Buffer.from('%PDF-1.7 ...'), 'PDF'],
    ] as const) {
      assert.equal(sniffImageFormat(bytes), undefined, name);
      assert.equal(foreignFormatName(bytes), name);
    }
  });

  it('refuses SVG, TIFF, AVIF and HEIF before any decoder, naming the format and what to send', async () => {
    for (const [bytes, name] of [
      [slowSvg(), 'SVG'],
      [await tiffFile(), 'TIFF'],
      [await avifFile(), 'AVIF'],
      [heicHeader(), 'HEIF'],
    ] as const) {
      await assert.rejects(
        decodeImage(bytes, 'The image'),
        invalidWith(
          new RegExp(
            `^The image is in ${name} format; this server decodes only JPEG, PNG, GIF, WebP or BMP images\\. Convert it`,
          ),
        ),
      );
    }
  });

  it('animated GIF and WebP decode to their first frame only', async () => {
    for (const format of ['gif', 'webp'] as const) {
      const img = await decodeImage(await animated(format, 200, 40, 30));
      assert.deepEqual([img.width, img.height], [40, 30], format);
    }
  });
});

describe('JPEG scan limit', () => {
  it('counts the scans of real files: baseline 1, libjpeg progression 10', async () => {
    assert.equal(jpegScanCount(parrot()), 1);
    const progressive = await sharp(parrot()).jpeg({ progressive: true }).toBuffer();
    assert.equal(jpegScanCount(progressive), 10);
    assert.deepEqual(jpegFrame(progressive), { width: 512, height: 929, progressive: true });
    assert.equal(jpegFrame(parrot())?.progressive, false);
  });

  it('counts through fill bytes and stray bytes between segments, as libjpeg resynchronises, and stops past the limit', () => {
    const bomb = progressiveScanBomb(256, 256, 500);
    assert.equal(jpegScanCount(bomb, 10_000), 500);
    assert.equal(jpegScanCount(bomb), MAX_JPEG_SCANS + 1, 'counting stops once past the limit');
    // Garbage and fill bytes before every scan header: libjpeg skips them ("extraneous bytes") and still decodes.
    const sos = Buffer.from([0xff, 0xda]);
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = bomb.indexOf(sos); at >= 0; at = bomb.indexOf(sos, at + 2)) {
      parts.push(bomb.subarray(from, at), Buffer.from([0x12, 0x34, 0xff, 0xff]));
      from = at;
    }
    parts.push(bomb.subarray(from));
    assert.equal(jpegScanCount(Buffer.concat(parts), 10_000), 500);
  });

  it(`refuses more than ${MAX_JPEG_SCANS} scans with a clear message; exactly ${MAX_JPEG_SCANS} decode`, async () => {
    const atLimit = await decodeImage(progressiveScanBomb(512, 384, MAX_JPEG_SCANS));
    assert.deepEqual([atLimit.width, atLimit.height], [512, 384]);
    await assert.rejects(
      decodeImage(progressiveScanBomb(512, 384, MAX_JPEG_SCANS + 1), 'The image'),
      invalidWith(/^The image is a progressive JPEG with more than 100 scans .*Re-encode it/),
    );
    await assert.rejects(decodeImage(progressiveScanBomb(3600, 3600, 1700)), invalidWith(/more than 100 scans/));
  });
});

describe('decode budget and checkpoint', () => {
  after(() => setDecodeCheckpoint(undefined));

  it('budgets come from the environment with sane defaults', () => {
    assert.equal(decodeBudgetMs({}), 5000);
    assert.equal(decodeBudgetMs({ ACCEL_DECODE_BUDGET_MS: '250' }), 250);
    assert.equal(decodeBudgetMs({ ACCEL_DECODE_BUDGET_MS: 'soon' }), 5000);
    assert.equal(jobBudgetMs({}), 60_000);
    assert.equal(jobBudgetMs({ ACCEL_JOB_BUDGET_MS: '4000' }), 4000);
  });

  it('the checkpoint runs before each image of a batch and stops it', async () => {
    const seen: string[] = [];
    setDecodeCheckpoint((image, count) => {
      seen.push(`${image}/${count}`);
      if (image === 2) throw new AccelError('Cancelled', 'gone');
    });
    const preset = PRESETS.mobilenetv2;
    await assert.rejects(
      preprocessImages([parrot(), parrot(), parrot(), parrot()], preset, { layout: 'NCHW', height: 224, width: 224 }),
      (e: unknown) => e instanceof AccelError && e.code === 'Cancelled',
    );
    assert.deepEqual(seen, ['0/4', '1/4', '2/4']);
  });
});

describe('native sections', () => {
  it('a worker inside a native call cannot be claimed; once claimed it enters none', () => {
    const state = newNativeState();
    useNativeState(state);
    try {
      nativeSync(() => assert.equal(claimForTermination(state), false, 'inside a native call'));
      assert.equal(claimForTermination(state), true);
      assert.throws(() => nativeSync(() => 1), WorkerTerminating);
    } finally {
      useNativeState(newNativeState());
    }
  });

  it('terminating a worker busy in libjpeg-turbo waits for the call and leaves this process alive', async () => {
    const state = newNativeState();
    const moduleFile = path.resolve(__dirname, '../../../src/emulator/runtime/nativeSection.ts');
    const code = `
      require('tsx/cjs');
      const { parentPort, workerData } = require('node:worker_threads');
      const ns = require(${JSON.stringify(moduleFile)});
      const jt = require('@julusian/jpeg-turbo');
      ns.useNativeState(workerData.state);
      const big = jt.compressSync(Buffer.alloc(3000 * 3000 * 3, 90), { format: jt.FORMAT_RGB, width: 3000, height: 3000, quality: 90 });
      parentPort.postMessage('decoding');
      for (;;) ns.nativeSync(() => jt.decompressSync(big, { format: jt.FORMAT_RGB }));`;
    const worker = new Worker(code, { eval: true, workerData: { state } });
    await new Promise((resolve) => worker.once('message', resolve));
    // Without the guard this aborts the whole test process ("terminate called after throwing an instance of 'Napi::Error'").
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 30));
    await terminateSafely(worker, state);
    assert.equal(worker.threadId, -1);
  });
});
