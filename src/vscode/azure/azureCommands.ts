// Azure commands: sign in/out, tenant, quota table, delete Azure ML models/endpoints (confirmed), and the
// deploy-to-Kubernetes (AKS) wizard. Mounted by the composition root with `registerAzure(...)`.
import * as vscode from 'vscode';
import { AccelError } from '../../domain/errors';
import type { AccelContext } from '../accelContext';
import { withProgress, type CommandRunner } from '../commands/commandRunner';
import { pickImage } from '../commands/pickers';
import type { TreeNode } from '../trees/treeNode';
import { noBack } from '../ui';
import { AzureSession } from './azureSession';
import { azureSectionNode, type AzureTreeNode } from './azureTree';
import { showQuotaPanel } from './quotaPanel';

/** Loaded on first use: the Azure and Kubernetes SDKs are slow to load and activation must stay cheap. */
const azureLib = () => import('../../azure');

export const AZURE_COMMANDS = {
  signIn: 'accel.azure.signIn',
  signOut: 'accel.azure.signOut',
  selectTenant: 'accel.azure.selectTenant',
  showQuota: 'accel.azure.showQuota',
  deleteModel: 'accel.azure.deleteModel',
  deleteEndpoint: 'accel.azure.deleteEndpoint',
  refresh: 'accel.azure.refresh',
  deployToKubernetes: 'accel.service.deployToKubernetes',
} as const;

export interface AzureIntegration {
  session: AzureSession;
  /**
   * Root nodes for the Workspaces view: the "Azure" section while signed in; none when signed out (the view's
   * welcome content and title action offer "Sign in to Azure").
   */
  rootNodes(hasLocalWorkspaces: boolean): Promise<TreeNode[]>;
}

async function requireAccount(session: AzureSession): Promise<string> {
  const account = await session.account();
  if (!account)
    throw new AccelError(
      'NotSignedIn',
      'You are not signed in to Azure. Run "Accelerated Models: Sign in to Azure" (or use the Accounts menu), then retry.',
    );
  return account;
}

export function registerAzure(
  runner: CommandRunner,
  ctx: AccelContext,
  subscriptions: vscode.Disposable[],
  onChange: () => void,
): AzureIntegration {
  const session = new AzureSession(ctx.extension.globalState);
  subscriptions.push(session, session.onDidChange(onChange));
  void session.refreshContext();

  runner.register(AZURE_COMMANDS.signIn, async () => {
    const account = await session.signIn();
    ctx.log.info(`signed in to Azure as ${account}`);
    void vscode.window.showInformationMessage(`Signed in to Azure as ${account}.`);
  });

  runner.register(AZURE_COMMANDS.signOut, async () => {
    // Extensions cannot end a provider's session; VS Code's Accounts menu can. Forget our tenant choice and point there.
    await session.setTenant(undefined);
    const choice = await vscode.window.showInformationMessage(
      'To sign out of Azure, use the Accounts menu (bottom left) → your Microsoft account → Sign Out. Accelerated Models forgot its tenant choice.',
      'Open Accounts Menu',
    );
    if (choice)
      await vscode.commands.executeCommand('workbench.action.accountsMenu' as string).then(undefined, () => undefined);
  });

  runner.register(AZURE_COMMANDS.selectTenant, async () => {
    const value = noBack(
      await ctx.ui.input({
        title: 'Azure tenant',
        prompt: 'Tenant id (GUID) or domain to sign in to; leave empty for your home tenant',
        value: session.tenantId ?? '',
        validate: (v) =>
          v === '' || /^[0-9a-f-]{36}$/i.test(v) || /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(v)
            ? undefined
            : 'Enter a tenant GUID or a domain such as contoso.onmicrosoft.com',
      }),
    );
    await session.setTenant(value.trim() || undefined);
    await session.signIn();
  });

  runner.register(AZURE_COMMANDS.showQuota, async () => {
    await requireAccount(session);
    const { acceleratorQuota, quotaVerdict, requireSubscriptions } = await azureLib();
    const arm = session.armContext();
    const subs = await requireSubscriptions(arm);
    const sub =
      subs.length === 1
        ? subs[0]
        : noBack(
            await ctx.ui.pick({
              title: 'Accelerator quota',
              placeholder: 'Subscription',
              items: subs.map((s) => ({ label: s.name, description: s.subscriptionId, value: s })),
            }),
          );
    const location = noBack(
      await ctx.ui.input({
        title: 'Accelerator quota',
        prompt: 'Azure region (the original FPGA regions: eastus, southeastasia, westeurope, westus2)',
        value: 'eastus',
        validate: (v) => (/^[a-z0-9]+$/i.test(v.replace(/\s/g, '')) ? undefined : 'A region name such as eastus'),
      }),
    );
    const report = await withProgress(
      `Reading accelerator quota in ${location}`,
      () => acceleratorQuota(arm, sub.subscriptionId, location),
      false,
    );
    showQuotaPanel(report, quotaVerdict, sub.name);
  });

  runner.register(AZURE_COMMANDS.deleteModel, async (node?: AzureTreeNode) => {
    const ws = node?.azure?.workspace;
    const name = node?.azure?.modelName;
    if (!ws || !name)
      throw new AccelError(
        'InvalidArgument',
        'Run "Delete Azure Model" from a model under an Azure ML workspace in the Workspaces view.',
      );
    if (
      !(await ctx.ui.confirm(
        `Delete model ${name} from Azure ML workspace ${ws.name}?`,
        'Every version of the registered model is deleted. This cannot be undone.',
        'Delete',
      ))
    )
      return;
    await withProgress(
      `Deleting model ${name}`,
      async () => (await azureLib()).deleteRegisteredModel(session.armContext(), ws, name),
      false,
    );
    onChange();
  });

  runner.register(AZURE_COMMANDS.deleteEndpoint, async (node?: AzureTreeNode) => {
    const ws = node?.azure?.workspace;
    const name = node?.azure?.endpointName;
    if (!ws || !name)
      throw new AccelError(
        'InvalidArgument',
        'Run "Delete Azure Endpoint" from an online endpoint under an Azure ML workspace in the Workspaces view.',
      );
    if (
      !(await ctx.ui.confirm(
        `Delete online endpoint ${name} from ${ws.name}?`,
        'Its deployments are deleted with it and clients stop getting answers.',
        'Delete',
      ))
    )
      return;
    await withProgress(
      `Deleting endpoint ${name}`,
      async () => (await azureLib()).deleteOnlineEndpoint(session.armContext(), ws, name),
      false,
    );
    onChange();
  });

  runner.register(AZURE_COMMANDS.refresh, () => onChange());

  runner.register(AZURE_COMMANDS.deployToKubernetes, async (node?: TreeNode) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Deploy to Kubernetes');
    const { deployKubernetesService, listKubeContexts, requireSubscriptions } = await azureLib();
    const title = 'Deploy to Kubernetes (AKS)';
    const name = noBack(
      await ctx.ui.input({
        title,
        step: 1,
        totalSteps: 5,
        prompt: 'Service name (lowercase letters, digits, "-")',
        value: `${image.name.replace(/[^a-z0-9-]/g, '-')}-aks`,
        validate: (v) =>
          /^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$/.test(v)
            ? undefined
            : 'Lowercase letters, digits and "-", starting with a letter',
      }),
    );
    const contexts = listKubeContexts();
    const cluster = noBack(
      await ctx.ui.pick<{ context?: string; aks?: boolean }>({
        title,
        step: 2,
        totalSteps: 5,
        placeholder: 'Cluster',
        items: [
          ...contexts.map((c, i) => ({
            label: c,
            description: i === 0 ? 'current kubeconfig context' : 'kubeconfig context',
            value: { context: c },
          })),
          {
            label: 'AKS cluster through Azure…',
            description: 'fetch user credentials with your Azure sign-in',
            value: { aks: true },
          },
        ],
      }),
    );
    let aks: { subscriptionId: string; resourceGroup: string; name: string } | undefined;
    if (cluster.aks) {
      await requireAccount(session);
      const subs = await requireSubscriptions(session.armContext());
      const sub =
        subs.length === 1
          ? subs[0]
          : noBack(
              await ctx.ui.pick({
                title,
                placeholder: 'Subscription of the cluster',
                items: subs.map((s) => ({ label: s.name, description: s.subscriptionId, value: s })),
              }),
            );
      const resourceGroup = noBack(
        await ctx.ui.input({
          title,
          prompt: 'Resource group of the AKS cluster',
          validate: (v) => (v.trim() ? undefined : 'Required'),
        }),
      );
      const clusterName = noBack(
        await ctx.ui.input({ title, prompt: 'AKS cluster name', validate: (v) => (v.trim() ? undefined : 'Required') }),
      );
      aks = { subscriptionId: sub.subscriptionId, resourceGroup: resourceGroup.trim(), name: clusterName.trim() };
    }
    const namespace = noBack(
      await ctx.ui.input({ title, step: 3, totalSteps: 5, prompt: 'Namespace', value: 'default' }),
    );
    const source = noBack(
      await ctx.ui.pick<'acr' | 'ref'>({
        title,
        step: 4,
        totalSteps: 5,
        placeholder: 'Where does the cluster pull the image from?',
        items: [
          { label: 'Build in Azure Container Registry', description: 'ACR Tasks, no local Docker', value: 'acr' },
          { label: 'An image I already pushed', description: 'registry/repository:tag', value: 'ref' },
        ],
      }),
    );
    const registry =
      source === 'acr'
        ? noBack(
            await ctx.ui.input({
              title,
              prompt: 'Azure Container Registry name',
              validate: (v) => (/^[a-z0-9]{5,50}$/i.test(v) ? undefined : '5-50 letters and digits'),
            }),
          )
        : undefined;
    const imageRef =
      source === 'ref'
        ? noBack(
            await ctx.ui.input({
              title,
              prompt: 'Image reference',
              placeholder: 'myacr.azurecr.io/mobilenet:1',
              validate: (v) => (/^[^\s]+\/[^\s]+$/.test(v) ? undefined : 'registry/repository[:tag]'),
            }),
          )
        : undefined;
    const scaling = noBack(
      await ctx.ui.pick<'auto' | 'fixed'>({
        title,
        step: 5,
        totalSteps: 5,
        placeholder: 'Replicas',
        items: [
          { label: 'Autoscale 1–10 at 70 % CPU', description: 'the original service default', value: 'auto' },
          { label: 'A fixed number of replicas', value: 'fixed' },
        ],
      }),
    );
    const replicas =
      scaling === 'fixed'
        ? Number(
            noBack(
              await ctx.ui.input({
                title,
                prompt: 'Replicas',
                value: '1',
                validate: (v) => (/^[1-9]\d{0,2}$/.test(v) ? undefined : 'A whole number from 1 to 999'),
              }),
            ),
          )
        : undefined;
    let subscriptionId = aks?.subscriptionId;
    if (registry && !subscriptionId) {
      await requireAccount(session);
      const subs = await requireSubscriptions(session.armContext());
      subscriptionId = (
        subs.length === 1
          ? subs[0]
          : noBack(
              await ctx.ui.pick({
                title,
                placeholder: 'Subscription of the registry',
                items: subs.map((s) => ({ label: s.name, description: s.subscriptionId, value: s })),
              }),
            )
      ).subscriptionId;
    }
    const view = await withProgress(
      `Deploying ${name} to Kubernetes`,
      (progress) =>
        deployKubernetesService(
          ctx.store,
          ws,
          {
            name,
            image: image.id,
            imageRef,
            registry,
            context: cluster.context,
            namespace,
            aks,
            replicas,
            subscriptionId,
          },
          { arm: session.armContext(), progress },
        ),
      false,
    );
    ctx.fireSoon();
    ctx.log.info(`deployed ${name} to ${view.context}/${view.namespace}: ${view.scoringUri ?? view.pending}`);
    void vscode.window.showInformationMessage(
      `Deployed ${name} to ${view.context}/${view.namespace}${view.scoringUri ? ` at ${view.scoringUri}` : ` (${view.pending})`}.`,
    );
  });

  return {
    session,
    rootNodes: async () => (session.signedIn ? [azureSectionNode(session)] : []),
  };
}
