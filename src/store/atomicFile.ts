// Crash-safe, private file replacement: write a uniquely named temp file (O_EXCL, mode 0600 from creation) in
// the same directory, fsync it, rename it over the target, then fsync the directory so the rename itself is
// durable. A crash at any instant leaves the old or the new file; no other local user can read either.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { isProcessAlive } from '../processAlive';
import * as path from 'node:path';

export const TEMP_SUFFIX = '.tmp';
/** Everything in an accel home is the owner's only: it holds service keys, TLS keys and the control token. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) readable by the owner only; an existing folder is left as it is. */
export function mkdirPrivate(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** `<file>.<pid>.<random>.tmp`, so leftovers of a killed process can be recognised and removed. */
export function tempPathFor(file: string): string {
  return `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems (and Windows) refuse to fsync a directory; the rename is still atomic there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): void {
  const tmp = tempPathFor(file);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(file));
}

/** Removes temp files and folders in `dir` left by processes that died mid-write. */
export function removeDeadTempFiles(dir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry);
    if (m && Number(m[1]) !== process.pid && !isProcessAlive(Number(m[1])))
      fs.rmSync(path.join(dir, entry), { force: true, recursive: true });
  }
}
