// TF-Serving-compatible REST: `POST /v1/models/<name>[/versions/<v>]:predict` with a JSON body in row format
// (`{"instances": [...]}`) or column format (`{"inputs": ...}`); images as `{"b64": "<base64 file bytes>"}`.
// The JSON is turned into the same PredictRequest the gRPC path sends, so both share one worker path.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { AccelError, isAccelError, type ErrorCode } from '../core/errors';
import type { AuthFailure } from './auth';
import type { ServedModel } from './predictionService';
import { DT, decodePredictResponse, encodePredictRequest, type WireTensor } from './wireCodec';
import { tensorToFloat32 } from './tensorCodec';
import type { WorkerPool } from './workerPool';

export interface RestServer {
  port: number;
  close(): Promise<void>;
}

export interface RestOptions {
  host: string;
  port: number;
  tls?: { certPem: string; keyPem: string };
  model: ServedModel;
  pool: WorkerPool;
  maxBodyBytes: number;
  authorize: (header: (name: string) => string | undefined) => AuthFailure | undefined;
  count: (ok: boolean) => void;
}

const HTTP_FOR: Partial<Record<ErrorCode, number>> = {
  NotFound: 404, AlreadyExists: 409, InvalidArgument: 400, InvalidModel: 412, HasDependents: 412, SchemaTooNew: 412,
  Busy: 429, Unavailable: 503, Cancelled: 499, Internal: 500,
};

function invalid(message: string): AccelError {
  return new AccelError('InvalidArgument', message);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isB64(v: Json): v is { b64: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { b64?: unknown }).b64 === 'string';
}

/** A list of per-example values (row format, one input) → one TensorProto. */
function tensorFromValues(inputName: string, values: Json[]): WireTensor {
  if (values.length === 0) throw invalid(`Input "${inputName}" has no instances.`);
  if (values.every(isB64)) {
    return { dtype: DT.STRING, shape: [values.length], stringVal: values.map((v) => Buffer.from((v as { b64: string }).b64, 'base64')) };
  }
  const shape: number[] = [values.length];
  let probe: Json = values[0];
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat = (values as unknown[]).flat(Infinity) as unknown[];
  const expected = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== expected || !flat.every((x) => typeof x === 'number')) {
    throw invalid(`Input "${inputName}": instances must be {"b64": ...} images or equally shaped nested arrays of numbers.`);
  }
  return { dtype: DT.FLOAT, shape, floatVal: Float32Array.from(flat as number[]) };
}

export function requestFromJson(model: ServedModel, body: Json): Uint8Array {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The body must be a JSON object with "instances" or "inputs".');
  const inputs = new Map<string, WireTensor>();
  const single = model.inputs.length === 1 ? model.inputs[0].name : undefined;
  if (Array.isArray(body.instances)) {
    const instances = body.instances;
    const named = instances.length > 0 && instances.every((i) => typeof i === 'object' && i !== null && !Array.isArray(i) && !isB64(i));
    if (named) {
      for (const spec of model.inputs) {
        inputs.set(spec.name, tensorFromValues(spec.name, instances.map((i) => (i as Record<string, Json>)[spec.name] ?? null)));
      }
    } else {
      if (!single) throw invalid(`This model has inputs ${model.inputs.map((s) => `"${s.name}"`).join(', ')}; give each instance as an object keyed by input name.`);
      inputs.set(single, tensorFromValues(single, instances));
    }
  } else if (body.inputs !== undefined) {
    const cols = body.inputs;
    if (typeof cols === 'object' && cols !== null && !Array.isArray(cols) && !isB64(cols)) {
      for (const [name, v] of Object.entries(cols)) inputs.set(name, tensorFromValues(name, Array.isArray(v) ? v : [v]));
    } else {
      if (!single) throw invalid('"inputs" must be an object keyed by input name for a model with several inputs.');
      inputs.set(single, tensorFromValues(single, Array.isArray(cols) ? cols : [cols]));
    }
  } else {
    throw invalid('The body needs "instances" (row format) or "inputs" (column format).');
  }
  return encodePredictRequest({ inputs, outputFilter: [], modelSpec: { name: '', signatureName: typeof body.signature_name === 'string' ? body.signature_name : '' } });
}

function nest(values: Float32Array, dims: number[]): Json {
  if (dims.length === 0) return values[0] ?? null;
  if (dims.length === 1) return Array.from(values);
  const step = values.length / dims[0];
  return Array.from({ length: dims[0] }, (_, i) => nest(values.subarray(i * step, (i + 1) * step), dims.slice(1)));
}

export function jsonFromResponse(bytes: Uint8Array): Json {
  const res = decodePredictResponse(bytes);
  const outs = [...res.outputs.entries()].map(([name, t]) => [name, nest(tensorToFloat32(t), t.shape ?? [])] as const);
  if (outs.length === 1) return { predictions: outs[0][1] };
  const batch = Math.max(...outs.map(([, v]) => (Array.isArray(v) ? v.length : 1)));
  return { predictions: Array.from({ length: batch }, (_, i) => Object.fromEntries(outs.map(([n, v]) => [n, Array.isArray(v) ? v[i] : v]))) };
}

export async function startRestServer(opts: RestOptions): Promise<RestServer> {
  const route = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+))?:predict$/;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (status: number, body: Json) => {
      opts.count(status === 200);
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const sendError = (e: unknown) => send((isAccelError(e) && HTTP_FOR[e.code]) || 500, { error: (e as Error).message });
    const m = route.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'POST' || !m) {
      return send(404, { error: `Not found. POST /v1/models/${opts.model.serviceName}:predict with {"instances": [...]}.` });
    }
    const name = decodeURIComponent(m[1]);
    if (name !== opts.model.serviceName && name !== opts.model.modelName) {
      return send(404, { error: `This port serves model "${opts.model.serviceName}", not "${name}". POST /v1/models/${opts.model.serviceName}:predict.` });
    }
    const denied = opts.authorize((h) => {
      const v = req.headers[h];
      return Array.isArray(v) ? v[0] : v;
    });
    if (denied) return send(denied.kind === 'unauthenticated' ? 401 : 404, { error: denied.message });
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > opts.maxBodyBytes && !aborted) {
        aborted = true;
        send(413, { error: `The body is larger than ${opts.maxBodyBytes} bytes. Send fewer instances per request.` });
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      let body: Json;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return send(400, { error: `The body is not valid JSON (${(e as Error).message}). Send {"instances": [...]}.` });
      }
      let bytes: Uint8Array;
      try {
        bytes = requestFromJson(opts.model, body);
      } catch (e) {
        return sendError(e);
      }
      opts.pool.submit(bytes, false).then((r) => send(200, jsonFromResponse(r.bytes)), sendError);
    });
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
