// Inference threads run at a lower scheduling priority than the gRPC thread, so on a machine with fewer cores
// than busy threads (2 replicas on 2 cores) the kernel still runs the gRPC thread, health checks and other
// requests' I/O as soon as they are ready instead of after an inference's time slice. Linux only: there a
// thread id is a valid target for setpriority(), and threads created afterwards by this thread (onnxruntime's
// intra-op pool) inherit the value. Elsewhere this is a no-op.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Nice value of inference threads (0 = normal, 19 = lowest); ACCEL_INFERENCE_NICE overrides it. */
export const INFERENCE_NICE = Math.min(19, Math.max(0, Number(process.env.ACCEL_INFERENCE_NICE ?? 10) || 0));

/** Sets the calling thread's nice value; returns false where the platform offers no per-thread priority. */
export function lowerThisThreadPriority(nice = INFERENCE_NICE): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    os.setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
