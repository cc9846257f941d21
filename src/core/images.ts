// Images: one model packaged with its preprocessing, tensor names and a runtime manifest. The manifest is a
// blob and the image's digest is its sha256, so the same model + settings + runtime always give the same digest.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { labelsFor } from '../catalog/labels';
import { inspectOnnx } from '../convert/onnxModel';
import { runtimeVersions } from '../emulator/runtime/bundles';
import { assertCanDelete } from './dependencies';
import { AccelError } from '../domain/errors';
import { findModel } from './models';
import { parseVersionedRef, validateName } from '../domain/names';
import type { WorkspaceStore } from '../domain/ports';
import { presetOf } from '../domain/presets';
import type {
  Image,
  LabelSet,
  Model,
  PreprocessingPreset,
  PresetName,
  TensorSpec,
  WorkspaceState,
} from '../domain/types';

export const MANIFEST_KIND = 'accel-runtime-manifest';

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
  const hit =
    version === undefined ? same.sort((a, b) => b.version - a.version)[0] : same.find((i) => i.version === version);
  if (!hit) {
    const known = same.map((i) => i.id).join(', ');
    throw new AccelError(
      'NotFound',
      `No image "${ref}" in this workspace${known ? ` (versions: ${known})` : ''}. List them with \`accel image list\`.`,
    );
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
  if (preset.name === 'none')
    return ['preset none: the service accepts numeric tensors only (no server-side image decoding)'];
  const input = model.inputs[0];
  const shape = input?.shape ?? [];
  const fits = (d: unknown, n: number) => typeof d !== 'number' || d === n;
  const nchw = shape.length === 4 && fits(shape[1], 3) && fits(shape[2], preset.height) && fits(shape[3], preset.width);
  const nhwc = shape.length === 4 && fits(shape[1], preset.height) && fits(shape[2], preset.width) && fits(shape[3], 3);
  if (!input || !(input.dtype === 'float32') || !(nchw || nhwc)) {
    throw new AccelError(
      'InvalidModel',
      `Model ${model.id} uses preset "${preset.name}" (${preset.height}x${preset.width} RGB images) but its input is ${input ? shapeText(input) : 'missing'}; the service could not feed it decoded images. Register the model with the preset that matches its input (--preset), or --preset none to send float tensors only.`,
    );
  }
  return [
    `preset ${preset.name}: ${preset.height}x${preset.width} ${preset.channelOrder}, layout ${nchw ? 'NCHW' : 'NHWC'} matches input ${shapeText(input)}`,
  ];
}

function checkLabels(model: Model): string {
  const count = labelsFor(model.labels).length;
  const width = model.outputs[0]?.shape.at(-1);
  if (model.labels === 'none') return 'labels: none (scores are reported by class index)';
  if (typeof width === 'number' && width !== count)
    return `labels ${model.labels}: WARNING ${count} labels but output width ${width}; top-k labels may be shifted`;
  return `labels ${model.labels}: ${count} classes`;
}

export interface CreateImageOptions {
  description?: string;
  tags?: Record<string, string>;
}

/** Validates the model, writes the manifest and build log blobs, and records `name:<next version>`. */
export async function createImage(
  store: WorkspaceStore,
  workspace: string,
  name: string,
  modelRef: string,
  options: CreateImageOptions = {},
): Promise<Image> {
  validateName('image', name);
  const before = await store.read(workspace);
  const model = findModel(before, modelRef);
  if (model.framework !== 'onnx') {
    throw new AccelError(
      'InvalidModel',
      `Model ${model.id} is a TensorFlow model; an image holds an ONNX model. Convert it first: \`accel model convert ${model.id} --input <tensor> --output <tensor>\`, then create the image from the converted model.`,
    );
  }
  const log: string[] = [
    `image ${name} from model ${model.id} (${model.framework}${model.parentId ? `, converted from ${model.parentId}` : ''})`,
  ];
  const blobFile = store.blobPath(workspace, model.blob);
  if (!fs.existsSync(blobFile)) {
    throw new AccelError(
      'InvalidModel',
      `The file of model ${model.id} is missing from the store (${blobFile}). Register the model again and create the image from the new version.`,
    );
  }
  const actual = sha256File(blobFile);
  if (actual !== model.blob) {
    throw new AccelError(
      'InvalidModel',
      `The stored file of model ${model.id} is damaged (sha256 ${actual}, expected ${model.blob}). Register the model again.`,
    );
  }
  log.push(`model file: ${model.fileName}, ${model.sizeBytes} bytes, sha256 ${model.blob} (verified)`);
  const summary = inspectOnnx(fs.readFileSync(blobFile), `the file of model ${model.id}`);
  const sameNames = (a: TensorSpec[], b: TensorSpec[]) =>
    a.map((t) => t.name).join('\n') === b.map((t) => t.name).join('\n');
  if (!sameNames(summary.inputs, model.inputs) || !sameNames(summary.outputs, model.outputs)) {
    throw new AccelError(
      'InvalidModel',
      `The tensors of model ${model.id}'s file (${summary.inputs.map((t) => t.name)} → ${summary.outputs.map((t) => t.name)}) differ from its registry record. Register the model again.`,
    );
  }
  log.push(
    `ONNX: IR ${summary.irVersion}, opsets ${summary.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}, ${summary.nodeCount} nodes`,
  );
  log.push(`inputs: ${model.inputs.map(shapeText).join('; ')}`);
  log.push(`outputs: ${model.outputs.map(shapeText).join('; ')}`);
  log.push(...checkPreset(model));
  log.push(checkLabels(model));

  const versions = runtimeVersions();
  const manifest: RuntimeManifest = {
    kind: MANIFEST_KIND,
    schemaVersion: 1,
    model: {
      name: model.name,
      version: model.version,
      framework: 'onnx',
      sha256: model.blob,
      sizeBytes: model.sizeBytes,
      fileName: model.fileName,
    },
    inputs: model.inputs,
    outputs: model.outputs,
    preset: model.preset,
    ...(model.preprocessing ? { preprocessing: model.preprocessing } : {}),
    labels: model.labels,
    runtime: { emulator: versions.emulator, onnxruntime: versions.onnxruntime },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
  log.push(`runtime: emulator ${versions.emulator}, onnxruntime-node ${versions.onnxruntime}`);

  return store.update(workspace, async (state) => {
    if (!state.models.some((m) => m.id === model.id)) {
      throw new AccelError(
        'NotFound',
        `Model ${model.id} was deleted while the image was being built. Register it again and retry.`,
      );
    }
    // Stored under the workspace lock, as blob garbage collection runs: two images of one model share this blob,
    // and deleting the other must not collect it between this put and the commit that references it.
    const { sha256: digest } = await store.putBlob(workspace, { bytes: manifestBytes });
    log.push(`manifest: ${manifestBytes.length} bytes, digest sha256:${digest}`);
    const version = Math.max(0, ...state.images.filter((i) => i.name === name).map((i) => i.version)) + 1;
    const createdTime = new Date().toISOString();
    const logText =
      [`${createdTime} building ${name}:${version}`, ...log, `image ${name}:${version} Succeeded`].join('\n') + '\n';
    const { sha256: logBlob } = await store.putBlob(workspace, { bytes: Buffer.from(logText, 'utf8') });
    const image: Image = {
      id: `${name}:${version}`,
      name,
      version,
      modelId: model.id,
      description: options.description,
      tags: options.tags ?? {},
      createdTime,
      state: 'Succeeded',
      digest,
      logBlob,
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

export async function listImages(
  store: WorkspaceStore,
  workspace: string,
  filter: ListImagesFilter = {},
): Promise<Image[]> {
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

export async function readImageManifest(
  store: WorkspaceStore,
  workspace: string,
  image: Image,
): Promise<RuntimeManifest> {
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
    throw new AccelError(
      'InvalidArgument',
      `Name the version to delete: \`accel image delete ${ref}:<version>\` (see \`accel image list --name ${ref}\`).`,
    );
  }
  const image = await store.update(workspace, (state) => {
    const found = findImage(state, ref);
    assertCanDelete(state, { kind: 'image', id: found.id });
    state.images = state.images.filter((i) => i.id !== found.id);
    return found;
  });
  await store.releaseBlobs?.(workspace, [
    image.digest,
    ...(image.logBlob ? [image.logBlob] : []),
    ...(image.build ? [image.build.logBlob] : []),
  ]);
  return image;
}
