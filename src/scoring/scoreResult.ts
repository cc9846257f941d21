// What scoring one image yields, as both faces show it: the top-k classes, detection boxes for SSD models, and the
// latency split into the client's view and the server's own timings. Pure data: the webview imports it too.
import type { Prediction } from '../client/topK';

export type { Prediction };

/**
 * Latency of one request, ms. `networkMs` = client total − server time (queue + preprocess + inference): the
 * connection, the transport both ways and the client's own encoding and decoding.
 */
export interface LatencyBreakdown {
  clientMs: number;
  networkMs: number;
  queueMs?: number;
  preprocessMs?: number;
  inferenceMs?: number;
}

/** A detection box, coordinates relative to the image (0..1). */
export interface Box {
  label: string;
  score: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** One file of a batch: its top-1 or why it failed. */
export interface BatchRow {
  file: string;
  top1?: Prediction;
  latencyMs?: number;
  error?: string;
  /** Detection boxes (SSD models), best first. */
  boxes?: Box[];
}

export function latencyBreakdown(
  clientMs: number,
  server: { queueMs?: number; preprocessMs?: number; inferenceMs?: number },
): LatencyBreakdown {
  const serverMs = (server.queueMs ?? 0) + (server.preprocessMs ?? 0) + (server.inferenceMs ?? 0);
  return { clientMs, networkMs: Math.max(0, clientMs - serverMs), ...server };
}
