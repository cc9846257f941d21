// The one scoring use case both faces use (`accel score`, right-click scoring, the benchmark panel): open a channel
// to a deployed service with its address, TLS and key; send image files as the image manifest's input tensor (no
// GetModelMetadata round trip); turn the outputs into top-k classes or SSD detection boxes and a latency breakdown;
// when the service refuses a key that was regenerated elsewhere, read the key again once and retry.
import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import { labelsFor } from '../catalog/labels';
import { ssdPostprocessOutputs } from '../catalog/ssdPostprocess';
import { PredictionClient, type Timings } from '../client/predictionClient';
import { topK } from '../client/topK';
import { AccelError } from '../domain/errors';
import { findImage, readImageManifest, type RuntimeManifest } from '../core/images';
import type { WorkspaceStore } from '../domain/ports';
import { getServiceKeys, readTls, scoringUri } from '../core/services';
import type { Model, Service } from '../domain/types';
import { latencyBreakdown, type BatchRow, type Box, type LatencyBreakdown, type Prediction } from './scoreResult';

export interface ScoredFile {
  file: string;
  top: Prediction[];
  latency: LatencyBreakdown;
  /** The client's raw timings (attempts included). */
  timings: Timings;
  /** SSD-VGG detections (empty for classifiers). */
  boxes: Box[];
}

/** A service's primary key; `fresh` = read it from the store again instead of from a cache. */
export type KeySource = (fresh: boolean) => Promise<string>;

/** Where a service that does not run on this machine is reached (a Kubernetes load balancer). */
export interface RemoteTarget {
  address: string;
  port: number;
  useSsl: boolean;
  /** The key to send; default: the service's primary key from the key source (refreshed when refused). */
  key?: string;
  serviceName: string;
  /** The name to verify the certificate against when the address is not in it (--tls-server-name). */
  serverName?: string;
  /** A PEM certificate to trust (a self-signed one); default: the system's roots. */
  caPem?: string;
}

/** What scoring needs from the face that uses it. */
export interface ScoringPorts {
  /** The primary key of a service with auth on; default: unsealed from the store. */
  key?: KeySource;
  /** Makes sure a local service is served (the emulator host is started on demand); called before connecting. */
  ensureServing?: (service: Service) => Promise<void>;
  /** Resolves a service that runs elsewhere; without it such services are refused with a clear error. */
  remoteTarget?: (service: Service) => Promise<RemoteTarget>;
}

/** Deadline and retries of every scoring call, the same in both faces. */
/** Boxes a batch row keeps per photo (the grid's thumbnails show no more; bounds the panel's messages). */
const MAX_BATCH_BOXES = 10;
export const SCORING_CALL = { deadlineMs: 30_000, attempts: 3 } as const;

export class ServiceScorer {
  private client: PredictionClient;
  /** The key refresh in progress, shared by concurrent requests that were all refused with the old key. */
  private refreshing?: Promise<void>;

  private constructor(
    readonly service: Service,
    readonly model: Model,
    private readonly manifest: RuntimeManifest,
    private readonly connect: (key: string | undefined) => PredictionClient,
    private readonly labels: string[],
    private key: string | undefined,
    private readonly keySource: KeySource | undefined,
    /** Where it scores: the target's address (a cluster's load balancer), or the local scoring URI. */
    readonly uri: string = scoringUri(service),
  ) {
    this.client = connect(key);
  }

  static async open(
    store: WorkspaceStore,
    workspace: string,
    service: Service,
    ports: ScoringPorts = {},
  ): Promise<ServiceScorer> {
    const state = await store.read(workspace);
    const image = findImage(state, service.imageId);
    const model = state.models.find((m) => m.id === image.modelId);
    if (!model)
      throw new AccelError('NotFound', `Model ${image.modelId} of image ${image.id} is missing. Recreate the image.`);
    const manifest = await readImageManifest(store, workspace, image);
    if (!manifest.inputs.length || !manifest.outputs.length)
      throw new AccelError(
        'InvalidModel',
        `Image ${image.id} declares no input or output tensor. Recreate the image from its model.`,
      );
    const labels = labelsFor(manifest.labels ?? model.labels);
    if (service.target === 'kubernetes') {
      if (!ports.remoteTarget)
        throw new AccelError(
          'InvalidArgument',
          `Service ${service.name} runs on Kubernetes; score it with \`accel score ${service.name} <file>\` (signed in to Azure).`,
        );
      const t = await ports.remoteTarget(service);
      const keySource: KeySource | undefined =
        !service.authEnabled || t.key
          ? undefined
          : (ports.key ?? (async () => (await getServiceKeys(store, workspace, service.name)).primaryKey));
      const key = t.key ?? (await keySource?.(false));
      const call = t.serverName ? { ...SCORING_CALL, serverNameOverride: t.serverName } : SCORING_CALL;
      const connect = (k: string | undefined) =>
        new PredictionClient(t.address, t.port, t.useSsl, k, t.serviceName, t.caPem, call);
      const uri = `${t.useSsl ? 'grpcs' : 'grpc'}://${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port}`;
      return new ServiceScorer(service, model, manifest, connect, labels, key, keySource, uri);
    }
    // A container service is served by its own container (accel service show), not by the emulator host.
    if (service.target !== 'container') await ports.ensureServing?.(service);
    const keySource: KeySource | undefined = !service.authEnabled
      ? undefined
      : (ports.key ?? (async () => (await getServiceKeys(store, workspace, service.name)).primaryKey));
    const key = await keySource?.(false);
    const tls = service.tls ? readTls(store, workspace, service) : undefined;
    const connect = (k: string | undefined) =>
      new PredictionClient(
        tls ? 'localhost' : '127.0.0.1',
        service.port,
        !!tls,
        k,
        service.name,
        tls?.certPem,
        SCORING_CALL,
      );
    return new ServiceScorer(service, model, manifest, connect, labels, key, keySource);
  }

  private isDetector(): boolean {
    return this.manifest.preset === 'ssdvgg' && this.manifest.outputs.length === 12;
  }

  /**
   * Scores with the key it holds; when the service refuses it (the key was regenerated elsewhere, e.g. by
   * `accel service regen-key`), re-reads the key from the store once and retries with a new client.
   */
  private async predict(file: string): Promise<Awaited<ReturnType<PredictionClient['scoreFile']>>> {
    const options = {
      inputName: this.manifest.inputs[0].name,
      outputs: this.isDetector() ? this.manifest.outputs.map((o) => o.name) : [this.manifest.outputs[0].name],
    };
    const client = this.client;
    try {
      return await client.scoreFile(file, options);
    } catch (e) {
      if ((e as { code?: unknown }).code !== grpc.status.UNAUTHENTICATED || !this.keySource) throw e;
      if (this.client === client)
        this.refreshing ??= this.refreshKey(client).finally(() => (this.refreshing = undefined));
      await this.refreshing;
      if (this.client === client) throw e; // the store holds the same key: it really is refused
      return this.client.scoreFile(file, options);
    }
  }

  private async refreshKey(stale: PredictionClient): Promise<void> {
    const key = await this.keySource!(true);
    if (key === this.key) return;
    this.key = key;
    this.client = this.connect(key);
    stale.close();
  }

  async scoreFile(file: string, k = 5): Promise<ScoredFile> {
    const result = await this.predict(file);
    const t = result.timings;
    const latency = latencyBreakdown(t.totalMs, {
      queueMs: t.queueMs,
      preprocessMs: t.preprocessMs,
      inferenceMs: t.inferenceMs,
    });
    if (this.isDetector()) {
      // Detection: the 12 SSD outputs in the manifest's order (six class-confidence tensors, then six box tensors).
      const detections = ssdPostprocessOutputs(
        this.manifest.outputs.map((o) => result.outputs[o.name]?.data ?? new Float32Array()),
      );
      const boxes = detections.map((d) => ({
        label: this.labels[d.classId] ?? `class ${d.classId}`,
        score: d.score,
        ymin: d.box[0],
        xmin: d.box[1],
        ymax: d.box[2],
        xmax: d.box[3],
      }));
      const top = boxes.slice(0, k).map((b, i) => ({ index: detections[i].classId, label: b.label, score: b.score }));
      return { file, top, latency, timings: t, boxes };
    }
    const out = result.outputs[this.manifest.outputs[0].name] ?? Object.values(result.outputs)[0];
    if (!out)
      throw new AccelError('Internal', `Service ${this.service.name} returned no outputs for ${path.basename(file)}.`);
    const classes = out.shape.length ? out.shape[out.shape.length - 1] : out.data.length;
    return { file, top: topK(out.data.subarray(0, classes), this.labels, k), latency, timings: t, boxes: [] };
  }

  /** Scores files with `concurrency` requests in flight; stops starting new ones once `cancelled()` is true. */
  async scoreMany(
    files: string[],
    concurrency: number,
    cancelled: () => boolean,
    onRow: (row: BatchRow, done: number, index: number) => void,
  ): Promise<BatchRow[]> {
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
          if (r.boxes.length) rows[i].boxes = r.boxes.slice(0, MAX_BATCH_BOXES);
        } catch (e) {
          rows[i] = { file: path.basename(file), error: (e as Error).message.split('\n')[0] };
        }
        onRow(rows[i], ++done, i);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return rows.filter(Boolean);
  }

  close(): void {
    this.client.close();
  }
}
