// Commands take an optional tree node; without one they ask with these QuickPicks.
import { AccelError } from '../../domain/errors';
import { serviceAddress } from '../trees/servicesTree';
import type { Image, Model, Service, Workspace } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import { noBack, type PickItem } from '../ui';

export interface InWorkspace<T> {
  ws: string;
  value: T;
}

export async function pickWorkspace(ctx: AccelContext, node: TreeNode | undefined, title: string): Promise<Workspace> {
  if (node?.workspace) return node.workspace;
  const all = await ctx.store.listWorkspaces();
  if (!all.length)
    throw new AccelError(
      'NotFound',
      'There is no workspace yet. Run "Accelerated Models: Create Local Workspace…" first.',
    );
  const active = await ctx.activeWorkspace();
  return noBack(
    await ctx.ui.pick({
      title,
      placeholder: 'Workspace',
      items: all.map((w) => ({ label: w.name, description: w.name === active ? 'active' : w.backend, value: w })),
    }),
  );
}

export async function pickModel(
  ctx: AccelContext,
  node: TreeNode | undefined,
  title: string,
  filter: (m: Model) => boolean = () => true,
): Promise<InWorkspace<Model>> {
  if (node?.model && node.ws) return { ws: node.ws, value: node.model };
  const { ws, value: models } = await modelsFor(ctx, filter);
  const value = noBack(await ctx.ui.pick({ title, placeholder: 'Model', items: modelItems(models) }));
  return { ws, value };
}

/** The models of a workspace as pick items (also a wizard's model step); `picked` marks an earlier answer. */
export function modelItems(models: Model[], picked?: string): PickItem<Model>[] {
  return models.map((m) => ({
    label: m.id,
    description: m.parentId ? `converted · ${m.conversion?.precision ?? ''}` : `${m.framework} · ${m.preset}`,
    detail: m.description,
    value: m,
    picked: m.id === picked,
  }));
}

/** The models of the active workspace that pass `filter`, or a refusal naming how to add one. */
export async function modelsFor(
  ctx: AccelContext,
  filter: (m: Model) => boolean = () => true,
): Promise<InWorkspace<Model[]>> {
  const ws = await ctx.requireWorkspace();
  const models = (await ctx.store.read(ws)).models.filter(filter);
  if (!models.length)
    throw new AccelError(
      'NotFound',
      `Workspace "${ws}" has no model for this. Run "Accelerated Models: Register Model…" or "Accelerated Models: Add Model from Catalog…" first.`,
    );
  return { ws, value: models };
}

export async function pickImage(
  ctx: AccelContext,
  node: TreeNode | undefined,
  title: string,
): Promise<InWorkspace<Image>> {
  if (node?.image && node.ws) return { ws: node.ws, value: node.image };
  const ws = await ctx.requireWorkspace();
  const images = (await ctx.store.read(ws)).images;
  if (!images.length)
    throw new AccelError(
      'NotFound',
      `Workspace "${ws}" has no image. Run "Accelerated Models: Create Image…" on a model first.`,
    );
  const value = noBack(
    await ctx.ui.pick({
      title,
      placeholder: 'Image',
      items: images.map((i) => ({ label: i.id, description: `${i.state} · ${i.modelId}`, value: i })),
    }),
  );
  return { ws, value };
}

export async function pickService(
  ctx: AccelContext,
  node: TreeNode | undefined,
  title: string,
): Promise<InWorkspace<Service>> {
  if (node?.service && node.ws) return { ws: node.ws, value: node.service };
  const ws = await ctx.requireWorkspace();
  const services = (await ctx.store.read(ws)).services;
  if (!services.length)
    throw new AccelError(
      'NotFound',
      `Workspace "${ws}" has no service. Run "Accelerated Models: Deploy Image as Service…" first.`,
    );
  const value = noBack(
    await ctx.ui.pick({
      title,
      placeholder: 'Service',
      items: services.map((s) => ({
        label: s.name,
        description: serviceAddress(s),
        detail: `image ${s.imageId} · ${s.replicas} replica(s)`,
        value: s,
      })),
    }),
  );
  return { ws, value };
}
