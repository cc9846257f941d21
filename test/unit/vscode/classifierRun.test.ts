// The pure parts of training from VS Code: featurizer candidates, class folders, the default name, the CLI
// arguments, stderr lines (progress, --json error, text), curve downsampling, the Training Result view, the
// Models view marks, and the ACCEL_PROGRESS=json progress lines of the CLI.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cliProgress } from '../../../src/cli/output';
import type { Model } from '../../../src/domain/types';
import { parseWebviewMessage } from '../../../src/panels/protocol';
import {
  classFolders,
  defaultClassifierName,
  downsample,
  featurizerCandidates,
  MAX_THUMBNAILS,
  trainArgs,
  trainingView,
  type TrainJson,
} from '../../../src/vscode/commands/classifierRun';
import { parseStderrLine } from '../../../src/vscode/cliProcess';
import { modelMark } from '../../../src/vscode/trees/modelMarks';

function model(id: string, over: Partial<Model> = {}): Model {
  const [name, version] = id.split(':');
  return {
    id,
    name,
    version: Number(version),
    framework: 'onnx',
    tags: {},
    properties: {},
    createdTime: '2026-12-02T00:00:00Z',
    blob: 'b',
    fileName: `${name}.onnx`,
    sizeBytes: 1,
    inputs: [{ name: 'input', dtype: 'float32', shape: [1, 3, 224, 224] }],
    outputs: [{ name: 'output', dtype: 'float32', shape: [1, 1000] }],
    preset: 'mobilenetv2',
    labels: 'imagenet-1000',
    ...over,
  } as Model;
}

describe('training from VS Code', () => {
  it('offers registered ONNX image models as featurizers, not TF, presetless, transient, cut or trained ones', () => {
    const all = [
      model('mobilenet:1'),
      model('tf:1', { framework: 'tensorflow' }),
      model('raw:1', { preset: 'none' }),
      model('tmp:1', { tags: { transient: 'featurizer' } }),
      model('cut:1', { tags: { featurizerOf: 'mobilenet:1' } }),
      model('pets:1', { tags: { classifier: 'softmax', featurizer: 'mobilenet:1' }, labels: ['cat', 'dog'] }),
    ];
    assert.deepEqual(
      featurizerCandidates(all).map((m) => m.id),
      ['mobilenet:1'],
    );
  });

  it('lists class subfolders (not files, not hidden), and [] for an unreadable folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-classes-'));
    try {
      for (const d of ['dog', 'cat', '.git']) fs.mkdirSync(path.join(dir, d));
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
      assert.deepEqual(classFolders(dir), ['cat', 'dog']);
      assert.deepEqual(classFolders(path.join(dir, 'missing')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives a valid model name from the folder', () => {
    assert.equal(defaultClassifierName('/data/My Pets'), 'my-pets-classifier');
    assert.equal(defaultClassifierName('/data/__'), 'photos-classifier');
    assert.equal(defaultClassifierName('/data/Ünïcode Fotos!'), 'n-code-fotos-classifier');
  });

  it('passes the wizard answers as CLI arguments, always with --json and the workspace', () => {
    assert.deepEqual(
      trainArgs({ dataDir: '/d', featurizer: 'mobilenet:1', name: 'pets', holdout: 0.3, workspace: 'ws' }),
      [
        'classifier',
        'train',
        '/d',
        '--featurizer',
        'mobilenet:1',
        '--name',
        'pets',
        '--holdout',
        '0.3',
        '--workspace',
        'ws',
        '--json',
      ],
    );
  });

  it('tells progress lines, the --json error and plain text apart on stderr', () => {
    assert.deepEqual(parseStderrLine('{"progress":{"message":"Featurizing photos 4/40","fraction":0.09}}'), {
      kind: 'progress',
      message: 'Featurizing photos 4/40',
      fraction: 0.09,
    });
    assert.deepEqual(parseStderrLine('{"progress":{"fraction":"x"}}'), {
      kind: 'progress',
      message: undefined,
      fraction: undefined,
    });
    assert.deepEqual(parseStderrLine('{"error":{"code":"InvalidArgument","message":"too few photos"}}'), {
      kind: 'error',
      code: 'InvalidArgument',
      message: 'too few photos',
    });
    assert.deepEqual(parseStderrLine('{ not json'), { kind: 'text', text: '{ not json' });
    assert.deepEqual(parseStderrLine('warning: x'), { kind: 'text', text: 'warning: x' });
  });

  it('downsamples a long loss curve keeping its first and last point', () => {
    const curve = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    const d = downsample(curve, 100);
    assert.equal(d.length, 100);
    assert.equal(d[0], 1000);
    assert.equal(d[99], 1);
    assert.deepEqual(downsample([3, 2, 1], 100), [3, 2, 1]);
  });

  it('maps the CLI result to the Training Result view, capping the thumbnails', () => {
    const wrong = Array.from({ length: MAX_THUMBNAILS + 5 }, (_, i) => ({
      file: `/data/cat/${i}.jpg`,
      label: 'cat',
      predicted: 'dog',
      probability: 0.6,
    }));
    const r = {
      model: model('pets:1', { labels: ['cat', 'dog'] }),
      labels: ['cat', 'dog'],
      accuracy: { train: 1, holdout: 0.75 },
      perClass: [
        { label: 'cat', precision: 1, recall: 0.5, support: 4 },
        { label: 'dog', precision: 0.67, recall: 1, support: 4 },
      ],
      confusion: [
        [2, 2],
        [0, 4],
      ],
      evaluatedOn: 'holdout',
      misclassified: wrong,
      featurizer: { model: 'mobilenet:1', featureTensor: 't', dim: 1280 },
      data: { dir: '/data', digest: 'd', photos: 40, train: 32, holdout: 8, perClass: [20, 20], skipped: [] },
      training: { iterations: 3, converged: true, lossCurve: [0.7, 0.3, 0.1], ms: 5, l2: 0.01, epochs: 200, seed: 1 },
      featurize: { ms: 1000, imagesPerSecond: 40, replicas: 1 },
    } as unknown as TrainJson;
    const v = trainingView(r, 'ws', (f) => `vscode-resource:${f}`);
    assert.equal(v.kind, 'training');
    assert.equal(v.modelId, 'pets:1');
    assert.deepEqual(v.labels, ['cat', 'dog']);
    assert.equal(v.accuracy.holdout, 0.75);
    assert.equal(v.misclassified.length, MAX_THUMBNAILS);
    assert.equal(v.misclassifiedTotal, MAX_THUMBNAILS + 5);
    assert.equal(v.misclassified[0].name, path.join('cat', '0.jpg'));
    assert.equal(v.misclassified[0].imageUri, 'vscode-resource:/data/cat/0.jpg');
    assert.deepEqual(v.photos, { total: 40, train: 32, holdout: 8, skipped: 0 });
  });

  it('accepts the panel buttons as messages and nothing with extra meaning', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'deployClassifier' }), { type: 'deployClassifier' });
    assert.deepEqual(parseWebviewMessage({ type: 'scorePhoto', file: '/etc/passwd' }), { type: 'scorePhoto' });
    assert.equal(parseWebviewMessage({ type: 'trainAgain' }), undefined);
  });

  it('marks trained classifiers, cut featurizers, featurizers in use and transient featurizers', () => {
    const base = model('mobilenet:1');
    const pets = model('pets:1', {
      labels: ['cat', 'dog'],
      tags: { classifier: 'softmax', featurizer: 'mobilenet:1', featureTensor: 't', 'accuracy.holdout': '0.9500' },
    });
    const cut = model('feat:1', { tags: { featurizerOf: 'mobilenet:1', featureTensor: 't' } });
    const tmp = model('tmp:1', { tags: { transient: 'featurizer' } });
    const all = [base, pets, cut, tmp];
    const p = modelMark(pets, all)!;
    assert.equal(p.description, 'classifier · 2 classes · on mobilenet:1');
    assert.equal(p.icon, 'mortar-board');
    assert.equal(p.context, ';classifier');
    assert.deepEqual(Object.fromEntries(p.rows).classes, '2: cat, dog');
    assert.match(Object.fromEntries(p.rows).classifier, /featurizer mobilenet:1 \(tensor t\)/);
    assert.equal(Object.fromEntries(p.rows).accuracy, 'hold-out 95.0%');
    const b = modelMark(base, all)!;
    assert.equal(b.description, 'featurizer of 1 classifier');
    assert.deepEqual(b.rows, [['featurizer for', 'pets:1']]);
    assert.equal(modelMark(cut, all)!.description, 'featurizer of mobilenet:1');
    assert.equal(modelMark(tmp, all)!.icon, 'loading~spin');
    assert.equal(modelMark(base, [base]), undefined);
  });

  it('the CLI writes one JSON progress line per report when ACCEL_PROGRESS=json, even with --json', () => {
    const written: string[] = [];
    const write = process.stderr.write;
    const saved = process.env.ACCEL_PROGRESS;
    process.env.ACCEL_PROGRESS = 'json';
    process.stderr.write = ((s: string) => (written.push(s), true)) as typeof process.stderr.write;
    try {
      const p = cliProgress(true);
      p.report({ message: 'Featurizing photos 4/8', fraction: 0.45 });
      p.report({ message: 'Registered pets:1', fraction: 1 });
    } finally {
      process.stderr.write = write;
      if (saved === undefined) delete process.env.ACCEL_PROGRESS;
      else process.env.ACCEL_PROGRESS = saved;
    }
    assert.deepEqual(
      written.map((l) => JSON.parse(l)),
      [
        { progress: { message: 'Featurizing photos 4/8', fraction: 0.45 } },
        { progress: { message: 'Registered pets:1', fraction: 1 } },
      ],
    );
    assert.ok(written.every((l) => l.endsWith('\n')));
  });
});
