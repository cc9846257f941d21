// The model registry: register (versioned per name), list, get, delete. A model is an ONNX file or a
// TensorFlow frozen graph copied into the store as a content-addressed blob, with its input/output tensors
// read from the file, a preprocessing preset and a label set.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectGraphDef } from '../convert/graphDef';
import { inspectOnnx } from '../convert/onnxModel';
import { assertCanDelete } from './dependencies';
import { AccelError, isAccelError } from '../domain/errors';
import { parseVersionedRef, validateFileName, validateName, validateValue } from '../domain/names';
import type { WorkspaceStore } from '../domain/ports';
import { presetByName } from '../domain/presets';
import type {
  ConversionInfo,
  Framework,
  LabelSet,
  Model,
  PreprocessingPreset,
  PresetName,
  TensorSpec,
  WorkspaceState,
} from '../domain/types';

export const MODEL_EXTENSIONS: Record<string, Framework> = { '.onnx': 'onnx', '.pb': 'tensorflow' };
export const LABEL_SETS: LabelSet[] = ['imagenet-1000', 'imagenet-1001', 'voc-21', 'none'];
const FRAMEWORKS: Framework[] = ['onnx', 'tensorflow'];

export interface InspectedModel {
  file: string;
  framework: Framework;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  sizeBytes: number;
}

function listModelFiles(dir: string, depth = 0): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && depth < 3) found.push(...listModelFiles(p, depth + 1));
    else if (entry.isFile() && MODEL_EXTENSIONS[path.extname(entry.name).toLowerCase()]) found.push(p);
  }
  return found;
}

/** A model path is a file, or a folder holding exactly one .onnx or .pb file. */
export function resolveModelFile(modelPath: string): string {
  const abs = path.resolve(modelPath);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new AccelError(
      'NotFound',
      `Model path ${abs} does not exist. Check the path, or pass a .onnx file, a TensorFlow frozen graph (.pb) or a folder holding one.`,
    );
  }
  if (stat.isFile()) return abs;
  if (!stat.isDirectory())
    throw new AccelError(
      'InvalidArgument',
      `${abs} is neither a file nor a folder. Pass a .onnx or .pb model file, or a folder holding one.`,
    );
  const files = listModelFiles(abs);
  if (files.length === 1) {
    if (path.basename(files[0]) === 'saved_model.pb') {
      throw new AccelError(
        'InvalidModel',
        `${abs} is a TensorFlow SavedModel (saved_model.pb); only frozen graphs are supported. Freeze it into a single GraphDef .pb (e.g. with freeze_graph), or export it to ONNX, and register that file.`,
      );
    }
    return files[0];
  }
  const rel = (f: string) => path.relative(abs, f);
  if (files.length === 0) {
    const others = fs.readdirSync(abs).slice(0, 10);
    throw new AccelError(
      'InvalidModel',
      `Folder ${abs} holds no .onnx or .pb model file${others.length ? ` (found: ${others.join(', ')})` : ' (it is empty)'}. Put exactly one model file in it, or pass the model file itself.`,
    );
  }
  throw new AccelError(
    'InvalidModel',
    `Folder ${abs} holds ${files.length} model files (${files.slice(0, 10).map(rel).join(', ')}); it must hold exactly one. Pass the file to register instead of the folder.`,
  );
}

function readAs(
  framework: Framework,
  bytes: Uint8Array,
  label: string,
): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const summary = framework === 'onnx' ? inspectOnnx(bytes, label) : inspectGraphDef(bytes, label);
  return { inputs: summary.inputs, outputs: summary.outputs };
}

/** Reads a model file's framework and tensors. With `framework` given, the file must be of that framework. */
export function inspectModelFile(modelPath: string, framework?: Framework): InspectedModel {
  if (framework !== undefined && !FRAMEWORKS.includes(framework)) {
    throw new AccelError(
      'InvalidArgument',
      `Unknown framework "${framework}". Use onnx or tensorflow, or leave it out to detect it from the file.`,
    );
  }
  const file = resolveModelFile(modelPath);
  const bytes = fs.readFileSync(file);
  const byExtension = MODEL_EXTENSIONS[path.extname(file).toLowerCase()];
  // ONNX first: its checks (IR version, a graph with nodes) are stricter than a GraphDef's.
  const failures = new Map<Framework, AccelError>();
  for (const candidate of FRAMEWORKS) {
    try {
      const found = readAs(candidate, bytes, file);
      if (framework && framework !== candidate) {
        throw new AccelError(
          'InvalidArgument',
          `--framework ${framework} does not match the file: ${file} is ${candidate === 'onnx' ? 'an ONNX model' : 'a TensorFlow GraphDef'}. Pass --framework ${candidate}, or leave --framework out to detect it.`,
        );
      }
      return { file, framework: candidate, ...found, sizeBytes: bytes.length };
    } catch (e) {
      if (!isAccelError(e, 'InvalidModel')) throw e;
      failures.set(candidate, e);
    }
  }
  throw failures.get(framework ?? byExtension ?? 'onnx')!;
}

const FLOAT_TYPES = new Set(['float32', 'float16', 'float64']);

/**
 * The preprocessing preset a model's input implies: float [N,3,224,224] is the ONNX/torchvision convention
 * (MobileNetV2 preset); [N,224,224,3] and encoded-image (string) inputs follow the TF ResNet-50 family;
 * 300×300 is SSD-VGG; anything else gets none (numeric tensors only).
 */
export function inferPreset(inputs: TensorSpec[]): PresetName {
  const input = inputs[0];
  if (!input) return 'none';
  if (input.dtype === 'string') return 'resnet50';
  if (!FLOAT_TYPES.has(input.dtype) || input.shape.length !== 4) return 'none';
  const [, a, b, c] = input.shape;
  if (a === 3 && b === 224 && c === 224) return 'mobilenetv2';
  if (a === 224 && b === 224 && c === 3) return 'resnet50';
  if ((a === 3 && b === 300 && c === 300) || (a === 300 && b === 300 && c === 3)) return 'ssdvgg';
  return 'none';
}

/** The label set the output width implies: 1000 or 1001 ImageNet classes, or the 21 VOC classes of SSD. */
export function inferLabels(outputs: TensorSpec[], preset: PresetName): LabelSet {
  for (const o of outputs) {
    const last = o.shape[o.shape.length - 1];
    if (last === 1000) return 'imagenet-1000';
    if (last === 1001) return 'imagenet-1001';
  }
  if (preset === 'ssdvgg' && outputs.some((o) => o.shape.includes(21))) return 'voc-21';
  return 'none';
}

export interface RegisterModelInput {
  path: string;
  name: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  description?: string;
  framework?: Framework;
  preset?: PresetName;
  /** Custom preprocessing (see Model.preprocessing); `preset` should then be 'none'. */
  preprocessing?: PreprocessingPreset;
  labels?: LabelSet;
  /** Converted models: the source model's id and how it was converted. */
  parentId?: string;
  conversion?: ConversionInfo;
}

function validateRecord(record: Record<string, string> | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) {
    validateName('tag', k);
    if (typeof v !== 'string') throw new AccelError('InvalidArgument', `The ${what} "${k}" must have a text value.`);
    out[k] = validateValue(k, v);
  }
  return out;
}

/** A trained classifier's own labels: 1-10000 distinct class names of 1-64 characters without control characters. */
function validateClassNames(labels: unknown[]): void {
  if (labels.length === 0 || labels.length > 10_000)
    throw new AccelError(
      'InvalidArgument',
      `A list of class names must hold 1 to 10000 names (it holds ${labels.length}).`,
    );
  for (const l of labels) {
    if (
      typeof l !== 'string' ||
      l.length === 0 ||
      l.length > 64 ||
      [...l].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
    ) {
      throw new AccelError(
        'InvalidArgument',
        `${JSON.stringify(l)} is not a valid class name. Use 1-64 characters without line breaks or control characters.`,
      );
    }
  }
  if (new Set(labels).size !== labels.length)
    throw new AccelError('InvalidArgument', 'The class names are not distinct. Give each class its own name.');
}

/** Checks everything about a registration that does not need the file or the store. */
function validateRegistration(input: RegisterModelInput): void {
  validateName('model', input.name);
  if (input.preset !== undefined) presetByName(input.preset);
  if (Array.isArray(input.labels)) validateClassNames(input.labels);
  else if (input.labels !== undefined && !LABEL_SETS.includes(input.labels)) {
    throw new AccelError(
      'InvalidArgument',
      `Unknown label set "${input.labels}". Use one of: ${LABEL_SETS.join(', ')}, or a list of class names.`,
    );
  }
  if (input.description !== undefined && input.description.length > 1024) {
    throw new AccelError('InvalidArgument', 'The description is longer than 1024 characters. Shorten it.');
  }
}

/**
 * Registers a model file (or a folder holding one) under `name`, as the next version of that name. Every
 * check runs before anything is written; the copy is committed together with the new version number under the
 * workspace lock, so concurrent registrations each get their own version.
 */
export async function registerModel(
  store: WorkspaceStore,
  workspace: string,
  input: RegisterModelInput,
): Promise<Model> {
  validateRegistration(input);
  const tags = validateRecord(input.tags, 'tag');
  const properties = validateRecord(input.properties, 'property');
  const inspected = inspectModelFile(input.path, input.framework);
  validateFileName(path.basename(inspected.file));
  await store.read(workspace); // NotFound / SchemaTooNew / damaged before anything is copied
  const preset = input.preset ?? inferPreset(inspected.inputs);
  const labels = input.labels ?? inferLabels(inspected.outputs, preset);

  // Copy outside the lock (a large file must not hold other writers up); commit under it.
  const { sha256, size } = await store.putBlob(workspace, { path: inspected.file });
  try {
    return await store.update(workspace, async (state) => {
      if (input.parentId && !state.models.some((m) => m.id === input.parentId)) {
        throw new AccelError(
          'NotFound',
          `The parent model ${input.parentId} does not exist in workspace ${workspace}. List models with \`accel model list\`.`,
        );
      }
      // A concurrent delete may have released an identical blob between our copy and this commit.
      if (!fs.existsSync(store.blobPath(workspace, sha256))) await store.putBlob(workspace, { path: inspected.file });
      const version = Math.max(0, ...state.models.filter((m) => m.name === input.name).map((m) => m.version)) + 1;
      const model: Model = {
        id: `${input.name}:${version}`,
        name: input.name,
        version,
        framework: inspected.framework,
        ...(input.description ? { description: input.description } : {}),
        tags,
        properties,
        createdTime: new Date().toISOString(),
        blob: sha256,
        fileName: path.basename(inspected.file),
        sizeBytes: size,
        inputs: inspected.inputs,
        outputs: inspected.outputs,
        preset,
        ...(input.preprocessing ? { preprocessing: input.preprocessing } : {}),
        labels,
        ...(input.parentId ? { parentId: input.parentId } : {}),
        ...(input.conversion ? { conversion: input.conversion } : {}),
      };
      state.models.push(model);
      return model;
    });
  } catch (e) {
    // Nothing references the copy if the commit failed; remove it unless another model shares the content.
    await store.releaseBlobs?.(workspace, [sha256]).catch(() => undefined);
    throw e;
  }
}

export interface ModelFilter {
  name?: string;
  /** Each entry `key` or `key=value`; a model must match all of them. */
  tags?: string[];
  properties?: string[];
  /** Only the highest version of each name. */
  latest?: boolean;
}

function matches(record: Record<string, string>, wanted: string[] | undefined): boolean {
  return (wanted ?? []).every((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? Object.prototype.hasOwnProperty.call(record, w) : record[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** Models matching the filter, sorted by name then version. */
export function filterModels(models: Model[], filter: ModelFilter = {}): Model[] {
  let out = models.filter(
    (m) =>
      (filter.name === undefined || m.name === filter.name) &&
      matches(m.tags, filter.tags) &&
      matches(m.properties, filter.properties),
  );
  if (filter.latest) {
    const latest = new Map<string, Model>();
    for (const m of out) if ((latest.get(m.name)?.version ?? 0) < m.version) latest.set(m.name, m);
    out = [...latest.values()];
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
}

export async function listModels(store: WorkspaceStore, workspace: string, filter: ModelFilter = {}): Promise<Model[]> {
  return filterModels((await store.read(workspace)).models, filter);
}

/** `name` (latest version), `name:version`, or `name` with `version`. */
export function findModel(state: WorkspaceState, ref: string, version?: number): Model {
  const parsed = parseVersionedRef(ref, 'model');
  if (version !== undefined && parsed.version !== undefined && version !== parsed.version) {
    throw new AccelError(
      'InvalidArgument',
      `"${ref}" names version ${parsed.version} but version ${version} was also given. Give the version once.`,
    );
  }
  const wanted = version ?? parsed.version;
  const same = state.models.filter((m) => m.name === parsed.name).sort((a, b) => a.version - b.version);
  const ws = state.workspace.name;
  if (same.length === 0) {
    throw new AccelError(
      'NotFound',
      `Model ${parsed.name} is not registered in workspace ${ws}. List models with \`accel model list\`, or register it with \`accel model register <path> --name ${parsed.name}\`.`,
    );
  }
  if (wanted === undefined) return same[same.length - 1];
  const hit = same.find((m) => m.version === wanted);
  if (!hit) {
    throw new AccelError(
      'NotFound',
      `Model ${parsed.name} has no version ${wanted} in workspace ${ws} (versions: ${same.map((m) => m.version).join(', ')}). Use one of those, or leave the version out for the latest.`,
    );
  }
  return hit;
}

export async function getModel(
  store: WorkspaceStore,
  workspace: string,
  ref: string,
  version?: number,
): Promise<Model> {
  return findModel(await store.read(workspace), ref, version);
}

export interface ModelChanges {
  addTags?: Record<string, string>;
  removeTags?: string[];
  addProperties?: Record<string, string>;
  description?: string;
}

/**
 * Changes a model version's tags, properties and description (as the SDK's add_tags/remove_tags/
 * add_properties/update). Properties can be added but not changed once set, as in the original registry.
 */
export async function updateModel(
  store: WorkspaceStore,
  workspace: string,
  ref: string,
  changes: ModelChanges,
): Promise<Model> {
  const addTags = validateRecord(changes.addTags, 'tag');
  const addProperties = validateRecord(changes.addProperties, 'property');
  for (const key of changes.removeTags ?? []) validateName('tag', key);
  if (changes.description !== undefined)
    validateRegistration({ path: '', name: 'x', description: changes.description });
  if (
    !Object.keys(addTags).length &&
    !(changes.removeTags ?? []).length &&
    !Object.keys(addProperties).length &&
    changes.description === undefined
  ) {
    throw new AccelError(
      'InvalidArgument',
      'Nothing to update. Pass --add-tag, --remove-tag, --add-property or --description.',
    );
  }
  return store.update(workspace, (state) => {
    const model = findModel(state, ref);
    for (const [k, v] of Object.entries(addProperties)) {
      if (k in model.properties && model.properties[k] !== v) {
        throw new AccelError(
          'AlreadyExists',
          `Model ${model.id} already has property ${k}=${model.properties[k]}; properties cannot be changed once set. Use a tag for values that change.`,
        );
      }
    }
    for (const key of changes.removeTags ?? []) {
      if (!(key in model.tags))
        throw new AccelError(
          'NotFound',
          `Model ${model.id} has no tag "${key}" (tags: ${Object.keys(model.tags).join(', ') || 'none'}).`,
        );
      delete model.tags[key];
    }
    Object.assign(model.tags, addTags);
    Object.assign(model.properties, addProperties);
    if (changes.description !== undefined) {
      if (changes.description) model.description = changes.description;
      else delete model.description;
    }
    return model;
  });
}

/**
 * Deletes one model version (`name:version`). Refused while images use it. Its converted models stay and keep
 * their parentId (their source shows as deleted: see sourceDeleted in dependencies.ts).
 */
export async function deleteModel(store: WorkspaceStore, workspace: string, ref: string): Promise<Model> {
  const parsed = parseVersionedRef(ref, 'model');
  const deleted = await store.update(workspace, (state) => {
    if (parsed.version === undefined) {
      const versions = state.models.filter((m) => m.name === parsed.name).map((m) => m.version);
      if (versions.length === 0) findModel(state, parsed.name); // throws NotFound
      throw new AccelError(
        'InvalidArgument',
        `Say which version of ${parsed.name} to delete, e.g. \`accel model delete ${parsed.name}:${versions[versions.length - 1]}\` (versions: ${versions.join(', ')}).`,
      );
    }
    const model = findModel(state, ref);
    assertCanDelete(state, { kind: 'model', id: model.id });
    state.models = state.models.filter((m) => m.id !== model.id);
    return model;
  });
  const blobs = [deleted.blob, ...(deleted.conversion?.reportBlob ? [deleted.conversion.reportBlob] : [])];
  await store.releaseBlobs?.(workspace, blobs);
  return deleted;
}
