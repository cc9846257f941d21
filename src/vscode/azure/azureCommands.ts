// Azure commands: sign in/out, tenant, quota table, delete Azure ML models/endpoints (confirmed), and the
// deploy-to-Kubernetes (AKS) wizard. Mounted by the composition root with `registerAzure(...)`.
import * as vscode from 'vscode';
import { AccelError } from '../../domain/errors';
import type { AzureSubscription } from '../../azure/subscriptions';
import { deployService } from '../../services/deployService';
import { useArmContext } from '../serviceLiveStates';
import type { AccelContext } from '../accelContext';
import { withProgress, type CommandRunner } from '../commands/commandRunner';
import { pickImage } from '../commands/pickers';
import type { TreeNode } from '../trees/treeNode';
import { noBack } from '../ui';
import { BACK, runWizard, type WizardStep } from '../wizard';
import { AzureSession } from './azureSession';
import { AzureListings, azureSectionNode, type AzureTreeNode } from './azureTree';
import { showQuotaPanel } from './quotaPanel';

/** The answers of the Deploy to Kubernetes wizard. */
interface KubernetesAnswers {
  name?: string;
  cluster?: { context?: string; aks?: boolean };
  /** The cluster's subscription (AKS), or the registry's (ACR build to a kubeconfig cluster). */
  subscriptionId?: string;
  resourceGroup?: string;
  clusterName?: string;
  namespace?: string;
  source?: 'acr' | 'ref';
  registry?: string;
  imageRef?: string;
  scaling?: 'auto' | 'fixed';
  replicas?: number;
}

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
  /** Refreshes the Workspaces view, with the reason. */
  onChange: (reason: string) => void,
): AzureIntegration {
  const session = new AzureSession(ctx.extension.globalState);
  const lists = new AzureListings(onChange);
  /** Azure resources changed (or may have): fetch the lists again when next shown. */
  const refetch = (reason: string) => {
    lists.clear();
    onChange(reason);
  };
  subscriptions.push(
    session,
    session.onDidChange(() => refetch('Azure sign-in changed')),
  );
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
    const a = await runWizard<{ sub: AzureSubscription; location?: string }>({ sub: subs[0] }, [
      {
        id: 'subscription',
        shouldPrompt: () => subs.length > 1,
        prompt: async (s, p) => {
          const r = await ctx.ui.pick({
            title: 'Accelerator quota',
            ...p,
            placeholder: 'Subscription',
            items: subs.map((x) => ({ label: x.name, description: x.subscriptionId, value: x, picked: x === s.sub })),
          });
          if (r === BACK) return BACK;
          s.sub = r;
        },
      },
      {
        id: 'location',
        shouldPrompt: () => true,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title: 'Accelerator quota',
            ...p,
            prompt: 'Azure region (the original FPGA regions: eastus, southeastasia, westeurope, westus2)',
            value: s.location ?? 'eastus',
            validate: (v) => (/^[a-z0-9]+$/i.test(v.replace(/\s/g, '')) ? undefined : 'A region name such as eastus'),
          });
          if (r === BACK) return BACK;
          s.location = r;
        },
      },
    ]);
    const sub = a.sub;
    const location = a.location!;
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
        'Run "Accelerated Models: Delete Azure Model…" from a model under an Azure ML workspace in the Workspaces view.',
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
    refetch('deleted from Azure');
  });

  runner.register(AZURE_COMMANDS.deleteEndpoint, async (node?: AzureTreeNode) => {
    const ws = node?.azure?.workspace;
    const name = node?.azure?.endpointName;
    if (!ws || !name)
      throw new AccelError(
        'InvalidArgument',
        'Run "Accelerated Models: Delete Azure Endpoint…" from an online endpoint under an Azure ML workspace in the Workspaces view.',
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
    refetch('deleted from Azure');
  });

  runner.register(AZURE_COMMANDS.refresh, () => refetch('user refresh (Azure)'));

  // Services on AKS clusters reached through ARM (Score, Regenerate Key, Update Replicas, Logs, Delete) use this sign-in.
  useArmContext(() => session.armContext());

  runner.register(AZURE_COMMANDS.deployToKubernetes, async (node?: TreeNode) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Deploy to Kubernetes');
    const { listKubeContexts, requireSubscriptions } = await azureLib();
    const title = 'Deploy to Kubernetes (AKS)';
    let subs: AzureSubscription[] | undefined;
    /** Signs in and lists the subscriptions once an answer needs one; a single subscription is taken as the answer. */
    const loadSubscriptions = async (s: KubernetesAnswers) => {
      await requireAccount(session);
      subs ??= await requireSubscriptions(session.armContext());
      if (subs.length === 1) s.subscriptionId = subs[0].subscriptionId;
    };
    const pickSubscription =
      (placeholder: string): WizardStep<KubernetesAnswers>['prompt'] =>
      async (s, p) => {
        const r = await ctx.ui.pick({
          title,
          ...p,
          placeholder,
          items: subs!.map((x) => ({
            label: x.name,
            description: x.subscriptionId,
            value: x.subscriptionId,
            picked: x.subscriptionId === s.subscriptionId,
          })),
        });
        if (r === BACK) return BACK;
        s.subscriptionId = r;
      };
    const required = (v: string) => (v.trim() ? undefined : 'Required');
    const onAks = (s: KubernetesAnswers) => !!s.cluster?.aks;
    const severalSubscriptions = () => (subs?.length ?? 0) > 1;
    const contexts = listKubeContexts();
    const a = await runWizard<KubernetesAnswers>({}, [
      {
        id: 'name',
        shouldPrompt: () => true,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title,
            ...p,
            prompt: 'Service name (lowercase letters, digits, "-")',
            value: s.name ?? `${image.name.replace(/[^a-z0-9-]/g, '-')}-aks`,
            validate: (v) =>
              /^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$/.test(v)
                ? undefined
                : 'Lowercase letters, digits and "-", starting with a letter',
          });
          if (r === BACK) return BACK;
          s.name = r;
        },
      },
      {
        id: 'cluster',
        shouldPrompt: () => true,
        prompt: async (s, p) => {
          const r = await ctx.ui.pick<{ context?: string; aks?: boolean }>({
            title,
            ...p,
            placeholder: 'Cluster',
            items: [
              ...contexts.map((c, i) => ({
                label: c,
                description: i === 0 ? 'current kubeconfig context' : 'kubeconfig context',
                value: { context: c },
                picked: s.cluster?.context === c,
              })),
              {
                label: 'AKS cluster through Azure…',
                description: 'fetch user credentials with your Azure sign-in',
                value: { aks: true },
                picked: !!s.cluster?.aks,
              },
            ],
          });
          if (r === BACK) return BACK;
          s.cluster = r;
          if (r.aks) await loadSubscriptions(s);
        },
      },
      {
        id: 'clusterSubscription',
        shouldPrompt: (s) => onAks(s) && severalSubscriptions(),
        prompt: pickSubscription('Subscription of the cluster'),
      },
      {
        id: 'resourceGroup',
        shouldPrompt: onAks,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title,
            ...p,
            prompt: 'Resource group of the AKS cluster',
            value: s.resourceGroup,
            validate: required,
          });
          if (r === BACK) return BACK;
          s.resourceGroup = r.trim();
        },
      },
      {
        id: 'clusterName',
        shouldPrompt: onAks,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title,
            ...p,
            prompt: 'AKS cluster name',
            value: s.clusterName,
            validate: required,
          });
          if (r === BACK) return BACK;
          s.clusterName = r.trim();
        },
      },
      {
        id: 'namespace',
        shouldPrompt: () => true,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({ title, ...p, prompt: 'Namespace', value: s.namespace ?? 'default' });
          if (r === BACK) return BACK;
          s.namespace = r;
        },
      },
      {
        id: 'source',
        shouldPrompt: () => true,
        prompt: async (s, p) => {
          const r = await ctx.ui.pick<'acr' | 'ref'>({
            title,
            ...p,
            placeholder: 'Where does the cluster pull the image from?',
            items: [
              {
                label: 'Build in Azure Container Registry',
                description: 'ACR Tasks, no local Docker',
                value: 'acr',
                picked: s.source === 'acr',
              },
              {
                label: 'An image I already pushed',
                description: 'registry/repository:tag',
                value: 'ref',
                picked: s.source === 'ref',
              },
            ],
          });
          if (r === BACK) return BACK;
          s.source = r;
          if (r === 'acr' && !onAks(s)) await loadSubscriptions(s);
        },
      },
      {
        id: 'registry',
        shouldPrompt: (s) => s.source === 'acr',
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title,
            ...p,
            prompt: 'Azure Container Registry name',
            value: s.registry,
            validate: (v) => (/^[a-z0-9]{5,50}$/i.test(v) ? undefined : '5-50 letters and digits'),
          });
          if (r === BACK) return BACK;
          s.registry = r;
        },
      },
      {
        id: 'imageRef',
        shouldPrompt: (s) => s.source === 'ref',
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title,
            ...p,
            prompt: 'Image reference',
            value: s.imageRef,
            placeholder: 'myacr.azurecr.io/mobilenet:1',
            validate: (v) => (/^[^\s]+\/[^\s]+$/.test(v) ? undefined : 'registry/repository[:tag]'),
          });
          if (r === BACK) return BACK;
          s.imageRef = r;
        },
      },
      {
        id: 'scaling',
        shouldPrompt: () => true,
        prompt: async (s, p) => {
          const r = await ctx.ui.pick<'auto' | 'fixed'>({
            title,
            ...p,
            placeholder: 'Replicas',
            items: [
              {
                label: 'Autoscale 1–10 at 70 % CPU',
                description: 'the original service default',
                value: 'auto',
                picked: s.scaling === 'auto',
              },
              { label: 'A fixed number of replicas', value: 'fixed', picked: s.scaling === 'fixed' },
            ],
          });
          if (r === BACK) return BACK;
          s.scaling = r;
        },
      },
      {
        id: 'replicas',
        shouldPrompt: (s) => s.scaling === 'fixed',
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title,
            ...p,
            prompt: 'Replicas',
            value: String(s.replicas ?? 1),
            validate: (v) => (/^[1-9]\d{0,2}$/.test(v) ? undefined : 'A whole number from 1 to 999'),
          });
          if (r === BACK) return BACK;
          s.replicas = Number(r);
        },
      },
      {
        id: 'registrySubscription',
        shouldPrompt: (s) => s.source === 'acr' && !onAks(s) && severalSubscriptions(),
        prompt: pickSubscription('Subscription of the registry'),
      },
    ]);
    // Answers to steps that a later Back made moot stay in the state; use only those the final path asked.
    const aks = onAks(a)
      ? { subscriptionId: a.subscriptionId!, resourceGroup: a.resourceGroup!, name: a.clusterName! }
      : undefined;
    const registry = a.source === 'acr' ? a.registry : undefined;
    const imageRef = a.source === 'ref' ? a.imageRef : undefined;
    const replicas = a.scaling === 'fixed' ? a.replicas : undefined;
    const subscriptionId = aks || registry ? a.subscriptionId : undefined;
    const name = a.name!;
    const namespace = a.namespace!;
    const cluster = a.cluster!;
    // The one deploy of src/services (as the Services view's wizard and the CLI use): option rules, the rollout wait
    // with Cancel, rollback. This wizard has no TLS step, so the service gets a self-signed certificate for its load
    // balancer address: keys never cross the network in plain text.
    const service = await withProgress(`Deploying ${name} to Kubernetes`, (progress, cancel) =>
      deployService(
        { store: ctx.store, workspace: ws, kube: async () => ({ arm: session.armContext() }), progress, cancel },
        {
          name,
          image: image.id,
          target: 'kubernetes',
          replicas,
          tls: 'self-signed',
          kubernetes: { imageRef, registry, context: cluster.context, namespace, aks, subscriptionId },
        },
      ),
    );
    ctx.fireSoon();
    ctx.log.info(`deployed ${name} to ${service.kubernetes?.context}/${namespace}`);
    void vscode.window.showInformationMessage(
      `Deployed ${name} to ${service.kubernetes?.context}/${namespace} with a self-signed certificate.`,
    );
  });

  return {
    session,
    rootNodes: async () => (session.signedIn ? [azureSectionNode(session, lists)] : []),
  };
}
