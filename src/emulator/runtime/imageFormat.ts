// Which image format a request's bytes hold, by their magic bytes. Only the documented formats (JPEG, PNG, GIF,
// WebP, BMP) reach a decoder: sharp (libvips) would also render SVG, TIFF, HEIF/AVIF and more, each a decoder of
// its own with its own cost profile (a 470-byte SVG can take minutes to rasterise), so anything else is refused
// before any decoder sees it.

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp';

export const SUPPORTED_FORMATS = 'JPEG, PNG, GIF, WebP or BMP';

const ascii = (bytes: Uint8Array, start: number, end: number) =>
  Buffer.from(bytes.subarray(start, end)).toString('latin1');

/** The documented format the bytes start with, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return undefined;
}

/** A name for a format this server refuses but recognises (so the error can say what was sent), else undefined. */
export function foreignFormatName(bytes: Uint8Array): string | undefined {
  const head = ascii(bytes, 0, Math.min(bytes.length, 512));
  if (/^(II\*\0|MM\0\*|II\+\0|MM\0\+)/.test(head)) return 'TIFF';
  if (head.length >= 12 && head.slice(4, 8) === 'ftyp') {
    const brand = head.slice(8, 12);
    if (/^avi[fs]$/.test(brand)) return 'AVIF';
    if (/^(hei[cmsx]|hev[cmsx]|mif1|msf1)$/.test(brand)) return 'HEIF';
    return `ISO media (brand "${brand.replace(/[^\x20-\x7e]/g, '?')}")`;
  }
  const text = head.replace(/^(\xef\xbb\xbf|\s)+/, '');
  if (/^<(\?xml|svg|!DOCTYPE svg)/i.test(text) || /<svg[\s>]/i.test(text)) return 'SVG';
  if (text.startsWith('<')) return 'XML or HTML';
  if (head.startsWith('%PDF')) return 'PDF';
  if (head.startsWith('8BPS')) return 'Photoshop (PSD)';
  if (head.startsWith('\0\0\0\x0cjP  ') || head.startsWith('\xff\x4f\xff\x51')) return 'JPEG 2000';
  if (head.startsWith('\xff\x0a') || head.startsWith('\0\0\0\x0cJXL ')) return 'JPEG XL';
  if (head.startsWith('\0\0\x01\0')) return 'ICO';
  if (/^P[1-7]\s/.test(head)) return 'PNM';
  if (head.startsWith('#?RADIANCE') || head.startsWith('#?RGBE')) return 'Radiance HDR';
  if (head.startsWith('SIMPLE  =')) return 'FITS';
  if (head.startsWith('\x76\x2f\x31\x01')) return 'OpenEXR';
  return undefined;
}
