// Where the bundled emulator lives and which runtime versions it runs on. Used to spawn the host, to run
// standalone, and to write exported images.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../../domain/errors';

/** The folder holding dist/emulator.js: next to a bundle (dist/cli.js, dist/extension.js), or <repo>/dist from sources. */
export function distDir(): string {
  const candidates = [
    process.env.ACCEL_DIST,
    __dirname,
    path.join(__dirname, '..', 'dist'),
    path.join(__dirname, '..', '..', '..', 'dist'),
  ];
  const found = candidates.find((dir): dir is string => !!dir && fs.existsSync(path.join(dir, 'emulator.js')));
  if (!found) {
    throw new AccelError(
      'Unavailable',
      `The bundled emulator (dist/emulator.js) is missing next to ${__dirname}. Run \`npm run build\` and retry.`,
    );
  }
  return found;
}

export function emulatorScript(): string {
  return path.join(distDir(), 'emulator.js');
}

/** The installed version of a package (walks up from its entry point to its package.json). */
export function packageVersion(name: string): string {
  try {
    let dir = path.dirname(require.resolve(name));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (pkg.name === name) return String(pkg.version);
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

/** Our package version: the repo's package.json (one level up from dist, three from src/emulator/runtime). */
function ownVersion(): string {
  for (const rel of ['..', path.join('..', '..', '..')]) {
    const file = path.join(__dirname, rel, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === 'accelerated-models') return String(pkg.version);
    }
  }
  return process.env.ACCEL_RUNTIME_VERSION ?? '0.0.0';
}

export interface RuntimeVersions {
  emulator: string;
  onnxruntime: string;
  sharp: string;
}

/** Packages the bundled emulator loads from node_modules at run time (see scripts/build.mjs `external`). */
export const RUNTIME_PACKAGES = [
  'onnxruntime-node',
  'sharp',
  '@julusian/jpeg-turbo',
  'grpc-health-check',
  '@grpc/reflection',
  '@grpc/grpc-js',
];

let versions: RuntimeVersions | undefined;

export function runtimeVersions(): RuntimeVersions {
  versions ??= {
    emulator: ownVersion(),
    onnxruntime: packageVersion('onnxruntime-node'),
    sharp: packageVersion('sharp'),
  };
  return versions;
}
