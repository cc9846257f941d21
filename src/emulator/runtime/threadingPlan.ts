// How a service's replicas share the machine's cores (docs/decisions: replica threading).
//
// A lone request should get the whole machine: onnxruntime's best batch-1 latency comes from every core with
// spinning intra-op threads. Concurrent requests should not: replicas that each spin on every core starve one
// another and the gRPC thread, and spinning burns CPU that a full queue needs for inference. So every replica
// keeps a session with its share of the cores and no spinning (used under load), and the lead replica also holds
// a "solo" session with every core and spinning, which the pool uses only for a request that arrives while no
// other request is queued or running anywhere in the service.
import type { SessionThreading } from './sessionOptions';

export interface ThreadingPlan {
  /** Every replica's session. */
  shared: SessionThreading;
  /** The lead replica's second session for a request that has the machine to itself; undefined: none. */
  solo?: SessionThreading;
  /**
   * When a lone request may use the solo session: only while no other thread on the machine is runnable
   * ('coresFree', the default), or whenever the service is otherwise idle ('serviceIdle': a machine that serves and
   * does nothing else, where a runnable low-priority background job should not turn it off).
   */
  soloWhen?: 'coresFree' | 'serviceIdle';
}

/**
 * `ACCEL_SOLO_SESSION=off` drops the solo session (it costs one more copy of the model's weights in memory, on
 * the lead replica only); `ACCEL_SOLO_SESSION=always` uses it for every lone request, whatever else the machine runs.
 */
export function threadingPlan(
  cores: number,
  replicas: number,
  intraOpThreads: number,
  env: NodeJS.ProcessEnv = process.env,
): ThreadingPlan {
  const threads = Math.max(1, Math.floor(intraOpThreads));
  const all = Math.max(1, Math.floor(cores));
  if (all <= 1) return { shared: { intraOpThreads: threads, spinning: false } };
  // One replica already owning every core runs one request at a time: its own session may spin.
  if (replicas <= 1 && threads >= all) return { shared: { intraOpThreads: threads, spinning: true } };
  const shared = { intraOpThreads: threads, spinning: false };
  const mode = env.ACCEL_SOLO_SESSION ?? '';
  if (/^(off|0|false|no)$/i.test(mode)) return { shared };
  return {
    shared,
    solo: { intraOpThreads: all, spinning: true },
    soloWhen: /^always$/i.test(mode) ? 'serviceIdle' : 'coresFree',
  };
}
