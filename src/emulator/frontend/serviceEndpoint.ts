// One deployed service as the network sees it: a gRPC server (TF Serving PredictionService, health, reflection)
// on its own port, an optional TF-Serving REST port, an optional plain-text health-only port, and one inference
// worker per replica, each on its own emulated device. The host process (main.ts) starts one endpoint per service
// and never touches the wire itself.
//
// Wire choices (documented for clients):
// - Input keys are the model's input tensor names; DT_STRING elements are image files (JPEG/PNG/GIF/WebP/BMP),
//   decoded and preprocessed server-side with the model's preset; DT_FLOAT via tensor_content or float_val.
// - Float outputs come back in float_val (what the original clients read). Send request metadata
//   `x-accel-output-encoding: tensor_content` to get tensor_content instead (cheaper to decode in most runtimes).
// - Trailing metadata of every Predict carries `x-accel-queue-ms`, `x-accel-preprocess-ms`, `x-accel-inference-ms`.
// - Auth: `authorization: Bearer <key>` (scheme case-insensitive); optional `x-ms-aml-grpc-service-route` must
//   equal `/api/v1/service/<name>` (or the bare name) when present. Checked on the call's metadata, before any
//   of its message is read: a refused call costs at most one receive window of buffered bytes, never its body.
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import * as os from 'node:os';
import { AccelError, isAccelError, type ErrorCode } from '../../domain/errors';
import type { Logger } from '../../domain/ports';
import type { LabelSet, PreprocessingPreset, PresetName, TensorSpec } from '../../domain/types';
import { authorize } from './auth';
import type { DevicePool } from '../runtime/devicePool';
import { modelMetadataResponse, type ServedModel } from '../runtime/predictionService';
import { startRestServer, type RestServer } from './restServer';
import { bindWithReceiveWindow } from './receiveWindow';
import { PREDICTION_SERVICE, servingPackage } from '../../wire/servingProtos';
import { WorkerPool, callControl } from '../runtime/workerPool';
import { OUTPUT_ENCODING_HEADER, TIMING_TRAILERS } from '../../wire/headers';

export interface EndpointModel {
  serviceName: string;
  modelName: string;
  modelVersion: number;
  /** The ONNX file the workers load. */
  modelPath: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  preset: PresetName;
  preprocessing?: PreprocessingPreset;
  labels: LabelSet;
}

export interface EndpointAuth {
  enabled: boolean;
  /** sha256 hex of the accepted keys (primary, secondary). */
  keyHashes: string[];
}

export interface EndpointConfig {
  model: EndpointModel;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = ephemeral; read the bound port from ServiceEndpoint.port. */
  port: number;
  /** TF-Serving REST (`POST /v1/models/<name>:predict`); omitted = no REST listener, 0 = ephemeral. */
  restPort?: number;
  /**
   * A plain-text listener serving only grpc.health.v1 (for the service name and ""), mirroring the endpoint's
   * health: for probes that cannot speak TLS (the kubelet's). Omitted = none, 0 = ephemeral.
   */
  healthPort?: number;
  replicas: number;
  auth: EndpointAuth;
  tls?: { certPem: string; keyPem: string };
  /** Largest request accepted, bytes. Default 64 MiB. */
  maxReceiveBytes?: number;
  /** Requests waiting for a worker beyond which Predict answers RESOURCE_EXHAUSTED. Default 64 per replica. */
  maxQueue?: number;
  /**
   * Request bytes this service's Predict calls may hold at once, from receipt until answered (queued or running);
   * a call that would pass it answers RESOURCE_EXHAUSTED at once. Default 4 × the receive limit.
   */
  maxHeldBytes?: number;
  /** onnxruntime intra-op threads per replica. Default: the CPU count divided among the replicas (at least 1). */
  intraOpThreads?: number;
  logger?: Logger;
}

export interface EndpointStatus {
  state: 'Loading' | 'Running' | 'Failed';
  error?: string;
  devices: number[];
  requests: number;
  errors: number;
}

export interface ServiceEndpoint {
  readonly port: number;
  readonly restPort?: number;
  readonly healthPort?: number;
  /** Settles when every replica has loaded its model (rejects with the load error; the state is then Failed). */
  readonly ready: Promise<void>;
  /** Takes effect for the next request; open channels stay up. */
  setAuth(auth: EndpointAuth): void;
  status(): EndpointStatus;
  /** Stops listening, ends the workers and releases the devices. */
  stop(): Promise<void>;
}

export const DEFAULT_MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
/**
 * Calls one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; clients queue the
 * rest). With the receive limit this bounds what one connection can make the host buffer: 16 × the limit.
 */
export const MAX_STREAMS_PER_CONNECTION = 16;

/**
 * The receive limit when the config gives none: ACCEL_MAX_RECEIVE_MB (set it where the emulator host or a
 * standalone image starts), else 64 MiB. TF Serving accepts up to 2 GiB; grpc-js would default to 4 MiB,
 * which a batch of 7 float images already exceeds.
 */
export function defaultMaxReceiveBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ACCEL_MAX_RECEIVE_MB;
  if (raw === undefined || raw === '') return DEFAULT_MAX_RECEIVE_BYTES;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 1 || mb > 2047) {
    throw new AccelError(
      'InvalidArgument',
      `ACCEL_MAX_RECEIVE_MB="${raw}" is not a whole number of MiB between 1 and 2047. Fix or unset it (default 64).`,
    );
  }
  return mb * 1024 * 1024;
}
export { OUTPUT_ENCODING_HEADER };
const STATUS_FOR: Partial<Record<ErrorCode, grpc.status>> = {
  NotFound: grpc.status.NOT_FOUND,
  AlreadyExists: grpc.status.ALREADY_EXISTS,
  InvalidArgument: grpc.status.INVALID_ARGUMENT,
  InvalidModel: grpc.status.FAILED_PRECONDITION,
  HasDependents: grpc.status.FAILED_PRECONDITION,
  SchemaTooNew: grpc.status.FAILED_PRECONDITION,
  Busy: grpc.status.RESOURCE_EXHAUSTED,
  Unavailable: grpc.status.UNAVAILABLE,
  Cancelled: grpc.status.CANCELLED,
  Internal: grpc.status.INTERNAL,
};

export function grpcStatusFor(e: unknown): grpc.status {
  return (isAccelError(e) && STATUS_FOR[e.code]) || grpc.status.INTERNAL;
}

function firstHeader(metadata: grpc.Metadata): (name: string) => string | undefined {
  return (name) => {
    const v = metadata.get(name)[0];
    return v === undefined ? undefined : String(v);
  };
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** Lets calls in flight finish for up to 2 s, then closes what is left. */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Acquires `replicas` devices from the pool (throws AccelError Busy/Unavailable naming the holders), binds the
 * port(s) and starts loading the model in the workers. Resolves once the ports are bound; the endpoint answers
 * UNAVAILABLE until `ready` settles. On a bind failure the devices are released again.
 */
export async function startServiceEndpoint(config: EndpointConfig, devices: DevicePool): Promise<ServiceEndpoint> {
  const { model } = config;
  const logger = config.logger;
  const host = config.host ?? '127.0.0.1';
  const served: ServedModel = {
    serviceName: model.serviceName,
    modelName: model.modelName,
    modelVersion: model.modelVersion,
    inputs: model.inputs,
    outputs: model.outputs,
    preset: model.preset,
    preprocessing: model.preprocessing,
  };
  const deviceIds = devices.acquire(model.serviceName, config.replicas);
  let auth = config.auth;
  let requests = 0;
  let errors = 0;
  const cpus = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    [PREDICTION_SERVICE]: 'NOT_SERVING',
    [model.serviceName]: 'NOT_SERVING',
  });
  const probeHealth = new HealthImplementation({ '': 'NOT_SERVING', [model.serviceName]: 'NOT_SERVING' });
  const setHealth = (status: 'SERVING' | 'NOT_SERVING') => {
    for (const name of ['', PREDICTION_SERVICE, model.serviceName]) health.setStatus(name, status);
    for (const name of ['', model.serviceName]) probeHealth.setStatus(name, status);
  };
  const maxReceive = config.maxReceiveBytes ?? defaultMaxReceiveBytes();
  const maxHeld = config.maxHeldBytes ?? 4 * maxReceive;
  let held = 0;
  const healthServer = config.healthPort === undefined ? undefined : new grpc.Server();
  if (healthServer) probeHealth.addToServer(healthServer);
  // The key is checked when a PredictionService call's metadata arrives, before grpc-js is asked to read its
  // message: a refused call is answered at once and its body is dropped as it arrives, never assembled.
  const authOnMetadata: grpc.ServerInterceptor = (method, call) => {
    if (!method.path.startsWith(`/${PREDICTION_SERVICE}/`)) return new grpc.ServerInterceptingCall(call);
    const checked: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            const denied = authFailure(metadata);
            if (!denied) return pass(metadata);
            requests++;
            errors++;
            checked.sendStatus({ code: denied.code, details: denied.details, metadata: new grpc.Metadata() });
          },
        });
      },
    });
    return checked;
  };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxReceive,
    'grpc.max_send_message_length': -1,
    'grpc.max_concurrent_streams': MAX_STREAMS_PER_CONNECTION,
    interceptors: [authOnMetadata],
  });
  let pool: WorkerPool | undefined;
  let rest: RestServer | undefined;

  const fail = <T>(callback: grpc.sendUnaryData<T>, code: grpc.status, details: string) => {
    errors++;
    callback({ code, details, metadata: new grpc.Metadata() });
  };
  const authFailure = (metadata: grpc.Metadata) => {
    const failure = authorize(firstHeader(metadata), auth, model.serviceName);
    if (!failure) return undefined;
    return {
      code: failure.kind === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.NOT_FOUND,
      details: failure.message,
    };
  };

  const definition = servingPackage()[PREDICTION_SERVICE] as grpc.ServiceDefinition;
  // Predict travels as raw bytes: the worker decodes and encodes it (wireCodec), the main thread only moves it.
  const serviceDefinition: grpc.ServiceDefinition = {
    ...definition,
    Predict: {
      ...definition.Predict,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
    },
  };
  server.addService(serviceDefinition, {
    // Both handlers run only for calls authOnMetadata let through.
    Predict: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      requests++;
      const encoding = String(call.metadata.get(OUTPUT_ENCODING_HEADER)[0] ?? 'float_val');
      if (encoding !== 'float_val' && encoding !== 'tensor_content') {
        return fail(
          callback,
          grpc.status.INVALID_ARGUMENT,
          `Metadata ${OUTPUT_ENCODING_HEADER} must be "float_val" or "tensor_content", got "${encoding}".`,
        );
      }
      const size = call.request.length;
      if (held + size > maxHeld) {
        const mib = (n: number) => (n / 1048576).toFixed(1);
        return fail(
          callback,
          grpc.status.RESOURCE_EXHAUSTED,
          `Service "${model.serviceName}" already holds ${mib(held)} MiB of requests in flight; this ${mib(size)} MiB one would pass its ${mib(maxHeld)} MiB limit. Retry after a moment, or send smaller batches.`,
        );
      }
      held += size;
      // grpc-js is done with the request buffer once the handler has it, so the pool may move it to the worker.
      pool!.submit(call.request, encoding === 'tensor_content', callControl(call), true).then(
        (r) => {
          held -= size;
          const trailer = new grpc.Metadata();
          trailer.set(TIMING_TRAILERS.queueMs, r.queueMs.toFixed(3));
          trailer.set(TIMING_TRAILERS.preprocessMs, r.preprocessMs.toFixed(3));
          trailer.set(TIMING_TRAILERS.inferenceMs, r.inferenceMs.toFixed(3));
          callback(null, r.bytes, trailer);
        },
        (e: AccelError) => {
          held -= size;
          fail(callback, grpcStatusFor(e), e.message);
        },
      );
    },
    GetModelMetadata: (
      call: grpc.ServerUnaryCall<{ metadata_field?: string[] }, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      requests++;
      try {
        const fields = call.request.metadata_field?.length ? call.request.metadata_field : ['signature_def'];
        callback(null, modelMetadataResponse(served, fields));
      } catch (e) {
        fail(callback, grpcStatusFor(e), (e as Error).message);
      }
    },
  });
  health.addToServer(server);
  new ReflectionService(servingPackage()).addToServer(server);

  const creds = config.tls
    ? grpc.ServerCredentials.createSsl(
        null,
        [{ cert_chain: Buffer.from(config.tls.certPem), private_key: Buffer.from(config.tls.keyPem) }],
        false,
      )
    : grpc.ServerCredentials.createInsecure();
  let port: number;
  let healthPort: number | undefined;
  let binding = { port: config.port, flag: '--port' };
  try {
    port = await bindWithReceiveWindow(server, `${host}:${config.port}`, creds);
    if (healthServer) {
      binding = { port: config.healthPort!, flag: '--health-port' };
      healthPort = await bind(healthServer, `${host}:${config.healthPort}`, grpc.ServerCredentials.createInsecure());
    }
    pool = new WorkerPool({
      model: served,
      modelPath: model.modelPath,
      devices: deviceIds,
      intraOpThreads: config.intraOpThreads ?? Math.max(1, Math.floor(cpus / config.replicas)),
      maxQueue: config.maxQueue ?? 64 * config.replicas,
      logger,
    });
    if (config.restPort !== undefined) {
      rest = await startRestServer({
        host,
        port: config.restPort,
        tls: config.tls,
        model: served,
        pool,
        maxBodyBytes: maxReceive,
        authorize: (header) => authorize(header, auth, model.serviceName),
        count: (ok) => {
          requests++;
          if (!ok) errors++;
        },
        logger,
      });
    }
  } catch (e) {
    server.forceShutdown();
    healthServer?.forceShutdown();
    await pool?.stop();
    devices.release(model.serviceName);
    const message = (e as Error).message;
    if (/EADDRINUSE|address already in use|No address added/i.test(message)) {
      throw new AccelError(
        'Busy',
        `Port ${binding.port} on ${host} is already in use, so service "${model.serviceName}" cannot listen there. Deploy with another ${binding.flag}, or free the port.`,
      );
    }
    throw new AccelError(
      'Unavailable',
      `Service "${model.serviceName}" could not listen on ${host}:${binding.port}: ${message}`,
    );
  }
  const workers = pool;
  const ready = workers.ready.then(
    () => {
      setHealth('SERVING');
      logger?.info(`service ${model.serviceName} serving on ${host}:${port} (devices ${deviceIds.join(', ')})`);
    },
    (e: Error) => {
      logger?.error(e.message);
      throw e;
    },
  );
  ready.catch(() => undefined); // callers who never await `ready` still see the failure in status()
  let stopped = false;

  return {
    port,
    restPort: rest?.port,
    healthPort,
    ready,
    setAuth(next) {
      auth = next;
    },
    status() {
      return { state: workers.state, error: workers.error, devices: deviceIds, requests, errors };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      setHealth('NOT_SERVING');
      await Promise.all([shutdown(server), healthServer && shutdown(healthServer)]);
      await rest?.close();
      await workers.stop();
      devices.release(model.serviceName);
    },
  };
}
