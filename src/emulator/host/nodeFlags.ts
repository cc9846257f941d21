// Node flags for every process that serves models (the emulator host, a standalone image, the benchmark's
// endpoint). Each 602 KB float request allocates ~1.2 MB of ArrayBuffers on the gRPC thread (HTTP/2 chunks and the
// assembled message). With V8's default small initial old space, that churn set off a full mark-compact every
// 60–100 ms under load (1.3–4.6 ms pauses, plus incremental steps of up to 4 ms), which delayed every RPC on that
// thread, health checks included. Starting the old space at 128 MB leaves no mark-compact in the same load
// (MobileNetV2, concurrency 8: gRPC-thread CPU 1.9 → 1.4 ms per request) at the same resident memory.
export const SERVING_NODE_FLAGS = ['--initial-old-space-size=128'];
