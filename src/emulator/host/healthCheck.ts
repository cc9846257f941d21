// The container's HEALTHCHECK (`emulator.js --health-check`) and the engine-side readiness probe: one raw
// grpc.health.v1 Check against the serving process. Kept apart from the standalone entry so the CLI and the extension
// can probe a container without loading the serving stack (onnxruntime, sharp).
import * as fs from 'node:fs';

/**
 * The container's HEALTHCHECK (`emulator.js --health-check`): asks this container's own grpc.health.v1 for the
 * overall status, on the plain-text health port (ACCEL_HEALTH_PORT) or, with that off, on the gRPC port (TLS
 * when ACCEL_TLS_CERT_FILE is set). Resolves to the exit code: 0 SERVING, 1 anything else. Needs no curl and no
 * .proto files: the request is the empty message and the answer one varint field.
 */
export async function runHealthCheck(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 5000,
  quiet = false,
): Promise<number> {
  const say = (line: string) => (quiet ? undefined : console.log(line));
  const grpc = await import('@grpc/grpc-js');
  const healthPort = (env.ACCEL_HEALTH_PORT ?? '').trim();
  const port = Number(healthPort || env.ACCEL_PORT || 50051);
  const certFile = healthPort ? undefined : env.ACCEL_TLS_CERT_FILE;
  const credentials = certFile
    ? grpc.credentials.createSsl(fs.readFileSync(certFile), null, null, { checkServerIdentity: () => undefined })
    : grpc.credentials.createInsecure();
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials);
  const statusNames = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, value) => (err ? reject(err) : resolve(value as Buffer)),
      );
    });
    const status = reply.length >= 2 && reply[0] === 0x08 ? reply[1] : 0;
    say(`health (port ${port}): ${statusNames[status] ?? status}`);
    return status === 1 ? 0 : 1;
  } catch (e) {
    say(`health (port ${port}): ${(e as Error).message}`);
    return 1;
  } finally {
    client.close();
  }
}
