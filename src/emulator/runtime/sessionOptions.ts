// The onnxruntime session options of a serving replica, in one place so the benchmark's in-process floor runs
// the model exactly as a replica does.
import type * as ort from 'onnxruntime-node';

export function replicaSessionOptions(intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Bad inputs are reported to the caller with the reason; ORT's own log would only repeat them on stderr.
    logSeverityLevel: 4,
    // Spinning threads steal the CPU from the gRPC thread and from other replicas (performance.md §3.1).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
