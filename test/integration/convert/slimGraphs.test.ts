// Whole ResNet-50- and VGG-16-shaped TF graphs (TF-slim names) converted and run in onnxruntime-node,
// through the convert use case and through the CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertModel, readConversionReport } from '../../../src/core/conversions';
import { getModel, registerModel } from '../../../src/core/models';
import { openStore } from '../../../src/store/fileStore';
import { imagesDir, repoRoot } from '../../support/paths';
import { resnet50Graph, vgg16Graph } from '../../support/slimGraphs';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const SOFTMAX = 'classifier/resnet_v1_50/predictions/Softmax:0';

function run(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, ACCEL_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('TF-slim shaped graphs', () => {
  let home: string;
  let dir: string;
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-slim-'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-slim-files-'));
  });
  after(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('ResNet-50 with the string-input preprocessing: preset extracted, fp32/msfp9/msfp8 converted, deltas recorded', async () => {
    const store = openStore(home);
    await store.createWorkspace('w');
    const file = path.join(dir, 'resnet50.pb');
    fs.writeFileSync(file, resnet50Graph({ stringInput: true }).encode());
    const src = await registerModel(store, 'w', { path: file, name: 'resnet50-cd-tl' });
    const results: Record<string, any> = {};
    for (const precision of ['fp32', 'msfp9', 'msfp8'] as const) {
      const op = await convertModel(store, 'w', src.id, {
        inputTensor: 'Placeholder:0',
        outputTensors: SOFTMAX,
        precision,
        calibrationDir: imagesDir,
      });
      assert.equal(op.state, 'Succeeded', op.error);
      const m = await getModel(store, 'w', op.resultId!);
      assert.equal(m.name, 'resnet50-cd-tl.1.accelonnx');
      assert.equal(m.preset, 'resnet50');
      assert.equal(m.inputs[0].name, 'Placeholder:0');
      assert.deepEqual(m.inputs[0].shape, ['N', 224, 224, 3]);
      assert.equal(m.outputs[0].name, SOFTMAX);
      results[precision] = readConversionReport(store, 'w', m);
    }
    assert.equal(results.fp32.preprocessing.preset, 'resnet50');
    assert.equal(
      results.fp32.preprocessing.boundaryTensor,
      'map_normalize_jpeg/TensorArrayStack/TensorArrayGatherV3:0',
    );
    assert.match(results.fp32.accuracyNote, /fp32 conversion of a TensorFlow graph/);
    for (const p of ['msfp9', 'msfp8']) {
      const acc = results[p].accuracy;
      assert.equal(acc.images, 9);
      assert.ok(acc.maxAbsProbDiff > 0, `${p} changes the numbers`);
      console.log(`ResNet-50-shaped ${p}: ${JSON.stringify(acc)}`);
    }
    const c = results.fp32.compatibility;
    // conv1 + 16 units × 3 + 4 projection shortcuts + the 1x1 logits conv
    assert.ok(c.accelerator.families.conv === 54, `54 convolutions: ${JSON.stringify(c.accelerator.families)}`);
    assert.ok(c.weightBytes.msfp8 < c.weightBytes.msfp9 && c.weightBytes.msfp9 < c.weightBytes.fp32);
  });

  test('VGG-16 converted through the CLI without --wait: poll operation show, model show prints the report', async () => {
    const file = path.join(dir, 'vgg16.pb');
    fs.writeFileSync(file, vgg16Graph().encode());
    assert.equal((await run(home, ['workspace', 'create', 'cli'])).code, 0);
    const reg = await run(home, ['model', 'register', file, '--name', 'vgg16', '--workspace', 'cli', '--json']);
    assert.equal(reg.code, 0, reg.stderr);
    const started = await run(home, [
      'model',
      'convert',
      'vgg16',
      '--input',
      'Placeholder:0',
      '--output',
      'classifier/vgg_16/fc8/squeezed:0',
      '--workspace',
      'cli',
      '--json',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const id = JSON.parse(started.stdout).id;
    let op: any;
    for (;;) {
      op = JSON.parse((await run(home, ['operation', 'show', id, '--workspace', 'cli', '--json'])).stdout);
      if (op.state !== 'Running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(op.state, 'Succeeded', op.error);
    const show = await run(home, ['model', 'show', op.resultId, '--workspace', 'cli']);
    assert.match(show.stdout, /accelerator +\d+ nodes: Conv×16/);
    assert.match(show.stdout, /weight bytes +fp32 \d+, msfp9 \d+, msfp8 \d+/);
    const log = await run(home, ['operation', 'log', id, '--workspace', 'cli']);
    assert.match(log.stdout, /Succeeded: registered vgg16\.1\.accelonnx:1/);
    // The converted model runs: logits for 1000 classes.
    const state = JSON.parse(fs.readFileSync(path.join(home, 'workspaces', 'cli', 'state.json'), 'utf8'));
    const blob = state.models.find((m: any) => m.id === op.resultId).blob;
    const blobPath = openStore(home).blobPath('cli', blob);
    const session = await ort.InferenceSession.create(blobPath);
    const out = await session.run({
      'Placeholder:0': new ort.Tensor('float32', new Float32Array(2 * 224 * 224 * 3).fill(1), [2, 224, 224, 3]),
    });
    assert.deepEqual(out['classifier/vgg_16/fc8/squeezed:0'].dims, [2, 1000]);
    await session.release();
  });

  test('conversion errors: wrong input, wrong output, unsupported op — exact messages, nothing registered', async () => {
    const w = ['--workspace', 'cli'];
    const badIn = await run(home, [
      'model',
      'convert',
      'vgg16:1',
      '--input',
      'Nope:0',
      '--output',
      'classifier/vgg_16/fc8/squeezed:0',
      '--wait',
      ...w,
    ]);
    assert.equal(badIn.code, 2);
    assert.match(badIn.stderr, /Input tensor "Nope:0" is not in vgg16:1\. Candidate input tensors: Placeholder:0\./);
    const badOut = await run(home, [
      'model',
      'convert',
      'vgg16:1',
      '--input',
      'Placeholder:0',
      '--output',
      'classifier/vgg_16/fc8/squeezed:0,vgg_16/fc9:0',
      '--wait',
      ...w,
    ]);
    assert.equal(badOut.code, 2);
    assert.match(
      badOut.stderr,
      /Output tensor "vgg_16\/fc9:0" not in vgg16:1\. Candidate output tensors: classifier\/vgg_16\/fc8\/squeezed:0\. Separate several outputs with commas\./,
    );

    const g = vgg16Graph();
    g.op('Erf', 'classifier/vgg_16/erf/Erf', ['classifier/vgg_16/fc8/squeezed'], { T: { type: 1 } });
    const file = path.join(dir, 'erf.pb');
    fs.writeFileSync(file, g.encode());
    assert.equal((await run(home, ['model', 'register', file, '--name', 'erf', ...w])).code, 0);
    const before = (await run(home, ['model', 'list', '--json', ...w])).stdout;
    const res = await run(home, [
      'model',
      'convert',
      'erf',
      '--input',
      'Placeholder:0',
      '--output',
      'classifier/vgg_16/erf/Erf:0',
      '--wait',
      ...w,
    ]);
    assert.notEqual(res.code, 0);
    assert.match(
      res.stderr,
      /Cannot convert operator "Erf" of type Erf at node path "classifier\/vgg_16\/erf\/Erf": this operator type is not supported by the converter\. Remove it from the graph or pick output tensors before it \(--output\)\./,
    );
    assert.equal((await run(home, ['model', 'list', '--json', ...w])).stdout, before, 'nothing registered');
  });
});
