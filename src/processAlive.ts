// Process liveness and identity. A pid alone names no process for long (the kernel reuses pids), so records
// that other processes act on (lock files, emulator.json) also hold the writer's start time and command line
// from /proc; `matchProcess` says whether the recorded process is still the one running under that pid.
import * as fs from 'node:fs';

/** Who wrote a record: enough to tell that process from a later one that got the same pid. */
export interface ProcessIdentity {
  pid: number;
  /** `<boot id>:<start time in clock ticks after boot>` (/proc/<pid>/stat field 22); absent off Linux. */
  started?: string;
  /** The argv of /proc/<pid>/cmdline; absent off Linux. */
  cmdline?: string[];
}

/**
 * 'same': alive, and its start time and command line match the record. 'gone': no such process (or a zombie).
 * 'other': the pid now belongs to another process. 'unproven': alive, but the record (an older format, or a
 * platform without /proc) holds nothing to compare, so who it is cannot be told from the pid.
 */
export type ProcessMatch = 'same' | 'gone' | 'other' | 'unproven';

let bootId: string | undefined;

function readBootId(): string {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
  }
  return bootId;
}

/** The fields of /proc/<pid>/stat after the command name (index 0 is the state, field 3), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function signalable(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True while a process with this pid exists and is not a zombie (a killed process its parent has not reaped
 * yet counts as gone). EPERM means it exists but belongs to another user. Says nothing about which process it
 * is: use `matchProcess` before acting on a recorded pid.
 */
export function isProcessAlive(pid: number): boolean {
  if (!signalable(pid)) return false;
  if (process.platform !== 'linux') return true;
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** The identity of a live process (this one by default), or undefined when it is gone. */
export function processIdentity(pid: number = process.pid): ProcessIdentity | undefined {
  if (!signalable(pid)) return undefined;
  if (process.platform !== 'linux') return { pid };
  const fields = statFields(pid);
  // Alive for kill(0) but no /proc entry: a process hidden from us (hidepid), so nothing to compare.
  if (!fields) return isProcessAlive(pid) ? { pid } : undefined;
  if (fields[0] === 'Z') return undefined;
  let cmdline: string[] | undefined;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmdline.at(-1) === '') cmdline.pop();
  } catch {
    cmdline = undefined;
  }
  return { pid, started: `${readBootId()}:${fields[19]}`, ...(cmdline ? { cmdline } : {}) };
}

let self: ProcessIdentity | undefined;

/** This process's identity, read once. */
export function selfIdentity(): ProcessIdentity {
  self ??= processIdentity(process.pid) ?? { pid: process.pid };
  return self;
}

/** Whether the process that wrote `recorded` still runs under its pid (see ProcessMatch). */
export function matchProcess(recorded: ProcessIdentity): ProcessMatch {
  const now = processIdentity(recorded.pid);
  if (!now) return 'gone';
  if (recorded.started === undefined || now.started === undefined) return 'unproven';
  if (recorded.started !== now.started) return 'other';
  // An exiting process reads an empty cmdline (its memory is already released) while its start time still matches:
  // that is the same process on its way out, not another one.
  if (recorded.cmdline && now.cmdline?.length && recorded.cmdline.join('\0') !== now.cmdline.join('\0')) return 'other';
  return 'same';
}

/** A record's identity fields, as far as they have the right shape (records are files anyone may damage). */
export function identityOf(record: {
  pid?: unknown;
  started?: unknown;
  cmdline?: unknown;
}): ProcessIdentity | undefined {
  if (typeof record.pid !== 'number' || !Number.isInteger(record.pid) || record.pid <= 0) return undefined;
  const cmdline =
    Array.isArray(record.cmdline) && record.cmdline.every((a) => typeof a === 'string')
      ? (record.cmdline as string[])
      : undefined;
  return {
    pid: record.pid,
    ...(typeof record.started === 'string' ? { started: record.started } : {}),
    ...(cmdline ? { cmdline } : {}),
  };
}

/** How a mismatch reads in a message: why the recorded pid is not (or no longer) the recorded process. */
export function describeMismatch(pid: number, match: ProcessMatch): string {
  if (match === 'gone') return `process ${pid} is gone`;
  if (match === 'other')
    return `pid ${pid} now belongs to another process (its start time or command line differs from the record)`;
  if (match === 'unproven')
    return `process ${pid} is running but the record holds no start time to prove it is the same process`;
  return `process ${pid} is the recorded process`;
}
