// Featurizing through the emulator: the cut featurizer is deployed as a transient service (registered, packaged,
// deployed with auth on, and removed again afterwards so the workspace is left as it was), and photos are sent as
// encoded images — the service runs the model's own preprocessing — in batches, several requests in flight.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PredictionClient } from '../client/predictionClient';
import { AccelError, isAccelError } from '../domain/errors';
import { createImage, deleteImage } from '../core/images';
import { deleteModel, registerModel } from '../core/models';
import type { CancellationSignal, WorkspaceStore } from '../domain/ports';
import { getServiceKeys, readTls } from '../core/services';
import type { Model } from '../domain/types';
import { deleteLocalService, deployLocalService } from '../emulator/host/localServices';
import { matchProcess, selfIdentity } from '../processAlive';

export interface FeaturizerService {
  client: PredictionClient;
  inputName: string;
  outputName: string;
  serviceName: string;
  replicas: number;
}

/** Where a grpc ServiceError says INVALID_ARGUMENT (a photo the service could not decode). */
const GRPC_INVALID_ARGUMENT = 3;

/**
 * Removes the transient featurizers (service, image, model) of training runs whose process is gone — killed
 * before its own clean-up could run.
 */
async function removeStaleFeaturizers(store: WorkspaceStore, workspace: string): Promise<void> {
  const state = await store.read(workspace);
  const stale = (tags: Record<string, string>) => {
    if (tags.transient !== 'featurizer') return false;
    const [pid, started] = (tags.owner ?? '').split('@');
    const match = matchProcess({ pid: Number(pid), started: started || undefined });
    return match === 'gone' || match === 'other';
  };
  const models = state.models.filter((m) => stale(m.tags));
  const images = state.images.filter((i) => stale(i.tags) || models.some((m) => m.id === i.modelId));
  const services = state.services.filter((s) => images.some((i) => i.id === s.imageId));
  for (const s of services) await deleteLocalService(store, workspace, s.name).catch(() => undefined);
  for (const i of images) await deleteImage(store, workspace, i.id).catch(() => undefined);
  for (const m of models) await deleteModel(store, workspace, m.id).catch(() => undefined);
}

/**
 * Deploys `featurizerBytes` (an ONNX graph with the source model's preprocessing) as a transient service in
 * `workspace`, runs `use`, and removes the service, image and model again whatever happens.
 */
export async function withFeaturizerService<T>(
  store: WorkspaceStore,
  workspace: string,
  source: Model,
  featurizerBytes: Uint8Array,
  use: (service: FeaturizerService) => Promise<T>,
  options: { replicas?: number } = {},
): Promise<T> {
  await removeStaleFeaturizers(store, workspace);
  const suffix = crypto.randomBytes(4).toString('hex');
  const name = `featurize-${suffix}`;
  const self = selfIdentity();
  const tags = { transient: 'featurizer', owner: `${self.pid}@${self.started ?? ''}` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-featurizer-'));
  const file = path.join(dir, `${source.name}.featurizer.onnx`);
  const undo: Array<() => Promise<unknown>> = [];
  try {
    fs.writeFileSync(file, featurizerBytes);
    const model = await registerModel(store, workspace, {
      path: file,
      name,
      preset: source.preset,
      preprocessing: source.preprocessing,
      labels: 'none',
      tags,
      description: `transient featurizer of ${source.id} (removed after training)`,
    });
    undo.push(() => deleteModel(store, workspace, model.id));
    const image = await createImage(store, workspace, name, model.id, { tags });
    undo.push(() => deleteImage(store, workspace, image.id));
    let replicas = Math.max(1, options.replicas ?? Math.min(2, os.availableParallelism()));
    let deployed;
    for (;;) {
      try {
        deployed = await deployLocalService(store, workspace, name, image.id, {
          replicas,
          description: `transient featurizer of ${source.id}`,
        });
        break;
      } catch (e) {
        const busy = isAccelError(e, 'Busy') || isAccelError(e, 'Unavailable');
        // Other services may hold the devices: fall back to one replica before giving up.
        if (busy && replicas > 1) {
          replicas = 1;
          continue;
        }
        if (busy)
          throw new AccelError(
            e.code,
            `Featurizing runs the featurizer as a transient service, which needs one free accelerator device. ${e.message}`,
            e.detail,
          );
        throw e;
      }
    }
    undo.push(() => deleteLocalService(store, workspace, name));
    const key = deployed.service.authEnabled ? (await getServiceKeys(store, workspace, name)).primaryKey : undefined;
    const tls = readTls(store, workspace, deployed.service);
    const client = new PredictionClient(
      tls ? 'localhost' : '127.0.0.1',
      deployed.service.port,
      !!tls,
      key,
      name,
      tls?.certPem,
      { deadlineMs: 60_000 },
    );
    try {
      return await use({
        client,
        inputName: model.inputs[0].name,
        outputName: model.outputs[0].name,
        serviceName: name,
        replicas,
      });
    } finally {
      client.close();
    }
  } finally {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface FeaturizeOptions {
  /** Photos per request. Default 4 (bench/classifierFeaturize.ts: 4 per request, 4 in flight per replica beat the service's own best closed loop; 8 per request, 2 per replica varied most). */
  batchSize?: number;
  /** Requests in flight. Default 4 per replica. */
  concurrency?: number;
  /** Photos the service cannot decode are reported in `failed` instead of failing the run. */
  skipUndecodable?: boolean;
  onProgress?: (done: number, total: number) => void;
  cancellation?: CancellationSignal;
}

export interface Features {
  /** n × dim, row-major; rows of failed photos are zero. */
  data: Float32Array;
  dim: number;
  failed: Array<{ index: number; reason: string }>;
  ms: number;
}

/** The server's message, on one line (decoders report several), without a final period, at most 300 characters. */
function grpcMessage(e: unknown): string {
  const text = (e as { details?: string }).details || (e as Error).message || String(e);
  const line = text.split('\n')[0].trim().replace(/\.+$/, '');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Feature vectors of `files`, in order, through the featurizer service. */
export async function featurizeFiles(
  service: FeaturizerService,
  files: string[],
  options: FeaturizeOptions = {},
): Promise<Features> {
  const started = performance.now();
  const batchSize = Math.max(1, options.batchSize ?? 4);
  const concurrency = Math.max(1, options.concurrency ?? 4 * service.replicas);
  const total = files.length;
  let data: Float32Array | undefined;
  let dim = 0;
  const failed: Features['failed'] = [];
  let next = 0;
  let done = 0;
  let stop: Error | undefined;

  const store = (index: number, row: Float32Array) => {
    if (!data) {
      dim = row.length;
      data = new Float32Array(total * dim);
    }
    data.set(row, index * dim);
  };
  const score = async (indices: number[]) => {
    const bytes = await Promise.all(indices.map((i) => fs.promises.readFile(files[i])));
    const r = await service.client.scoreImage(bytes, { inputName: service.inputName, outputs: [service.outputName] });
    const out = r.outputs[service.outputName];
    if (!out) throw new AccelError('Internal', `The featurizer service returned no "${service.outputName}" output.`);
    const width = out.data.length / indices.length;
    if (!Number.isInteger(width) || width === 0 || (dim && width !== dim)) {
      throw new AccelError(
        'Internal',
        `The featurizer service returned ${out.data.length} values for ${indices.length} photos (shape [${out.shape}]); expected ${dim || 'a fixed number'} per photo.`,
      );
    }
    indices.forEach((index, j) => store(index, out.data.subarray(j * width, (j + 1) * width)));
  };
  const worker = async () => {
    while (!stop && next < total) {
      if (options.cancellation?.isCancellationRequested) {
        stop = new AccelError(
          'Cancelled',
          'Training was cancelled while featurizing the photos; nothing was registered.',
        );
        return;
      }
      const indices: number[] = [];
      for (; indices.length < batchSize && next < total; next++) indices.push(next);
      try {
        await score(indices);
      } catch (e) {
        if ((e as { code?: unknown }).code !== GRPC_INVALID_ARGUMENT) {
          stop =
            e instanceof AccelError
              ? e
              : new AccelError(
                  'Unavailable',
                  `Featurizing failed: ${grpcMessage(e)}. Check the emulator with \`accel emulator status\` and its log with \`accel emulator logs\`, then retry.`,
                );
          return;
        }
        // One photo spoils its batch: score the batch's photos one by one to find it.
        for (const index of indices) {
          try {
            await score([index]);
          } catch (single) {
            if ((single as { code?: unknown }).code !== GRPC_INVALID_ARGUMENT) {
              stop = new AccelError('Unavailable', `Featurizing failed: ${grpcMessage(single)}.`);
              return;
            }
            failed.push({ index, reason: grpcMessage(single) });
          }
        }
      }
      done += indices.length;
      options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(total / batchSize)) }, worker));
  if (stop) throw stop;
  failed.sort((a, b) => a.index - b.index);
  if (failed.length > 0 && !options.skipUndecodable) {
    const list = failed
      .slice(0, 20)
      .map((f) => `${files[f.index]}: ${f.reason}`)
      .join('; ');
    throw new AccelError(
      'InvalidArgument',
      `The featurizer service could not decode ${failed.length} photo${failed.length > 1 ? 's' : ''}: ${list}${failed.length > 20 ? '; …' : ''}. Remove or fix them, or pass --skip-unreadable to train without them.`,
      { unreadable: failed.map((f) => ({ file: files[f.index], reason: f.reason })) },
    );
  }
  if (!data)
    throw new AccelError('InvalidArgument', 'No photo could be featurized. Check that the photos are readable images.');
  return { data, dim, failed, ms: performance.now() - started };
}
