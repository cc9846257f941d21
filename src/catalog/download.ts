// Model downloads into `<home>/cache/models/<sha256>/<file>`: streamed, sha256-verified, resumable (HTTP Range)
// and cancellable. ACCEL_MIRROR replaces the network: a folder holding the files by name, or a base URL.
// A download with a declared size stops as soon as more bytes arrive than declared (a hostile or broken server
// cannot fill the disk) and its partial file is deleted.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { AccelError, isAccelError } from '../domain/errors';
import type { CancellationSignal, ProgressReporter } from '../domain/ports';
import { PRIVATE_FILE_MODE, fsyncDir, mkdirPrivate } from '../store/atomicFile';
import { sha256File } from '../store/blobs';
import { withLock } from '../store/lock';

export interface ModelDownload {
  url: string;
  fileName: string;
  sha256: string;
  /** The published file's size in bytes; when set, a source that holds or sends more is refused. */
  sizeBytes?: number;
}

/** The sample model: ONNX Model Zoo MobileNetV2 int8 (validated/vision/classification/mobilenet/model/). */
export const SAMPLE_MODEL: ModelDownload = {
  url: 'https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx',
  fileName: 'mobilenetv2-12-int8.onnx',
  sha256: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f',
  sizeBytes: 3655033,
};

export interface DownloadOptions {
  home: string;
  /** Folder or base URL; default ACCEL_MIRROR. An empty string means no mirror. */
  mirror?: string;
  progress?: ProgressReporter;
  cancel?: CancellationSignal;
  /** Attempts when a transfer is cut (each resumes where the last stopped). */
  attempts?: number;
}

const OFFLINE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function cachedModelPath(home: string, spec: ModelDownload): string {
  return path.join(home, 'cache', 'models', spec.sha256, spec.fileName);
}

function cancelled(spec: ModelDownload): AccelError {
  return new AccelError(
    'Cancelled',
    `Download of ${spec.fileName} cancelled. Run the command again to resume where it stopped.`,
  );
}

function mismatch(spec: ModelDownload, source: string, got: string): AccelError {
  return new AccelError(
    'InvalidModel',
    `Checksum mismatch for ${spec.fileName} from ${source}: expected sha256 ${spec.sha256}, got ${got}. The copy is corrupt or the file changed upstream, and was discarded. Retry, or set ACCEL_MIRROR to a folder holding a verified copy.`,
    { expected: spec.sha256, actual: got, source },
  );
}

function tooLarge(spec: ModelDownload, source: string, bytes: number): AccelError {
  return new AccelError(
    'InvalidModel',
    `${source} holds more than the ${spec.sizeBytes} bytes declared for ${spec.fileName} (${bytes} or more): the download was stopped and its partial file deleted. The mirror or server is serving another file; point ACCEL_MIRROR at a verified copy or unset it.`,
    { declared: spec.sizeBytes, atLeast: bytes, source },
  );
}

/**
 * Copies `source` into `partial` (appending), hashing everything that ends up in `partial`. `alreadyThere` bytes
 * are in `partial` before the copy; past `limit` bytes in all, `overLimit()` is thrown before writing the chunk.
 */
async function appendHashing(
  partial: string,
  source: Readable,
  hash: crypto.Hash,
  onBytes: (n: number) => void,
  limit?: { max: number; alreadyThere: number; overLimit: (bytes: number) => Error },
): Promise<void> {
  // Private from creation, like everything in the home; one fixed name per file so a cut download resumes (the lock keeps it to one writer).
  const out = fs.createWriteStream(partial, { flags: 'a', mode: PRIVATE_FILE_MODE });
  let bytes = limit?.alreadyThere ?? 0;
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (limit && bytes > limit.max) throw limit.overLimit(bytes);
      hash.update(buf);
      if (!out.write(buf)) await new Promise<void>((resolve) => out.once('drain', resolve));
      onBytes(buf.length);
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

async function hashOf(file: string, hash: crypto.Hash): Promise<void> {
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** One HTTP request, resuming from the bytes already in `partial`. Returns the hash of the whole file. */
async function httpAttempt(url: string, spec: ModelDownload, partial: string, opts: DownloadOptions): Promise<string> {
  const controller = new AbortController();
  const sub = opts.cancel?.onCancellationRequested(() => controller.abort());
  try {
    if (opts.cancel?.isCancellationRequested) throw cancelled(spec);
    let offset = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
        signal: controller.signal,
        redirect: 'follow',
      });
    } catch (e) {
      if (controller.signal.aborted) throw cancelled(spec);
      const cause = (e as { cause?: { code?: string } }).cause;
      const code = cause?.code ?? (e as NodeJS.ErrnoException).code ?? '';
      if (OFFLINE_CODES.has(code)) {
        throw new AccelError(
          'Unavailable',
          `Cannot download ${spec.fileName} from ${url} (${code}): this machine looks offline. Set ACCEL_MIRROR to a folder holding ${spec.fileName} (or to the base URL of a mirror) and retry.`,
        );
      }
      throw new AccelError(
        'Unavailable',
        `Downloading ${spec.fileName} from ${url} failed (${(e as Error).message}${code ? `, ${code}` : ''}). Check the network and retry, or set ACCEL_MIRROR to a folder holding the file.`,
      );
    }
    const hash = crypto.createHash('sha256');
    if (
      res.status === 206 &&
      offset > 0 &&
      new RegExp(`^bytes ${offset}-`).test(res.headers.get('content-range') ?? '')
    ) {
      await hashOf(partial, hash);
    } else if (res.status === 200 || res.status === 206) {
      // The server ignored the range (or answered another one): start over.
      fs.rmSync(partial, { force: true });
      offset = 0;
    } else if (res.status === 416 && offset > 0) {
      // The partial file is not a prefix the server can continue: start over on the next attempt.
      fs.rmSync(partial, { force: true });
      throw new AccelError('Unavailable', `The server refused to resume ${spec.fileName}; retrying from the start.`, {
        retry: true,
      });
    } else {
      throw new AccelError(
        'Unavailable',
        `Downloading ${spec.fileName} from ${url} failed: HTTP ${res.status} ${res.statusText}. Check the URL or the mirror, or set ACCEL_MIRROR to a folder holding the file.`,
      );
    }
    const length = Number(res.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? offset + length : undefined;
    if (spec.sizeBytes !== undefined && total !== undefined && total > spec.sizeBytes) {
      controller.abort();
      fs.rmSync(partial, { force: true });
      throw tooLarge(spec, url, total);
    }
    let received = offset;
    const report = () =>
      opts.progress?.report({
        message: `Downloading ${spec.fileName}`,
        fraction: total ? received / total : undefined,
      });
    report();
    if (!res.body) throw new AccelError('Unavailable', `The server sent no body for ${spec.fileName}. Retry later.`);
    try {
      const limit =
        spec.sizeBytes === undefined
          ? undefined
          : { max: spec.sizeBytes, alreadyThere: offset, overLimit: (bytes: number) => tooLarge(spec, url, bytes) };
      await appendHashing(
        partial,
        Readable.fromWeb(res.body as never),
        hash,
        (n) => {
          received += n;
          report();
        },
        limit,
      );
    } catch (e) {
      if (isAccelError(e) && e.code === 'InvalidModel') {
        controller.abort();
        fs.rmSync(partial, { force: true });
        throw e;
      }
      if (controller.signal.aborted) throw cancelled(spec);
      throw new AccelError(
        'Unavailable',
        `The download of ${spec.fileName} was cut after ${received} bytes (${(e as Error).message}). Run the command again to resume.`,
        { retry: true },
      );
    }
    if (total !== undefined && received < total) {
      throw new AccelError(
        'Unavailable',
        `The download of ${spec.fileName} was cut after ${received} of ${total} bytes. Run the command again to resume.`,
        { retry: true },
      );
    }
    return hash.digest('hex');
  } finally {
    sub?.dispose();
  }
}

function isMirrorUrl(mirror: string): boolean {
  return /^https?:\/\//i.test(mirror);
}

/** Downloads (or takes from the mirror) a model file into the cache and returns its verified path. */
export async function downloadModel(spec: ModelDownload, opts: DownloadOptions): Promise<string> {
  const target = cachedModelPath(opts.home, spec);
  if (fs.existsSync(target) && (await sha256File(target)) === spec.sha256) return target;
  const mirror = opts.mirror ?? process.env.ACCEL_MIRROR ?? '';
  const dir = path.dirname(target);
  mkdirPrivate(dir);
  return withLock(`${target}.lock`, `The download of ${spec.fileName}`, async () => {
    if (fs.existsSync(target)) {
      if ((await sha256File(target)) === spec.sha256) return target; // another process finished it
      fs.rmSync(target, { force: true });
    }
    const partial = `${target}.partial`;
    let source: string;
    let digest: string;
    if (mirror && !isMirrorUrl(mirror)) {
      source = path.join(path.resolve(mirror), spec.fileName);
      if (!fs.existsSync(source)) {
        throw new AccelError(
          'NotFound',
          `The mirror folder ${path.resolve(mirror)} (ACCEL_MIRROR) has no ${spec.fileName}. Put the file there, point ACCEL_MIRROR elsewhere, or unset it to download from ${spec.url}.`,
        );
      }
      fs.rmSync(partial, { force: true });
      const hash = crypto.createHash('sha256');
      const size = fs.statSync(source).size;
      if (spec.sizeBytes !== undefined && size > spec.sizeBytes) throw tooLarge(spec, source, size);
      let copied = 0;
      await appendHashing(partial, fs.createReadStream(source), hash, (n) => {
        copied += n;
        opts.progress?.report({
          message: `Copying ${spec.fileName} from the mirror`,
          fraction: size ? copied / size : 1,
        });
        if (opts.cancel?.isCancellationRequested) throw cancelled(spec);
      });
      digest = hash.digest('hex');
    } else {
      source = mirror ? `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(spec.fileName)}` : spec.url;
      const attempts = Math.max(1, opts.attempts ?? 3);
      for (let i = 1; ; i++) {
        try {
          digest = await httpAttempt(source, spec, partial, opts);
          break;
        } catch (e) {
          const retry = (e as AccelError).detail && ((e as AccelError).detail as { retry?: boolean }).retry;
          if (!retry || i >= attempts) throw e;
        }
      }
    }
    if (digest !== spec.sha256) {
      fs.rmSync(partial, { force: true });
      throw mismatch(spec, source, digest);
    }
    fsyncFile(partial);
    fs.renameSync(partial, target);
    fsyncDir(dir);
    opts.progress?.report({ message: `${spec.fileName} ready`, fraction: 1 });
    return target;
  });
}

/** The sample model's verified path in the cache (downloaded or copied from ACCEL_MIRROR on first use). */
export function fetchSampleModel(opts: DownloadOptions): Promise<string> {
  return downloadModel(SAMPLE_MODEL, opts);
}
