// PredictionClient: TF Serving Predict over gRPC to an emulator service (or any TF Serving endpoint), as the
// original service's clients did it — raw image bytes as DT_STRING, key as `authorization: Bearer`, 10 s deadline,
// retries with exponential back-off on transient codes only — with one reused channel.
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs/promises';
import { AccelError } from '../domain/errors';
import type { Dim, TensorDType, TensorSpec } from '../domain/types';
import { AUTH_HEADER, OUTPUT_ENCODING_HEADER, ROUTE_HEADER, TIMING_TRAILERS } from '../wire/headers';
import { servingRoot } from '../wire/servingProtos';
import { DTYPE_TO_TF, tensorToFloat32 } from '../wire/tensorCodec';
import { DT, decodePredictResponse, encodePredictRequest, type WireTensor } from '../wire/wireCodec';

const PREDICT = '/tensorflow.serving.PredictionService/Predict';
const METADATA = '/tensorflow.serving.PredictionService/GetModelMetadata';
const RETRYABLE = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.RESOURCE_EXHAUSTED,
]);

export interface ClientOptions {
  /** Per-call deadline, ms. Default 10 000. */
  deadlineMs?: number;
  /** Attempts per call including the first. Default 5. */
  attempts?: number;
  /** First back-off, ms; doubles each retry. Default 200. */
  backoffMs?: number;
  /** TLS: the name the certificate is checked against when it differs from the address. */
  serverNameOverride?: string;
  /** Ask the server for tensor_content outputs (cheaper) instead of float_val. Default true. */
  tensorContent?: boolean;
}

export interface ScoreOptions {
  /** The input tensor name; default: the model's only input (from GetModelMetadata). */
  inputName?: string;
  /** Output names to return (output_filter); default all. */
  outputs?: string[];
  deadlineMs?: number;
}

export interface OutputTensor {
  data: Float32Array;
  shape: number[];
}

export interface Timings {
  /** Client-observed time of the successful attempt, ms. */
  totalMs: number;
  queueMs?: number;
  preprocessMs?: number;
  inferenceMs?: number;
  attempts: number;
}

export interface ScoreResult {
  outputs: Record<string, OutputTensor>;
  timings: Timings;
}

export interface NumericInput {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
  shape: number[];
  dtype?: TensorDType;
}

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export class PredictionClient {
  private client?: grpc.Client;
  private signature?: Promise<ModelSignature>;
  private readonly options: Required<Omit<ClientOptions, 'serverNameOverride'>> & { serverNameOverride?: string };

  constructor(
    readonly address: string,
    readonly port?: number,
    readonly useSsl = false,
    private readonly accessToken?: string,
    readonly serviceName?: string,
    private readonly rootCertificates?: string | Buffer,
    options: ClientOptions = {},
  ) {
    this.options = { deadlineMs: 10_000, attempts: 5, backoffMs: 200, tensorContent: true, ...options };
  }

  get target(): string {
    const port = this.port ?? (this.useSsl ? 443 : 80);
    return `${this.address}:${port}`;
  }

  private channel(): grpc.Client {
    if (!this.client) {
      const creds = this.useSsl
        ? grpc.credentials.createSsl(this.rootCertificates ? Buffer.from(this.rootCertificates) : null)
        : grpc.credentials.createInsecure();
      const channelOptions: grpc.ChannelOptions = {
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': -1,
      };
      if (this.options.serverNameOverride)
        channelOptions['grpc.ssl_target_name_override'] = this.options.serverNameOverride;
      this.client = new grpc.Client(this.target, creds, channelOptions);
    }
    return this.client;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.accessToken) md.set(AUTH_HEADER, `Bearer ${this.accessToken}`);
    if (this.serviceName) md.set(ROUTE_HEADER, `/api/v1/service/${this.serviceName}`);
    if (this.options.tensorContent) md.set(OUTPUT_ENCODING_HEADER, 'tensor_content');
    return md;
  }

  private once(path: string, body: Uint8Array, deadlineMs: number): Promise<{ bytes: Buffer; trailer: grpc.Metadata }> {
    return new Promise((resolve, reject) => {
      let response: Buffer | undefined;
      let error: grpc.ServiceError | undefined;
      let trailer: grpc.Metadata | undefined;
      let settled = 0;
      const finish = () => {
        if (++settled < 2) return;
        if (error) reject(error);
        else resolve({ bytes: response!, trailer: trailer ?? new grpc.Metadata() });
      };
      const call = this.channel().makeUnaryRequest<Uint8Array, Buffer>(
        path,
        (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
        (b) => b,
        body,
        this.metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, value) => {
          error = err ?? undefined;
          response = value;
          finish();
        },
      );
      call.on('status', (status) => {
        trailer = status.metadata;
        finish();
      });
    });
  }

  /** One unary call with retries on transient codes (never on INVALID_ARGUMENT / UNAUTHENTICATED). */
  private async call(
    path: string,
    body: Uint8Array,
    deadlineMs = this.options.deadlineMs,
  ): Promise<{ bytes: Buffer; trailer: grpc.Metadata; totalMs: number; attempts: number }> {
    let delay = this.options.backoffMs;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const r = await this.once(path, body, deadlineMs);
        return { ...r, totalMs: performance.now() - started, attempts: attempt };
      } catch (e) {
        const code = (e as grpc.ServiceError).code;
        if (!RETRYABLE.has(code) || attempt >= this.options.attempts) throw e;
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
    }
  }

  /** The model's signature ("serving_default"), fetched once per client. */
  getModelMetadata(): Promise<ModelSignature> {
    this.signature ??= (async () => {
      const root = servingRoot();
      const reqType = root.lookupType('tensorflow.serving.GetModelMetadataRequest');
      const resType = root.lookupType('tensorflow.serving.GetModelMetadataResponse');
      const mapType = root.lookupType('tensorflow.serving.SignatureDefMap');
      const req = reqType
        .encode(reqType.fromObject({ model_spec: { name: this.serviceName ?? '' }, metadata_field: ['signature_def'] }))
        .finish();
      const { bytes } = await this.call(METADATA, req);
      const res = resType.decode(bytes) as unknown as { metadata: Record<string, { value: Uint8Array }> };
      const any = res.metadata?.signature_def;
      if (!any) throw new AccelError('Internal', `The server at ${this.target} returned no signature_def metadata.`);
      const map = mapType.toObject(mapType.decode(any.value), { longs: Number, enums: Number }) as {
        signature_def: Record<
          string,
          { inputs?: Record<string, TfTensorInfo>; outputs?: Record<string, TfTensorInfo> }
        >;
      };
      const sig = map.signature_def.serving_default ?? Object.values(map.signature_def)[0];
      return {
        inputs: Object.values(sig?.inputs ?? {}).map(specOf),
        outputs: Object.values(sig?.outputs ?? {}).map(specOf),
      };
    })();
    this.signature.catch(() => (this.signature = undefined));
    return this.signature;
  }

  private async imageInputName(opts: ScoreOptions): Promise<string> {
    if (opts.inputName) return opts.inputName;
    const sig = await this.getModelMetadata();
    if (sig.inputs.length !== 1) {
      throw new AccelError(
        'InvalidArgument',
        `The model has inputs ${sig.inputs.map((s) => `"${s.name}"`).join(', ')}; say which one takes the image (inputName).`,
      );
    }
    return sig.inputs[0].name;
  }

  async scoreFile(filePath: string, opts: ScoreOptions = {}): Promise<ScoreResult> {
    return this.scoreImage(await fs.readFile(filePath), opts);
  }

  /** One image file's bytes (or several, sent as one batch) → the model outputs, batch dimension kept. */
  async scoreImage(images: Uint8Array | Uint8Array[], opts: ScoreOptions = {}): Promise<ScoreResult> {
    const list = Array.isArray(images) ? images : [images];
    const name = await this.imageInputName(opts);
    const tensor: WireTensor = { dtype: DT.STRING, shape: [list.length], stringVal: list };
    return this.predict(new Map([[name, tensor]]), opts);
  }

  async scoreTensors(inputs: Record<string, NumericInput>, opts: ScoreOptions = {}): Promise<ScoreResult> {
    const map = new Map<string, WireTensor>();
    for (const [name, t] of Object.entries(inputs)) {
      const dtype = t.dtype ?? dtypeOf(t.data);
      map.set(name, {
        dtype: DTYPE_TO_TF[dtype] ?? DT.FLOAT,
        shape: t.shape,
        tensorContent: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      });
    }
    return this.predict(map, opts);
  }

  private async predict(inputs: Map<string, WireTensor>, opts: ScoreOptions): Promise<ScoreResult> {
    const body = encodePredictRequest({ inputs, outputFilter: opts.outputs ?? [], modelSpec: undefined });
    const r = await this.call(PREDICT, body, opts.deadlineMs);
    const res = decodePredictResponse(r.bytes);
    const outputs: Record<string, OutputTensor> = {};
    for (const [name, t] of res.outputs) outputs[name] = { data: tensorToFloat32(t), shape: t.shape ?? [] };
    const ms = (key: string) => {
      const v = r.trailer.get(key)[0];
      return v === undefined ? undefined : Number(v);
    };
    return {
      outputs,
      timings: {
        totalMs: r.totalMs,
        queueMs: ms(TIMING_TRAILERS.queueMs),
        preprocessMs: ms(TIMING_TRAILERS.preprocessMs),
        inferenceMs: ms(TIMING_TRAILERS.inferenceMs),
        attempts: r.attempts,
      },
    };
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

interface TfTensorInfo {
  name?: string;
  dtype?: number;
  tensor_shape?: { dim?: Array<{ size?: number; name?: string }> };
}

const TF_TO_DTYPE = Object.fromEntries(Object.entries(DTYPE_TO_TF).map(([k, v]) => [v, k])) as Record<
  number,
  TensorDType
>;

function specOf(info: TfTensorInfo): TensorSpec {
  const shape: Dim[] = (info.tensor_shape?.dim ?? []).map((d) =>
    d.size !== undefined && d.size >= 0 ? Number(d.size) : d.name || -1,
  );
  return { name: info.name ?? '', dtype: TF_TO_DTYPE[info.dtype ?? 0] ?? 'unknown', shape };
}

function dtypeOf(data: NumericInput['data']): TensorDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint8';
}
