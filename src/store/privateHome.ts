// The accel home belongs to one user and is readable by that user only (it holds sealed service keys, the
// secret key that opens them, TLS keys and the emulator's control token). Opening a home checks that it is
// ours and, once per home (a marker file), tightens what older versions left readable: folders to 0700,
// files to 0600.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from './atomicFile';

/** Present once the home has been tightened; its content says when and by which version of the rule. */
export const PRIVATE_MARKER = '.private-v1';

function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function refuseForeign(home: string, uid: number, me: number): never {
  throw new AccelError(
    'PermissionDenied',
    `The accel home ${home} belongs to another user (uid ${uid}; you are uid ${me}). A home holds service keys and is never shared between users: set ACCEL_HOME (or the accel.home setting) to a folder of your own, or have its owner run the command.`,
    { home, owner: uid, uid: me },
  );
}

function chmodIfPresent(p: string, mode: number): void {
  try {
    fs.chmodSync(p, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // renamed or removed by a concurrent writer
  }
}

/** Sets folders to 0700 and files to 0600 below `dir` (symbolic links and other users' entries are left alone). */
function tighten(dir: string, me: number): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // removed meanwhile, or not readable: nothing we can tighten
  }
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.uid !== me || st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) chmodIfPresent(p, PRIVATE_DIR_MODE);
      tighten(p, me);
    } else if (st.isFile() && (st.mode & 0o077) !== 0) {
      chmodIfPresent(p, PRIVATE_FILE_MODE);
    }
  }
}

/**
 * Checks that `home` (if it exists) belongs to this user and is private: refuses another user's home; sets the
 * home folder itself to 0700 whenever it is not; walks and tightens everything below it once.
 */
export function ensurePrivateHome(home: string): void {
  const me = ownUid();
  if (me === undefined) return; // Windows: ACLs of the user profile apply, no POSIX modes
  let st: fs.Stats;
  try {
    st = fs.statSync(home);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // created private when first written (or explained then)
    throw new AccelError(
      'InvalidArgument',
      `Cannot read the accel home ${home} (${code}). Set ACCEL_HOME (or the accel.home setting) to a folder you can use, or fix its permissions.`,
    );
  }
  if (!st.isDirectory()) {
    throw new AccelError(
      'InvalidArgument',
      `The accel home ${home} is not a folder. Set ACCEL_HOME (or the accel.home setting) to a folder, or move that file away.`,
    );
  }
  if (st.uid !== me) refuseForeign(home, st.uid, me);
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(home, PRIVATE_DIR_MODE);
  const marker = path.join(home, PRIVATE_MARKER);
  if (fs.existsSync(marker)) return;
  tighten(home, me);
  writeFileAtomic(marker, `Folders 0700 and files 0600 since ${new Date().toISOString()}.\n`);
}
