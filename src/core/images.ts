// Images: one model packaged with its preprocessing, tensor names and a runtime manifest. The manifest is a
// blob and the image's digest is its sha256, so the same model + settings + runtime always give the same digest.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labelsFor } from '../catalog/labels';
import { inspectOnnx } from '../convert/onnxModel';
import { distDir, packageVersion, RUNTIME_PACKAGES, runtimeVersions } from '../emulator/bundles';
import { SERVING_NODE_FLAGS } from '../emulator/nodeFlags';
import { assertCanDelete } from './dependencies';
import { AccelError } from './errors';
import { findModel } from './models';
import { parseVersionedRef, validateName } from './names';
import type { WorkspaceStore } from './ports';
import { presetOf } from './presets';
import type { Image, LabelSet, Model, PreprocessingPreset, PresetName, TensorSpec, WorkspaceState } from './types';

export const MANIFEST_KIND = 'accel-runtime-manifest';
/** The gRPC port an exported image listens on (the Data Box Edge container port of the original service). */
export const EXPORT_GRPC_PORT = 50051;
/** Plain-text grpc.health.v1 only, for probes that cannot speak TLS (the kubelet's gRPC probe). */
export const EXPORT_HEALTH_PORT = 50052;

export interface RuntimeManifest {
  kind: typeof MANIFEST_KIND;
  schemaVersion: 1;
  model: { name: string; version: number; framework: 'onnx'; sha256: string; sizeBytes: number; fileName: string };
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  preset: PresetName;
  /** The model's custom preprocessing, when it has one (see Model.preprocessing). */
  preprocessing?: PreprocessingPreset;
  labels: LabelSet;
  runtime: { emulator: string; onnxruntime: string };
}

export function findImage(state: WorkspaceState, ref: string): Image {
  const { name, version } = parseVersionedRef(ref, 'image');
  const same = state.images.filter((i) => i.name === name);
  const hit = version === undefined ? same.sort((a, b) => b.version - a.version)[0] : same.find((i) => i.version === version);
  if (!hit) {
    const known = same.map((i) => i.id).join(', ');
    throw new AccelError('NotFound', `No image "${ref}" in this workspace${known ? ` (versions: ${known})` : ''}. List them with \`accel image list\`.`);
  }
  return hit;
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function shapeText(t: TensorSpec): string {
  return `${t.name} ${t.dtype} [${t.shape.join(',')}]`;
}

/** Checks the model against its preset; returns log lines, throws with the fix when they cannot work together. */
function checkPreset(model: Model): string[] {
  const preset = presetOf(model);
  if (preset.name === 'none') return ['preset none: the service accepts numeric tensors only (no server-side image decoding)'];
  const input = model.inputs[0];
  const shape = input?.shape ?? [];
  const fits = (d: unknown, n: number) => typeof d !== 'number' || d === n;
  const nchw = shape.length === 4 && fits(shape[1], 3) && fits(shape[2], preset.height) && fits(shape[3], preset.width);
  const nhwc = shape.length === 4 && fits(shape[1], preset.height) && fits(shape[2], preset.width) && fits(shape[3], 3);
  if (!input || !(input.dtype === 'float32') || !(nchw || nhwc)) {
    throw new AccelError('InvalidModel', `Model ${model.id} uses preset "${preset.name}" (${preset.height}x${preset.width} RGB images) but its input is ${input ? shapeText(input) : 'missing'}; the service could not feed it decoded images. Register the model with the preset that matches its input (--preset), or --preset none to send float tensors only.`);
  }
  return [`preset ${preset.name}: ${preset.height}x${preset.width} ${preset.channelOrder}, layout ${nchw ? 'NCHW' : 'NHWC'} matches input ${shapeText(input)}`];
}

function checkLabels(model: Model): string {
  const count = labelsFor(model.labels).length;
  const width = model.outputs[0]?.shape.at(-1);
  if (model.labels === 'none') return 'labels: none (scores are reported by class index)';
  if (typeof width === 'number' && width !== count) return `labels ${model.labels}: WARNING ${count} labels but output width ${width}; top-k labels may be shifted`;
  return `labels ${model.labels}: ${count} classes`;
}

export interface CreateImageOptions {
  description?: string;
  tags?: Record<string, string>;
}

/** Validates the model, writes the manifest and build log blobs, and records `name:<next version>`. */
export async function createImage(store: WorkspaceStore, workspace: string, name: string, modelRef: string, options: CreateImageOptions = {}): Promise<Image> {
  validateName('image', name);
  const before = await store.read(workspace);
  const model = findModel(before, modelRef);
  if (model.framework !== 'onnx') {
    throw new AccelError('InvalidModel', `Model ${model.id} is a TensorFlow model; an image holds an ONNX model. Convert it first: \`accel model convert ${model.id} --input <tensor> --output <tensor>\`, then create the image from the converted model.`);
  }
  const log: string[] = [`image ${name} from model ${model.id} (${model.framework}${model.parentId ? `, converted from ${model.parentId}` : ''})`];
  const blobFile = store.blobPath(workspace, model.blob);
  if (!fs.existsSync(blobFile)) {
    throw new AccelError('InvalidModel', `The file of model ${model.id} is missing from the store (${blobFile}). Register the model again and create the image from the new version.`);
  }
  const actual = sha256File(blobFile);
  if (actual !== model.blob) {
    throw new AccelError('InvalidModel', `The stored file of model ${model.id} is damaged (sha256 ${actual}, expected ${model.blob}). Register the model again.`);
  }
  log.push(`model file: ${model.fileName}, ${model.sizeBytes} bytes, sha256 ${model.blob} (verified)`);
  const summary = inspectOnnx(fs.readFileSync(blobFile), `the file of model ${model.id}`);
  const sameNames = (a: TensorSpec[], b: TensorSpec[]) => a.map((t) => t.name).join('\n') === b.map((t) => t.name).join('\n');
  if (!sameNames(summary.inputs, model.inputs) || !sameNames(summary.outputs, model.outputs)) {
    throw new AccelError('InvalidModel', `The tensors of model ${model.id}'s file (${summary.inputs.map((t) => t.name)} → ${summary.outputs.map((t) => t.name)}) differ from its registry record. Register the model again.`);
  }
  log.push(`ONNX: IR ${summary.irVersion}, opsets ${summary.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}, ${summary.nodeCount} nodes`);
  log.push(`inputs: ${model.inputs.map(shapeText).join('; ')}`);
  log.push(`outputs: ${model.outputs.map(shapeText).join('; ')}`);
  log.push(...checkPreset(model));
  log.push(checkLabels(model));

  const versions = runtimeVersions();
  const manifest: RuntimeManifest = {
    kind: MANIFEST_KIND,
    schemaVersion: 1,
    model: { name: model.name, version: model.version, framework: 'onnx', sha256: model.blob, sizeBytes: model.sizeBytes, fileName: model.fileName },
    inputs: model.inputs,
    outputs: model.outputs,
    preset: model.preset,
    ...(model.preprocessing ? { preprocessing: model.preprocessing } : {}),
    labels: model.labels,
    runtime: { emulator: versions.emulator, onnxruntime: versions.onnxruntime },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
  const { sha256: digest } = await store.putBlob(workspace, { bytes: manifestBytes });
  log.push(`runtime: emulator ${versions.emulator}, onnxruntime-node ${versions.onnxruntime}`);
  log.push(`manifest: ${manifestBytes.length} bytes, digest sha256:${digest}`);

  return store.update(workspace, async (state) => {
    if (!state.models.some((m) => m.id === model.id)) {
      throw new AccelError('NotFound', `Model ${model.id} was deleted while the image was being built. Register it again and retry.`);
    }
    const version = Math.max(0, ...state.images.filter((i) => i.name === name).map((i) => i.version)) + 1;
    const createdTime = new Date().toISOString();
    const logText = [`${createdTime} building ${name}:${version}`, ...log, `image ${name}:${version} Succeeded`].join('\n') + '\n';
    const { sha256: logBlob } = await store.putBlob(workspace, { bytes: Buffer.from(logText, 'utf8') });
    const image: Image = {
      id: `${name}:${version}`, name, version, modelId: model.id, description: options.description, tags: options.tags ?? {},
      createdTime, state: 'Succeeded', digest, logBlob,
    };
    if (image.description === undefined) delete image.description;
    state.images.push(image);
    return image;
  });
}

export interface ListImagesFilter {
  name?: string;
  modelId?: string;
  tag?: string;
}

export async function listImages(store: WorkspaceStore, workspace: string, filter: ListImagesFilter = {}): Promise<Image[]> {
  const state = await store.read(workspace);
  return state.images.filter((i) => {
    if (filter.name && i.name !== filter.name) return false;
    if (filter.modelId && i.modelId !== filter.modelId) return false;
    if (filter.tag) {
      const [k, v] = filter.tag.split('=', 2);
      if (!(k in i.tags) || (v !== undefined && i.tags[k] !== v)) return false;
    }
    return true;
  });
}

export async function getImage(store: WorkspaceStore, workspace: string, ref: string): Promise<Image> {
  return findImage(await store.read(workspace), ref);
}

export async function readImageManifest(store: WorkspaceStore, workspace: string, image: Image): Promise<RuntimeManifest> {
  return JSON.parse(fs.readFileSync(store.blobPath(workspace, image.digest), 'utf8')) as RuntimeManifest;
}

export async function readImageLog(store: WorkspaceStore, workspace: string, ref: string): Promise<string> {
  const image = await getImage(store, workspace, ref);
  if (!image.logBlob) return `(image ${image.id} has no build log)\n`;
  return fs.readFileSync(store.blobPath(workspace, image.logBlob), 'utf8');
}

/** `ref` must name one version (`name:version`); refuses while a service uses it. */
export async function deleteImage(store: WorkspaceStore, workspace: string, ref: string): Promise<Image> {
  if (parseVersionedRef(ref, 'image').version === undefined) {
    throw new AccelError('InvalidArgument', `Name the version to delete: \`accel image delete ${ref}:<version>\` (see \`accel image list --name ${ref}\`).`);
  }
  const image = await store.update(workspace, (state) => {
    const found = findImage(state, ref);
    assertCanDelete(state, { kind: 'image', id: found.id });
    state.images = state.images.filter((i) => i.id !== found.id);
    return found;
  });
  await store.releaseBlobs?.(workspace, [image.digest, ...(image.logBlob ? [image.logBlob] : [])]);
  return image;
}

const README = (image: Image, manifest: RuntimeManifest) => `# Accelerated Models image ${image.id}

A self-contained Docker build context for the service image \`${image.id}\` (digest \`sha256:${image.digest}\`):
model \`${manifest.model.name}:${manifest.model.version}\` (${manifest.model.fileName}), preset \`${manifest.preset}\`,
labels \`${manifest.labels}\`, served over the TensorFlow Serving gRPC API (Predict, GetModelMetadata, health, reflection).

## Build and run

    docker build -t ${image.name}:${image.version} .
    docker run -p ${EXPORT_GRPC_PORT}:${EXPORT_GRPC_PORT} -e ACCEL_PRIMARY_KEY=<a long random key> ${image.name}:${image.version}

Clients call \`/tensorflow.serving.PredictionService/Predict\` on port ${EXPORT_GRPC_PORT} with the metadata
\`authorization: Bearer <key>\`; inputs: ${manifest.inputs.map((t) => `\`${t.name}\``).join(', ')} (JPEG/PNG bytes as DT_STRING, or DT_FLOAT);
outputs: ${manifest.outputs.map((t) => `\`${t.name}\``).join(', ')}.

## Settings (environment)

| Variable | Meaning |
|---|---|
| \`ACCEL_PRIMARY_KEY\`, \`ACCEL_SECONDARY_KEY\` | accepted keys (or \`ACCEL_PRIMARY_KEY_FILE\` / \`ACCEL_SECONDARY_KEY_FILE\` naming mounted files) |
| \`ACCEL_AUTH=disabled\` | serve without keys (the container refuses to start with no key unless this is set) |
| \`ACCEL_TLS_CERT_FILE\`, \`ACCEL_TLS_KEY_FILE\` | PEM certificate and key files (mounted) to serve TLS |
| \`ACCEL_SERVICE_NAME\` | the service name checked in \`x-ms-aml-grpc-service-route\` (default \`${image.name}\`) |
| \`ACCEL_REPLICAS\`, \`ACCEL_DEVICES\` | emulated accelerator devices and replicas (default 1) |
| \`ACCEL_REST_PORT\` | also serve the TF Serving REST API on this port |
| \`ACCEL_HEALTH_PORT\` | plain-text \`grpc.health.v1\` port (default ${EXPORT_HEALTH_PORT}; empty = off): health only, no keys, for probes that cannot speak TLS |

## Contents

- \`Dockerfile\`
- \`package.json\`: the run-time packages, pinned (${RUNTIME_PACKAGES.map((n) => `${n} ${packageVersion(n)}`).join(', ')})
- \`dist/\`: the bundled emulator (\`emulator.js\`, \`inferenceWorker.js\`) and its .proto files
- \`media/labels/\`: class labels
- \`model/${manifest.model.fileName}\`, \`model/manifest.json\`: the model and its runtime manifest

Run without Docker (Node 20): \`npm install\` here, then
\`node ${SERVING_NODE_FLAGS.join(' ')} dist/emulator.js --standalone --manifest model/manifest.json --model model/${manifest.model.fileName} --port ${EXPORT_GRPC_PORT}\`.
`;

function dockerfile(manifest: RuntimeManifest): string {
  return `FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY dist/ ./dist/
COPY media/ ./media/
COPY model/ ./model/
ENV ACCEL_HEALTH_PORT=${EXPORT_HEALTH_PORT}
EXPOSE ${EXPORT_GRPC_PORT} ${EXPORT_HEALTH_PORT}
CMD ["node", ${SERVING_NODE_FLAGS.map((f) => JSON.stringify(f)).join(", ")}, "dist/emulator.js", "--standalone", "--manifest", "model/manifest.json", "--model", "model/${manifest.model.fileName}", "--port", "${EXPORT_GRPC_PORT}"]
`;
}

export interface ExportResult {
  dir: string;
  files: string[];
}

/** Writes a Docker build context for the image into `dir` (created; must be empty if it exists). */
export async function exportImage(store: WorkspaceStore, workspace: string, ref: string, dir: string): Promise<ExportResult> {
  const state = await store.read(workspace);
  const image = findImage(state, ref);
  const manifest = await readImageManifest(store, workspace, image);
  const target = path.resolve(dir);
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new AccelError('AlreadyExists', `${target} is not empty. Export into a new or empty folder.`);
  }
  const modelBlob = store.blobPath(workspace, manifest.model.sha256);
  if (!fs.existsSync(modelBlob)) {
    throw new AccelError('NotFound', `The model file of image ${image.id} is missing from the store. Register the model again and create a new image.`);
  }
  const dist = distDir();
  const labelsDir = [path.join(dist, '..', 'media', 'labels')].find((p) => fs.existsSync(p));
  if (!labelsDir) throw new AccelError('Internal', `media/labels is missing next to ${dist}. Reinstall or rebuild the extension.`);

  // Write into a sibling temp folder and rename at the end, so a failure leaves nothing half-written.
  const staging = `${target}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    fs.mkdirSync(path.join(staging, 'dist'), { recursive: true });
    for (const file of ['emulator.js', 'inferenceWorker.js']) {
      fs.copyFileSync(path.join(dist, file), path.join(staging, 'dist', file));
    }
    fs.cpSync(path.join(dist, 'protos'), path.join(staging, 'dist', 'protos'), { recursive: true });
    fs.cpSync(labelsDir, path.join(staging, 'media', 'labels'), { recursive: true });
    fs.mkdirSync(path.join(staging, 'model'));
    fs.copyFileSync(modelBlob, path.join(staging, 'model', manifest.model.fileName));
    fs.copyFileSync(store.blobPath(workspace, image.digest), path.join(staging, 'model', 'manifest.json'));
    const pkg = {
      name: `accel-image-${image.name}`, version: `${image.version}.0.0`, private: true,
      description: `Accelerated Models image ${image.id} (sha256:${image.digest})`,
      dependencies: Object.fromEntries(RUNTIME_PACKAGES.map((name) => [name, packageVersion(name)])),
    };
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    fs.writeFileSync(path.join(staging, 'Dockerfile'), dockerfile(manifest));
    fs.writeFileSync(path.join(staging, '.dockerignore'), 'node_modules\n');
    fs.writeFileSync(path.join(staging, 'README.md'), README(image, manifest));
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
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(target, p));
    }
  };
  walk(target);
  return { dir: target, files: files.sort() };
}
