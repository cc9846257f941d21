// Azure Machine Learning workspaces, their registered models and online endpoints (read, and delete once the
// caller has confirmed).
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import { clientOptions, parseResourceId, pollOptions, type ArmContext } from './armContext';
import { azureCall, collect } from './azureErrors';

export interface AzureWorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export interface AzureMlWorkspace extends AzureWorkspaceRef {
  id: string;
  location: string;
  friendlyName?: string;
}

export interface AzureRegisteredModel {
  name: string;
  latestVersion?: string;
  description?: string;
  tags: Record<string, string>;
}

export interface AzureOnlineEndpoint {
  name: string;
  location: string;
  authMode?: string;
  scoringUri?: string;
  provisioningState?: string;
}

function mlClient(ctx: ArmContext, subscriptionId: string): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(ctx.credential, subscriptionId, clientOptions(ctx));
}

export async function listWorkspaces(ctx: ArmContext, subscriptionId: string): Promise<AzureMlWorkspace[]> {
  const items = await azureCall(`list the Azure ML workspaces of subscription ${subscriptionId}`, () =>
    collect(mlClient(ctx, subscriptionId).workspaces.listBySubscription()),
  );
  return items
    .map((w) => {
      const id = w.id ?? '';
      return {
        id,
        subscriptionId,
        resourceGroup: parseResourceId(id).resourceGroup,
        name: w.name ?? '',
        location: w.location ?? '',
        friendlyName: w.friendlyName,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function listRegisteredModels(ctx: ArmContext, ws: AzureWorkspaceRef): Promise<AzureRegisteredModel[]> {
  const items = await azureCall(`list the models of workspace ${ws.name}`, () =>
    collect(mlClient(ctx, ws.subscriptionId).modelContainers.list(ws.resourceGroup, ws.name)),
  );
  return items.map((m) => ({
    name: m.name ?? '',
    latestVersion: m.properties.latestVersion ?? undefined,
    description: m.properties.description ?? undefined,
    tags: Object.fromEntries(Object.entries(m.properties.tags ?? {}).map(([k, v]) => [k, v ?? ''])),
  }));
}

export async function listOnlineEndpoints(ctx: ArmContext, ws: AzureWorkspaceRef): Promise<AzureOnlineEndpoint[]> {
  const items = await azureCall(`list the online endpoints of workspace ${ws.name}`, () =>
    collect(mlClient(ctx, ws.subscriptionId).onlineEndpoints.list(ws.resourceGroup, ws.name)),
  );
  return items.map((e) => ({
    name: e.name ?? '',
    location: e.location,
    authMode: e.properties.authMode,
    scoringUri: e.properties.scoringUri,
    provisioningState: e.properties.provisioningState,
  }));
}

/** Deletes every version of a registered model. The caller asks for confirmation first. */
export async function deleteRegisteredModel(ctx: ArmContext, ws: AzureWorkspaceRef, name: string): Promise<void> {
  await azureCall(`delete model ${name} from workspace ${ws.name}`, () =>
    mlClient(ctx, ws.subscriptionId).modelContainers.delete(ws.resourceGroup, ws.name, name),
  );
}

/** Deletes an online endpoint and waits for the long-running operation. The caller asks for confirmation first. */
export async function deleteOnlineEndpoint(ctx: ArmContext, ws: AzureWorkspaceRef, name: string): Promise<void> {
  await azureCall(`delete online endpoint ${name} from workspace ${ws.name}`, () =>
    mlClient(ctx, ws.subscriptionId).onlineEndpoints.beginDeleteAndWait(
      ws.resourceGroup,
      ws.name,
      name,
      pollOptions(ctx),
    ),
  );
}
