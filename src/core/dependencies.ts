// Dependency rules: which entities still use a model, converted model, image or compute. Deleting runs
// against the flow: service → image → converted model → model. Anything with dependents refuses to go, and
// the error names each dependent and the commands to run, in order. A converted model does not hold its source:
// the registered model may go first (the original service's documented order) and the converted model keeps its
// parentId, shown as "source deleted". Pure functions over WorkspaceState.
import { AccelError } from '../domain/errors';
import type { Model, WorkspaceState } from '../domain/types';

export type EntityKind = 'model' | 'image' | 'service' | 'compute';

/** An entity: models and images by `name:version`, services and computes by name. */
export interface EntityRef {
  kind: EntityKind;
  id: string;
}

export interface Dependent extends EntityRef {
  /** e.g. `image classifier:1`, `converted model mobilenet.1.accelonnx:1` */
  label: string;
  /** The command that deletes it. */
  deleteCommand: string;
}

/** Delete order: services first, then images, then converted models, then models; computes go last. */
const RANK: Record<EntityKind, number> = { service: 0, image: 1, model: 2, compute: 3 };

/** An entity's label (`converted model m.1.accelonnx:1`) and the CLI command that deletes it. */
export function describe(state: WorkspaceState, ref: EntityRef): Dependent {
  const converted = ref.kind === 'model' && state.models.some((m) => m.id === ref.id && m.parentId);
  const noun = converted ? 'converted model' : ref.kind;
  return { ...ref, label: `${noun} ${ref.id}`, deleteCommand: `accel ${ref.kind} delete ${ref.id}` };
}

/** Entities that use `ref` directly and so block its deletion (a model's converted models do not). */
export function directDependents(state: WorkspaceState, ref: EntityRef): Dependent[] {
  const refs: EntityRef[] = [];
  switch (ref.kind) {
    case 'model':
      for (const i of state.images) if (i.modelId === ref.id) refs.push({ kind: 'image', id: i.id });
      break;
    case 'image':
      for (const s of state.services) if (s.imageId === ref.id) refs.push({ kind: 'service', id: s.name });
      break;
    case 'compute':
      for (const s of state.services) if (s.computeName === ref.id) refs.push({ kind: 'service', id: s.name });
      break;
    case 'service':
      break;
  }
  return refs.map((r) => describe(state, r));
}

/** Everything that must go before `ref` can, in a valid deletion order. */
export function allDependents(state: WorkspaceState, ref: EntityRef): Dependent[] {
  const depth = new Map<string, { dep: Dependent; depth: number }>();
  const visit = (r: EntityRef, d: number) => {
    for (const dep of directDependents(state, r)) {
      const key = `${dep.kind}/${dep.id}`;
      const seen = depth.get(key);
      if (seen && seen.depth >= d) continue;
      depth.set(key, { dep, depth: d });
      visit(dep, d + 1);
    }
  };
  visit(ref, 1);
  // By kind first; among converted models, the deeper (derived from another converted model) goes first.
  return [...depth.values()]
    .sort((a, b) => RANK[a.dep.kind] - RANK[b.dep.kind] || b.depth - a.depth || a.dep.id.localeCompare(b.dep.id))
    .map((x) => x.dep);
}

function joinNames(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Converted models made from `modelId` (they keep their lineage when it is deleted). */
export function convertedFrom(state: WorkspaceState, modelId: string): Model[] {
  return state.models.filter((m) => m.parentId === modelId);
}

/** A converted model whose registered source model was deleted after the conversion. */
export function sourceDeleted(state: WorkspaceState, model: Model): boolean {
  return !!model.parentId && !state.models.some((m) => m.id === model.parentId);
}

/** What a HasDependents refusal of an entity carries, so each face can word it and offer its own way out. */
export interface DependentsDetail {
  workspace: string;
  target: EntityRef & { label: string };
  /** The entities that block the delete directly. */
  blockers: Array<EntityRef & { label: string }>;
  /** Everything that must go first, in a valid order. */
  dependents: Array<EntityRef & { label: string }>;
  /** The CLI commands that delete them, then the target. */
  order: string[];
}

/** Throws AccelError('HasDependents') naming the dependents and the delete order, if `ref` has any. */
export function assertCanDelete(state: WorkspaceState, ref: EntityRef): void {
  const direct = directDependents(state, ref);
  if (direct.length === 0) return;
  const all = allDependents(state, ref);
  const self = describe(state, ref);
  const order = [...all.map((d) => d.deleteCommand), self.deleteCommand];
  const plain = ({ kind, id, label }: Dependent) => ({ kind, id, label });
  const detail: DependentsDetail = {
    workspace: state.workspace.name,
    target: plain(self),
    blockers: direct.map(plain),
    dependents: all.map(plain),
    order,
  };
  throw new AccelError(
    'HasDependents',
    `${capitalized(self.label)} is used by ${joinNames(direct.map((d) => d.label))}. Delete in this order: ${order.join('; ')}.`,
    detail,
  );
}

/**
 * A workspace refuses deletion while it has services (they may be serving). Otherwise, one that still holds
 * models, images or computes needs `force`.
 */
export function assertCanDeleteWorkspace(state: WorkspaceState, force = false): void {
  const name = state.workspace.name;
  if (state.services.length > 0) {
    const order = [
      ...state.services.map((s) => `accel service delete ${s.name} --workspace ${name}`),
      `accel workspace delete ${name}`,
    ];
    throw new AccelError(
      'HasDependents',
      `Workspace ${name} still has ${state.services.length === 1 ? 'service' : 'services'} ${joinNames(state.services.map((s) => s.name))}. Delete in this order: ${order.join('; ')}.`,
      { dependents: state.services.map((s) => ({ kind: 'service', id: s.name, label: `service ${s.name}` })), order },
    );
  }
  if (force) return;
  const counts: string[] = [];
  const count = (n: number, one: string, many: string) => n > 0 && counts.push(`${n} ${n === 1 ? one : many}`);
  count(state.models.length, 'model', 'models');
  count(state.images.length, 'image', 'images');
  count(state.computes.length, 'compute', 'computes');
  if (counts.length > 0) {
    throw new AccelError(
      'HasDependents',
      `Workspace ${name} still holds ${joinNames(counts)}. Delete them first, or pass --force to delete the workspace with everything in it.`,
      { models: state.models.length, images: state.images.length, computes: state.computes.length },
    );
  }
}
