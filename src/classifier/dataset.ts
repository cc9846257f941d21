// A training folder: one subfolder per class (the folder name is the class label), photos inside. Scans it,
// checks every file is an image by its leading bytes, computes the folder's content digest, and splits it into
// a class-balanced hold-out set with a seeded shuffle. No photo is kept in memory.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { seededRandom } from '../domain/random';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.gif', '.webp', '.bmp'];
/** Larger files are refused: the service's default receive limit is 64 MiB per request. */
export const MAX_PHOTO_BYTES = 32 * 1024 * 1024;
/** Training holds about 16 bytes per feature value (features, their training copy, the centred float64 copy): 20,000 photos × 1,280 features ≈ 410 MB. */
export const MAX_PHOTOS = 20_000;
const MAX_DEPTH = 4;
const LABEL_MAX = 64;

export interface Photo {
  file: string;
  classIndex: number;
}

export interface UnreadableFile {
  file: string;
  reason: string;
}

export interface Dataset {
  root: string;
  classes: string[];
  photos: Photo[];
  /** Files found in class folders that are not readable images (only when skipped). */
  skipped: UnreadableFile[];
  /** sha256 over every photo's class, relative path and content. */
  digest: string;
}

/** The image format a file's first bytes announce, or undefined. */
export function sniffImage(head: Uint8Array): string | undefined {
  const b = head;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  )
    return 'png';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  )
    return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return undefined;
}

/** Why a class folder's name cannot be a label, or undefined when it can. */
export function labelProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > LABEL_MAX) return `it must have 1-${LABEL_MAX} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it holds control characters';
  if (name.trim() !== name) return 'it starts or ends with white space';
  return undefined;
}

function listFiles(dir: string, depth = 0): string[] {
  const out: string[] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && depth < MAX_DEPTH) out.push(...listFiles(p, depth + 1));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(p);
  }
  return out;
}

function checkPhoto(file: string): { ok: true; hash: string } | { ok: false; reason: string } {
  const ext = path.extname(file).toLowerCase();
  if (!IMAGE_EXTENSIONS.includes(ext))
    return {
      ok: false,
      reason: `not an image file name (${ext || 'no extension'}; use ${IMAGE_EXTENSIONS.join(' ')})`,
    };
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ok: false, reason: 'not a regular file' };
    if (stat.size === 0) return { ok: false, reason: 'empty (0 bytes)' };
    if (stat.size > MAX_PHOTO_BYTES)
      return { ok: false, reason: `${stat.size} bytes, over the ${MAX_PHOTO_BYTES / 1024 / 1024} MiB limit per photo` };
    bytes = fs.readFileSync(file);
  } catch (e) {
    return { ok: false, reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  if (!sniffImage(bytes.subarray(0, 16)))
    return { ok: false, reason: 'its content is not a JPEG, PNG, GIF, WebP or BMP image' };
  return { ok: true, hash: crypto.createHash('sha256').update(bytes).digest('hex') };
}

export function describeUnreadable(list: UnreadableFile[], root: string, limit = 20): string {
  const shown = list
    .slice(0, limit)
    .map((u) => `${path.relative(root, u.file)}: ${u.reason}`)
    .join('; ');
  return list.length > limit ? `${shown}; and ${list.length - limit} more` : shown;
}

/**
 * Reads a training folder. Refuses (InvalidArgument) fewer than two classes, an empty class, a class name that is
 * not a legal label, and unreadable or non-image files unless `skipUnreadable`.
 */
export function scanDataset(dir: string, options: { skipUnreadable?: boolean } = {}): Dataset {
  const root = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new AccelError(
      'InvalidArgument',
      `The data folder ${root} does not exist. Give a folder with one subfolder of photos per class (e.g. photos/cat/*.jpg, photos/dog/*.jpg).`,
    );
  }
  if (!stat.isDirectory())
    throw new AccelError(
      'InvalidArgument',
      `${root} is not a folder. Give a folder with one subfolder of photos per class (e.g. photos/cat/*.jpg, photos/dog/*.jpg).`,
    );
  const classes = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < 2) {
    throw new AccelError(
      'InvalidArgument',
      `${root} holds ${classes.length === 0 ? 'no class folders' : `only one class folder (${classes[0]})`}; a classifier needs at least two. Put each class's photos in its own subfolder named by the class (e.g. cat/, dog/).`,
    );
  }
  for (const name of classes) {
    const problem = labelProblem(name);
    if (problem)
      throw new AccelError(
        'InvalidArgument',
        `The class folder ${JSON.stringify(name)} is not a legal label: ${problem}. Rename the folder.`,
      );
  }
  const folded = new Map<string, string>();
  for (const name of classes) {
    const other = folded.get(name.toLowerCase());
    if (other)
      throw new AccelError(
        'InvalidArgument',
        `The class folders "${other}" and "${name}" differ only in letter case, so their labels would be confused. Merge or rename them.`,
      );
    folded.set(name.toLowerCase(), name);
  }

  const photos: Photo[] = [];
  const unreadable: UnreadableFile[] = [];
  const digest = crypto.createHash('sha256');
  classes.forEach((name, classIndex) => {
    const files = listFiles(path.join(root, name));
    if (files.length === 0)
      throw new AccelError(
        'InvalidArgument',
        `The class folder ${name}/ in ${root} is empty. Add photos of "${name}" to it, or remove the folder.`,
      );
    for (const file of files) {
      if (photos.length >= MAX_PHOTOS)
        throw new AccelError(
          'InvalidArgument',
          `${root} holds more than ${MAX_PHOTOS} photos. Train on a subset (at most ${MAX_PHOTOS}).`,
        );
      const checked = checkPhoto(file);
      if (!checked.ok) {
        unreadable.push({ file, reason: checked.reason });
        continue;
      }
      photos.push({ file, classIndex });
      digest.update(`${name}\0${path.relative(path.join(root, name), file)}\0${checked.hash}\n`);
    }
  });
  if (unreadable.length > 0 && !options.skipUnreadable) {
    throw new AccelError(
      'InvalidArgument',
      `${unreadable.length} file${unreadable.length > 1 ? 's' : ''} in ${root} ${unreadable.length > 1 ? 'are not readable photos' : 'is not a readable photo'}: ${describeUnreadable(unreadable, root)}. Remove or fix them, or pass --skip-unreadable to train without them.`,
      { unreadable },
    );
  }
  const counts = countPerClass(photos, classes.length);
  const empty = classes.filter((_, i) => counts[i] === 0);
  if (empty.length > 0) {
    throw new AccelError(
      'InvalidArgument',
      `No readable photos in class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `${c}/`).join(', ')} of ${root}. Add photos (JPEG, PNG, GIF, WebP or BMP) to ${empty.length > 1 ? 'them' : 'it'}.`,
    );
  }
  return { root, classes, photos, skipped: unreadable, digest: digest.digest('hex') };
}

export function countPerClass(photos: Array<{ classIndex: number }>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const p of photos) counts[p.classIndex]++;
  return counts;
}

export interface Split {
  train: number[];
  holdout: number[];
}

/**
 * Class-balanced hold-out: within each class a seeded shuffle, then round(count × share) photos (at least one
 * when share > 0) are held out and the rest train. Every class keeps at least one training photo.
 */
export function splitHoldout(photos: Photo[], classes: string[], share: number, seed: number): Split {
  const random = seededRandom(seed);
  const byClass: number[][] = classes.map(() => []);
  photos.forEach((p, i) => byClass[p.classIndex].push(i));
  const train: number[] = [];
  const holdout: number[] = [];
  const short: string[] = [];
  byClass.forEach((indices, c) => {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    const held = share > 0 ? Math.max(1, Math.round(indices.length * share)) : 0;
    if (indices.length - held < 1) short.push(`${classes[c]} (${indices.length})`);
    holdout.push(...indices.slice(0, held));
    train.push(...indices.slice(held));
  });
  if (short.length > 0) {
    throw new AccelError(
      'InvalidArgument',
      `Too few photos for a hold-out share of ${share}: ${short.join(', ')}. Each class needs at least one photo to train on and one to hold out; add photos, or lower --holdout (0 trains on everything and reports no hold-out accuracy).`,
    );
  }
  return { train: train.sort((a, b) => a - b), holdout: holdout.sort((a, b) => a - b) };
}
