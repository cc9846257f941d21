// The onnxruntime session options of a serving replica, in one place so the benchmark's in-process floor runs
// the model exactly as a replica does.
import type * as ort from 'onnxruntime-node';

/** How one session uses the cores: its intra-op thread count and whether idle intra-op threads spin. */
export interface SessionThreading {
  intraOpThreads: number;
  /**
   * Spinning keeps the intra-op threads hot between the parallel sections of one run (on this VM a futex wake-up
   * between MobileNetV2's ~100 small ops costs more than the ops). It stops when a run ends
   * (`force_spinning_stop`), so an idle replica never takes a core from the gRPC thread or another replica.
   */
  spinning: boolean;
}

export function replicaSessionOptions(threading: SessionThreading): ort.InferenceSession.SessionOptions {
  const spin = threading.spinning ? '1' : '0';
  return {
    intraOpNumThreads: threading.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Bad inputs are reported to the caller with the reason; ORT's own log would only repeat them on stderr.
    logSeverityLevel: 4,
    extra: {
      session: {
        intra_op: { allow_spinning: spin },
        inter_op: { allow_spinning: '0' },
        force_spinning_stop: spin,
      },
    },
  };
}
