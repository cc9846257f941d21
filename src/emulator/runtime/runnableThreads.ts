// Whether the machine's cores are free right now, for the pool's choice of the solo session (threadingPlan.ts):
// spinning intra-op threads only pay while nothing else wants those cores; next to a build or another busy
// processes they spin away the time slices the run itself needs (MobileNetV2 p50 2.7 ms alone, 17 ms next to a
// compiler and ~10 runnable threads on this 2-core VM; 2.4 ms vs 4.0 ms without spinning at load average ~5).
import * as fs from 'node:fs';

/**
 * Runnable threads on the machine besides the caller, from the 4th field of /proc/loadavg ("running/total", an
 * instantaneous count that includes the reading thread); undefined where it cannot be read (not Linux).
 */
export function otherRunnableThreads(
  read: () => string = () => fs.readFileSync('/proc/loadavg', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const m = /^\S+\s+\S+\s+\S+\s+(\d+)\/\d+/.exec(text);
  return m ? Math.max(0, Number(m[1]) - 1) : undefined;
}

/**
 * True while fewer other threads are runnable than the machine has cores, so spinning threads on every core only
 * share them briefly; true where that cannot be known. A stricter "none at all" almost never held at the moment a
 * request is dispatched: the request's own client and kernel network work are often still runnable then.
 */
export function coresAreFree(cores: number, read?: () => string): boolean {
  const others = otherRunnableThreads(read);
  return others === undefined || others < cores;
}
