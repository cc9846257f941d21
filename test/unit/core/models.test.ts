// The model registry over a real store on disk, with the real MobileNetV2 model.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { encodeGraphDef } from '../../../src/convert/graphDef';
import { isAccelError } from '../../../src/domain/errors';
import {
  deleteModel,
  filterModels,
  getModel,
  inferLabels,
  inferPreset,
  listModels,
  registerModel,
  updateModel,
} from '../../../src/core/models';
import type { TensorSpec } from '../../../src/domain/types';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';
import { treeHash } from '../../support/treeHash';

async function freshStore() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-models-'));
  const store = openStore(home);
  await store.createWorkspace('w');
  return store;
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'accel-input-'));
}

const shape = (dims: number[]) => ({ shape: { dim: dims.map((size) => ({ size })) } });

/** A TF1-style frozen classifier: encoded JPEG string in, 1001 softmax scores out. */
function tfClassifierBytes(): Uint8Array {
  return encodeGraphDef({
    versions: { producer: 27 },
    node: [
      { name: 'Placeholder', op: 'Placeholder', input: [], attr: { dtype: { type: 7 }, shape: shape([-1]) } },
      { name: 'DecodeJpeg', op: 'DecodeJpeg', input: ['Placeholder'], attr: {} },
      { name: 'Cast', op: 'Cast', input: ['DecodeJpeg'], attr: { DstT: { type: 1 } } },
      {
        name: 'classifier/Softmax',
        op: 'Softmax',
        input: ['Cast'],
        attr: { T: { type: 1 }, _output_shapes: { list: { shape: [{ dim: [{ size: -1 }, { size: 1001 }] }] } } },
      },
    ],
  });
}

describe('registerModel', () => {
  it('reads the real MobileNetV2 tensors, copies it into the store and infers preset and labels', async () => {
    const store = await freshStore();
    const m = await registerModel(store, 'w', {
      path: mobilenetPath,
      name: 'mobilenet',
      tags: { stage: 'dev' },
      properties: { source: 'zoo' },
      description: 'int8',
    });
    assert.equal(m.id, 'mobilenet:1');
    assert.equal(m.framework, 'onnx');
    assert.deepEqual(m.inputs, [{ name: 'input', dtype: 'float32', shape: ['batch_size', 3, 224, 224] }]);
    assert.deepEqual(m.outputs, [{ name: 'output', dtype: 'float32', shape: ['batch_size', 1000] }]);
    assert.equal(m.preset, 'mobilenetv2');
    assert.equal(m.labels, 'imagenet-1000');
    assert.equal(m.blob, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f');
    assert.equal(m.fileName, 'mobilenetv2-12-int8.onnx');
    assert.equal(m.sizeBytes, fs.statSync(mobilenetPath).size);
    assert.ok(fs.readFileSync(store.blobPath('w', m.blob)).equals(fs.readFileSync(mobilenetPath)));
    assert.deepEqual((await store.read('w')).models, [m]);
  });

  it('versions per name, filters by name, tag key, key=value and latest, resolves name:version', async () => {
    const store = await freshStore();
    const a1 = await registerModel(store, 'w', { path: mobilenetPath, name: 'alpha', tags: { stage: 'dev' } });
    const a2 = await registerModel(store, 'w', {
      path: mobilenetPath,
      name: 'alpha',
      tags: { stage: 'prod', gpu: '' },
    });
    const b1 = await registerModel(store, 'w', {
      path: mobilenetPath,
      name: 'beta.1.accelonnx',
      tags: { stage: 'prod' },
    });
    const a3 = await registerModel(store, 'w', { path: mobilenetPath, name: 'alpha' });
    assert.deepEqual(
      [a1, a2, a3].map((m) => m.version),
      [1, 2, 3],
    );
    assert.equal(b1.version, 1);
    const ids = (ms: { id: string }[]) => ms.map((m) => m.id);
    assert.deepEqual(ids(await listModels(store, 'w')), ['alpha:1', 'alpha:2', 'alpha:3', 'beta.1.accelonnx:1']);
    assert.deepEqual(ids(await listModels(store, 'w', { name: 'alpha' })), ['alpha:1', 'alpha:2', 'alpha:3']);
    assert.deepEqual(ids(await listModels(store, 'w', { tags: ['stage'] })), [
      'alpha:1',
      'alpha:2',
      'beta.1.accelonnx:1',
    ]);
    assert.deepEqual(ids(await listModels(store, 'w', { tags: ['stage=prod'] })), ['alpha:2', 'beta.1.accelonnx:1']);
    assert.deepEqual(ids(await listModels(store, 'w', { tags: ['stage=prod', 'gpu'] })), ['alpha:2']);
    assert.deepEqual(ids(await listModels(store, 'w', { latest: true })), ['alpha:3', 'beta.1.accelonnx:1']);
    assert.deepEqual(ids(await listModels(store, 'w', { latest: true, tags: ['stage=prod'] })), [
      'alpha:2',
      'beta.1.accelonnx:1',
    ]);
    assert.equal((await getModel(store, 'w', 'alpha')).id, 'alpha:3', 'latest by default');
    assert.equal((await getModel(store, 'w', 'alpha:2')).id, 'alpha:2');
    assert.equal((await getModel(store, 'w', 'alpha', 1)).id, 'alpha:1');
    await assert.rejects(
      getModel(store, 'w', 'alpha:9'),
      (e) => isAccelError(e, 'NotFound') && /no version 9/.test(e.message) && /versions: 1, 2, 3/.test(e.message),
    );
    await assert.rejects(
      getModel(store, 'w', 'gamma'),
      (e) => isAccelError(e, 'NotFound') && /accel model list/.test(e.message),
    );
    await assert.rejects(getModel(store, 'w', 'alpha:1', 2), (e) => isAccelError(e, 'InvalidArgument'));
    // All four share one blob (dedup).
    assert.equal(fs.readdirSync(path.dirname(store.blobPath('w', a1.blob))).length, 1);
  });

  it('updates tags, properties and description of one version', async () => {
    const store = await freshStore();
    await registerModel(store, 'w', {
      path: mobilenetPath,
      name: 'm',
      tags: { stage: 'dev', old: '' },
      properties: { source: 'zoo' },
    });
    await registerModel(store, 'w', { path: mobilenetPath, name: 'm' });
    const u = await updateModel(store, 'w', 'm:1', {
      addTags: { stage: 'prod' },
      removeTags: ['old'],
      addProperties: { owner: 'me' },
      description: 'checked',
    });
    assert.deepEqual(u.tags, { stage: 'prod' });
    assert.deepEqual(u.properties, { source: 'zoo', owner: 'me' });
    assert.equal(u.description, 'checked');
    assert.deepEqual((await getModel(store, 'w', 'm:1')).tags, { stage: 'prod' });
    assert.deepEqual((await getModel(store, 'w', 'm')).tags, {}, 'other versions untouched');
    const before = fs.readFileSync(store.stateFile('w'), 'utf8');
    await assert.rejects(
      updateModel(store, 'w', 'm:1', { addProperties: { source: 'other' } }),
      (e) => isAccelError(e, 'AlreadyExists') && /cannot be changed/.test(e.message),
    );
    await assert.rejects(
      updateModel(store, 'w', 'm:1', { removeTags: ['nope'] }),
      (e) => isAccelError(e, 'NotFound') && /no tag "nope"/.test(e.message),
    );
    await assert.rejects(
      updateModel(store, 'w', 'm:1', {}),
      (e) => isAccelError(e, 'InvalidArgument') && /Nothing to update/.test(e.message),
    );
    assert.equal(fs.readFileSync(store.stateFile('w'), 'utf8'), before);
  });

  it('deletes one version, keeps the shared blob until the last user goes, and requires an explicit version', async () => {
    const store = await freshStore();
    await registerModel(store, 'w', { path: mobilenetPath, name: 'm' });
    const m2 = await registerModel(store, 'w', { path: mobilenetPath, name: 'm' });
    await assert.rejects(
      deleteModel(store, 'w', 'm'),
      (e) => isAccelError(e, 'InvalidArgument') && /accel model delete m:2/.test(e.message),
    );
    await assert.rejects(deleteModel(store, 'w', 'm:7'), (e) => isAccelError(e, 'NotFound'));
    assert.equal((await deleteModel(store, 'w', 'm:1')).id, 'm:1');
    assert.ok(fs.existsSync(store.blobPath('w', m2.blob)), 'm:2 still uses the blob');
    await deleteModel(store, 'w', 'm:2');
    assert.equal(fs.existsSync(store.blobPath('w', m2.blob)), false, 'the last user released it');
    assert.deepEqual(await listModels(store, 'w'), []);
    const m = await registerModel(store, 'w', { path: mobilenetPath, name: 'm' });
    assert.equal(m.version, 1);
    assert.ok(fs.existsSync(store.blobPath('w', m.blob)));
  });

  it('registers a folder holding exactly one model file, and explains folders with none or several', async () => {
    const store = await freshStore();
    const one = tmpDir();
    fs.mkdirSync(path.join(one, 'model'));
    fs.copyFileSync(mobilenetPath, path.join(one, 'model', 'mobilenet.onnx'));
    fs.writeFileSync(path.join(one, 'README.txt'), 'hi');
    assert.equal((await registerModel(store, 'w', { path: one, name: 'folder' })).fileName, 'mobilenet.onnx');
    const none = tmpDir();
    fs.writeFileSync(path.join(none, 'notes.txt'), 'x');
    await assert.rejects(
      registerModel(store, 'w', { path: none, name: 'x' }),
      (e) =>
        isAccelError(e, 'InvalidModel') &&
        /no \.onnx or \.pb model file/.test(e.message) &&
        /notes\.txt/.test(e.message),
    );
    const two = tmpDir();
    fs.copyFileSync(mobilenetPath, path.join(two, 'a.onnx'));
    fs.writeFileSync(path.join(two, 'b.pb'), tfClassifierBytes());
    await assert.rejects(
      registerModel(store, 'w', { path: two, name: 'x' }),
      (e) =>
        isAccelError(e, 'InvalidModel') &&
        /2 model files \(a\.onnx, b\.pb\)/.test(e.message) &&
        /exactly one/.test(e.message),
    );
    const saved = tmpDir();
    fs.writeFileSync(path.join(saved, 'saved_model.pb'), tfClassifierBytes());
    await assert.rejects(
      registerModel(store, 'w', { path: saved, name: 'x' }),
      (e) => isAccelError(e, 'InvalidModel') && /SavedModel/.test(e.message) && /Freeze/.test(e.message),
    );
  });

  it('registers a TensorFlow frozen graph: string input → resnet50 preset, 1001 outputs → imagenet-1001', async () => {
    const store = await freshStore();
    const dir = tmpDir();
    const file = path.join(dir, 'resnet.pb');
    fs.writeFileSync(file, tfClassifierBytes());
    const m = await registerModel(store, 'w', { path: file, name: 'resnet' });
    assert.equal(m.framework, 'tensorflow');
    assert.deepEqual(m.inputs, [{ name: 'Placeholder:0', dtype: 'string', shape: ['?'] }]);
    assert.deepEqual(
      m.outputs.map((o) => o.name),
      ['classifier/Softmax:0'],
    );
    assert.equal(m.preset, 'resnet50');
    assert.equal(m.labels, 'imagenet-1001');
    // --framework must agree with the file.
    await assert.rejects(
      registerModel(store, 'w', { path: file, name: 'resnet', framework: 'onnx' }),
      (e) =>
        isAccelError(e, 'InvalidArgument') &&
        /--framework onnx does not match/.test(e.message) &&
        /--framework tensorflow/.test(e.message),
    );
    await assert.rejects(
      registerModel(store, 'w', { path: mobilenetPath, name: 'm', framework: 'tensorflow' }),
      (e) => isAccelError(e, 'InvalidArgument') && /is an ONNX model/.test(e.message),
    );
    const given = await registerModel(store, 'w', {
      path: file,
      name: 'resnet',
      framework: 'tensorflow',
      preset: 'vgg16',
      labels: 'none',
    });
    assert.equal(given.preset, 'vgg16');
    assert.equal(given.labels, 'none');
  });

  it('infers presets from input shapes and label sets from output widths', () => {
    const t = (dtype: TensorSpec['dtype'], shape: TensorSpec['shape']): TensorSpec[] => [{ name: 'x', dtype, shape }];
    assert.equal(inferPreset(t('float32', ['N', 3, 224, 224])), 'mobilenetv2');
    assert.equal(
      inferPreset(
        t(
          'float32',
          [-1, 224, 224, 3].map((d) => (d < 0 ? '?' : d)),
        ),
      ),
      'resnet50',
    );
    assert.equal(inferPreset(t('string', ['?'])), 'resnet50');
    assert.equal(inferPreset(t('float32', [1, 300, 300, 3])), 'ssdvgg');
    assert.equal(inferPreset(t('float32', [1, 3, 300, 300])), 'ssdvgg');
    assert.equal(inferPreset(t('float32', [1, 3, 128, 128])), 'none');
    assert.equal(inferPreset(t('int64', [1, 3, 224, 224])), 'none');
    assert.equal(inferPreset([]), 'none');
    assert.equal(inferLabels(t('float32', ['N', 1000]), 'none'), 'imagenet-1000');
    assert.equal(inferLabels(t('float32', [1, 1001]), 'resnet50'), 'imagenet-1001');
    assert.equal(inferLabels(t('float32', [1, 8732, 21]), 'ssdvgg'), 'voc-21');
    assert.equal(inferLabels(t('float32', [1, 21]), 'none'), 'none');
    assert.equal(inferLabels(t('float32', [1, 10]), 'mobilenetv2'), 'none');
  });

  it('filterModels is pure and sorts by name then version', () => {
    const mk = (name: string, version: number) =>
      ({ id: `${name}:${version}`, name, version, tags: {}, properties: {} }) as never;
    assert.deepEqual(
      filterModels([mk('b', 1), mk('a', 2), mk('a', 1)]).map((m) => m.id),
      ['a:1', 'a:2', 'b:1'],
    );
  });
});

describe('bad inputs: a clear error each, and the home unchanged byte for byte', () => {
  it('refuses each bad input without touching the store', async () => {
    const store = await freshStore();
    await registerModel(store, 'w', { path: mobilenetPath, name: 'mobilenet' });
    const dir = tmpDir();
    const notOnnx = path.join(dir, 'model.onnx');
    fs.writeFileSync(notOnnx, 'This is a text file, not a model.\n'.repeat(20));
    const empty = path.join(dir, 'empty.onnx');
    fs.writeFileSync(empty, '');
    const cases: [string, () => Promise<unknown>, (e: unknown) => boolean][] = [
      [
        'not ONNX',
        () => registerModel(store, 'w', { path: notOnnx, name: 'x' }),
        (e) =>
          isAccelError(e, 'InvalidModel') &&
          e.message.includes(`${notOnnx} is not an ONNX model`) &&
          /Export the model to ONNX/.test(e.message),
      ],
      [
        'empty',
        () => registerModel(store, 'w', { path: empty, name: 'x' }),
        (e) => isAccelError(e, 'InvalidModel') && e.message.includes(`${empty} is empty (0 bytes)`),
      ],
      [
        'missing path',
        () => registerModel(store, 'w', { path: path.join(dir, 'nope.onnx'), name: 'x' }),
        (e) => isAccelError(e, 'NotFound') && /nope\.onnx does not exist/.test(e.message),
      ],
      [
        'illegal name',
        () => registerModel(store, 'w', { path: mobilenetPath, name: 'Mobile Net!' }),
        (e) =>
          isAccelError(e, 'InvalidArgument') &&
          /"Mobile Net!" is not a valid model name/.test(e.message) &&
          /lowercase letters/.test(e.message),
      ],
      [
        'illegal tag',
        () => registerModel(store, 'w', { path: mobilenetPath, name: 'x', tags: { 'bad key': '1' } }),
        (e) => isAccelError(e, 'InvalidArgument') && /tag key/.test(e.message),
      ],
      [
        'unknown preset',
        () => registerModel(store, 'w', { path: mobilenetPath, name: 'x', preset: 'yolo' as never }),
        (e) => isAccelError(e, 'InvalidArgument') && /Unknown preprocessing preset "yolo"/.test(e.message),
      ],
      [
        'missing workspace',
        () => registerModel(store, 'nowhere', { path: mobilenetPath, name: 'x' }),
        (e) => isAccelError(e, 'NotFound') && /accel workspace create nowhere/.test(e.message),
      ],
    ];
    for (const [label, run, check] of cases) {
      const before = treeHash(store.home);
      await assert.rejects(run(), check, label);
      assert.equal(treeHash(store.home), before, `${label}: home changed`);
    }
    // A store from a newer schema: refused with the versions named, nothing written, blob not copied.
    const file = store.stateFile('w');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 2'));
    const before = treeHash(store.home);
    await assert.rejects(
      registerModel(store, 'w', { path: mobilenetPath, name: 'mobilenet' }),
      (e) =>
        isAccelError(e, 'SchemaTooNew') &&
        /schema version 2/.test(e.message) &&
        /supports schema version 1/.test(e.message),
    );
    await assert.rejects(deleteModel(store, 'w', 'mobilenet:1'), (e) => isAccelError(e, 'SchemaTooNew'));
    assert.equal(treeHash(store.home), before, 'newer schema: home changed');
  });
});
