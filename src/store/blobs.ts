// Content-addressed blobs: `<dir>/sha256/<first 2 hex>/<hash>`. Content is hashed while it is copied into a
// private temp file, fsynced, then renamed to its hash path; identical content is stored once.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { AccelError } from '../domain/errors';
import { PRIVATE_FILE_MODE, fsyncDir, mkdirPrivate, tempPathFor } from './atomicFile';

export function blobPathIn(blobsDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new AccelError('InvalidArgument', `"${sha256}" is not a sha256 hex digest.`);
  return path.join(blobsDir, 'sha256', sha256.slice(0, 2), sha256);
}

async function copyHashing(
  source: { path: string } | { bytes: Uint8Array },
  tmp: string,
): Promise<{ sha256: string; size: number }> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  if ('bytes' in source) {
    hash.update(source.bytes);
    size = source.bytes.length;
    const fd = fs.openSync(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      fs.writeFileSync(fd, source.bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } else {
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: PRIVATE_FILE_MODE });
    await pipeline(fs.createReadStream(source.path), tap, out);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  return { sha256: hash.digest('hex'), size };
}

/** Stores content under `blobsDir` (which must exist) and returns its hash and size. */
export async function putBlobIn(
  blobsDir: string,
  source: { path: string } | { bytes: Uint8Array },
): Promise<{ sha256: string; size: number }> {
  const tmp = tempPathFor(path.join(blobsDir, 'incoming'));
  try {
    const result = await copyHashing(source, tmp);
    const target = blobPathIn(blobsDir, result.sha256);
    if (fs.existsSync(target)) {
      fs.rmSync(tmp, { force: true });
      return result;
    }
    const shard = path.dirname(target);
    if (!fs.existsSync(shard)) {
      mkdirPrivate(shard);
      fsyncDir(path.dirname(shard));
      fsyncDir(path.dirname(path.dirname(shard)));
    }
    fs.renameSync(tmp, target);
    fsyncDir(shard);
    return result;
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
