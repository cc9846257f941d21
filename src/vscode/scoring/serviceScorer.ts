// Scores image files against one deployed service over the real gRPC wire (PredictionClient), and turns the
// raw output into what the panels show: top-k labels and the latency breakdown. No vscode import.
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import { labelsFor } from '../../catalog/labels';
import { ssdPostprocessOutputs } from '../../catalog/ssdPostprocess';
import { PredictionClient } from '../../client/predictionClient';
import { topK } from '../../client/topK';
import { AccelError } from '../../core/errors';
import type { WorkspaceStore } from '../../core/ports';
import { findImage } from '../../core/images';
import { getServiceKeys, readTls, scoringUri } from '../../core/services';
import type { Model, Service } from '../../core/types';
import { latencyBreakdown, type BatchRow, type Box, type LatencyBreakdown, type Prediction } from '../panels/protocol';

export interface ScoredFile {
  file: string;
  top: Prediction[];
  latency: LatencyBreakdown;
  /** SSD-VGG detections (empty for classifiers). */
  boxes: Box[];
}

/** A service's primary key; `fresh` = read it from the store again instead of from a cache. */
export type KeySource = (fresh: boolean) => Promise<string>;

export class ServiceScorer {
  private client: PredictionClient;
  /** The key refresh in progress, shared by concurrent requests that were all refused with the old key. */
  private refreshing?: Promise<void>;

  private constructor(
    readonly service: Service,
    readonly model: Model,
    private readonly connect: (key: string | undefined) => PredictionClient,
    private readonly labels: string[],
    private key: string | undefined,
    private readonly keySource: KeySource | undefined,
  ) {
    this.client = connect(key);
  }

  /** Builds a client for the service: its key (when auth is on), its TLS certificate (when TLS is on). */
  static async open(store: WorkspaceStore, workspace: string, service: Service, primaryKey?: KeySource): Promise<ServiceScorer> {
    const state = await store.read(workspace);
    const image = findImage(state, service.imageId);
    const model = state.models.find((m) => m.id === image.modelId);
    if (!model) throw new AccelError('NotFound', `Model ${image.modelId} of image ${image.id} is missing. Recreate the image.`);
    const keySource: KeySource | undefined = !service.authEnabled ? undefined
      : primaryKey ?? (async () => (await getServiceKeys(store, workspace, service.name)).primaryKey);
    const key = await keySource?.(false);
    const tls = service.tls ? readTls(store, workspace, service) : undefined;
    const connect = (k: string | undefined) => new PredictionClient(
      service.tls ? 'localhost' : '127.0.0.1', service.port, !!service.tls, k, service.name, tls?.certPem,
      { deadlineMs: 30_000, attempts: 3 },
    );
    return new ServiceScorer(service, model, connect, labelsFor(model.labels), key, keySource);
  }

  /**
   * Scores with the key it holds; when the service refuses it (the key was regenerated elsewhere, e.g. by
   * `accel service regen-key`), re-reads the key from the store once and retries with a new client.
   */
  private async predict(file: string): Promise<Awaited<ReturnType<PredictionClient['scoreFile']>>> {
    const client = this.client;
    try {
      return await client.scoreFile(file);
    } catch (e) {
      if ((e as { code?: unknown }).code !== grpc.status.UNAUTHENTICATED || !this.keySource) throw e;
      if (this.client === client) this.refreshing ??= this.refreshKey(client).finally(() => (this.refreshing = undefined));
      await this.refreshing;
      if (this.client === client) throw e; // the store holds the same key: it really is refused
      return this.client.scoreFile(file);
    }
  }

  private async refreshKey(stale: PredictionClient): Promise<void> {
    const key = await this.keySource!(true);
    if (key === this.key) return;
    this.key = key;
    this.client = this.connect(key);
    stale.close();
  }

  get uri(): string {
    return scoringUri(this.service);
  }

  async scoreFile(file: string, k = 5): Promise<ScoredFile> {
    const result = await this.predict(file);
    const t = result.timings;
    const latency = latencyBreakdown(t.totalMs, { queueMs: t.queueMs, preprocessMs: t.preprocessMs, inferenceMs: t.inferenceMs });
    if (this.model.preset === 'ssdvgg' && this.model.outputs.length === 12) {
      // Detection: the 12 SSD outputs in the model's order (six class-confidence tensors, then six box tensors).
      const detections = ssdPostprocessOutputs(this.model.outputs.map((o) => result.outputs[o.name]?.data ?? new Float32Array()));
      const boxes = detections.map((d) => ({ label: this.labels[d.classId] ?? `class ${d.classId}`, score: d.score, ymin: d.box[0], xmin: d.box[1], ymax: d.box[2], xmax: d.box[3] }));
      const top = boxes.slice(0, k).map((b, i) => ({ index: detections[i].classId, label: b.label, score: b.score }));
      return { file, top, latency, boxes };
    }
    const outputName = this.model.outputs[0]?.name ?? Object.keys(result.outputs)[0];
    const out = result.outputs[outputName] ?? Object.values(result.outputs)[0];
    if (!out) throw new AccelError('Internal', `Service ${this.service.name} returned no outputs for ${path.basename(file)}.`);
    const classes = out.shape.length ? out.shape[out.shape.length - 1] : out.data.length;
    const scores = out.data.subarray(0, classes);
    return { file, top: topK(scores, this.labels, k), latency, boxes: [] };
  }

  /** Scores files with `concurrency` requests in flight; stops starting new ones once `cancelled()` is true. */
  async scoreMany(files: string[], concurrency: number, cancelled: () => boolean, onRow: (row: BatchRow, done: number) => void): Promise<BatchRow[]> {
    const rows: BatchRow[] = new Array(files.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (!cancelled()) {
        const i = next++;
        if (i >= files.length) return;
        const file = files[i];
        try {
          const r = await this.scoreFile(file, 1);
          rows[i] = { file: path.basename(file), top1: r.top[0], latencyMs: r.latency.clientMs };
        } catch (e) {
          rows[i] = { file: path.basename(file), error: (e as Error).message.split('\n')[0] };
        }
        onRow(rows[i], ++done);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return rows.filter(Boolean);
  }

  close(): void {
    this.client.close();
  }
}
