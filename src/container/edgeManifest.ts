// An Azure IoT Edge deployment manifest for an image, as the original service offered for Data Box Edge:
// the $edgeAgent runtime and system modules, $edgeHub, and the model module listening on 50051 with its keys
// in the module's environment. Applied with `az iot edge set-modules --hub-name H --device-id D --content F`.
// Property names and values follow the IoT Edge docs ("Properties of the IoT Edge agent and IoT Edge hub
// module twins", "Learn how to deploy modules and establish routes in IoT Edge").
import * as crypto from 'node:crypto';
import { AccelError } from '../domain/errors';
import type { Image } from '../domain/types';
import { EXPORT_GRPC_PORT } from './buildContext';
import { validateReference } from './imageBuild';

/** IoT Edge 1.5 is the supported LTS release. */
export const EDGE_RUNTIME_VERSION = '1.5';

export interface EdgeManifestOptions {
  /** Registry host the device pulls from, e.g. myacr.azurecr.io. */
  registry: string;
  /** Module name (default: the image name, as a module name allows). */
  moduleName?: string;
  /** Registry credentials for the device (password from the caller, e.g. ACCEL_REGISTRY_PASSWORD). */
  registryUsername?: string;
  registryPassword?: string;
  /** Keys for the module (default: two new random keys). */
  primaryKey?: string;
  secondaryKey?: string;
}

export interface EdgeManifest {
  manifest: { modulesContent: Record<string, unknown> };
  moduleName: string;
  imageReference: string;
  keys: { primaryKey: string; secondaryKey: string };
}

const REGISTRY = /^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?$/;

/** The reference a device pulls: `<registry>/accel-<name>:<version>`. */
export function edgeImageReference(image: Image, registry: string): string {
  if (!REGISTRY.test(registry))
    throw new AccelError(
      'InvalidArgument',
      `--registry ${JSON.stringify(registry)} is not a registry host. Give e.g. myacr.azurecr.io (push the image there first).`,
    );
  return validateReference(`${registry}/accel-${image.name}:${image.version}`, '--registry');
}

export function edgeManifest(image: Image, options: EdgeManifestOptions): EdgeManifest {
  const imageReference = edgeImageReference(image, options.registry);
  const moduleName = options.moduleName ?? image.name.replace(/[^A-Za-z0-9_-]/g, '-');
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(moduleName) || moduleName.startsWith('$')) {
    throw new AccelError(
      'InvalidArgument',
      `Module name ${JSON.stringify(moduleName)} is not valid. Use letters, digits, "-" or "_" (e.g. mobilenet).`,
    );
  }
  const keys = {
    primaryKey: options.primaryKey ?? crypto.randomBytes(32).toString('base64url'),
    secondaryKey: options.secondaryKey ?? crypto.randomBytes(32).toString('base64url'),
  };
  if (!!options.registryUsername !== !!options.registryPassword) {
    throw new AccelError(
      'InvalidArgument',
      'Registry credentials need both the user name (--registry-username) and the password (ACCEL_REGISTRY_PASSWORD); give both or neither (a registry the device can already pull from).',
    );
  }
  const port = `${EXPORT_GRPC_PORT}/tcp`;
  // createOptions is a string holding the Docker create options (JSON), as the edge agent expects.
  const moduleCreateOptions = JSON.stringify({
    ExposedPorts: { [port]: {} },
    HostConfig: { PortBindings: { [port]: [{ HostPort: String(EXPORT_GRPC_PORT) }] } },
  });
  const hubCreateOptions = JSON.stringify({
    HostConfig: {
      PortBindings: {
        '5671/tcp': [{ HostPort: '5671' }],
        '8883/tcp': [{ HostPort: '8883' }],
        '443/tcp': [{ HostPort: '443' }],
      },
    },
  });
  const manifest = {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: {
            type: 'docker',
            settings: {
              minDockerVersion: 'v1.25',
              ...(options.registryUsername
                ? {
                    registryCredentials: {
                      [options.registry.split(/[.:]/)[0]]: {
                        username: options.registryUsername,
                        password: options.registryPassword!,
                        address: options.registry,
                      },
                    },
                  }
                : {}),
            },
          },
          systemModules: {
            edgeAgent: {
              type: 'docker',
              settings: { image: `mcr.microsoft.com/azureiotedge-agent:${EDGE_RUNTIME_VERSION}`, createOptions: '{}' },
            },
            edgeHub: {
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              startupOrder: 0,
              settings: {
                image: `mcr.microsoft.com/azureiotedge-hub:${EDGE_RUNTIME_VERSION}`,
                createOptions: hubCreateOptions,
              },
            },
          },
          modules: {
            [moduleName]: {
              version: String(image.version),
              type: 'docker',
              status: 'running',
              restartPolicy: 'always',
              imagePullPolicy: 'on-create',
              startupOrder: 1,
              env: {
                ACCEL_PRIMARY_KEY: { value: keys.primaryKey },
                ACCEL_SECONDARY_KEY: { value: keys.secondaryKey },
                ACCEL_SERVICE_NAME: { value: moduleName },
              },
              settings: { image: imageReference, createOptions: moduleCreateOptions },
            },
          },
        },
      },
      $edgeHub: {
        'properties.desired': {
          schemaVersion: '1.1',
          routes: {},
          storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
        },
      },
    },
  };
  return { manifest, moduleName, imageReference, keys };
}
