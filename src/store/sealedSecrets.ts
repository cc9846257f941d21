// Service keys and TLS private keys never sit in plain text in the store: they are sealed with AES-256-GCM
// under a random 32-byte key kept in `<home>/secret.key` (mode 0600, readable by the owner only).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import { PRIVATE_FILE_MODE, mkdirPrivate, tempPathFor } from './atomicFile';

const KEY_FILE = 'secret.key';
const PREFIX = 'v1:';

export function secretKeyPath(home: string): string {
  return path.join(home, KEY_FILE);
}

/** Reads the home's key, creating it on first use. Creation is atomic: a hard link publishes a fully written file. */
function homeKey(home: string): Buffer {
  const file = secretKeyPath(home);
  if (!fs.existsSync(file)) {
    mkdirPrivate(home);
    const tmp = tempPathFor(file);
    fs.writeFileSync(tmp, crypto.randomBytes(32), { flag: 'wx', mode: PRIVATE_FILE_MODE });
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Another process created it first: use theirs.
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const key = fs.readFileSync(file);
  if (key.length !== 32) {
    throw new AccelError(
      'Internal',
      `The secret key file ${file} is damaged (${key.length} bytes, expected 32). Sealed service keys cannot be read; delete and redeploy the services, or restore the file from a backup.`,
    );
  }
  return key;
}

export function seal(home: string, plaintext: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', homeKey(home), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export function unseal(home: string, sealed: string): string {
  if (!sealed.startsWith(PREFIX)) {
    throw new AccelError(
      'Internal',
      'A sealed secret has an unknown format. Regenerate the key with `accel service regen-key <service> primary|secondary`.',
    );
  }
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', homeKey(home), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new AccelError(
      'Internal',
      `A sealed secret cannot be opened with ${secretKeyPath(home)} (the key file was replaced or the store copied from another home). Regenerate the keys with \`accel service regen-key <service> primary|secondary\`.`,
    );
  }
}
