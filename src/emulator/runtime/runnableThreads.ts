// Whether the machine's cores are free right now, for the pool's choice of the solo session (threadingPlan.ts):
// spinning intra-op threads only pay while nothing else wants those cores; next to a build or another busy
// process they spin away the time slices the run itself needs (MobileNetV2 p50 2.7 ms alone, 17 ms next to a
// compiler on this 2-core VM).
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

/** True unless another thread on the machine is runnable now; true where that cannot be known. */
export function coresAreFree(read?: () => string): boolean {
  const others = otherRunnableThreads(read);
  return others === undefined || others === 0;
}
