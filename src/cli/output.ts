// What the CLI prints. Humans get tables and sentences on stdout; with --json, stdout holds exactly one JSON
// document and nothing else. Errors always go to stderr.
import { AccelError, type ErrorCode } from '../domain/errors';
import type { ProgressReporter } from '../domain/ports';

/**
 * Exit codes: 2 bad input, 3 not found, 4 conflicts with existing entities, 5 busy/unavailable,
 * 6 not signed in / permission denied / quota exceeded (Azure), 130 cancelled, 1 other.
 */
const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  InvalidArgument: 2,
  InvalidModel: 2,
  NotFound: 3,
  HasDependents: 4,
  AlreadyExists: 4,
  Busy: 5,
  Unavailable: 5,
  NotSignedIn: 6,
  PermissionDenied: 6,
  QuotaExceeded: 6,
  Cancelled: 130,
};

export function exitCodeFor(error: unknown): number {
  return error instanceof AccelError ? (EXIT_CODES[error.code] ?? 1) : 1;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return `[${v.join(',')}]`;
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => (x === '' ? k : `${k}=${x}`))
      .join(' ');
  return String(v);
}

/** A plain text table with padded columns; prints `empty` instead when there are no rows. */
export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export function printTable<T>(rows: T[], columns: Column<T>[], empty: string): void {
  printLine(rows.length === 0 ? empty : formatTable(rows, columns));
}

export function formatError(error: unknown, json: boolean): string {
  if (json) {
    const e =
      error instanceof AccelError
        ? { code: error.code, message: error.message, ...(error.detail !== undefined ? { detail: error.detail } : {}) }
        : { code: 'Internal', message: String((error as Error)?.message ?? error) };
    return `${JSON.stringify({ error: e })}\n`;
  }
  if (error instanceof AccelError) return `accel: ${error.message}\n`;
  const e = error as Error;
  const trace = process.env.ACCEL_DEBUG
    ? `\n${e?.stack ?? ''}`
    : '\nSet ACCEL_DEBUG=1 for a stack trace, and please report this.';
  return `accel: unexpected error: ${e?.message ?? String(error)}${trace}\n`;
}

/**
 * Progress on stderr for humans (only on a terminal); silent with --json. With ACCEL_PROGRESS=json (set by the
 * extension for its CLI children) every report is one JSON line `{"progress":{"message","fraction"}}` on stderr.
 */
export function cliProgress(json: boolean): ProgressReporter {
  if (process.env.ACCEL_PROGRESS === 'json')
    return {
      report: ({ message, fraction }) =>
        process.stderr.write(`${JSON.stringify({ progress: { message, fraction } })}\n`),
    };
  if (json || !process.stderr.isTTY) return { report: () => {} };
  let last = '';
  return {
    report({ message, fraction }) {
      const text = `${message ?? ''}${fraction !== undefined ? ` ${Math.round(fraction * 100)}%` : ''}`;
      if (text !== last) process.stderr.write(`\r\x1b[K${text}`);
      last = text;
      if (fraction !== undefined && fraction >= 1) process.stderr.write('\n');
    },
  };
}
