// accel.service.deploy (wizard) / copyScoringUri / copyPrimaryKey / regenerateKey / updateReplicas / showLogs /
// delete, and accel.sample.deploy (register + image + deploy of the catalog sample in one step).
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { fetchSampleModel } from '../../catalog/download';
import {
  containerServiceLogs,
  deleteContainerService,
  regenerateContainerKey,
  scaleContainerService,
} from '../../container/containerServices';
import { createImage } from '../../core/images';
import { registerModel } from '../../core/models';
import { isValidName } from '../../domain/names';
import type { Service } from '../../domain/types';
import { deleteService, scoringUri, updateService, type KeyName, type TlsOption } from '../../core/services';
import { serviceLogPath } from '../../emulator/host/hostControl';
import { regenerateLocalKey } from '../../emulator/host/localServices';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { BACK, noBack, runWizard } from '../ui';
import { withProgress, type CommandRunner } from './commandRunner';
import { pickService } from './pickers';

export interface DeployAnswers {
  imageId?: string;
  name?: string;
  port?: number;
  replicas?: number;
  authEnabled?: boolean;
  tls?: TlsOption;
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

export function registerServiceCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.service.deploy', async (node?: TreeNode, preset?: DeployAnswers) => {
    const ws = await ctx.requireWorkspace();
    const images = (await ctx.store.read(ws)).images;
    const a: DeployAnswers = { ...preset, imageId: preset?.imageId ?? node?.image?.id };
    const taken = new Set((await ctx.store.read(ws)).services.map((s) => s.name));
    const steps = [];
    if (!a.imageId)
      steps.push(async (s: DeployAnswers, i: { step: number; totalSteps: number; canGoBack: boolean }) => {
        if (!images.length)
          throw new Error(`Workspace "${ws}" has no image. Create one from a model with "Create Image…".`);
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
      });
    if (!preset?.name)
      steps.push(async (s: DeployAnswers, i: { step: number; totalSteps: number; canGoBack: boolean }) => {
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
      });
    if (preset?.port === undefined && preset?.name === undefined)
      steps.push(async (s: DeployAnswers, i: { step: number; totalSteps: number; canGoBack: boolean }) => {
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
      });
    if (preset?.replicas === undefined)
      steps.push(async (s: DeployAnswers, i: { step: number; totalSteps: number; canGoBack: boolean }) => {
        const devices = vscode.workspace.getConfiguration('accel').get<number>('emulator.devices') ?? 4;
        const r = await ctx.ui.pick({
          title: 'Deploy: replicas',
          ...i,
          placeholder: 'One replica per emulated device',
          items: Array.from({ length: devices }, (_, n) => ({
            label: String(n + 1),
            description: n === 0 ? 'default' : undefined,
            value: n + 1,
          })),
        });
        if (r === BACK) return BACK;
        s.replicas = r;
      });
    if (preset?.authEnabled === undefined)
      steps.push(async (s: DeployAnswers, i: { step: number; totalSteps: number; canGoBack: boolean }) => {
        const r = await ctx.ui.pick({
          title: 'Deploy: authentication',
          ...i,
          items: [
            { label: 'Keys required', description: 'authorization: Bearer <primary or secondary key>', value: true },
            { label: 'Off', description: 'anyone on this machine can score', value: false },
          ],
        });
        if (r === BACK) return BACK;
        s.authEnabled = r;
      });
    if (preset?.tls === undefined)
      steps.push(async (s: DeployAnswers, i: { step: number; totalSteps: number; canGoBack: boolean }) => {
        const r = await ctx.ui.pick<'none' | 'self-signed' | 'pem'>({
          title: 'Deploy: TLS',
          ...i,
          items: [
            { label: 'None', description: 'grpc://', value: 'none' },
            { label: 'Self-signed certificate', description: 'grpcs://, generated now', value: 'self-signed' },
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
      });
    await runWizard(a, steps);
    const name = a.name!;
    const service = await trees.services.whileCreating(name, () =>
      withProgress(`Deploying ${a.imageId} as ${name}`, (progress, cancel) =>
        ctx.emulator.deploy(
          ws,
          name,
          a.imageId!,
          { port: a.port, replicas: a.replicas ?? 1, authEnabled: a.authEnabled ?? true, tls: a.tls ?? 'none' },
          progress,
          cancel,
        ),
      ),
    );
    ctx.log.info(`service ${name} running at ${scoringUri(service)}`);
    await ctx.extension.workspaceState.update('accel.lastService', `${ws}/${name}`);
    ctx.fireSoon();
    void vscode.window.showInformationMessage(`Service ${name} is running at ${scoringUri(service)}.`);
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
        return ctx.emulator.deploy(
          wsName,
          'mobilenet-svc',
          image.id,
          { replicas: 1, authEnabled: true, tls: 'none' },
          progress,
          cancel,
        );
      }),
    );
    await ctx.extension.workspaceState.update('accel.lastService', `${wsName}/${service.name}`);
    ctx.fireSoon();
    return service;
  });

  run.register('accel.service.copyScoringUri', async (node?: TreeNode) => {
    const { value: s } = await pickService(ctx, node, 'Copy Scoring URI');
    await vscode.env.clipboard.writeText(scoringUri(s));
    return scoringUri(s);
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
    if (s.target === 'container') {
      // Its containers are recreated with the new pair; returns once they are healthy again.
      const keys = await withProgress(
        `Regenerating the ${k} key of ${s.name} (restarting its containers)`,
        () => regenerateContainerKey(ctx.store, ws, s.name, k),
        false,
      );
      await ctx.secrets.store(ctx.serviceKeyId(ws, s.name, 'primary'), keys.primaryKey);
      await ctx.secrets.store(ctx.serviceKeyId(ws, s.name, 'secondary'), keys.secondaryKey);
      ctx.log.info(`service ${s.name}: ${k} key regenerated, containers restarted`);
      ctx.fireSoon();
      return k;
    }
    // Returns once the running service accepts the new key and refuses the old one (or says the host is not running).
    const keys = await withProgress(
      `Regenerating the ${k} key of ${s.name}`,
      () => regenerateLocalKey(ctx.store, ws, s.name, k),
      false,
    );
    await ctx.secrets.store(ctx.serviceKeyId(ws, s.name, 'primary'), keys.primaryKey);
    await ctx.secrets.store(ctx.serviceKeyId(ws, s.name, 'secondary'), keys.secondaryKey);
    ctx.log.info(`service ${s.name}: ${k} key regenerated (${keys.effect})`);
    if (keys.effect === 'host-not-running')
      void vscode.window.showInformationMessage(
        `The new ${k} key of ${s.name} is saved; the emulator is not running, so it takes effect when the service starts.`,
      );
    return k;
  });

  run.register('accel.service.updateReplicas', async (node?: TreeNode, replicas?: number) => {
    const { ws, value: s } = await pickService(ctx, node, 'Update Replicas');
    if (s.target === 'container') {
      const count =
        replicas ??
        noBack(
          await ctx.ui.pick({
            title: `Containers of ${s.name} (now ${s.replicas})`,
            items: Array.from({ length: 8 }, (_, i) => ({ label: String(i + 1), value: i + 1 })),
          }),
        );
      await trees.services.whileBusy(node, 'updating…', () =>
        withProgress(
          `Scaling ${s.name} to ${count} container(s)`,
          () => scaleContainerService(ctx.store, ws, s.name, count),
          false,
        ),
      );
      ctx.fireSoon();
      return count;
    }
    const devices =
      ctx.emulator.status?.devices.count ??
      vscode.workspace.getConfiguration('accel').get<number>('emulator.devices') ??
      4;
    const n =
      replicas ??
      noBack(
        await ctx.ui.pick({
          title: `Replicas of ${s.name} (now ${s.replicas})`,
          items: Array.from({ length: devices }, (_, i) => ({ label: String(i + 1), value: i + 1 })),
        }),
      );
    const { before } = await updateService(ctx.store, ws, s.name, { replicas: n, deviceCount: devices });
    try {
      await trees.services.whileBusy(node, 'updating…', () =>
        withProgress(`Scaling ${s.name} to ${n} replica(s)`, () => ctx.emulator.reconcile(s.name), false),
      );
    } catch (e) {
      await updateService(ctx.store, ws, s.name, { replicas: before.replicas, deviceCount: devices });
      throw e;
    }
    ctx.fireSoon();
    return n;
  });

  run.register('accel.service.showLogs', async (node?: TreeNode) => {
    const { ws, value: s } = await pickService(ctx, node, 'Show Service Logs');
    if (s.target === 'container') {
      const logs = await containerServiceLogs(ctx.store, ws, s.name, 500);
      const doc = await vscode.workspace.openTextDocument({
        content: logs.map((l) => `==> container ${l.container} <==\n${l.log}\n`).join('\n'),
        language: 'log',
      });
      await vscode.window.showTextDocument(doc, { preview: true });
      return logs.map((l) => l.container).join(', ');
    }
    const file = serviceLogPath(ctx.home, s.name);
    if (!fs.existsSync(file))
      throw new Error(`Service ${s.name} has no log yet (${file}). Start the emulator and score once, then retry.`);
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    return file;
  });

  run.register('accel.service.delete', async (node?: TreeNode, options?: { confirmed?: boolean }) => {
    const { ws, value: s } = await pickService(ctx, node, 'Delete Service');
    if (
      !options?.confirmed &&
      !(await ctx.ui.confirm(
        `Delete service ${s.name}?`,
        `Clients of ${scoringUri(s)} will stop getting answers.`,
        'Delete',
      ))
    )
      return undefined;
    return removeService(ctx, trees, ws, s, node);
  });
}

/** The single service delete (also each service step of Delete with Dependents): store, emulator or containers, keys. */
export async function removeService(
  ctx: AccelContext,
  trees: Trees,
  ws: string,
  s: Service,
  node?: TreeNode,
): Promise<string> {
  await trees.services.whileBusy(node, 'deleting…', async () => {
    if (s.target === 'container') return void (await deleteContainerService(ctx.store, ws, s.name));
    await deleteService(ctx.store, ws, s.name);
    await ctx.emulator.reconcile();
  });
  for (const k of ['primary', 'secondary'] as const) await ctx.secrets.delete(ctx.serviceKeyId(ws, s.name, k));
  ctx.log.info(`service ${s.name} deleted`);
  ctx.fireSoon();
  return s.name;
}
