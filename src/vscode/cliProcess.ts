// Runs the bundled `accel` CLI (dist/cli.js) as a child process. Work that loads onnxruntime or sharp (conversion
// with its accuracy check, Compare Precisions) or holds much memory and CPU (classifier training) runs there, never
// in the extension host.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { AccelError, type ErrorCode } from '../domain/errors';
import type { CancellationSignal, ProgressReporter } from '../domain/ports';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(extensionPath: string, home: string, args: string[]): Promise<CliResult> {
  const cli = path.join(extensionPath, 'dist', 'cli.js');
  return new Promise((resolve, reject) => {
    // ELECTRON_RUN_AS_NODE: in desktop VS Code process.execPath is Electron; this makes it plain Node.
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ACCEL_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a `--json` CLI command; its stderr message becomes the error (the CLI's messages say what to do). */
export async function cliJson<T>(extensionPath: string, home: string, args: string[]): Promise<T> {
  const r = await runCli(extensionPath, home, [...args, '--json']);
  if (r.code !== 0) {
    const message =
      r.stderr.trim().replace(/^error:\s*/i, '') || `accel ${args[0]} ${args[1] ?? ''} exited with code ${r.code}`;
    throw new AccelError(/cancel/i.test(message) ? 'Cancelled' : 'InvalidArgument', message);
  }
  return JSON.parse(r.stdout) as T;
}

export type StderrLine =
  | { kind: 'progress'; message?: string; fraction?: number }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'text'; text: string };

/** One stderr line of the CLI child: a progress report (ACCEL_PROGRESS=json), the --json error, or plain text. */
export function parseStderrLine(line: string): StderrLine {
  const text = line.trim();
  if (text.startsWith('{')) {
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      const p = v.progress as Record<string, unknown> | undefined;
      if (p && typeof p === 'object') {
        return {
          kind: 'progress',
          message: typeof p.message === 'string' ? p.message : undefined,
          fraction: typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? p.fraction : undefined,
        };
      }
      const e = v.error as Record<string, unknown> | undefined;
      if (e && typeof e === 'object' && typeof e.message === 'string')
        return { kind: 'error', code: typeof e.code === 'string' ? e.code : 'Internal', message: e.message };
    } catch {
      // not JSON after all: plain text
    }
  }
  return { kind: 'text', text };
}

/** A long `--json` CLI command run for a panel: progress forwarded, cancellable. */
export interface CliChild {
  /** Path of dist/cli.js. */
  cli: string;
  home: string;
  args: string[];
  progress: ProgressReporter;
  cancel: CancellationSignal;
  /** Every stderr line that is not progress (for the log). */
  log?: (line: string) => void;
  /** The Node binary; defaults to this process's (Electron runs as Node with ELECTRON_RUN_AS_NODE). */
  execPath?: string;
}

export interface CliChildLimits {
  /** The bound of the result document on stdout; beyond it the child is killed. */
  maxStdoutBytes: number;
  /** How long the child may take to stop after SIGINT before it is killed. */
  cancelGraceMs: number;
  /** Plain-text stderr lines kept for the error message. */
  maxTextLines: number;
  /** The longest unfinished stderr line kept. */
  maxPendingChars: number;
  /** Reported as progress when cancellation is requested. */
  cancellingMessage?: string;
}

/** How the child ended; what it means is the caller's (each command words its own errors). */
export interface CliChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Undefined when it exceeded maxStdoutBytes. */
  stdout?: Buffer;
  cliError?: { code: string; message: string };
  /** The first plain-text stderr lines (maxTextLines). */
  text: string[];
  cancelled: boolean;
}

/**
 * Runs the CLI child with ACCEL_PROGRESS=json, forwarding its progress lines until cancelled; cancelling sends
 * SIGINT, then SIGKILL after the grace period. Rejects only when the child cannot start.
 */
export function runCliChild(p: CliChild, limits: CliChildLimits): Promise<CliChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(p.execPath ?? process.execPath, [p.cli, ...p.args], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ACCEL_HOME: p.home, ACCEL_PROGRESS: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let cliError: { code: string; message: string } | undefined;
    const text: string[] = [];
    let pending = '';
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      const parsed = parseStderrLine(line);
      if (parsed.kind === 'progress') {
        if (!cancelled) p.progress.report({ message: parsed.message, fraction: parsed.fraction });
        return;
      }
      if (parsed.kind === 'error') cliError = parsed;
      else if (text.length < limits.maxTextLines) text.push(parsed.text.slice(0, 2000));
      p.log?.(line.slice(0, 2000));
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = (lines.pop() ?? '').slice(-limits.maxPendingChars);
      lines.forEach(onLine);
    });
    child.stdout.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
      if (stdoutBytes > limits.maxStdoutBytes) child.kill('SIGKILL');
      else stdout.push(b);
    });
    const requestCancel = () => {
      if (cancelled) return;
      cancelled = true;
      if (limits.cancellingMessage) p.progress.report({ message: limits.cancellingMessage });
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), limits.cancelGraceMs);
    };
    const sub = p.cancel.onCancellationRequested(requestCancel);
    if (p.cancel.isCancellationRequested) requestCancel();
    child.on('error', (e) => {
      sub.dispose();
      clearTimeout(killTimer);
      reject(
        new AccelError(
          'Unavailable',
          `Could not start the accel CLI (${p.cli}): ${e.message}. Rebuild with npm run build.`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      sub.dispose();
      clearTimeout(killTimer);
      if (pending) onLine(pending);
      resolve({
        code,
        signal,
        stdout: stdoutBytes > limits.maxStdoutBytes ? undefined : Buffer.concat(stdout),
        cliError,
        text,
        cancelled,
      });
    });
  });
}

/** The child's --json result; `what` names it in the error ("comparison", "training"). */
export function cliChildResult<T>(stdout: Buffer, what: string): T {
  try {
    return JSON.parse(stdout.toString('utf8')) as T;
  } catch (e) {
    throw new AccelError('Internal', `The ${what} result could not be read: ${(e as Error).message}.`);
  }
}

/**
 * Why a child failed: its --json error (with its code when `known` has it), else how it ended and its last
 * stderr lines, after `ended` ("Training ended unexpectedly").
 */
export function cliChildFailure(end: CliChildEnd, known: ReadonlySet<string>, ended: string): AccelError {
  if (end.cliError)
    return new AccelError(
      known.has(end.cliError.code) ? (end.cliError.code as ErrorCode) : 'Internal',
      end.cliError.message,
    );
  const tail = end.text.slice(-5).join('\n');
  return new AccelError(
    'Internal',
    `${ended} (${end.signal ? `signal ${end.signal}` : `exit code ${end.code}`})${tail ? `: ${tail}` : ''}. See the log.`,
  );
}
