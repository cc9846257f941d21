// Cross-process lock: a lock file holding the owner's pid and start time, created atomically (a fully written
// temp file hard-linked into place, so the lock file is never half written). A lock whose owner died (SIGKILL,
// crash) is broken by the next process; a live owner is waited for with bounded back-off, then 'Busy'.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { AccelError } from '../core/errors';
import { isProcessAlive } from '../processAlive';
import { tempPathFor } from './atomicFile';

interface Holder {
  pid: number;
  host: string;
  since: string;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const held = new AsyncLocalStorage<Set<string>>();
/** Callers in one process queue here first, so they do not poll the file against each other. */
const inProcess = new Map<string, Promise<unknown>>();

export function lockTimeoutMs(): number {
  const fromEnv = Number(process.env.ACCEL_LOCK_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_TIMEOUT_MS;
}

function readHolder(file: string): { raw: string; holder?: Holder } | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const holder = JSON.parse(raw) as Holder;
    return { raw, holder: typeof holder.pid === 'number' ? holder : undefined };
  } catch {
    return { raw };
  }
}

/** Publishes `content` at `file` only if nothing is there. */
function createExclusive(file: string, content: string): boolean {
  const tmp = tempPathFor(file);
  fs.writeFileSync(tmp, content, { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function isStale(holder: Holder | undefined): boolean {
  // An unreadable holder cannot happen with createExclusive; treat it as stale rather than block forever.
  if (!holder) return true;
  return holder.host === os.hostname() && holder.pid !== process.pid && !isProcessAlive(holder.pid);
}

/** Removes a dead owner's lock, unless it changed since we read it (another process broke it and took it). */
function breakStale(file: string, staleRaw: string): void {
  const breaker = `${file}.break`;
  const me = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
  if (!createExclusive(breaker, me)) {
    const other = readHolder(breaker);
    if (other && isStale(other.holder)) fs.rmSync(breaker, { force: true });
    return;
  }
  try {
    if (readHolder(file)?.raw === staleRaw) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function acquire(file: string, what: string, timeoutMs: number): Promise<string> {
  const content = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() } satisfies Holder);
  const started = Date.now();
  let delay = 2;
  for (;;) {
    if (createExclusive(file, content)) return content;
    const current = readHolder(file);
    if (!current) continue; // released between our attempt and the read
    if (isStale(current.holder)) {
      breakStale(file, current.raw);
      continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const h = current.holder!;
      throw new AccelError(
        'Busy',
        `${what} is busy: process ${h.pid} has held its lock since ${h.since} (${file}). Wait for that command to finish and retry; if process ${h.pid} hangs, stop it (kill ${h.pid}) and retry.`,
        { pid: h.pid, since: h.since, lockFile: file },
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Runs `fn` while holding the lock file. `what` names the locked thing in errors ('Workspace "demo"').
 * Nested use of the same lock in one async flow is a programming error and throws instead of deadlocking.
 */
export async function withLock<T>(file: string, what: string, fn: () => Promise<T> | T, timeoutMs = lockTimeoutMs()): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(file)) throw new AccelError('Internal', `Internal error: ${what} was locked twice by the same operation (${file}).`);
  const previous = inProcess.get(file) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => (done = resolve));
  const queued = previous.then(() => turn);
  inProcess.set(file, queued);
  try {
    await previous;
    const content = await acquire(file, what, timeoutMs);
    try {
      return await held.run(new Set([...(mine ?? []), file]), fn);
    } finally {
      if (readHolder(file)?.raw === content) fs.rmSync(file, { force: true });
    }
  } finally {
    done();
    if (inProcess.get(file) === queued) inProcess.delete(file);
  }
}
