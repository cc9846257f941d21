import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../core/ports';

/** Appends timestamped lines to a file (and forwards them, prefixed, to `also`). Low volume: synchronous appends. */
export function fileLogger(file: string, also?: { logger: Logger; prefix: string }): Logger {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const write = (level: 'info' | 'warn' | 'error', message: string) => {
    try {
      fs.appendFileSync(file, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    } catch {
      // a full disk or a removed home must not crash the host
    }
    also?.logger[level](`${also.prefix}${message}`);
  };
  return { info: (m) => write('info', m), warn: (m) => write('warn', m), error: (m) => write('error', m) };
}
