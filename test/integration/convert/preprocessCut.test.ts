// The string-input preprocessing cut: every way the subgraph can be unreadable fails the conversion with its
// exact message and registers nothing; parameters that match no named preset become the converted model's
// custom preprocessing, which the accuracy delta, the image manifest and the emulator's Predict all use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { convertModel, readConversionReport } from '../../../src/core/conversions';
import { createImage, readImageManifest } from '../../../src/core/images';
import { getModel, listModels, registerModel } from '../../../src/core/models';
import { PRESETS, presetOf } from '../../../src/domain/presets';
import type { PreprocessingPreset } from '../../../src/domain/types';
import { runPredict, type ServedModel } from '../../../src/emulator/runtime/predictionService';
import { imageLayoutFor, preprocessImages } from '../../../src/emulator/runtime/preprocess';
import { DT, decodePredictResponse, encodePredictRequest } from '../../../src/wire/wireCodec';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { GraphDefWriter, a, rng } from '../../support/graphDefWriter';
import { imagesDir, repoRoot } from '../../support/paths';
import { addPreprocessArray, type PreprocessOptions } from '../../support/preprocessGraph';

const F = { T: a.type('float') };
const W = 'map_normalize_jpeg/while';
const OUTPUT = 'tiny/predictions/Softmax:0';

/** String input → preprocess_array → a tiny classifier (1x1 conv, global mean, softmax over 5 classes). */
function tinyGraph(opts: PreprocessOptions = {}, mutate?: (g: GraphDefWriter, batch: string) => void): GraphDefWriter {
  const g = new GraphDefWriter();
  g.placeholder('Placeholder', [-1], 'string');
  const batch = addPreprocessArray(g, 'Placeholder', opts);
  const w = g.randomConst('tiny/conv/weights', [1, 1, 3, 5], rng(7), 0.01);
  const conv = g.op('Conv2D', 'tiny/conv/Conv2D', [batch, w], {
    ...F,
    data_format: a.s('NHWC'),
    strides: a.ints([1, 1, 1, 1]),
    padding: a.s('SAME'),
  });
  g.const('tiny/pool/reduction_indices', [2], [1, 2], 'int32');
  const pooled = g.op('Mean', 'tiny/pool', [conv, 'tiny/pool/reduction_indices'], { ...F, keep_dims: a.b(false) });
  g.op('Softmax', 'tiny/predictions/Softmax', [pooled], F);
  mutate?.(g, batch);
  return g;
}

function node(g: GraphDefWriter, name: string) {
  const n = g.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

const PREFIX = 'The string input Placeholder:0 feeds an image preprocessing subgraph the converter cannot read: ';
const SUFFIX =
  '. Convert from the float image tensor the model starts at instead (--input <tensor>), and pick a preprocessing preset when registering.';

describe('preprocessing cut', () => {
  let home: string;
  let files: string;
  let store: FileStore;
  const ws = 'cut';
  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-cut-'));
    files = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-cut-files-'));
    store = openStore(home);
    await store.createWorkspace(ws);
  });
  after(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(files, { recursive: true, force: true });
  });

  async function register(name: string, g: GraphDefWriter) {
    const file = path.join(files, `${name}.pb`);
    fs.writeFileSync(file, g.encode());
    return registerModel(store, ws, { path: file, name });
  }

  const cases: [string, () => GraphDefWriter, string][] = [
    [
      'no decode',
      () => {
        // The string placeholder is read by nothing the cut understands; the model has its own float input.
        const g = new GraphDefWriter();
        g.placeholder('Placeholder', [-1], 'string');
        g.op('StringLength', 'len', ['Placeholder']);
        const x = g.placeholder('images', [-1, 224, 224, 3]);
        g.const('tiny/pool/reduction_indices', [2], [1, 2], 'int32');
        const m = g.op('Mean', 'tiny/pool', [x, 'tiny/pool/reduction_indices'], { ...F, keep_dims: a.b(false) });
        g.op('Softmax', 'tiny/predictions/Softmax', [m], F);
        return g;
      },
      'no DecodeJpeg/DecodePng/DecodeImage node reads it',
    ],
    [
      'two results',
      () => tinyGraph({}, (g) => g.op('Relu', 'tiny/extra', [`${W}/Cast`], F)),
      `it hands 2 tensors to the model (map_normalize_jpeg/TensorArrayStack/TensorArrayGatherV3:0, ${W}/Cast:0), expected one image batch`,
    ],
    [
      'two resizes',
      () => tinyGraph({}, (g) => g.op('ResizeBilinear', `${W}/ResizeBilinear_1`, [`${W}/ExpandDims`, `${W}/size`], F)),
      'expected one resize op, found 2',
    ],
    [
      'unreadable side',
      () =>
        tinyGraph({}, (g) => {
          const eight = new GraphDefWriter();
          eight.const('eight', [], [8]);
          node(g, `${W}/resize_min`).attr.value = eight.nodes[0].attr.value;
        }),
      `cannot read the resize side from ${W}/ResizeBilinear (candidate constants: none)`,
    ],
    [
      'no crop',
      () =>
        tinyGraph({}, (g) => {
          const size = node(g, `${W}/Slice`).input;
          g.const(`${W}/crop_h`, [], [224], 'int32');
          g.const(`${W}/crop_c`, [], [-1], 'int32');
          g.op('Pack', `${W}/Slice/size_packed`, [`${W}/crop_h`, `${W}/crop_h`, `${W}/crop_c`], {
            T: a.type('int32'),
            N: a.i(3),
            axis: a.i(0),
          });
          size[2] = `${W}/Slice/size_packed`;
        }),
      'the image is resized keeping its aspect ratio but never cropped to a fixed size',
    ],
    [
      'unknown mean channel',
      () =>
        tinyGraph({}, (g) => {
          node(g, `${W}/sub`).input[0] = `${W}/Slice`;
        }),
      `cannot tell which channel ${W}/sub subtracts its mean from`,
    ],
    [
      'channel order',
      () =>
        tinyGraph({}, (g) => {
          node(g, `${W}/concat`).input.splice(0, 3, `${W}/sub_1`, `${W}/sub`, `${W}/sub_2`);
        }),
      `channel order 1,0,2 of ${W}/concat is neither RGB nor BGR`,
    ],
  ];

  for (const [label, build, why] of cases) {
    test(`${label}: "${why}"`, async () => {
      const src = await register(`cut-${label.replace(/ /g, '-')}`, build());
      const before = (await listModels(store, ws)).length;
      const op = await convertModel(store, ws, src.id, {
        inputTensor: 'Placeholder:0',
        outputTensors: OUTPUT,
        calibrationDir: null,
      });
      assert.equal(op.state, 'Failed');
      assert.equal(op.error, `${PREFIX}${why}${SUFFIX}`);
      assert.equal((await listModels(store, ws)).length, before, 'nothing registered');
    });
  }

  test('the CLI prints the cut error and exits non-zero', () => {
    const file = path.join(files, 'order.pb');
    fs.writeFileSync(
      file,
      cases
        .find((c) => c[0] === 'channel order')![1]()
        .encode(),
    );
    const env = { ...process.env, ACCEL_HOME: home };
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args, '--workspace', ws], {
        env,
        encoding: 'utf8',
      });
    assert.equal(cli('model', 'register', file, '--name', 'order').status, 0);
    const res = cli('model', 'convert', 'order', '--input', 'Placeholder:0', '--output', OUTPUT, '--wait');
    assert.equal(res.status, 2);
    assert.ok(
      res.stderr.includes(
        `Conversion failed: ${PREFIX}channel order 1,0,2 of ${W}/concat is neither RGB nor BGR${SUFFIX} (log: \`accel operation log convert-`,
      ),
      res.stderr,
    );
  });

  test("parameters matching no named preset become the converted model's custom preprocessing, used end to end", async () => {
    const params = { order: 'BGR' as const, means: [100, 110, 120] as [number, number, number], scalingFactor: 0.5 };
    const src = await register('custom', tinyGraph(params));
    const op = await convertModel(store, ws, src.id, {
      inputTensor: 'Placeholder:0',
      outputTensors: OUTPUT,
      precision: 'msfp8',
      calibrationDir: imagesDir,
    });
    assert.equal(op.state, 'Succeeded', op.error);
    const m = await getModel(store, ws, op.resultId!);
    assert.equal(m.preset, 'none');
    const expected: PreprocessingPreset = {
      name: 'custom',
      resizeShortestSide: 256,
      height: 224,
      width: 224,
      channelOrder: 'BGR',
      inputScale: 1,
      mean: [100, 110, 120],
      std: [1, 1, 1],
      scalingFactor: 0.5,
    };
    assert.deepEqual(m.preprocessing, expected);
    assert.deepEqual(presetOf(m), expected);
    assert.deepEqual(m.properties, {}, 'not hidden in properties');
    const report = readConversionReport(store, ws, m)!;
    assert.equal(report.preprocessing!.preset, 'custom');
    // The accuracy delta ran on the photos with the custom preprocessing.
    assert.equal(report.accuracy!.images, 9);

    // The image manifest carries it, and the emulator's Predict preprocesses with it.
    const image = await createImage(store, ws, 'custom-image', m.id);
    const manifest = await readImageManifest(store, ws, image);
    assert.deepEqual(manifest.preprocessing, expected);
    const served: ServedModel = {
      serviceName: 'svc',
      modelName: m.name,
      modelVersion: m.version,
      inputs: manifest.inputs,
      outputs: manifest.outputs,
      preset: manifest.preset,
      preprocessing: manifest.preprocessing,
    };
    const session = await ort.InferenceSession.create(store.blobPath(ws, m.blob));
    try {
      const photo = fs.readFileSync(path.join(imagesDir, 'coral', 'parrot.jpg'));
      const req = encodePredictRequest({
        inputs: new Map([[m.inputs[0].name, { dtype: DT.STRING, shape: [1], stringVal: [photo] }]]),
        outputFilter: [],
      });
      const res = decodePredictResponse((await runPredict(served, session, ort, req, false)).bytes);
      const got = Float32Array.from(res.outputs.get(OUTPUT)!.floatVal!);
      const direct = async (preset: PreprocessingPreset) => {
        const x = await preprocessImages([photo], preset, imageLayoutFor(m.inputs[0], preset));
        const out = await session.run({ [m.inputs[0].name]: new ort.Tensor('float32', x.data, x.shape) });
        return out[OUTPUT].data as Float32Array;
      };
      assert.deepEqual(Array.from(got), Array.from(await direct(expected)));
      assert.notDeepEqual(
        Array.from(got),
        Array.from(await direct(PRESETS.resnet50)),
        'a named preset would give other scores',
      );
    } finally {
      await session.release();
    }
  });
});
