// Hostile image files for the decoder tests, built here from their markers (nothing is downloaded): a progressive
// JPEG with thousands of cheap scans (each one a full pass over the coefficient blocks), an SVG that is slow to
// render, TIFF and HEIF/AVIF files, a PNG whose header claims huge dimensions, and many-frame GIF/WebP files.
import * as zlib from 'node:zlib';
import sharp from 'sharp';

/** Writes Huffman-coded bits MSB first, stuffing a 0x00 after every 0xFF byte, padding the last byte with ones. */
class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }

  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00);
    this.acc = 0;
    this.n = 0;
  }

  finish(): Buffer {
    if (this.n > 0) {
      this.acc = (this.acc << (8 - this.n)) | ((1 << (8 - this.n)) - 1);
      this.n = 8;
      this.flushByte();
    }
    return Buffer.from(this.bytes);
  }
}

function segment(marker: number, body: number[] | Buffer): Buffer {
  const b = Buffer.from(body);
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(b.length + 2, 2);
  return Buffer.concat([head, b]);
}

/**
 * A valid greyscale progressive JPEG (SOF2) of width × height with one DC scan and `scans - 1` identical AC scans.
 * Every AC scan codes the whole image as end-of-band runs of 32 767 blocks (15 bits each), so it costs ~16 bytes
 * of file but a full pass over every coefficient block to decode: file size ~ blocks/8 + 16 × scans, decode work ~
 * blocks × scans. Repeating a first scan with Ah = Al = 0 is a consistent progression, so decoders do not even warn.
 */
export function progressiveScanBomb(width: number, height: number, scans: number): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const dqt = segment(0xdb, [0x00, ...new Array(64).fill(1)]);
  const sof2 = segment(0xc2, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  // DC table 0: one 1-bit code '0' for category 0 (every DC difference is 0). AC table 0: one 1-bit code '0' for
  // EOB14 (an end-of-band run of 2^14 + the next 14 bits blocks).
  const counts = (n: number) => [n, ...new Array(15).fill(0)];
  const dht = Buffer.concat([segment(0xc4, [0x00, ...counts(1), 0x00]), segment(0xc4, [0x10, ...counts(1), 0xe0])]);
  const dcScan = segment(0xda, [1, 1, 0x00, 0, 0, 0x00]);
  const dcBits = new BitWriter();
  for (let i = 0; i < blocks; i++) dcBits.write(0, 1);
  const acScan = segment(0xda, [1, 1, 0x00, 1, 63, 0x00]);
  const acBits = new BitWriter();
  for (let left = blocks; left > 0; left -= 32767) {
    acBits.write(0, 1);
    acBits.write(0x3fff, 14);
  }
  const ac = Buffer.concat([acScan, acBits.finish()]);
  const parts = [Buffer.from([0xff, 0xd8]), dqt, sof2, dht, dcScan, dcBits.finish()];
  for (let i = 1; i < scans; i++) parts.push(ac);
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/** A 470-byte-class SVG that is slow to rasterise: a 6000×6000 canvas under a large Gaussian blur. */
export function slowSvg(): Buffer {
  return Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" width="6000" height="6000">' +
      '<defs><filter id="f" x="0" y="0" width="1" height="1"><feGaussianBlur stdDeviation="900"/>' +
      '<feTurbulence baseFrequency="0.9" numOctaves="10"/></filter></defs>' +
      '<rect width="6000" height="6000" fill="#808" filter="url(#f)"/>' +
      '<circle cx="3000" cy="3000" r="2500" fill="#0f0" filter="url(#f)"/></svg>',
  );
}

const small = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#369' } });

export const tiffFile = (): Promise<Buffer> => small().tiff().toBuffer();
/** AVIF through sharp's libheif (the prebuilt sharp writes AV1 only); a HEIF container either way. */
export const avifFile = (): Promise<Buffer> => small().heif({ compression: 'av1' }).toBuffer();

/** The first bytes of a HEIC file: an ISO-BMFF `ftyp` box with brand `heic` (what an iPhone photo starts with). */
export function heicHeader(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypheic', 4, 'latin1');
  ftyp.writeUInt32BE(0, 12);
  ftyp.write('mif1heic', 16, 'latin1');
  return Buffer.concat([ftyp, Buffer.alloc(64)]);
}

/** A 1×1 PNG whose IHDR (CRC fixed up) claims width × height. */
export async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

/** An animated GIF or WebP of `frames` frames of width × height (sharp writes the animation from a tall strip). */
export async function animated(format: 'gif' | 'webp', frames: number, width = 32, height = 32): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * frames * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + Math.floor(i / (width * height * 3)) * 17) & 0xff;
  const img = sharp(raw, { raw: { width, height: height * frames, channels: 3, pageHeight: height } });
  return format === 'gif' ? img.gif().toBuffer() : img.webp({ lossless: true }).toBuffer();
}
