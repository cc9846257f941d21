// Delete with dependents: the plan of what goes when an entity is deleted together with everything that uses it
// or was made from it, in an order in which each single delete succeeds: services → images → converted models →
// the entity itself. Pure: both faces run the plan step by step with the same use cases the single deletes use.
import { AccelError } from '../domain/errors';
import type { WorkspaceState } from '../domain/types';
import { allDependents, convertedFrom, describe, type Dependent, type EntityRef } from './dependencies';

/** Delete order of the plan; a converted model goes before the registered model it came from. */
function rank(state: WorkspaceState, step: EntityRef): number {
  if (step.kind === 'service') return 0;
  if (step.kind === 'image') return 1;
  if (step.kind === 'model') return state.models.some((m) => m.id === step.id && m.parentId) ? 2 : 3;
  return 4;
}

function exists(state: WorkspaceState, ref: EntityRef): boolean {
  switch (ref.kind) {
    case 'model':
      return state.models.some((m) => m.id === ref.id);
    case 'image':
      return state.images.some((i) => i.id === ref.id);
    case 'service':
      return state.services.some((s) => s.name === ref.id);
    case 'compute':
      return state.computes.some((c) => c.name === ref.id);
  }
}

/**
 * Everything that goes when `ref` is deleted with its dependents, `ref` last: the entities that block it (an
 * image's services, a model's images and their services) and, for a registered model, its converted models with
 * their own images and services.
 */
export function deletePlan(state: WorkspaceState, ref: EntityRef): Dependent[] {
  if (!exists(state, ref))
    throw new AccelError('NotFound', `There is no ${ref.kind} ${ref.id} in workspace ${state.workspace.name}.`);
  const roots: EntityRef[] = [ref];
  if (ref.kind === 'model') for (const m of convertedFrom(state, ref.id)) roots.push({ kind: 'model', id: m.id });
  const steps = new Map<string, Dependent>();
  for (const root of roots)
    for (const d of [...allDependents(state, root), describe(state, root)]) steps.set(`${d.kind}/${d.id}`, d);
  const self = steps.get(`${ref.kind}/${ref.id}`)!;
  steps.delete(`${ref.kind}/${ref.id}`);
  const ordered = [...steps.values()].sort((a, b) => rank(state, a) - rank(state, b) || a.id.localeCompare(b.id, 'en'));
  return [...ordered, self];
}
