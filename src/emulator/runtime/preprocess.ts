// Image bytes → the model's input tensor, as the original service's TF1 graph did it (seed-system.md §2.1):
// decode to RGB (alpha dropped, grey replicated), resize so the shortest side is 256 with TF1
// resize_bilinear(align_corners=False) (sizes computed in float32 and truncated, as TF does), centre-crop,
// then ((pixel × inputScale) − mean) / std × scalingFactor per channel, in the preset's channel order, laid out
// NCHW or NHWC as the model's input shape says.
//
// Speed without changing the result: resize and crop are fused, so only the cropped output pixels are
// interpolated (the full 256-side image is never materialised), and normalisation is folded into the same pass.
// Decoding: JPEG through libjpeg-turbo with TF's default IFAST IDCT (decode_jpeg's dct_method="", fancy upsampling),
// which is also ~2× faster than sharp's ISLOW; sharp (libvips) for PNG, GIF, WebP and for JPEGs libjpeg-turbo
// refuses (CMYK, corrupt); libvips has no BMP loader (sharp's prebuilt lacks ImageMagick), so uncompressed
// 24/32-bit BMP is read here. Only those five formats are decoded, chosen by magic bytes (imageFormat.ts).
//
// Decode cost is bounded before decoding (pixel limit, JPEG scan limit, first frame only) and while decoding
// (libvips' timeout, the per-image budget checked between the images of a batch, the job's checkpoint).
import * as jpegTurbo from '@julusian/jpeg-turbo';
import sharp from 'sharp';
import { AccelError } from '../../domain/errors';
import type { PreprocessingPreset, TensorSpec } from '../../domain/types';
import { SUPPORTED_FORMATS, foreignFormatName, sniffImageFormat } from './imageFormat';
import { MAX_JPEG_SCANS, jpegFrame, jpegScanCount } from './jpegMarkers';
import { WorkerTerminating, nativeSync } from './nativeSection';

/** Decompression-bomb guard: larger images are refused before their pixels are allocated. */
export const MAX_IMAGE_PIXELS = 40_000_000;

/**
 * Server time one image may take to decode, ms: ACCEL_DECODE_BUDGET_MS, default 5000. The largest image the
 * limits admit (40 MP) decodes in ~0.3-0.6 s here, so 5 s is ~10× headroom for a loaded machine.
 */
export function decodeBudgetMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.ACCEL_DECODE_BUDGET_MS);
  return Number.isFinite(ms) && ms >= 1 ? ms : 5000;
}

/** `image` (0-based) of `count` is about to be decoded. */
export type DecodeCheckpoint = (image: number, count: number) => void;

let checkpoint: DecodeCheckpoint | undefined;

/**
 * Installs a check run before each image of a batch (the worker's: has the call been cancelled or its deadline
 * passed? It throws to abandon the job). The worker runs one job at a time, so one module-wide hook is enough.
 */
export function setDecodeCheckpoint(check: DecodeCheckpoint | undefined): void {
  checkpoint = check;
}

function overBudget(label: string, ms?: number): AccelError {
  const took = ms === undefined ? '' : ` (${Math.round(ms)} ms)`;
  return invalid(
    `${label} took longer to decode${took} than the ${decodeBudgetMs()} ms per-image budget. Send a smaller or simpler image (a baseline JPEG or PNG).`,
  );
}

sharp.cache(false);
sharp.concurrency(1);

export interface RgbImage {
  width: number;
  height: number;
  /** Packed RGB, 3 bytes per pixel, rows top to bottom. */
  data: Uint8Array;
}

export interface ImageLayout {
  layout: 'NCHW' | 'NHWC';
  height: number;
  width: number;
}

function invalid(message: string): AccelError {
  return new AccelError('InvalidArgument', message);
}

/** Where the image goes in the model input: channel position and crop size (fixed model dims win over the preset). */
export function imageLayoutFor(spec: TensorSpec, preset: PreprocessingPreset): ImageLayout {
  const s = spec.shape;
  const fixed = (d: unknown, fallback: number) => (typeof d === 'number' && d > 0 ? d : fallback);
  if (s.length === 4 && s[1] === 3)
    return { layout: 'NCHW', height: fixed(s[2], preset.height), width: fixed(s[3], preset.width) };
  if (s.length === 4 && s[3] === 3)
    return { layout: 'NHWC', height: fixed(s[1], preset.height), width: fixed(s[2], preset.width) };
  throw invalid(
    `Input "${spec.name}" has shape [${s.join(',')}], which is not an image batch (NCHW or NHWC with 3 channels), ` +
      `so it cannot take DT_STRING image bytes. Send a DT_FLOAT tensor instead.`,
  );
}

function describeBytes(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 16)).toString('latin1');
  if (/^[A-Za-z0-9+/]{16}$/.test(head)) return ' The bytes look like base64 text: send the raw file bytes, not base64.';
  if (/^(\/|[A-Za-z]:\\|\.\/|file:)/.test(head))
    return " The bytes look like a file path: send the file's contents, not its name.";
  return '';
}

function tooLarge(label: string, size?: { width: number; height: number }): AccelError {
  const dims = size ? ` is ${size.width}×${size.height},` : ' is';
  return invalid(
    `${label}${dims} larger than the ${MAX_IMAGE_PIXELS.toLocaleString('en-US')}-pixel limit. Downscale it before scoring.`,
  );
}

/** A JPEG's width and height from its frame header; undefined when the bytes are not a JPEG or have none. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const frame = jpegFrame(bytes);
  return frame && { width: frame.width, height: frame.height };
}

/** A small photo-like JPEG (a 320×240 colour gradient) for warming up the decode and preprocessing path. */
export function syntheticJpeg(width = 320, height = 240): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 3) {
      rgb[o] = (x * 255) / width;
      rgb[o + 1] = (y * 255) / height;
      rgb[o + 2] = ((x + y) * 127) / (width + height);
    }
  }
  return nativeSync(() =>
    jpegTurbo.compressSync(rgb, {
      format: jpegTurbo.FORMAT_RGB,
      width,
      height,
      quality: 90,
      subsampling: jpegTurbo.SAMP_420,
    }),
  );
}

/** libjpeg-turbo decode to RGB (grey is replicated); undefined when it cannot, so sharp gets to try (and to explain). */
function decodeJpeg(bytes: Uint8Array): RgbImage | undefined {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    const out = nativeSync(() => jpegTurbo.decompressSync(buf, { format: jpegTurbo.FORMAT_RGB }));
    return { width: out.width, height: out.height, data: out.data };
  } catch (e) {
    if (e instanceof WorkerTerminating) throw e;
    return undefined;
  }
}

function unsupportedFormat(label: string, bytes: Uint8Array): AccelError {
  const foreign = foreignFormatName(bytes);
  if (foreign) {
    return invalid(
      `${label} is in ${foreign} format; this server decodes only ${SUPPORTED_FORMATS} images. Convert it to JPEG or PNG before scoring.`,
    );
  }
  return invalid(
    `${label} (${bytes.length} bytes) could not be decoded as ${SUPPORTED_FORMATS}: its first bytes match none of these formats.${describeBytes(bytes)} Send the image file's bytes unchanged.`,
  );
}

/**
 * The checks a JPEG passes before any decoder allocates or loops: the pixel limit from the frame header and the
 * scan limit from the scan headers. Undefined when no frame header is readable (sharp then explains the fault).
 */
function checkJpeg(bytes: Uint8Array, label: string): { width: number; height: number } | undefined {
  const frame = jpegFrame(bytes);
  if (!frame) return undefined;
  if (frame.width * frame.height > MAX_IMAGE_PIXELS) throw tooLarge(label, frame);
  // Only progressive scans can be nearly free in the file: a sequential scan codes every block it covers, so its
  // cost follows the file's size (and counting costs ~0.1 ms on a 600 KB photo, skipped for the common case).
  if (frame.progressive && jpegScanCount(bytes, MAX_JPEG_SCANS) > MAX_JPEG_SCANS) {
    throw invalid(
      `${label} is a progressive JPEG with more than ${MAX_JPEG_SCANS} scans (the limit; ordinary progressive JPEGs have about 10), ` +
        `which would make decoding it cost far more than its size suggests. Re-encode it (e.g. as a baseline JPEG) before scoring.`,
    );
  }
  return frame;
}

/**
 * Decodes one image of a documented format (chosen by its magic bytes, never by the decoder's own sniffing) to RGB,
 * within the pixel limit, the JPEG scan limit, the first frame of an animation, and the decode budget.
 */
export async function decodeImage(bytes: Uint8Array, label = 'image'): Promise<RgbImage> {
  if (bytes.length === 0) throw invalid(`${label} is empty (0 bytes). Send the bytes of a ${SUPPORTED_FORMATS} file.`);
  const format = sniffImageFormat(bytes);
  if (!format) throw unsupportedFormat(label, bytes);
  if (format === 'bmp') return decodeBmp(bytes, label);
  if (format === 'jpeg' && checkJpeg(bytes, label)) {
    const rgb = decodeJpeg(bytes);
    if (rgb) return rgb;
  }
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // sharp already outputs sRGB (CMYK, grey, 16-bit and Lab inputs are converted), so the pipeline is just the
    // decode; an alpha band, if any, is dropped below. Asking for removeAlpha()/toColourspace('srgb') gives
    // identical pixels but adds libvips stages (~0.5 ms on a 720p JPEG). `pages: 1`: an animated GIF or WebP
    // gives its first frame only. The timeout stops libvips mid-decode once the budget is spent.
    out = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, pages: 1, page: 0 })
      .timeout({ seconds: Math.max(1, Math.ceil(decodeBudgetMs() / 1000)) })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    const reason = (e as Error).message;
    if (/pixel limit/i.test(reason)) throw tooLarge(label);
    if (/timeout/i.test(reason)) throw overBudget(label);
    throw invalid(
      `${label} (${bytes.length} bytes) could not be decoded as ${SUPPORTED_FORMATS}: ${reason}.${describeBytes(bytes)} Send the image file's bytes unchanged.`,
    );
  }
  const { width, height, channels } = out.info;
  if (channels === 3) return { width, height, data: out.data };
  // 1 = grey, 2 = grey + alpha, 4 = RGB + alpha: replicate grey, drop alpha.
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const g = out.data[j];
    rgb[i * 3] = g;
    rgb[i * 3 + 1] = channels >= 3 ? out.data[j + 1] : g;
    rgb[i * 3 + 2] = channels >= 3 ? out.data[j + 2] : g;
  }
  return { width, height, data: rgb };
}

/** Uncompressed 24/32-bit BMP (BI_RGB or BI_BITFIELDS), bottom-up or top-down. */
export function decodeBmp(bytes: Uint8Array, label = 'image'): RgbImage {
  const fail = (why: string) =>
    invalid(`${label} is not a BMP this server can read: ${why}. Convert it to PNG, JPEG or 24-bit BMP.`);
  if (bytes.length < 54) throw fail('the file is shorter than a BMP header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40) throw fail(`OS/2 BMP headers (${headerSize} bytes) are not supported`);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw fail(`it declares ${width}×${rawHeight} pixels`);
  if (width * height > MAX_IMAGE_PIXELS) throw tooLarge(label, { width, height });
  if (bpp !== 24 && bpp !== 32) throw fail(`${bpp}-bit BMPs are not supported (only 24 and 32 bits per pixel)`);
  let masks = [0x00ff0000, 0x0000ff00, 0x000000ff];
  if (compression === 3 || compression === 6) {
    if (bpp !== 32 || bytes.length < 66) throw fail('bit-field masks are missing');
    masks = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)];
  } else if (compression !== 0) {
    throw fail(`compressed BMPs (compression ${compression}) are not supported`);
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (pixelOffset + stride * height > bytes.length)
    throw fail(`the pixel data is truncated (${bytes.length} bytes, needs ${pixelOffset + stride * height})`);
  const data = new Uint8Array(width * height * 3);
  const shifts = masks.map((m) => (m === 0 ? 0 : Math.clz32(m & -m) ^ 31));
  const scales = masks.map((m, i) => (m === 0 ? 0 : 255 / (m >>> shifts[i])));
  for (let y = 0; y < height; y++) {
    const srcRow = pixelOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    let o = y * width * 3;
    if (bpp === 24) {
      for (let x = 0, p = srcRow; x < width; x++, p += 3) {
        data[o++] = bytes[p + 2];
        data[o++] = bytes[p + 1];
        data[o++] = bytes[p];
      }
    } else {
      for (let x = 0, p = srcRow; x < width; x++, p += 4) {
        const px = v.getUint32(p, true);
        for (let c = 0; c < 3; c++) data[o++] = Math.round((((px & masks[c]) >>> 0) >>> shifts[c]) * scales[c]);
      }
    }
  }
  return { width, height, data };
}

const f32 = Math.fround;

/** The intermediate size TF computes: shortest side → `side`, float32 arithmetic, truncated. */
export function resizedSize(width: number, height: number, side: number): { width: number; height: number } {
  const scale = height > width ? f32(side / width) : f32(side / height);
  return { width: Math.trunc(f32(width * scale)), height: Math.trunc(f32(height * scale)) };
}

/**
 * Writes one preprocessed image into `out` at `offset` (elements): TF1 legacy bilinear resize to the preset size,
 * centre crop, normalise, reorder channels, lay out. Pure function of the pixels and the preset.
 */
export function resizeCropNormalize(
  img: RgbImage,
  preset: PreprocessingPreset,
  layout: ImageLayout,
  out: Float32Array,
  offset: number,
): void {
  const { height: outH, width: outW } = layout;
  let rh: number;
  let rw: number;
  let offY = 0;
  let offX = 0;
  if (preset.resizeShortestSide) {
    ({ width: rw, height: rh } = resizedSize(img.width, img.height, preset.resizeShortestSide));
    if (rh < outH || rw < outW) {
      throw invalid(
        `The image resizes to ${rw}×${rh}, smaller than the ${outW}×${outH} crop of preset ${preset.name}.`,
      );
    }
    offY = Math.trunc((rh - outH) / 2);
    offX = Math.trunc((rw - outW) / 2);
  } else {
    rh = outH;
    rw = outW;
  }
  const yScale = f32(img.height / rh);
  const xScale = f32(img.width / rw);
  const x0 = new Int32Array(outW);
  const x1 = new Int32Array(outW);
  const lx = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const inX = f32((x + offX) * xScale);
    const lo = Math.floor(inX);
    x0[x] = lo * 3;
    x1[x] = Math.min(Math.ceil(inX), img.width - 1) * 3;
    lx[x] = inX - lo;
  }
  // Output channel k reads source channel src[k]; mean/std are given per source (RGB) channel.
  const src = preset.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const mul = src.map((c) => (preset.inputScale / preset.std[c]) * preset.scalingFactor);
  const add = src.map((c) => (-preset.mean[c] / preset.std[c]) * preset.scalingFactor);
  const plane = outH * outW;
  const d = img.data;
  const rowBytes = img.width * 3;
  const [s0, s1, s2] = src;
  const [m0, m1, m2] = mul;
  const [a0, a1, a2] = add;
  const nchw = layout.layout === 'NCHW';
  // Element strides of the three output channels and of one output pixel.
  const cStride = nchw ? plane : 1;
  const pStride = nchw ? 1 : 3;
  for (let y = 0; y < outH; y++) {
    const inY = f32((y + offY) * yScale);
    const y0 = Math.floor(inY);
    const ly = inY - y0;
    const top = y0 * rowBytes;
    const bot = Math.min(Math.ceil(inY), img.height - 1) * rowBytes;
    let o = offset + y * outW * pStride;
    for (let x = 0; x < outW; x++, o += pStride) {
      const a = top + x0[x];
      const b = top + x1[x];
      const c = bot + x0[x];
      const e = bot + x1[x];
      const fx = lx[x];
      let t = d[a + s0] + (d[b + s0] - d[a + s0]) * fx;
      let u = d[c + s0] + (d[e + s0] - d[c + s0]) * fx;
      out[o] = (t + (u - t) * ly) * m0 + a0;
      t = d[a + s1] + (d[b + s1] - d[a + s1]) * fx;
      u = d[c + s1] + (d[e + s1] - d[c + s1]) * fx;
      out[o + cStride] = (t + (u - t) * ly) * m1 + a1;
      t = d[a + s2] + (d[b + s2] - d[a + s2]) * fx;
      u = d[c + s2] + (d[e + s2] - d[c + s2]) * fx;
      out[o + 2 * cStride] = (t + (u - t) * ly) * m2 + a2;
    }
  }
}

/** A batch of image files → one Float32Array shaped [N,3,H,W] or [N,H,W,3]. */
export async function preprocessImages(
  images: Uint8Array[],
  preset: PreprocessingPreset,
  layout: ImageLayout,
): Promise<{ data: Float32Array; shape: number[] }> {
  if (preset.name === 'none' || preset.height === 0) {
    throw invalid(
      'This model has no image preprocessing (preset "none"), so it cannot take DT_STRING image bytes. Send a DT_FLOAT tensor, or package the model with an image preset.',
    );
  }
  const per = 3 * layout.height * layout.width;
  const out = new Float32Array(images.length * per);
  for (let i = 0; i < images.length; i++) {
    const label = images.length > 1 ? `Image ${i + 1} of ${images.length}` : 'The image';
    checkpoint?.(i, images.length);
    const started = performance.now();
    const img = await decodeImage(images[i], label);
    const took = performance.now() - started;
    if (took > decodeBudgetMs()) throw overBudget(label, took);
    resizeCropNormalize(img, preset, layout, out, i * per);
  }
  const shape =
    layout.layout === 'NCHW'
      ? [images.length, 3, layout.height, layout.width]
      : [images.length, layout.height, layout.width, 3];
  return { data: out, shape };
}
