// accel.service.deploy (wizard: image, name, target, then the target's own steps, auth, TLS) / copyScoringUri /
// copyPrimaryKey / regenerateKey / updateReplicas / showLogs / delete, and accel.sample.deploy (register + image +
// deploy of the catalog sample in one step). Every verb goes through src/services, as the CLI's do, so it works the
// same for local, container and Kubernetes services.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fetchSampleModel } from '../../catalog/download';
import { createImage } from '../../core/images';
import { registerModel } from '../../core/models';
import { AccelError } from '../../domain/errors';
import { isValidName } from '../../domain/names';
import type { Image, Service } from '../../domain/types';
import type { KeyName, TlsOption } from '../../core/services';
import { deployService, targetFor, type DeployRequest } from '../../services/deployService';
import type { TargetKind } from '../../services/optionRules';
import type { AccelContext } from '../accelContext';
import { serviceDeps } from '../serviceLiveStates';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { BACK, noBack } from '../ui';
import { runWizard, type WizardStep } from '../wizard';
import { withProgress, type CommandRunner } from './commandRunner';
import { pickService } from './pickers';

export interface DeployAnswers {
  imageId?: string;
  name?: string;
  target?: TargetKind;
  port?: number;
  /** Kubernetes: 0 = autoscale. */
  replicas?: number;
  authEnabled?: boolean;
  tls?: TlsOption;
  /** Kubernetes only. */
  context?: string;
  namespace?: string;
  imageRef?: string;
  tlsServerName?: string;
  /** Azure load balancer DNS label, and the region that completes its name. */
  dnsLabel?: string;
  region?: string;
  /** An AKS compute of the store, instead of a kubeconfig context. */
  compute?: string;
  allowPlaintext?: boolean;
}

const SERVICE_RULE =
  'Use 3-32 lowercase letters, digits or "-", starting with a letter and ending with a letter or digit.';

export function defaultServiceName(imageName: string): string {
  const base = imageName
    .replace(/-image$/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 28)
    .replace(/-+$/, '');
  return `${base || 'svc'}-svc`;
}

/** A kubeconfig exists ($KUBECONFIG or ~/.kube/config): checked on disk, without loading the Kubernetes client. */
function hasKubeconfig(): boolean {
  const files = process.env.KUBECONFIG?.split(path.delimiter).filter(Boolean) ?? [
    path.join(os.homedir(), '.kube', 'config'),
  ];
  return files.some((f) => fs.existsSync(f));
}

/** The targets an image can go to here: containers once it is built, Kubernetes when a cluster is configured. */
function availableTargets(image: Image | undefined, hasCluster: boolean): TargetKind[] {
  const out: TargetKind[] = ['local'];
  if (image?.build?.state === 'Succeeded') out.push('container');
  if (hasCluster) out.push('kubernetes');
  return out;
}

const TARGET_ITEMS: Record<TargetKind, { label: string; description: string }> = {
  local: { label: 'Local emulator', description: 'on this machine, one emulated device per replica' },
  container: { label: 'Container', description: 'the built image in podman or docker, one container per replica' },
  kubernetes: {
    label: 'Kubernetes',
    description: 'a cluster of your kubeconfig or an AKS compute; waits for the pods',
  },
};

/** The deploy wizard's steps; `preset` holds what the caller already decided (those steps are not asked). */
function deploySteps(
  ctx: AccelContext,
  ws: string,
  images: Image[],
  taken: Set<string>,
  preset: DeployAnswers,
  targets: () => TargetKind[],
  computes: string[],
): WizardStep<DeployAnswers>[] {
  const local = (s: DeployAnswers) => (s.target ?? 'local') !== 'kubernetes';
  const kube = (s: DeployAnswers) => s.target === 'kubernetes';
  return [
    {
      id: 'image',
      shouldPrompt: () => !preset.imageId,
      async prompt(s, i) {
        if (!images.length)
          throw new AccelError(
            'NotFound',
            `Workspace "${ws}" has no image. Create one from a model with "Create Image…".`,
          );
        const r = await ctx.ui.pick({
          title: 'Deploy: image',
          ...i,
          placeholder: 'Image to deploy',
          items: images.map((im) => ({
            label: im.id,
            description: im.modelId,
            value: im.id,
            picked: im.id === s.imageId,
          })),
        });
        if (r === BACK) return BACK;
        s.imageId = r;
      },
    },
    {
      id: 'name',
      shouldPrompt: () => !preset.name,
      async prompt(s, i) {
        const r = await ctx.ui.input({
          title: 'Deploy: service name',
          ...i,
          prompt: 'Service name (unique in this home)',
          value: s.name ?? defaultServiceName(s.imageId!.split(':')[0]),
          validate: (v) =>
            !isValidName('service', v) ? SERVICE_RULE : taken.has(v) ? `Service "${v}" already exists.` : undefined,
        });
        if (r === BACK) return BACK;
        s.name = r;
      },
    },
    {
      id: 'target',
      shouldPrompt: () => !preset.target && targets().length > 1,
      async prompt(s, i) {
        const r = await ctx.ui.pick({
          title: 'Deploy: where it runs',
          ...i,
          items: targets().map((t) => ({ ...TARGET_ITEMS[t], value: t, picked: t === s.target })),
        });
        if (r === BACK) return BACK;
        s.target = r;
      },
    },
    {
      id: 'port',
      shouldPrompt: (s) => local(s) && preset.port === undefined && preset.name === undefined,
      async prompt(s, i) {
        const r = await ctx.ui.input({
          title: 'Deploy: gRPC port',
          ...i,
          prompt: 'Port on 127.0.0.1 (empty = choose a free one)',
          value: s.port ? String(s.port) : '',
          validate: (v) =>
            v === '' || (/^\d+$/.test(v) && +v >= 1024 && +v <= 65535)
              ? undefined
              : 'A port between 1024 and 65535, or empty.',
        });
        if (r === BACK) return BACK;
        s.port = r === '' ? undefined : Number(r);
      },
    },
    {
      id: 'context',
      shouldPrompt: (s) => kube(s) && !preset.context && !preset.compute,
      async prompt(s, i) {
        const contexts = (await import('../../azure')).listKubeContexts();
        const items = [
          ...computes.map((c) => ({
            label: c,
            description: 'AKS compute of this workspace',
            value: { compute: c } as { compute?: string; context?: string },
          })),
          ...contexts.map((c, n) => ({
            label: c,
            description: n === 0 ? 'kubeconfig, current context' : 'kubeconfig context',
            value: { context: c } as { compute?: string; context?: string },
          })),
        ];
        if (!items.length)
          throw new AccelError(
            'NotFound',
            'No Kubernetes cluster is configured: add one to your kubeconfig (az aks get-credentials), or create or attach an AKS compute in the Workspaces view, and retry.',
          );
        if (items.length === 1) {
          Object.assign(s, items[0].value);
          return;
        }
        const r = await ctx.ui.pick({ title: 'Deploy: cluster', ...i, items });
        if (r === BACK) return BACK;
        s.compute = r.compute;
        s.context = r.context;
      },
    },
    {
      id: 'namespace',
      shouldPrompt: (s) => kube(s) && !preset.namespace,
      async prompt(s, i) {
        const r = await ctx.ui.input({
          title: 'Deploy: namespace',
          ...i,
          prompt: 'Kubernetes namespace',
          value: s.namespace ?? 'default',
          validate: (v) =>
            /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? undefined : 'Lowercase letters, digits and "-".',
        });
        if (r === BACK) return BACK;
        s.namespace = r;
      },
    },
    {
      id: 'imageRef',
      shouldPrompt: (s) => kube(s) && !preset.imageRef,
      async prompt(s, i) {
        const image = images.find((im) => im.id === s.imageId);
        const r = await ctx.ui.input({
          title: 'Deploy: container image the cluster pulls',
          ...i,
          prompt: 'Image reference in a registry the cluster can pull from (push it with "Export Image" first)',
          value: s.imageRef ?? image?.build?.location ?? '',
          placeholder: 'myacr.azurecr.io/mobilenet:1',
          validate: (v) =>
            /^[a-z0-9][\w.\-/:@]*$/i.test(v.trim())
              ? undefined
              : 'Give a reference such as myacr.azurecr.io/mobilenet:1.',
        });
        if (r === BACK) return BACK;
        s.imageRef = r.trim();
      },
    },
    {
      id: 'replicas',
      shouldPrompt: () => preset.replicas === undefined,
      async prompt(s, i) {
        const count =
          s.target === 'kubernetes'
            ? 10
            : s.target === 'container'
              ? 8
              : (vscode.workspace.getConfiguration('accel').get<number>('emulator.devices') ?? 4);
        const items = Array.from({ length: count }, (_, n) => ({
          label: String(n + 1),
          description: n === 0 && !kube(s) ? 'default' : undefined,
          value: n + 1,
        }));
        if (kube(s))
          items.unshift({
            label: 'Autoscale',
            description: '1-10 pods at 70 % CPU, as the original service',
            value: 0,
          });
        const r = await ctx.ui.pick({
          title: 'Deploy: replicas',
          ...i,
          placeholder: kube(s)
            ? 'Pods'
            : s.target === 'container'
              ? 'One container per replica'
              : 'One replica per emulated device',
          items,
        });
        if (r === BACK) return BACK;
        s.replicas = r;
      },
    },
    {
      id: 'auth',
      shouldPrompt: () => preset.authEnabled === undefined,
      async prompt(s, i) {
        const r = await ctx.ui.pick({
          title: 'Deploy: authentication',
          ...i,
          items: [
            { label: 'Keys required', description: 'authorization: Bearer <primary or secondary key>', value: true },
            {
              label: 'Off',
              description: kube(s)
                ? 'anyone who reaches the load balancer can score'
                : 'anyone on this machine can score',
              value: false,
            },
          ],
        });
        if (r === BACK) return BACK;
        s.authEnabled = r;
      },
    },
    {
      id: 'tls',
      shouldPrompt: () => preset.tls === undefined,
      async prompt(s, i) {
        const r = await ctx.ui.pick<'none' | 'self-signed' | 'pem'>({
          title: 'Deploy: TLS',
          ...i,
          items: [
            {
              label: 'None',
              description: kube(s) ? 'grpc:// (plain text across the network)' : 'grpc://',
              value: 'none',
            },
            {
              label: 'Self-signed certificate',
              description: kube(s)
                ? 'grpcs://, generated now for the server name you give next'
                : 'grpcs://, generated now',
              value: 'self-signed',
            },
            { label: 'PEM files…', description: 'your certificate and key', value: 'pem' },
          ],
        });
        if (r === BACK) return BACK;
        if (r === 'pem') {
          const [cert] = await ctx.ui.openDialog({
            title: 'TLS certificate (PEM)',
            canSelectMany: false,
            filters: { PEM: ['pem', 'crt', 'cer'] },
          });
          const [key] = await ctx.ui.openDialog({
            title: 'TLS private key (PEM)',
            canSelectMany: false,
            filters: { PEM: ['pem', 'key'] },
          });
          s.tls = { certFile: cert.fsPath, keyFile: key.fsPath };
        } else s.tls = r;
      },
    },
    {
      id: 'tlsServerName',
      shouldPrompt: (s) => kube(s) && (s.tls ?? 'none') !== 'none' && !preset.tlsServerName,
      async prompt(s, i) {
        const r = await ctx.ui.input({
          title: 'Deploy: TLS server name',
          ...i,
          prompt:
            s.tls === 'self-signed'
              ? 'A DNS name to issue the certificate for as well, which clients then verify (empty = the load balancer address)'
              : 'The name your certificate carries, when clients reach the service by an address it does not name (empty = the address)',
          value: s.tlsServerName ?? '',
          placeholder: 'models.example.com',
        });
        if (r === BACK) return BACK;
        s.tlsServerName = r.trim() || undefined;
      },
    },
    {
      id: 'dnsLabel',
      shouldPrompt: (s) => kube(s) && (s.tls ?? 'none') !== 'none' && preset.dnsLabel === undefined,
      async prompt(s, i) {
        const r = await ctx.ui.input({
          title: 'Deploy: DNS label',
          ...i,
          prompt:
            'Azure load balancer DNS label: the service answers at <label>.<region>.cloudapp.azure.com, a name a real certificate can match (empty = none)',
          value: s.dnsLabel ?? '',
          placeholder: s.name,
          validate: (v) =>
            v === '' || /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(v)
              ? undefined
              : 'Lowercase letters, digits and "-", 3-63 long.',
        });
        if (r === BACK) return BACK;
        s.dnsLabel = r || undefined;
      },
    },
    {
      id: 'region',
      shouldPrompt: (s) => kube(s) && !!s.dnsLabel && !s.compute && preset.region === undefined,
      async prompt(s, i) {
        const r = await ctx.ui.input({
          title: 'Deploy: Azure region of the cluster',
          ...i,
          prompt: 'The region completes the DNS name (<label>.<region>.cloudapp.azure.com)',
          value: s.region ?? '',
          placeholder: 'westus2',
          validate: (v) => (/^[a-z0-9]{2,40}$/i.test(v) ? undefined : 'A region name such as westus2.'),
        });
        if (r === BACK) return BACK;
        s.region = r.toLowerCase();
      },
    },
    {
      id: 'plaintext',
      shouldPrompt: (s) =>
        kube(s) && (s.authEnabled ?? true) && (s.tls ?? 'none') === 'none' && preset.allowPlaintext === undefined,
      async prompt(s, i) {
        const r = await ctx.ui.pick({
          title: 'Deploy: keys over plain text?',
          ...i,
          placeholder: 'Without TLS every client sends its key unencrypted across the network',
          items: [
            { label: 'Go back and turn TLS on', description: 'recommended', value: false },
            { label: 'Allow plain text', description: 'anyone on the path can read and reuse the keys', value: true },
          ],
        });
        if (r === BACK || !r) return BACK;
        s.allowPlaintext = true;
      },
    },
  ];
}

/** The face-neutral request of the wizard's answers. */
function requestOf(a: DeployAnswers): DeployRequest {
  const target = a.target ?? 'local';
  if (target !== 'kubernetes')
    return {
      name: a.name!,
      image: a.imageId!,
      target,
      port: a.port,
      replicas: a.replicas ?? 1,
      authEnabled: a.authEnabled ?? true,
      tls: a.tls ?? 'none',
    };
  return {
    name: a.name!,
    image: a.imageId!,
    target,
    replicas: a.replicas ? a.replicas : undefined,
    authEnabled: a.authEnabled ?? true,
    tls: a.tls ?? 'none',
    allowPlaintext: a.allowPlaintext,
    kubernetes: {
      context: a.context,
      namespace: a.namespace,
      imageRef: a.imageRef,
      autoscale: a.replicas ? undefined : true,
      tlsServerName: a.tlsServerName,
      dnsLabel: a.dnsLabel,
      region: a.region,
      compute: a.compute,
    },
  };
}

/** Deploys through src/services with progress and cancel; the view shows the service at once with its state. */
async function deployAnswers(ctx: AccelContext, trees: Trees, ws: string, a: DeployAnswers): Promise<Service> {
  const request = requestOf(a);
  const service = await trees.services.whileCreating(request.name, () =>
    withProgress(`Deploying ${request.image} as ${request.name}`, (progress, cancel) =>
      deployService(serviceDeps(ctx, ws, progress, cancel), request),
    ),
  );
  if (service.target === 'local') await ctx.emulator.refreshStatus();
  trees.services.liveStates.refreshSoon();
  return service;
}

export function registerServiceCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.service.deploy', async (node?: TreeNode, preset?: DeployAnswers) => {
    const ws = await ctx.requireWorkspace();
    const state = await ctx.store.read(ws);
    const fixed: DeployAnswers = { ...preset, imageId: preset?.imageId ?? node?.image?.id };
    const taken = new Set(state.services.map((s) => s.name));
    const computes = state.computes.filter((c) => c.kind === 'aks').map((c) => c.name);
    const hasCluster = hasKubeconfig() || computes.length > 0;
    const a: DeployAnswers = { ...fixed };
    await runWizard(
      a,
      deploySteps(
        ctx,
        ws,
        state.images,
        taken,
        fixed,
        () =>
          availableTargets(
            state.images.find((i) => i.id === a.imageId || i.id.split(':')[0] === a.imageId),
            hasCluster,
          ),
        computes,
      ),
    );
    const service = await deployAnswers(ctx, trees, ws, a);
    const address = await targetFor(service, serviceDeps(ctx, ws))
      .address(service)
      .catch(() => undefined);
    const uri = address?.uri || address?.pending || 'its address is pending';
    ctx.log.info(`service ${service.name} (${service.target}) serving at ${uri}`);
    await ctx.extension.workspaceState.update('accel.lastService', `${ws}/${service.name}`);
    ctx.fireSoon();
    void vscode.window.showInformationMessage(`Service ${service.name} is running at ${uri}.`);
    return service;
  });

  run.register('accel.sample.deploy', async () => {
    let ws = await ctx.activeWorkspace();
    if (!ws)
      ws =
        (await vscode.commands.executeCommand<{ name: string } | undefined>('accel.workspace.create', 'default'))
          ?.name ?? (await ctx.requireWorkspace());
    const wsName = ws;
    const existing = (await ctx.store.read(wsName)).services.find((s) => s.name === 'mobilenet-svc');
    if (existing) {
      await ctx.emulator.ensureRunning();
      return existing;
    }
    const service = await trees.services.whileCreating('mobilenet-svc', () =>
      withProgress('Deploying the sample model (MobileNetV2)', async (progress, cancel) => {
        const file = await fetchSampleModel({ home: ctx.home, progress, cancel });
        progress.report({ message: 'registering mobilenet' });
        const state = await ctx.store.read(wsName);
        const model =
          state.models.find((m) => m.name === 'mobilenet' && !m.parentId) ??
          (await registerModel(ctx.store, wsName, {
            path: file,
            name: 'mobilenet',
            preset: 'mobilenetv2',
            labels: 'imagenet-1000',
            tags: { source: 'sample' },
          }));
        progress.report({ message: 'creating image mobilenet-image' });
        const image =
          (await ctx.store.read(wsName)).images.find((i) => i.modelId === model.id) ??
          (await createImage(ctx.store, wsName, 'mobilenet-image', model.id));
        return deployService(serviceDeps(ctx, wsName, progress, cancel), {
          name: 'mobilenet-svc',
          image: image.id,
          target: 'local',
          replicas: 1,
          authEnabled: true,
          tls: 'none',
        });
      }),
    );
    await ctx.emulator.refreshStatus();
    await ctx.extension.workspaceState.update('accel.lastService', `${wsName}/${service.name}`);
    ctx.fireSoon();
    return service;
  });

  run.register('accel.service.copyScoringUri', async (node?: TreeNode) => {
    const { ws, value: s } = await pickService(ctx, node, 'Copy Scoring URI');
    const address = await targetFor(s, serviceDeps(ctx, ws)).address(s);
    if (!address.uri)
      throw new AccelError('Unavailable', `Service ${s.name} has no address yet: ${address.pending ?? 'unknown'}.`);
    await vscode.env.clipboard.writeText(address.uri);
    return address.uri;
  });

  run.register('accel.service.copyPrimaryKey', async (node?: TreeNode) => {
    const { ws, value: s } = await pickService(ctx, node, 'Copy Primary Key');
    const key = await ctx.primaryKey(ws, s, true); // from the store: the cached copy may predate a regen-key elsewhere
    await vscode.env.clipboard.writeText(key);
    void vscode.window.showInformationMessage(`Copied the primary key of ${s.name}.`);
    return true;
  });

  run.register('accel.service.regenerateKey', async (node?: TreeNode, which?: KeyName) => {
    const { ws, value: s } = await pickService(ctx, node, 'Regenerate Key');
    const k =
      which ??
      noBack(
        await ctx.ui.pick<KeyName>({
          title: `Regenerate a key of ${s.name}`,
          items: [
            { label: 'primary', description: 'clients using the secondary key keep working', value: 'primary' },
            { label: 'secondary', description: 'clients using the primary key keep working', value: 'secondary' },
          ],
        }),
      );
    // Returns once the target serves the new key (the emulator confirms it; containers are recreated; pods roll).
    const keys = await trees.services.whileBusy(node, 'regenerating key…', () =>
      withProgress(
        `Regenerating the ${k} key of ${s.name}`,
        (progress) => targetFor(s, serviceDeps(ctx, ws, progress)).regenerateKey(s, k),
        false,
      ),
    );
    await ctx.secrets.store(ctx.serviceKeyId(ws, s.name, 'primary'), keys.primaryKey);
    await ctx.secrets.store(ctx.serviceKeyId(ws, s.name, 'secondary'), keys.secondaryKey);
    ctx.log.info(`service ${s.name}: ${k} key regenerated. ${keys.message}`);
    trees.services.liveStates.refreshSoon();
    ctx.fireSoon();
    void vscode.window.showInformationMessage(`New ${k} key of ${s.name}. ${keys.message}`);
    return k;
  });

  run.register('accel.service.updateReplicas', async (node?: TreeNode, replicas?: number) => {
    const { ws, value: s } = await pickService(ctx, node, 'Update Replicas');
    const max =
      s.target === 'kubernetes'
        ? 10
        : s.target === 'container'
          ? 8
          : (ctx.emulator.status?.devices.count ??
            vscode.workspace.getConfiguration('accel').get<number>('emulator.devices') ??
            4);
    const what = s.target === 'kubernetes' ? 'Pods' : s.target === 'container' ? 'Containers' : 'Replicas';
    const n =
      replicas ??
      noBack(
        await ctx.ui.pick({
          title: `${what} of ${s.name} (now ${s.replicas})`,
          items: Array.from({ length: max }, (_, i) => ({ label: String(i + 1), value: i + 1 })),
        }),
      );
    await trees.services.whileBusy(node, 'updating…', () =>
      withProgress(
        `Scaling ${s.name} to ${n} replica(s)`,
        (progress, cancel) => targetFor(s, serviceDeps(ctx, ws, progress, cancel)).update(s, { replicas: n }),
        s.target !== 'container',
      ),
    );
    if (s.target === 'local') await ctx.emulator.refreshStatus();
    trees.services.liveStates.refreshSoon();
    ctx.fireSoon();
    return n;
  });

  run.register('accel.service.showLogs', async (node?: TreeNode) => {
    const { ws, value: s } = await pickService(ctx, node, 'Show Service Logs');
    const logs = await withProgress(
      `Reading the logs of ${s.name}`,
      () => targetFor(s, serviceDeps(ctx, ws)).logs(s, 500),
      false,
    );
    if (s.target === 'local') {
      const file = logs[0]?.source;
      if (!file || !fs.existsSync(file))
        throw new AccelError(
          'NotFound',
          `Service ${s.name} has no log yet. Start the emulator (Accelerated Models: Start Emulator) and score once, then retry.`,
        );
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
      return file;
    }
    const doc = await vscode.workspace.openTextDocument({
      content: logs.map((l) => `==> ${l.source} <==\n${l.text}\n`).join('\n') || `(no log from ${s.name} yet)`,
      language: 'log',
    });
    await vscode.window.showTextDocument(doc, { preview: true });
    return logs.map((l) => l.source).join(', ');
  });

  run.register('accel.service.delete', async (node?: TreeNode, options?: { confirmed?: boolean }) => {
    const { ws, value: s } = await pickService(ctx, node, 'Delete Service');
    const where =
      s.target === 'kubernetes'
        ? `Its Deployment, Service, autoscaler and Secrets in ${s.kubernetes?.context}/${s.kubernetes?.namespace} are removed; clients stop getting answers.`
        : s.target === 'container'
          ? 'Its containers are removed; clients stop getting answers.'
          : 'The emulator stops it; clients stop getting answers.';
    if (!options?.confirmed && !(await ctx.ui.confirm(`Delete service ${s.name}?`, where, 'Delete'))) return undefined;
    return removeService(ctx, trees, ws, s, node);
  });
}

/** The single service delete (also each service step of Delete with Dependents): what the target runs, the record, keys. */
export async function removeService(
  ctx: AccelContext,
  trees: Trees,
  ws: string,
  s: Service,
  node?: TreeNode,
): Promise<string> {
  // No progress notification of its own: Delete with Dependents runs this per service under its own.
  const { removed } = await trees.services.whileBusy(node, 'deleting…', () =>
    targetFor(s, serviceDeps(ctx, ws)).delete(s),
  );
  if (s.target === 'local') await ctx.emulator.refreshStatus();
  for (const k of ['primary', 'secondary'] as const) await ctx.secrets.delete(ctx.serviceKeyId(ws, s.name, k));
  ctx.log.info(`service ${s.name} deleted (${removed.join(', ') || 'nothing left to remove'})`);
  ctx.fireSoon();
  return s.name;
}
