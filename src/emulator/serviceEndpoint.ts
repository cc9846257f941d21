// One deployed service as the network sees it: a gRPC server (TF Serving PredictionService, health, reflection)
// on its own port, an optional TF-Serving REST port, and one inference worker per replica, each on its own
// emulated device. The host process (main.ts) starts one endpoint per service and never touches the wire itself.
//
// Wire choices (documented for clients):
// - Input keys are the model's input tensor names; DT_STRING elements are image files (JPEG/PNG/GIF/WebP/BMP),
//   decoded and preprocessed server-side with the model's preset; DT_FLOAT via tensor_content or float_val.
// - Float outputs come back in float_val (what the original clients read). Send request metadata
//   `x-accel-output-encoding: tensor_content` to get tensor_content instead (cheaper to decode in most runtimes).
// - Trailing metadata of every Predict carries `x-accel-queue-ms`, `x-accel-preprocess-ms`, `x-accel-inference-ms`.
// - Auth: `authorization: Bearer <key>` (scheme case-insensitive); optional `x-ms-aml-grpc-service-route` must
//   equal `/api/v1/service/<name>` (or the bare name) when present.
import type { Logger } from '../core/ports';
import type { LabelSet, PresetName, TensorSpec } from '../core/types';
import type { DevicePool } from './devicePool';

export interface EndpointModel {
  serviceName: string;
  modelName: string;
  modelVersion: number;
  /** The ONNX file the workers load. */
  modelPath: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  preset: PresetName;
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
  replicas: number;
  auth: EndpointAuth;
  tls?: { certPem: string; keyPem: string };
  /** Largest request accepted, bytes. Default 64 MiB. */
  maxReceiveBytes?: number;
  /** Requests waiting for a worker beyond which Predict answers RESOURCE_EXHAUSTED. Default 64 per replica. */
  maxQueue?: number;
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
  /** Settles when every replica has loaded its model (rejects with the load error; the state is then Failed). */
  readonly ready: Promise<void>;
  /** Takes effect for the next request; open channels stay up. */
  setAuth(auth: EndpointAuth): void;
  status(): EndpointStatus;
  /** Stops listening, ends the workers and releases the devices. */
  stop(): Promise<void>;
}

/**
 * Acquires `replicas` devices from the pool (throws AccelError Busy/Unavailable naming the holders), binds the
 * port(s) and starts loading the model in the workers. Resolves once the ports are bound; the endpoint answers
 * UNAVAILABLE until `ready` settles. On a bind failure the devices are released again.
 */
export async function startServiceEndpoint(config: EndpointConfig, devices: DevicePool): Promise<ServiceEndpoint> {
  void config;
  void devices;
  throw new Error('startServiceEndpoint: being implemented (helper B1)');
}
