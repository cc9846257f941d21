// What an emulator process (host or standalone) does with an error that no handler caught: it logs it with its
// stack and keeps serving. Every request path answers its own errors (restServer, the gRPC handlers), so an error
// that still escapes belongs to one request or one connection; ending the process for it (Node's default) would
// take every service of every workspace down, a far larger harm. The log is capped at 20 such errors a minute so
// a repeating one cannot fill the disk.
import type { Logger } from '../../domain/ports';

const MAX_PER_MINUTE = 20;

export function keepServingOnUncaughtErrors(log: Logger): void {
  let windowStart = Date.now();
  let inWindow = 0;
  let dropped = 0;
  const report = (kind: string, e: unknown) => {
    const now = Date.now();
    if (now - windowStart > 60_000) {
      if (dropped) log.error(`${dropped} more uncaught error(s) in the last minute were not logged`);
      windowStart = now;
      inWindow = 0;
      dropped = 0;
    }
    if (++inWindow > MAX_PER_MINUTE) {
      dropped++;
      return;
    }
    log.error(
      `${kind} (the process keeps serving; please report this with the log): ${(e as Error)?.stack ?? String(e)}`,
    );
  };
  process.on('uncaughtException', (e) => report('uncaught exception', e));
  process.on('unhandledRejection', (e) => report('unhandled rejection', e));
}
