// A Logger that appends to a file in the home's logs folder, private to the home's owner (folder 0700, file 0600).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../domain/ports';
import { PRIVATE_FILE_MODE, mkdirPrivate } from '../../store/atomicFile';

/** Appends timestamped lines to a file (and forwards them, prefixed, to `also`). Low volume: synchronous appends. */
export function fileLogger(file: string, also?: { logger: Logger; prefix: string }): Logger {
  mkdirPrivate(path.dirname(file));
  const write = (level: 'info' | 'warn' | 'error', message: string) => {
    try {
      fs.appendFileSync(file, `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`, {
        mode: PRIVATE_FILE_MODE,
      });
    } catch {
      // a full disk or a removed home must not crash the host
    }
    also?.logger[level](`${also.prefix}${message}`);
  };
  return { info: (m) => write('info', m), warn: (m) => write('warn', m), error: (m) => write('error', m) };
}
