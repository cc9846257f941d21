// Transfer learning end to end through the real bundled CLI and emulator: class folders made from the shared
// photos (seeded augmentations), `accel classifier train` over the sample MobileNetV2 (features from a transient
// featurizer service), then image create + service deploy + accel score on photos it never saw; the registered
// ONNX graph gives the service's probabilities in-process; bad input is refused with the store unchanged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { PredictionClient } from '../../../src/client/predictionClient';
import { PRESETS } from '../../../src/domain/presets';
import { imageLayoutFor, preprocessImages } from '../../../src/emulator/runtime/preprocess';
import { openStore } from '../../../src/store/fileStore';
import { AccelHome, cliPath } from '../../support/accelCli';
import { imagesDir, mobilenetPath } from '../../support/paths';
import { buildPhotoFolders, CLASS_SOURCES } from './photoFolders';

const home = new AccelHome({ ACCEL_MIRROR: path.dirname(mobilenetPath), ACCEL_DEVICES: '4' });
const W = ['--workspace', 'tl'];
const dataDir = path.join(home.home, 'photos');
const unseenDir = path.join(home.home, 'unseen');
let unseen: Array<{ file: string; label: string }> = [];
let trained: any;

const stateFile = () => path.join(home.home, 'workspaces', 'tl', 'state.json');

/** Runs a command that must fail with exit code `code` and a message matching `pattern`, leaving state.json byte-identical. */
async function refused(args: string[], code: number, pattern: RegExp): Promise<string> {
  const before = fs.readFileSync(stateFile());
  const r = await home.run([...args, ...W], { expectFailure: true });
  assert.equal(r.code, code, `exit code of accel ${args.join(' ')}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.deepEqual(fs.readFileSync(stateFile()), before, 'the store is unchanged');
  return r.stderr;
}

before(async () => {
  await home.run(['workspace', 'create', 'tl', '--json']);
  await home.run(['model', 'register', '--sample', '--json', ...W]);
  await buildPhotoFolders(dataDir, 8, 1);
  // Photos it never trains on: fresh augmentations (another seed) and the untouched originals.
  const fresh = await buildPhotoFolders(unseenDir, 2, 99);
  unseen = Object.entries(fresh).flatMap(([label, files]) => files.map((file) => ({ file, label })));
  for (const [label, sources] of Object.entries(CLASS_SOURCES))
    for (const s of sources) unseen.push({ file: path.join(imagesDir, s), label });
});

after(async () => {
  await home.cleanup();
});

test(
  'classifier train: features through the emulator, a softmax head, one ONNX classifier labelled with the class names',
  { timeout: 300_000 },
  async () => {
    const r = await home.run([
      'classifier',
      'train',
      dataDir,
      '--featurizer',
      'mobilenet',
      '--name',
      'pets',
      '--holdout',
      '0.25',
      '--seed',
      '7',
      '--json',
      ...W,
    ]);
    trained = r.json;
    assert.deepEqual(trained.labels, ['bird', 'cat', 'food']);
    assert.equal(trained.model.id, 'pets:1');
    assert.deepEqual(trained.model.labels, ['bird', 'cat', 'food']);
    assert.deepEqual(trained.model.outputs, [{ name: 'probabilities', dtype: 'float32', shape: ['batch_size', 3] }]);
    assert.equal(trained.model.preset, 'mobilenetv2');
    assert.equal(trained.model.tags.featurizer, 'mobilenet:1');
    assert.equal(trained.model.tags.featureTensor, '472_quantized');
    assert.match(trained.model.tags.dataDigest, /^[0-9a-f]{64}$/);
    assert.equal(trained.model.tags['accuracy.holdout'], trained.accuracy.holdout.toFixed(4));
    assert.deepEqual(trained.featurizer, { model: 'mobilenet:1', featureTensor: '472_quantized', dim: 1280 });
    assert.deepEqual([trained.data.photos, trained.data.train, trained.data.holdout], [48, 36, 12]);
    assert.equal(trained.accuracy.train, 1);
    assert.ok(trained.accuracy.holdout >= 0.9, `hold-out accuracy ${trained.accuracy.holdout}`);
    assert.equal(trained.confusion.length, 3);
    assert.deepEqual(
      trained.confusion.map((row: number[]) => row.reduce((a, b) => a + b, 0)),
      [4, 4, 4],
    );
    assert.deepEqual(
      trained.perClass.map((c: any) => [c.label, c.support]),
      [
        ['bird', 4],
        ['cat', 4],
        ['food', 4],
      ],
    );
    assert.ok(trained.training.lossCurve.at(-1) < trained.training.lossCurve[0]);
    console.log(
      `classifier: hold-out ${trained.accuracy.holdout}, featurize ${trained.featurize.imagesPerSecond.toFixed(1)} photos/s (${trained.featurize.replicas} replicas), head ${trained.training.ms.toFixed(0)} ms / ${trained.training.iterations} iterations`,
    );

    // The transient featurizer service, image and model are gone again.
    assert.deepEqual(
      (await home.run(['model', 'list', '--json', ...W])).json.map((m: any) => m.id),
      ['mobilenet:1', 'pets:1'],
    );
    assert.deepEqual((await home.run(['image', 'list', '--json', ...W])).json, []);
    assert.deepEqual((await home.run(['service', 'list', '--json', ...W])).json, []);
    const shown = (await home.run(['model', 'show', 'pets:1', ...W])).stdout;
    assert.match(shown, /labels: +3 classes: bird, cat, food/);
    assert.match(shown, /featurizer=mobilenet:1/);
  },
);

test('the same data and seed give a byte-identical classifier', { timeout: 300_000 }, async () => {
  const again = (
    await home.run([
      'classifier',
      'train',
      dataDir,
      '--featurizer',
      'mobilenet:1',
      '--name',
      'pets-again',
      '--holdout',
      '0.25',
      '--seed',
      '7',
      '--json',
      ...W,
    ])
  ).json;
  assert.equal(again.model.blob, trained.model.blob);
  assert.deepEqual(again.confusion, trained.confusion);
  await home.run(['model', 'delete', 'pets-again:1', ...W]);
});

test(
  'deployed like any model: accel score names the right class for photos it never saw, and the ONNX graph gives the same probabilities in-process',
  { timeout: 300_000 },
  async () => {
    await home.run(['image', 'create', 'pets-image', '--model', 'pets:1', '--json', ...W]);
    const svc = (await home.run(['service', 'deploy', 'pets-svc', '--image', 'pets-image', '--json', ...W])).json;
    const scored = (await home.run(['score', 'pets-svc', ...unseen.map((u) => u.file), '--top', '3', '--json', ...W]))
      .json;
    const right = scored.results.filter((r: any, i: number) => r.top[0].label === unseen[i].label).length;
    const wrong = scored.results.flatMap((r: any, i: number) =>
      r.top[0].label === unseen[i].label ? [] : [`${unseen[i].file}: ${r.top[0].label}`],
    );
    assert.ok(right >= unseen.length - 1, `${right}/${unseen.length} right; wrong: ${wrong.join('; ')}`);
    console.log(`classifier: ${right}/${unseen.length} unseen photos scored right through the service`);

    const key = (await home.run(['service', 'keys', 'pets-svc', '--json', ...W])).json.primaryKey;
    const client = new PredictionClient('127.0.0.1', svc.port, false, key, 'pets-svc');
    const store = openStore(home.home);
    const session = await ort.InferenceSession.create(store.blobPath('tl', trained.model.blob));
    const spec = trained.model.inputs[0];
    try {
      for (const { file } of unseen) {
        const bytes = fs.readFileSync(file);
        const served = (await client.scoreImage(bytes, { outputs: ['probabilities'] })).outputs.probabilities.data;
        const x = await preprocessImages([bytes], PRESETS.mobilenetv2, imageLayoutFor(spec, PRESETS.mobilenetv2));
        const local = (await session.run({ input: new ort.Tensor('float32', x.data, x.shape) })).probabilities
          .data as Float32Array;
        assert.equal(served.length, 3);
        for (let c = 0; c < 3; c++)
          assert.ok(
            Math.abs(served[c] - local[c]) < 1e-5,
            `${file} class ${c}: service ${served[c]}, in-process ${local[c]}`,
          );
      }
    } finally {
      client.close();
      await session.release();
    }
    await home.run(['service', 'delete', 'pets-svc', ...W]);
    await home.run(['image', 'delete', 'pets-image:1', ...W]);
  },
);

test(
  'convert for the accelerator keeps the class names; msfp9 agrees with the trained classifier on unseen photos',
  { timeout: 300_000 },
  async () => {
    const calibration = path.join(unseenDir, 'cat');
    const op = (
      await home.run([
        'model',
        'convert',
        'pets:1',
        '--input',
        'input',
        '--output',
        'probabilities',
        '--precision',
        'msfp9',
        '--dequantize',
        '--calibration',
        calibration,
        '--wait',
        '--json',
        ...W,
      ])
    ).json;
    assert.equal(op.state, 'Succeeded');
    const converted = (await home.run(['model', 'show', op.resultId, '--json', ...W])).json;
    assert.deepEqual(converted.labels, ['bird', 'cat', 'food']);
    assert.equal(converted.parentId, 'pets:1');
    assert.equal(
      converted.conversionReport.accuracy.top1Agreement,
      1,
      JSON.stringify(converted.conversionReport.accuracy),
    );
    await home.run(['model', 'delete', op.resultId, ...W]);
  },
);

test(
  'model featurizer registers the cut featurizer; as a featurizer of its own it has no classification layer to find',
  { timeout: 120_000 },
  async () => {
    const feat = (
      await home.run(['model', 'featurizer', 'mobilenet:1', '--name', 'mobilenet-features', '--json', ...W])
    ).json;
    assert.equal(feat.featureTensor, '472_quantized');
    assert.deepEqual(feat.outputs, [{ name: 'features', dtype: 'float32', shape: ['batch_size', 1280] }]);
    assert.equal(feat.tags.featurizerOf, 'mobilenet:1');
    assert.equal(feat.preset, 'mobilenetv2');
    await refused(
      ['classifier', 'train', dataDir, '--featurizer', 'mobilenet-features', '--name', 'x'],
      2,
      /Could not find the feature tensor of model mobilenet-features:1 .*Candidates \(latest first\): features \(Flatten\), 472_quantized_dequantized \(DequantizeLinear\), 472_quantized \(Reshape\)/,
    );
    await refused(
      ['model', 'featurizer', 'mobilenet', '--name', 'f2', '--feature-tensor', 'nope'],
      2,
      /Tensor "nope" is not produced by any node of model mobilenet:1.*Candidates/,
    );
    await home.run(['model', 'delete', 'mobilenet-features:1', ...W]);
  },
);

test(
  'Ctrl-C while featurizing cancels: exit 130, and the transient featurizer service, image and model are gone',
  { timeout: 300_000 },
  async () => {
    const before = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    const child = spawn(
      process.execPath,
      [cliPath, 'classifier', 'train', dataDir, '--featurizer', 'mobilenet', '--name', 'cancelled', ...W],
      {
        env: { ...process.env, ACCEL_HOME: home.home },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Interrupt once the transient service is in the store (it is then deploying or featurizing).
    for (;;) {
      const state = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
      if (state.services.some((s: { name: string }) => s.name.startsWith('featurize-'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /cancelled/);
    const after = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    assert.deepEqual(
      after.models.map((m: { id: string }) => m.id),
      before.models.map((m: { id: string }) => m.id),
    );
    assert.deepEqual(after.images, before.images);
    assert.deepEqual(after.services, before.services);
  },
);

test(
  'a run killed outright leaves its transient featurizer behind; the next run removes it',
  { timeout: 300_000 },
  async () => {
    const before = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    const child = spawn(
      process.execPath,
      [cliPath, 'classifier', 'train', dataDir, '--featurizer', 'mobilenet', '--name', 'killed', ...W],
      {
        env: { ...process.env, ACCEL_HOME: home.home },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.on('close', resolve));
    let name: string | undefined;
    while (!name) {
      const state = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
      name = state.services.find((s: { name: string }) => s.name.startsWith('featurize-'))?.name;
      if (!name) await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const left = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    assert.ok(
      left.models.some((m: { name: string }) => m.name === name),
      'the killed run left its featurizer model',
    );
    const next = (
      await home.run([
        'classifier',
        'train',
        dataDir,
        '--featurizer',
        'mobilenet',
        '--name',
        'after-kill',
        '--json',
        ...W,
      ])
    ).json;
    assert.equal(next.model.id, 'after-kill:1');
    await home.run(['model', 'delete', 'after-kill:1', ...W]);
    const after = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    assert.deepEqual(
      after.models.map((m: { id: string }) => m.id),
      before.models.map((m: { id: string }) => m.id),
    );
    assert.deepEqual(after.images, before.images);
    assert.deepEqual(after.services, before.services);
  },
);

test(
  'bad input is refused with a clear message, nothing registered, the store unchanged',
  { timeout: 300_000 },
  async () => {
    const bad = path.join(home.home, 'bad');
    const mk = (rel: string, from?: string) => {
      fs.mkdirSync(path.dirname(path.join(bad, rel)), { recursive: true });
      if (from) fs.copyFileSync(from, path.join(bad, rel));
    };
    const photo = unseen[0].file;
    const train = (dir: string, ...extra: string[]) => [
      'classifier',
      'train',
      dir,
      '--featurizer',
      'mobilenet',
      '--name',
      'bad',
      ...extra,
    ];

    mk('one/cat/a.jpg', photo);
    await refused(train(path.join(bad, 'one')), 2, /only one class folder \(cat\); a classifier needs at least two/);
    mk('empty/cat/a.jpg', photo);
    mk('empty/dog/.keep');
    await refused(train(path.join(bad, 'empty')), 2, /The class folder dog\/ .* is empty/);
    mk('few/cat/a.jpg', photo);
    mk('few/cat/b.jpg', photo);
    mk('few/dog/a.jpg', photo);
    await refused(train(path.join(bad, 'few')), 2, /Too few photos for a hold-out share of 0\.2: dog \(1\)/);
    mk('label/cat/a.jpg', photo);
    mk('label/dog /a.jpg', photo);
    await refused(train(path.join(bad, 'label')), 2, /"dog " is not a legal label: it starts or ends with white space/);
    await refused(train(dataDir, '--holdout', '1'), 2, /--holdout 1 is not valid/);
    await refused(train(dataDir, '--l2', 'much'), 2, /--l2 "much" is not a number/);
    await refused(
      ['classifier', 'train', dataDir, '--featurizer', 'mobilenet', '--name', 'Bad Name'],
      2,
      /"Bad Name" is not a valid model name/,
    );
    await refused(
      ['classifier', 'train', dataDir, '--featurizer', 'nosuch', '--name', 'x'],
      3,
      /Model nosuch is not registered/,
    );
    await refused(train(dataDir, '--feature-tensor', 'input'), 2, /"input" is the graph input of model mobilenet:1/);

    // Not an image model: the same file registered without an image preset.
    await home.run(['model', 'register', mobilenetPath, '--name', 'numeric', '--preset', 'none', ...W]);
    await refused(
      ['classifier', 'train', dataDir, '--featurizer', 'numeric', '--name', 'x'],
      2,
      /Model numeric:1 is not an image model/,
    );
    await home.run(['model', 'delete', 'numeric:1', ...W]);

    // Unreadable files: listed and refused; skipped with --skip-unreadable.
    const mixed = path.join(bad, 'mixed');
    for (const label of ['bird', 'cat'])
      fs.cpSync(path.join(dataDir, label), path.join(mixed, label), { recursive: true });
    fs.writeFileSync(path.join(mixed, 'cat', 'notes.txt'), 'not a photo');
    fs.writeFileSync(
      path.join(mixed, 'bird', 'broken.jpg'),
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]),
    );
    await refused(
      train(mixed),
      2,
      /1 file in .* is not a readable photo: cat\/notes\.txt: not an image file name.*--skip-unreadable/,
    );
    fs.rmSync(path.join(mixed, 'cat', 'notes.txt'));
    // A JPEG header over garbage passes the file check; the service cannot decode it.
    await refused(train(mixed), 2, /could not decode 1 photo: .*broken\.jpg.*--skip-unreadable/);
    assert.deepEqual(
      (await home.run(['service', 'list', '--json', ...W])).json,
      [],
      'the transient featurizer service is gone',
    );
    fs.writeFileSync(path.join(mixed, 'cat', 'notes.txt'), 'not a photo');
    const skipped = (await home.run([...train(mixed, '--skip-unreadable'), '--json', ...W])).json;
    assert.deepEqual(skipped.data.skipped.map((s: any) => path.basename(s.file)).sort(), ['broken.jpg', 'notes.txt']);
    assert.deepEqual(skipped.labels, ['bird', 'cat']);
    assert.equal(skipped.data.photos, 32);
  },
);
