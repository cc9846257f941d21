// A JPEG's structure read from its marker segments, before any decoder runs: frame size (for the pixel limit) and
// the number of scans (for the scan limit). A progressive JPEG's decode cost grows with pixels × scans, since every
// scan is a pass over the whole coefficient buffer, and one scan can cost as little as ~16 bytes of file: 52 KB
// of repeated end-of-band scans made libjpeg-turbo spend seconds. libjpeg-turbo 3 has TJPARAM_SCANLIMIT for this,
// but the binding we ship exposes only the TurboJPEG 2 calls, so the scans are counted here.

export interface JpegFrame {
  width: number;
  height: number;
  /** SOF2/6/10/14: spectral selection / successive approximation, where the scan count drives the cost. */
  progressive: boolean;
}

/**
 * The most scans a JPEG may have. libjpeg's standard progression (jpeg_simple_progression, what sharp and
 * cjpeg -progressive write) uses 10 scans for colour and 6 for grey; mozjpeg's optimised scripts use fewer; a
 * sequential JPEG has at most one scan per component (4). 100 leaves 10× headroom for hand-tuned scripts, while a
 * 100-scan bomb at the pixel limit costs a fraction of the image's own IDCT and colour conversion.
 */
export const MAX_JPEG_SCANS = 100;

const isRstOrTem = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);
const isFrameMarker = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** Position of the next marker's 0xFF at or after `p` (skipping stuffed 0xFF00, RSTn and fill bytes), or -1. */
function nextMarker(buf: Buffer, p: number): number {
  for (;;) {
    const ff = buf.indexOf(0xff, p);
    if (ff < 0 || ff + 1 >= buf.length) return -1;
    const m = buf[ff + 1];
    if (m === 0x00 || isRstOrTem(m) || m === 0xff) {
      p = m === 0xff ? ff + 1 : ff + 2;
      continue;
    }
    return ff;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Walks the marker segments as libjpeg does (resynchronising on stray bytes at the next marker), calling `visit`
 * with each marker and its position; stops when `visit` returns false, at EOI or at the end of the bytes.
 */
function walkMarkers(bytes: Uint8Array, visit: (marker: number, p: number) => boolean): void {
  const buf = asBuffer(bytes);
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff || buf[p + 1] === 0x00 || isRstOrTem(buf[p + 1])) {
      p = nextMarker(buf, p);
      if (p < 0) return;
    }
    const marker = buf[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd9 || !visit(marker, p)) return;
    const next = p + 2 + ((buf[p + 2] << 8) | buf[p + 3]);
    // After a scan header comes entropy-coded data: the next segment starts at the next real marker.
    p = marker === 0xda ? nextMarker(buf, next) : next;
    if (p < 0) return;
  }
}

/** The frame header (SOF0–SOF15 except DHT, JPG, DAC); undefined when no frame header comes before the scan data. */
export function jpegFrame(bytes: Uint8Array): JpegFrame | undefined {
  let frame: JpegFrame | undefined;
  walkMarkers(bytes, (marker, p) => {
    if (marker === 0xda) return false; // scan data before any frame header
    if (!isFrameMarker(marker)) return true;
    if (p + 9 <= bytes.length) {
      frame = {
        height: (bytes[p + 5] << 8) | bytes[p + 6],
        width: (bytes[p + 7] << 8) | bytes[p + 8],
        progressive: (marker & 0x03) === 0x02,
      };
    }
    return false;
  });
  return frame;
}

/** Scan headers (SOS) in the file, counting stops once past `stopAfter` (the work is bounded either way). */
export function jpegScanCount(bytes: Uint8Array, stopAfter = MAX_JPEG_SCANS): number {
  let scans = 0;
  walkMarkers(bytes, (marker) => {
    if (marker === 0xda) scans++;
    return scans <= stopAfter;
  });
  return scans;
}
