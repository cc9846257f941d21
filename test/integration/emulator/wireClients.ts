// Clients for the tests that are NOT our PredictionClient: one built only from the .proto files with
// proto-loader + grpc-js (what any TF Serving client does), and a raw-bytes caller for malformed requests.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import { repoRoot } from '../../support/paths';

const protoDir = path.join(repoRoot, 'protos');

export function tfServingStub(
  port: number,
  creds = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): grpc.Client & Record<string, Function> {
  const def = protoLoader.loadSync(['tensorflow_serving/apis/prediction_service.proto'], {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return new pkg.tensorflow.serving.PredictionService(`127.0.0.1:${port}`, creds, {
    'grpc.max_receive_message_length': -1,
    ...options,
  });
}

export function bearer(key?: string, extra: Record<string, string> = {}): grpc.Metadata {
  const md = new grpc.Metadata();
  if (key !== undefined) md.set('authorization', `Bearer ${key}`);
  for (const [k, v] of Object.entries(extra)) md.set(k, v);
  return md;
}

export function unary<T = any>(
  stub: any,
  method: string,
  request: object,
  md = new grpc.Metadata(),
  deadlineMs = 20_000,
): Promise<T> {
  return new Promise((resolve, reject) =>
    stub[method](request, md, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

/** Sends arbitrary bytes as a Predict request; resolves with the status (OK or the error). */
export function rawPredict(
  client: grpc.Client,
  bytes: Uint8Array,
  md = new grpc.Metadata(),
  deadlineMs = 20_000,
): Promise<{ code: grpc.status; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest<Uint8Array, Buffer>(
      '/tensorflow.serving.PredictionService/Predict',
      (b) => Buffer.from(b),
      (b) => b,
      bytes,
      md,
      { deadline: Date.now() + deadlineMs },
      (err) => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

export function healthCheck(port: number, service = ''): Promise<string> {
  const def = protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), {
    keepCase: true,
    enums: String,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.Check(
      { service },
      { deadline: Date.now() + 20_000 },
      (err: grpc.ServiceError | null, res: { status: string }) => {
        client.close();
        return err ? reject(err) : resolve(res.status);
      },
    ),
  );
}
