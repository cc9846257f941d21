// Starts a real service endpoint for MobileNetV2 (the shared real model) on an ephemeral loopback port.
import * as path from 'node:path';
import { labelsFor } from '../../../src/catalog/labels';
import { sha256Hex } from '../../../src/emulator/frontend/auth';
import { DevicePool } from '../../../src/emulator/runtime/devicePool';
import {
  startServiceEndpoint,
  type EndpointConfig,
  type ServiceEndpoint,
} from '../../../src/emulator/frontend/serviceEndpoint';
import { imagesDir, mobilenetPath } from '../../support/paths';

export const PRIMARY_KEY = 'primary-key-for-tests-0123456789';
export const SECONDARY_KEY = 'secondary-key-for-tests-9876543210';
export const INPUT = 'input';
export const OUTPUT = 'output';
export const imagenetLabels = () => labelsFor('imagenet-1000');

export const photo = (rel: string) => path.join(imagesDir, rel);

export const mobilenetModel = (serviceName = 'mnv2'): EndpointConfig['model'] => ({
  serviceName,
  modelName: 'mobilenetv2',
  modelVersion: 1,
  modelPath: mobilenetPath,
  inputs: [{ name: INPUT, dtype: 'float32', shape: ['batch_size', 3, 224, 224] }],
  outputs: [{ name: OUTPUT, dtype: 'float32', shape: ['batch_size', 1000] }],
  preset: 'mobilenetv2',
  labels: 'imagenet-1000',
});

export async function startMobilenet(
  overrides: Partial<EndpointConfig> = {},
  pool = new DevicePool(4),
): Promise<ServiceEndpoint> {
  const endpoint = await startServiceEndpoint(
    {
      model: mobilenetModel(),
      port: 0,
      replicas: 1,
      auth: { enabled: true, keyHashes: [sha256Hex(PRIMARY_KEY), sha256Hex(SECONDARY_KEY)] },
      ...overrides,
    },
    pool,
  );
  await endpoint.ready;
  return endpoint;
}
