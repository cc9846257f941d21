// accel.classifier.train: right-click a folder of class subfolders → wizard (featurizer, name, hold-out share,
// with Back) → `accel classifier train` in a CLI child process under a cancellable progress with per-photo counts
// → the Training Result panel. Its buttons run accel.classifier.deploy (the existing Create Image and Deploy
// commands with the new model, no questions asked) and accel.classifier.scorePhoto (score a photo with the
// classifier's service, deploying it first when needed).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccelError } from '../../domain/errors';
import { isValidName } from '../../domain/names';
import { presetLabel } from '../../domain/presets';
import type { Image, Model, Service } from '../../domain/types';
import type { ScoreView, TrainingView } from '../../panels/protocol';
import type { AccelContext } from '../accelContext';
import { ResultPanel } from '../panels/resultPanel';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { UserCancelled } from '../ui';
import { BACK, runWizard, type WizardStep } from '../wizard';
import {
  classFolders,
  defaultClassifierName,
  featurizerCandidates,
  HOLDOUT_SHARES,
  runTraining,
  trainArgs,
  trainingView,
} from './classifierRun';
import { withProgress, type CommandRunner } from './commandRunner';
import { defaultImageName } from './imageCommands';
import { defaultServiceName } from './serviceCommands';

export interface TrainAnswers {
  featurizer?: string;
  name?: string;
  holdout?: number;
}

const MODEL_RULE = 'Use 1-128 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit.';

/** A tree-like node for commands that take one (accel.image.create, accel.service.score). */
function nodeOf(ws: string, entity: { model?: Model; service?: Service }): TreeNode {
  return {
    kind: entity.model ? 'modelVersion' : 'service',
    ws,
    ...entity,
    item: new vscode.TreeItem(entity.model?.id ?? entity.service?.name ?? ''),
  };
}

export function registerClassifierCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  /** The training view the panel shows now (its buttons act on this model). */
  let current: TrainingView | undefined;
  const listening = new WeakSet<ResultPanel>();

  function showPanel(view: TrainingView): TrainingView {
    current = view;
    const panel = ResultPanel.show(ctx.extension.extensionUri, view, view.dataDir);
    if (!listening.has(panel)) {
      listening.add(panel);
      panel.onMessage((m) => {
        if (m.type === 'deployClassifier') void vscode.commands.executeCommand('accel.classifier.deploy');
        if (m.type === 'scorePhoto') void vscode.commands.executeCommand('accel.classifier.scorePhoto');
        if (m.type === 'openFile' && current?.misclassified.some((x) => x.file === m.file))
          void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(m.file));
      });
    }
    return view;
  }

  run.register('accel.classifier.train', async (uri?: vscode.Uri, answers?: TrainAnswers | vscode.Uri[]) => {
    // From the explorer the second argument is the selection (an array of URIs), not preset answers.
    const preset = Array.isArray(answers) ? undefined : answers;
    const folder =
      uri?.fsPath ??
      (
        await ctx.ui.openDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          title: 'Train a classifier on a folder with one subfolder of photos per class',
        })
      )[0].fsPath;
    const classes = classFolders(folder);
    if (classes.length < 2)
      throw new AccelError(
        'InvalidArgument',
        `${folder} has ${classes.length ? `only one subfolder (${classes[0]})` : 'no subfolders'}: make one subfolder of photos per class, named by the class, with at least two classes.`,
      );
    const ws = await ctx.requireWorkspace();
    const state = await ctx.store.read(ws);
    const candidates = featurizerCandidates(state.models);
    if (!candidates.length)
      throw new AccelError(
        'NotFound',
        `Workspace "${ws}" has no image classifier to featurize the photos with. Run "Accelerated Models: Add Model from Catalog…" (e.g. MobileNetV2) and train again.`,
      );
    const usedAsFeaturizer = state.models.filter((m) => m.tags.classifier).map((m) => m.tags.featurizer);
    const a: TrainAnswers = {
      featurizer: preset?.featurizer,
      name: preset?.name,
      holdout: preset?.holdout,
    };
    const classText = `${classes.length} classes: ${classes.slice(0, 6).join(', ')}${classes.length > 6 ? ', …' : ''}`;
    const steps: WizardStep<TrainAnswers>[] = [
      {
        id: 'featurizer',
        shouldPrompt: () => !preset?.featurizer,
        prompt: async (s, i) => {
          const r = await ctx.ui.pick({
            title: `Train Classifier on ${path.basename(folder)}: featurizer`,
            ...i,
            placeholder: `The image model whose features the classifier learns from (${classText})`,
            items: candidates.map((m) => ({
              label: m.id,
              description: `${m.framework} · ${presetLabel(m)}${usedAsFeaturizer.includes(m.id) ? ' · featurizer' : ''}`,
              detail: m.description,
              value: m.id,
              picked: m.id === s.featurizer,
            })),
          });
          if (r === BACK) return BACK;
          s.featurizer = r;
        },
      },
      {
        id: 'name',
        shouldPrompt: () => !preset?.name,
        prompt: async (s, i) => {
          const existing = new Set(state.models.map((m) => m.name));
          const r = await ctx.ui.input({
            title: `Train Classifier on ${path.basename(folder)}: name`,
            ...i,
            prompt: `Name of the classifier model to register (${classText})`,
            value: s.name ?? defaultClassifierName(folder),
            validate: (v) => (isValidName('model', v) ? undefined : MODEL_RULE),
            placeholder: existing.size ? undefined : 'my-classifier',
          });
          if (r === BACK) return BACK;
          s.name = r;
        },
      },
      {
        id: 'holdout',
        shouldPrompt: () => preset?.holdout === undefined,
        prompt: async (s, i) => {
          const r = await ctx.ui.pick({
            title: `Train Classifier on ${path.basename(folder)}: hold-out share`,
            ...i,
            placeholder: "Share of each class's photos kept out of training to measure accuracy",
            items: HOLDOUT_SHARES.map((h) => ({
              label: `${Math.round(h * 100)}%`,
              description: h === 0.2 ? 'default' : undefined,
              value: h,
              picked: (s.holdout ?? 0.2) === h,
            })),
          });
          if (r === BACK) return BACK;
          s.holdout = r;
        },
      },
    ];
    await runWizard(a, steps);
    const name = a.name!;
    if (!isValidName('model', name)) throw new AccelError('InvalidArgument', `"${name}": ${MODEL_RULE}`);
    const result = await trees.models.whileCreating(name, () =>
      withProgress(`Training classifier ${name} on ${path.basename(folder)}`, (progress, cancel) =>
        runTraining({
          cli: path.join(ctx.extension.extensionPath, 'dist', 'cli.js'),
          home: ctx.home,
          args: trainArgs({
            dataDir: folder,
            featurizer: a.featurizer!,
            name,
            holdout: a.holdout ?? 0.2,
            workspace: ws,
          }),
          progress,
          cancel,
          log: (line) => ctx.log.info(`classifier train: ${line}`),
        }),
      ),
    );
    ctx.fireSoon();
    ctx.log.info(
      `classifier ${result.model.id} trained on ${result.data.photos} photos: hold-out accuracy ${result.accuracy.holdout ?? 'n/a'}, featurized at ${result.featurize.imagesPerSecond.toFixed(1)} photos/s`,
    );
    // The panel's webview may load the data folder's photos (thumbnails of the wrong ones).
    const panel = ResultPanel.show(
      ctx.extension.extensionUri,
      trainingView(result, ws, () => ''),
      result.data.dir,
    );
    return showPanel(trainingView(result, ws, (f) => panel.webview.asWebviewUri(vscode.Uri.file(f)).toString()));
  });

  /** The trained classifier the panel shows (or `modelId` in the active workspace). */
  async function classifierModel(modelId?: string): Promise<{ ws: string; model: Model }> {
    const ws = modelId ? await ctx.requireWorkspace() : current?.workspace;
    const id = modelId ?? current?.modelId;
    if (!ws || !id) throw new AccelError('NotFound', 'Run "Accelerated Models: Train Classifier from Folder…" first.');
    const model = (await ctx.store.read(ws)).models.find((m) => m.id === id);
    if (!model) throw new AccelError('NotFound', `Model ${id} is no longer in workspace "${ws}".`);
    return { ws, model };
  }

  async function serviceOf(ws: string, model: Model): Promise<Service | undefined> {
    const state = await ctx.store.read(ws);
    const images = new Set(state.images.filter((i) => i.modelId === model.id).map((i) => i.id));
    return state.services.find((s) => images.has(s.imageId));
  }

  async function deploy(modelId?: string): Promise<Service | undefined> {
    const { ws, model } = await classifierModel(modelId);
    const state = await ctx.store.read(ws);
    const image = await vscode.commands.executeCommand<Image | undefined>('accel.image.create', nodeOf(ws, { model }), {
      name: defaultImageName(model.name),
    });
    if (!image) return undefined; // failed (already reported) or cancelled
    const taken = new Set(state.services.map((s) => s.name));
    const base = defaultServiceName(image.name);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 28)}-${n}`;
    const service = await vscode.commands.executeCommand<Service | undefined>('accel.service.deploy', undefined, {
      imageId: image.id,
      name,
      replicas: 1,
      authEnabled: true,
      tls: 'none',
    });
    if (service && current?.modelId === model.id && current.workspace === ws) {
      current = { ...current, service: service.name };
      ResultPanel.get('training')?.update(current);
    }
    return service;
  }

  run.register('accel.classifier.deploy', (modelId?: string) => deploy(modelId));

  run.register('accel.classifier.scorePhoto', async (file?: string, modelId?: string) => {
    const { ws, model } = await classifierModel(modelId);
    let service = await serviceOf(ws, model);
    if (!service) {
      const ok = await ctx.ui.confirm(
        `${model.id} is not deployed yet.`,
        'Create an image of it and deploy it to the local emulator, then score the photo?',
        'Create Image and Deploy',
      );
      if (!ok) throw new UserCancelled();
      service = await deploy(model.id);
      if (!service) return undefined;
    }
    const photo =
      file ??
      (
        await ctx.ui.openDialog({
          canSelectMany: false,
          title: `Score a photo with ${model.id}`,
          defaultUri: current?.dataDir ? vscode.Uri.file(current.dataDir) : undefined,
          filters: { Images: ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp'] },
        })
      )[0].fsPath;
    return vscode.commands.executeCommand<ScoreView | undefined>('accel.service.score', nodeOf(ws, { service }), [
      photo,
    ]);
  });
}
