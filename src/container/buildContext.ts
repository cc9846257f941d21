// The Docker/OCI build context of an image: Dockerfile, README, the bundled emulator, the run-time packages
// vendored for linux-x64 (so the build needs no network), the model (always model/model.onnx) and its manifest.
// Every generated line is built from validated values through the quoting helpers below; nothing a user named
// is pasted into a Dockerfile instruction or a README unquoted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import type { RuntimeManifest } from '../core/images';
import { hasControlCharacter } from '../domain/names';
import type { Image } from '../domain/types';
import { packageVersion, RUNTIME_PACKAGES } from '../emulator/runtime/bundles';
import { SERVING_NODE_FLAGS } from '../emulator/host/nodeFlags';

/** The gRPC port an exported image listens on (the Data Box Edge container port of the original service). */
export const EXPORT_GRPC_PORT = 50051;
/** Plain-text grpc.health.v1 only, for probes that cannot speak TLS (the kubelet's gRPC probe). */
export const EXPORT_HEALTH_PORT = 50052;
/** Default base image: Node 22 LTS on Debian 12 slim. Override with `--build-arg BASE_IMAGE=...`. */
export const DEFAULT_BASE_IMAGE = 'node:22-bookworm-slim';
/** The container's user: not root, and numeric so that it needs no passwd entry in the base image. */
export const CONTAINER_USER = '10001:10001';
/** Where the model lives in the context and the image, whatever its registered file name was. */
export const MODEL_PATH = 'model/model.onnx';
export const LABEL_PREFIX = 'com.accelerated-models';

/** Packages that only their install scripts or native builds use (onnxruntime-node's CUDA download, cmake-js). */
const INSTALL_TIME_ONLY = new Set(['adm-zip', 'global-agent', 'cmake-js', 'node-addon-api']);
/** Tokens of prebuild folder names for platforms other than linux-x64 (glibc). */
const OTHER_PLATFORMS = new Set([
  'darwin',
  'win32',
  'freebsd',
  'openbsd',
  'android',
  'sunos',
  'aix',
  'musl',
  'arm',
  'arm64',
  'ia32',
  'ppc64',
  's390x',
  'riscv64',
  'wasm32',
  'armv7',
  'armv6',
]);

/** A Dockerfile double-quoted word: `\`, `"` and `$` escaped (no variable expansion); control characters refused. */
export function dockerQuote(value: string): string {
  if (hasControlCharacter(value))
    throw new AccelError(
      'InvalidArgument',
      `${JSON.stringify(value)} cannot go into a Dockerfile: it has a line break or control character.`,
    );
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** Exec form (a JSON array): no shell ever parses the arguments. */
export function execForm(args: string[]): string {
  for (const a of args) dockerQuote(a);
  return JSON.stringify(args);
}

/** Text for a Markdown code span: control characters and backticks replaced, so it stays on its line and in its span. */
export function markdownCode(value: string): string {
  let out = '';
  for (const ch of value) out += hasControlCharacter(ch) ? '\uFFFD' : ch === '`' ? "'" : ch;
  return `\`${out}\``;
}

export function imageLabels(image: Image, manifest: RuntimeManifest): Record<string, string> {
  return {
    'org.opencontainers.image.title': `accel-${image.name}`,
    'org.opencontainers.image.version': String(image.version),
    'org.opencontainers.image.description': `Accelerated Models image ${image.id}: model ${manifest.model.name}:${manifest.model.version} served over the TensorFlow Serving gRPC API`,
    'org.opencontainers.image.created': image.createdTime,
    [`${LABEL_PREFIX}.image`]: image.id,
    [`${LABEL_PREFIX}.image.digest`]: `sha256:${image.digest}`,
    [`${LABEL_PREFIX}.model`]: `${manifest.model.name}:${manifest.model.version}`,
    [`${LABEL_PREFIX}.model.sha256`]: manifest.model.sha256,
  };
}

export function dockerfile(image: Image, manifest: RuntimeManifest): string {
  const labels = Object.entries(imageLabels(image, manifest)).map(([k, v]) => `      ${k}=${dockerQuote(v)}`);
  return [
    `# Accelerated Models image ${image.name}:${image.version} (digest sha256:${image.digest}). Builds with no network:`,
    '# the run-time packages are in node_modules/ (linux-x64). See README.md.',
    `ARG BASE_IMAGE=${DEFAULT_BASE_IMAGE}`,
    'FROM ${BASE_IMAGE}',
    'WORKDIR /app',
    `ENV NODE_ENV=production ACCEL_PORT=${EXPORT_GRPC_PORT} ACCEL_HEALTH_PORT=${EXPORT_HEALTH_PORT}`,
    'COPY node_modules/ ./node_modules/',
    'COPY dist/ ./dist/',
    'COPY media/ ./media/',
    'COPY model/ ./model/',
    `LABEL ${labels.join(' \\\n').trimStart()}`,
    `USER ${CONTAINER_USER}`,
    `EXPOSE ${EXPORT_GRPC_PORT} ${EXPORT_HEALTH_PORT}`,
    `HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 CMD ${execForm(['node', 'dist/emulator.js', '--health-check'])}`,
    `CMD ${execForm(['node', ...SERVING_NODE_FLAGS, 'dist/emulator.js', '--standalone', '--manifest', 'model/manifest.json', '--model', MODEL_PATH])}`,
    '',
  ].join('\n');
}

export function readme(image: Image, manifest: RuntimeManifest): string {
  const tag = `${image.name}:${image.version}`;
  const names = (list: { name: string }[]) => list.map((t) => markdownCode(t.name)).join(', ');
  return `# Accelerated Models image ${image.id}

A self-contained build context for the service image ${markdownCode(image.id)} (digest ${markdownCode(`sha256:${image.digest}`)}):
model ${markdownCode(`${manifest.model.name}:${manifest.model.version}`)} (registered as ${markdownCode(manifest.model.fileName)}, here ${markdownCode(MODEL_PATH)}),
preset ${markdownCode(manifest.preset)}, labels ${markdownCode(Array.isArray(manifest.labels) ? `${manifest.labels.length} custom classes` : String(manifest.labels))}, served over the TensorFlow Serving gRPC API
(Predict, GetModelMetadata, health, reflection).

## Build and run

The build needs no network: the run-time packages are vendored in \`node_modules/\` for linux-x64.

    docker build --network none -t ${tag} .
    docker run -d -p ${EXPORT_GRPC_PORT}:${EXPORT_GRPC_PORT} -e ACCEL_PRIMARY_KEY=<a long random key> ${tag}

(podman: \`podman build --format docker ...\` keeps the HEALTHCHECK.) The base image is \`${DEFAULT_BASE_IMAGE}\`;
any glibc Linux image with Node 22 at /usr/local/bin/node works: \`--build-arg BASE_IMAGE=<image>\`.
The container runs as user ${CONTAINER_USER} (not root); its HEALTHCHECK asks the server's own \`grpc.health.v1\`.

Clients call \`/tensorflow.serving.PredictionService/Predict\` on port ${EXPORT_GRPC_PORT} with the metadata
\`authorization: Bearer <key>\`; inputs: ${names(manifest.inputs)} (JPEG/PNG bytes as DT_STRING, or DT_FLOAT);
outputs: ${names(manifest.outputs)}.

## Settings (environment)

| Variable | Meaning |
|---|---|
| \`ACCEL_PRIMARY_KEY\`, \`ACCEL_SECONDARY_KEY\` | accepted keys (or \`ACCEL_PRIMARY_KEY_FILE\` / \`ACCEL_SECONDARY_KEY_FILE\` naming mounted files) |
| \`ACCEL_AUTH=disabled\` | serve without keys (the container refuses to start with no key unless this is set) |
| \`ACCEL_TLS_CERT_FILE\`, \`ACCEL_TLS_KEY_FILE\` | PEM certificate and key files (mounted) to serve TLS |
| \`ACCEL_SERVICE_NAME\` | the service name checked in \`x-ms-aml-grpc-service-route\` (default ${markdownCode(manifest.model.name)}) |
| \`ACCEL_PORT\` | gRPC port (default ${EXPORT_GRPC_PORT}) |
| \`ACCEL_REPLICAS\`, \`ACCEL_DEVICES\` | emulated accelerator devices and replicas (default 1) |
| \`ACCEL_REST_PORT\` | also serve the TF Serving REST API on this port |
| \`ACCEL_HEALTH_PORT\` | plain-text \`grpc.health.v1\` port (default ${EXPORT_HEALTH_PORT}; empty = off): health only, no keys, for probes that cannot speak TLS |

## Contents

- \`Dockerfile\`, \`package.json\` (the vendored run-time packages and their versions: ${RUNTIME_PACKAGES.map((n) => `${n} ${packageVersion(n)}`).join(', ')})
- \`node_modules/\`: the run-time packages with their linux-x64 native prebuilds
- \`dist/\`: the bundled emulator (\`emulator.js\`, \`inferenceWorker.js\`) and its .proto files
- \`media/labels/\`: class labels
- \`${MODEL_PATH}\`, \`model/manifest.json\`: the model and its runtime manifest

Run without a container (Node 22, linux-x64):
\`ACCEL_PRIMARY_KEY=<key> node ${SERVING_NODE_FLAGS.join(' ')} dist/emulator.js --standalone --manifest model/manifest.json --model ${MODEL_PATH}\`.
`;
}

function isOtherPlatform(relInPackage: string): boolean {
  const parts = relInPackage.split(path.sep);
  if (parts[0] !== 'bin' && parts[0] !== 'prebuilds') return false;
  return parts.some((segment) => segment.split(/[-_.]/).some((token) => OTHER_PLATFORMS.has(token)));
}

/** The folder of package `name` as Node would resolve it from `fromDir` (nearest node_modules up to `appRoot`). */
function resolvePackageDir(fromDir: string, name: string, appRoot: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (dir === appRoot) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The installed folders of the run-time packages and everything they need at run time. */
export function runtimePackageDirs(appRoot: string, roots: string[] = RUNTIME_PACKAGES): string[] {
  const found = new Set<string>();
  const visit = (fromDir: string, name: string, neededBy: string) => {
    if (INSTALL_TIME_ONLY.has(name) || name.startsWith('@types/')) return; // type declarations never load at run time
    const dir = resolvePackageDir(fromDir, name, appRoot);
    if (!dir) {
      if (neededBy === 'optional') return;
      throw new AccelError(
        'Unavailable',
        `The run-time package ${name} (needed by ${neededBy}) is not installed under ${appRoot}/node_modules. Run \`npm ci\` and export again.`,
      );
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dir, dep, name);
    // Platform packages (sharp's @img/*): only the ones npm installed, which here are linux-x64's.
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dir, dep, 'optional');
  };
  for (const name of roots) visit(appRoot, name, 'the emulator');
  return [...found].sort();
}

/** Copies the run-time packages into `<dest>/node_modules`, same layout, without other platforms' binaries. */
export function vendorRuntimePackages(appRoot: string, dest: string): { packages: number; bytes: number } {
  let bytes = 0;
  const dirs = runtimePackageDirs(appRoot);
  for (const dir of dirs) {
    const target = path.join(dest, path.relative(appRoot, dir));
    fs.cpSync(dir, target, {
      recursive: true,
      dereference: true,
      filter: (src) => {
        const rel = path.relative(dir, src);
        if (rel === '') return true;
        if (rel.split(path.sep)[0] === 'node_modules') return false; // nested packages come in through the closure
        if (isOtherPlatform(rel)) return false;
        const stat = fs.statSync(src);
        if (stat.isFile()) bytes += stat.size;
        return true;
      },
    });
  }
  return { packages: dirs.length, bytes };
}

/**
 * COPY keeps file modes and the container runs as ${CONTAINER_USER}, so the files inside must be world-readable
 * (the store keeps its blobs 0600). The context folder itself stays private to its owner.
 */
function readableInside(root: string): void {
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        fs.chmodSync(p, 0o755);
        walk(p);
      } else if (e.isFile()) {
        fs.chmodSync(p, fs.statSync(p).mode & 0o111 ? 0o755 : 0o644);
      }
    }
  };
  walk(root);
  fs.chmodSync(root, 0o700);
}

export interface BuildContextInput {
  image: Image;
  manifest: RuntimeManifest;
  manifestFile: string;
  modelFile: string;
  distDir: string;
}

/** Writes the build context into `target` (a new or empty folder) through a sibling staging folder. Returns its files (node_modules/ as one entry). */
export function writeBuildContext(input: BuildContextInput, target: string): string[] {
  const { image, manifest, distDir } = input;
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new AccelError('AlreadyExists', `${target} is not empty. Export into a new or empty folder.`);
  }
  const appRoot = path.resolve(distDir, '..');
  const labelsDir = path.join(appRoot, 'media', 'labels');
  if (!fs.existsSync(labelsDir))
    throw new AccelError('Internal', `media/labels is missing next to ${distDir}. Reinstall or rebuild the extension.`);
  const staging = `${target}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(path.join(staging, 'dist'), { recursive: true });
    for (const file of ['emulator.js', 'inferenceWorker.js'])
      fs.copyFileSync(path.join(distDir, file), path.join(staging, 'dist', file));
    fs.cpSync(path.join(distDir, 'protos'), path.join(staging, 'dist', 'protos'), { recursive: true });
    fs.cpSync(labelsDir, path.join(staging, 'media', 'labels'), { recursive: true });
    fs.mkdirSync(path.join(staging, 'model'));
    fs.copyFileSync(input.modelFile, path.join(staging, MODEL_PATH));
    fs.copyFileSync(input.manifestFile, path.join(staging, 'model', 'manifest.json'));
    vendorRuntimePackages(appRoot, staging);
    const pkg = {
      name: `accel-image-${image.name}`,
      version: `${image.version}.0.0`,
      private: true,
      description: `Accelerated Models image ${image.id} (sha256:${image.digest}); node_modules/ holds these packages for linux-x64`,
      dependencies: Object.fromEntries(RUNTIME_PACKAGES.map((name) => [name, packageVersion(name)])),
    };
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    fs.writeFileSync(path.join(staging, 'Dockerfile'), dockerfile(image, manifest));
    fs.writeFileSync(path.join(staging, '.dockerignore'), 'README.md\n');
    fs.writeFileSync(path.join(staging, 'README.md'), readme(image, manifest));
    readableInside(staging);
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(staging, target);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && p === path.join(target, 'node_modules')) files.push('node_modules/');
      else if (e.isDirectory()) walk(p);
      else files.push(path.relative(target, p));
    }
  };
  walk(target);
  return files.sort();
}
