// Workspace use cases. A local workspace is a folder in the store's home; see src/store/fileStore.ts.
import { assertCanDeleteWorkspace } from './dependencies';
import { validateName } from '../domain/names';
import type { WorkspaceStore } from '../domain/ports';
import type { Workspace } from '../domain/types';

export async function createWorkspace(store: WorkspaceStore, name: string, description?: string): Promise<Workspace> {
  return store.createWorkspace(validateName('workspace', name), description);
}

export interface WorkspaceListing extends Workspace {
  active: boolean;
}

export async function listWorkspaces(store: WorkspaceStore): Promise<WorkspaceListing[]> {
  const active = await store.getActiveWorkspace();
  return (await store.listWorkspaces()).map((w) => ({ ...w, active: w.name === active }));
}

export async function useWorkspace(store: WorkspaceStore, name: string): Promise<void> {
  await store.setActiveWorkspace(validateName('workspace', name));
}

/** Refuses while the workspace has services; one that still holds models, images or computes needs `force`. */
export async function deleteWorkspace(
  store: WorkspaceStore,
  name: string,
  options: { force?: boolean } = {},
): Promise<void> {
  await store.deleteWorkspace(validateName('workspace', name), (state) =>
    assertCanDeleteWorkspace(state, options.force),
  );
}
