// Standalone single-service mode: what an exported image runs. No store: the model, its runtime manifest,
// keys and TLS material come from files, flags and the environment.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { AccelError } from '../../domain/errors';
import { MANIFEST_KIND, type RuntimeManifest } from '../../core/images';
import type { Logger } from '../../domain/ports';
import { hashKey } from '../../core/services';
import { DevicePool } from '../runtime/devicePool';
import { startServiceEndpoint } from '../frontend/serviceEndpoint';

export { runHealthCheck } from './healthCheck';

export interface StandaloneOptions {
  manifest: string;
  model: string;
  port: number;
  restPort?: number;
  /** Plain-text grpc.health.v1 only (no Predict, no keys), for probes that cannot speak TLS. */
  healthPort?: number;
  host?: string;
  replicas?: number;
  devices?: number;
  serviceName?: string;
  tlsCert?: string;
  tlsKey?: string;
}

function fromEnvOrFile(name: string): string | undefined {
  const direct = process.env[name];
  if (direct) return direct.trim();
  const file = process.env[`${name}_FILE`];
  if (file) {
    if (!fs.existsSync(file))
      throw new AccelError('InvalidArgument', `${name}_FILE=${file}: no such file. Mount the key file or set ${name}.`);
    return fs.readFileSync(file, 'utf8').trim();
  }
  return undefined;
}

export async function runStandalone(options: StandaloneOptions, log: Logger): Promise<() => Promise<void>> {
  if (!fs.existsSync(options.manifest))
    throw new AccelError(
      'InvalidArgument',
      `--manifest ${options.manifest}: no such file. Pass the manifest.json of an exported image.`,
    );
  if (!fs.existsSync(options.model))
    throw new AccelError(
      'InvalidArgument',
      `--model ${options.model}: no such file. Pass the model file of an exported image.`,
    );
  const manifest = JSON.parse(fs.readFileSync(options.manifest, 'utf8')) as RuntimeManifest;
  if (manifest.kind !== MANIFEST_KIND)
    throw new AccelError(
      'InvalidArgument',
      `${options.manifest} is not an Accelerated Models runtime manifest. Export the image again with \`accel image export\`.`,
    );
  const sha = crypto.createHash('sha256').update(fs.readFileSync(options.model)).digest('hex');
  if (sha !== manifest.model.sha256) {
    throw new AccelError(
      'InvalidModel',
      `${options.model} does not match the manifest (sha256 ${sha}, expected ${manifest.model.sha256}). Export the image again.`,
    );
  }
  const keys = [fromEnvOrFile('ACCEL_PRIMARY_KEY'), fromEnvOrFile('ACCEL_SECONDARY_KEY')].filter(
    (k): k is string => !!k,
  );
  const authDisabled = (process.env.ACCEL_AUTH ?? '').toLowerCase() === 'disabled';
  if (!keys.length && !authDisabled) {
    throw new AccelError(
      'InvalidArgument',
      'No key configured: set ACCEL_PRIMARY_KEY (and optionally ACCEL_SECONDARY_KEY), or mount key files and set ACCEL_PRIMARY_KEY_FILE; set ACCEL_AUTH=disabled to serve without keys.',
    );
  }
  const certFile = options.tlsCert ?? process.env.ACCEL_TLS_CERT_FILE;
  const keyFile = options.tlsKey ?? process.env.ACCEL_TLS_KEY_FILE;
  if (!!certFile !== !!keyFile)
    throw new AccelError(
      'InvalidArgument',
      'TLS needs both a certificate and a key: set ACCEL_TLS_CERT_FILE and ACCEL_TLS_KEY_FILE (or --tls-cert and --tls-key).',
    );
  const tls =
    certFile && keyFile
      ? { certPem: fs.readFileSync(certFile, 'utf8'), keyPem: fs.readFileSync(keyFile, 'utf8') }
      : undefined;
  const replicas = options.replicas ?? 1;
  const serviceName = options.serviceName ?? manifest.model.name;
  const pool = new DevicePool(options.devices ?? replicas);
  const endpoint = await startServiceEndpoint(
    {
      model: {
        serviceName,
        modelName: manifest.model.name,
        modelVersion: manifest.model.version,
        modelPath: options.model,
        inputs: manifest.inputs,
        outputs: manifest.outputs,
        preset: manifest.preset,
        preprocessing: manifest.preprocessing,
        labels: manifest.labels,
      },
      host: options.host ?? '0.0.0.0',
      port: options.port,
      restPort: options.restPort,
      healthPort: options.healthPort,
      replicas,
      auth: { enabled: !authDisabled, keyHashes: keys.map(hashKey) },
      tls,
      logger: log,
    },
    pool,
  );
  await endpoint.ready;
  log.info(
    `serving ${serviceName} (model ${manifest.model.name}:${manifest.model.version}) on grpc port ${endpoint.port}${endpoint.restPort ? `, rest port ${endpoint.restPort}` : ''}${endpoint.healthPort ? `, health port ${endpoint.healthPort}` : ''}${tls ? ' with TLS' : ''}, auth ${authDisabled ? 'disabled' : 'on'}`,
  );
  return () => endpoint.stop();
}
