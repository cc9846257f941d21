// Cross-process lock: a lock file holding the owner's identity (pid, process start time and command line),
// created atomically (a fully written temp file hard-linked into place, so the lock file is never half written).
// A lock whose owner died (SIGKILL, crash), or whose pid now belongs to an unrelated process, is broken by the
// next process; a live owner is waited for with bounded back-off, then 'Busy'.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { AccelError } from '../domain/errors';
import { identityOf, matchProcess, selfIdentity } from '../processAlive';
import { PRIVATE_FILE_MODE, tempPathFor } from './atomicFile';

export interface Holder {
  pid: number;
  host: string;
  since: string;
  /** From /proc (see ProcessIdentity); lock files of older versions lack them. */
  started?: string;
  cmdline?: string[];
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
    const parsed = JSON.parse(raw) as Holder | number;
    // A bare pid: the emulator.lock of an older version (no identity, so only its death makes it stale).
    if (typeof parsed === 'number') return { raw, holder: { pid: parsed, host: os.hostname(), since: 'unknown' } };
    return { raw, holder: parsed && typeof parsed.pid === 'number' ? parsed : undefined };
  } catch {
    return { raw };
  }
}

/** Publishes `content` at `file` only if nothing is there. */
function createExclusive(file: string, content: string): boolean {
  const tmp = tempPathFor(file);
  fs.writeFileSync(tmp, content, { flag: 'wx', mode: PRIVATE_FILE_MODE });
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

function holderContent(): string {
  const me = selfIdentity();
  return JSON.stringify({
    pid: me.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    ...(me.started ? { started: me.started, cmdline: me.cmdline } : {}),
  } satisfies Holder);
}

/**
 * A holder on this machine whose process is gone or whose pid was reused by another process. A live holder
 * (or one of an older format whose pid is alive: nothing proves it is someone else) is never stale.
 */
function isStale(holder: Holder | undefined): boolean {
  // An unreadable holder cannot happen with createExclusive; treat it as stale rather than block forever.
  if (!holder) return true;
  if (holder.host !== os.hostname()) return false;
  const identity = identityOf(holder);
  if (!identity) return true;
  const match = matchProcess(identity);
  return match === 'gone' || match === 'other';
}

/** Removes a dead owner's lock, unless it changed since we read it (another process broke it and took it). */
function breakStale(file: string, staleRaw: string): void {
  const breaker = `${file}.break`;
  if (!createExclusive(breaker, holderContent())) {
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

/**
 * One attempt to take the lock file now: breaks a stale lock (see isStale) and returns the content written,
 * or, when a live process holds it, that holder.
 */
export function tryLockFile(file: string): { content: string } | { holder: Holder; raw: string } {
  const content = holderContent();
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(file, content)) return { content };
    const current = readHolder(file);
    if (!current) continue; // released between our attempt and the read
    if (isStale(current.holder) && attempt < 5) {
      breakStale(file, current.raw);
      continue;
    }
    return { holder: current.holder ?? { pid: 0, host: '?', since: '?' }, raw: current.raw };
  }
}

/** Removes the lock file if it still holds `content` (what this process wrote when it took it). */
export function releaseLockFile(file: string, content: string): void {
  if (readHolder(file)?.raw === content) fs.rmSync(file, { force: true });
}

/** Removes the lock file if this process holds it (whatever it wrote). */
export function releaseOwnLockFile(file: string): void {
  const current = readHolder(file);
  const me = selfIdentity();
  if (current?.holder?.pid === me.pid && current.holder.started === me.started) fs.rmSync(file, { force: true });
}

async function acquire(file: string, what: string, timeoutMs: number): Promise<string> {
  const started = Date.now();
  let delay = 2;
  for (;;) {
    const attempt = tryLockFile(file);
    if ('content' in attempt) return attempt.content;
    const current = attempt;
    if (Date.now() - started >= timeoutMs) {
      const h = current.holder;
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
export async function withLock<T>(
  file: string,
  what: string,
  fn: () => Promise<T> | T,
  timeoutMs = lockTimeoutMs(),
): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(file))
    throw new AccelError('Internal', `Internal error: ${what} was locked twice by the same operation (${file}).`);
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
      releaseLockFile(file, content);
    }
  } finally {
    done();
    if (inProcess.get(file) === queued) inProcess.delete(file);
  }
}
