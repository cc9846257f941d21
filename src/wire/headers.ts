// The names of the request headers and response trailers of the wire, shared by the server and its clients.

/** `Bearer <key>` (the scheme is case-insensitive); the primary or the secondary key of the service. */
export const AUTH_HEADER = 'authorization';
/** Optional; when present it must be `/api/v1/service/<name>` (or the bare name), as the original service's clients sent it. */
export const ROUTE_HEADER = 'x-ms-aml-grpc-service-route';
/** `tensor_content` asks for float outputs as raw little-endian bytes instead of `float_val`. */
export const OUTPUT_ENCODING_HEADER = 'x-accel-output-encoding';
/** Trailing metadata of every Predict: the server's own timings, ms. */
export const TIMING_TRAILERS = {
  queueMs: 'x-accel-queue-ms',
  preprocessMs: 'x-accel-preprocess-ms',
  inferenceMs: 'x-accel-inference-ms',
} as const;
