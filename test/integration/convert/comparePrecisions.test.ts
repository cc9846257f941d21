// Compare Precisions: `accel model compare-precisions` and its use case measure each narrow precision against the
// fp32 conversion exactly as `model convert` measures its accuracy delta (same numbers), on the int8 sample model
// (dequantized first) and on a TF-slim ResNet-50 with its string-input preprocessing; the last comparison is kept
// per model file for the convert wizard; refusals name what to pass.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { convertModel, readConversionReport } from '../../../src/core/conversions';
import { getModel, registerModel } from '../../../src/core/models';
import { parseComparison, readComparison } from '../../../src/core/precisionCache';
import { comparePrecisions } from '../../../src/core/precisionComparison';
import { openStore } from '../../../src/store/fileStore';
import { compareArgs, runComparison } from '../../../src/vscode/commands/comparePrecisionsRun';
import { AccelHome, cliPath } from '../../support/accelCli';
import { mobilenetPath, repoRoot } from '../../support/paths';
import { resnet50Graph } from '../../support/slimGraphs';

const samples = path.join(repoRoot, 'media', 'samples');
const SOFTMAX = 'classifier/resnet_v1_50/predictions/Softmax:0';

describe('compare precisions', () => {
  const cli = new AccelHome({ ACCEL_MIRROR: '', ACCEL_CALIBRATION: '' });
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-precisions-'));
    await cli.run(['workspace', 'create', 'w']);
    await cli.run(['model', 'register', mobilenetPath, '--name', 'mobilenet', '--workspace', 'w']);
  });
  after(async () => {
    await cli.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the CLI compares fp32, msfp9 and msfp8 on the int8 sample; the numbers are the convert accuracy check', async () => {
    const r = await cli.run([
      'model',
      'compare-precisions',
      'mobilenet',
      '--images',
      samples,
      '--workspace',
      'w',
      '--json',
    ]);
    const c = r.json;
    assert.equal(c.model, 'mobilenet:1');
    assert.equal(c.images, fs.readdirSync(samples).filter((f) => f.endsWith('.jpg')).length);
    assert.equal(c.calibrationDir, samples);
    assert.equal(c.dequantized, true, 'the int8 model is rewritten to fp32 first, or msfp would change nothing');
    assert.deepEqual(
      c.rows.map((row: any) => row.precision),
      ['fp32', 'msfp9', 'msfp8'],
    );
    const [fp32, msfp9, msfp8] = c.rows;
    assert.deepEqual([fp32.top1Agreement, fp32.top5Agreement, fp32.meanAbsProbDiff], [1, 1, 0]);
    assert.ok(fp32.weightBytes > msfp9.weightBytes && msfp9.weightBytes > msfp8.weightBytes, 'narrower is smaller');
    // fp32 weights are 4 bytes; msfp9 stores 4 bits + 5/16 bit per matrix weight: about 7.4× smaller on MobileNetV2.
    assert.ok(fp32.weightBytes / msfp9.weightBytes > 5, `${fp32.weightBytes} / ${msfp9.weightBytes}`);
    assert.ok(msfp9.weightsRounded > 1_000_000 && msfp9.weightsRounded === msfp8.weightsRounded);
    for (const row of [msfp9, msfp8]) assert.ok(row.meanAbsProbDiff > 0 && row.maxAbsProbDiff >= row.meanAbsProbDiff);

    // The same measurement as a conversion's delta against the dequantized fp32 model.
    for (const precision of ['msfp9', 'msfp8']) {
      const op = (
        await cli.run([
          ...['model', 'convert', 'mobilenet', '--input', 'input', '--output', 'output', '--precision', precision],
          ...['--dequantize', '--calibration', samples, '--wait', '--workspace', 'w', '--json'],
        ])
      ).json;
      const report = (await cli.run(['model', 'show', op.resultId, '--workspace', 'w', '--json'])).json
        .conversionReport;
      const row = c.rows.find((x: any) => x.precision === precision);
      assert.equal(row.top1Agreement, report.accuracyVsDequantized.top1Agreement, precision);
      assert.equal(row.top5Agreement, report.accuracyVsDequantized.top5Agreement, precision);
      assert.equal(row.meanAbsProbDiff, report.accuracyVsDequantized.meanAbsProbDiff, precision);
      assert.equal(row.maxAbsProbDiff, report.accuracyVsDequantized.maxAbsProbDiff, precision);
      assert.equal(row.weightBytes, report.compatibility.weightBytes[precision], precision);
      await cli.run(['model', 'delete', op.resultId, '--workspace', 'w']);
    }

    // Kept for the convert wizard, also when asked about a converted model of the same source.
    const store = openStore(cli.home);
    const state = await store.read('w');
    const source = state.models.find((m) => m.id === 'mobilenet:1')!;
    assert.deepEqual(readComparison(store, 'w', source, state.models), c);
    const text = (await cli.run(['model', 'compare-precisions', 'mobilenet', '--images', samples, '--workspace', 'w']))
      .stdout;
    assert.match(
      text,
      /^Precisions of mobilenet:1 on \d+ photos from .* \(reference: mobilenet:1 dequantized to fp32\):/,
    );
    assert.match(text, /\nmsfp8 +\d+\.\d% +\d+\.\d% +\d\.\d\de-\d/);
  });

  test('refusals name what to pass; a damaged cache entry counts as none', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    const r = await cli.run(['model', 'compare-precisions', 'mobilenet', '--images', empty, '--workspace', 'w'], {
      expectFailure: true,
    });
    assert.match(r.stderr, /holds no images .*Add some photos or pass another folder/);
    const bad = await cli.run(
      ['model', 'compare-precisions', 'mobilenet', '--images', samples, '--output', 'nope', '--workspace', 'w'],
      { expectFailure: true },
    );
    assert.match(bad.stderr, /Output tensor "nope" is not in mobilenet:1\. Candidate output tensors: output\./);
    assert.equal(parseComparison({ model: 'm', modelBlob: 'x', images: 1, rows: [] }), undefined);
    assert.equal(
      parseComparison({
        model: 'm',
        modelBlob: 'x',
        images: 1,
        rows: ['fp32', 'msfp9', 'msfp8'].map((precision) => ({
          precision,
          weightBytes: 1,
          top1Agreement: Number.NaN,
          top5Agreement: 1,
          meanAbsProbDiff: 0,
          maxAbsProbDiff: 0,
        })),
      }),
      undefined,
    );
  });

  test('the extension runs it in a CLI child: progress forwarded, errors kept, cancel stops it', async () => {
    const reports: Array<{ message?: string; fraction?: number }> = [];
    const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
    const args = compareArgs({ model: 'mobilenet', images: samples, workspace: 'w' });
    const c = await runComparison({
      cli: cliPath,
      home: cli.home,
      args,
      progress: { report: (u) => reports.push(u) },
      cancel: never,
    });
    assert.deepEqual(
      c.rows.map((r) => r.precision),
      ['fp32', 'msfp9', 'msfp8'],
    );
    assert.ok(
      reports.some((r) => /^msfp9: Measuring accuracy on /.test(r.message ?? '')),
      JSON.stringify(reports.slice(0, 3)),
    );
    assert.equal(reports.at(-1)?.fraction, 1);

    await assert.rejects(
      runComparison({
        cli: cliPath,
        home: cli.home,
        args: compareArgs({ model: 'nope', images: samples, workspace: 'w' }),
        progress: { report() {} },
        cancel: never,
      }),
      (e: any) => e.code === 'NotFound' && /nope/.test(e.message),
    );

    // Cancel as soon as the first photo is being measured.
    let cancel: () => void = () => {};
    const token = {
      isCancellationRequested: false,
      onCancellationRequested: (f: () => void) => {
        cancel = f;
        return { dispose() {} };
      },
    };
    await assert.rejects(
      runComparison({
        cli: cliPath,
        home: cli.home,
        args,
        progress: { report: (u) => /Measuring/.test(u.message ?? '') && cancel() },
        cancel: token,
      }),
      (e: any) => e.code === 'Cancelled',
    );
  });

  test('a TF-slim ResNet-50 with string input: compared against its own fp32 conversion', async () => {
    const store = openStore(path.join(dir, 'home'));
    await store.createWorkspace('t');
    const file = path.join(dir, 'resnet50.pb');
    fs.writeFileSync(file, resnet50Graph({ stringInput: true }).encode());
    const src = await registerModel(store, 't', { path: file, name: 'resnet' });
    const fractions: number[] = [];
    const c = await comparePrecisions(store, 't', src.id, {
      calibrationDir: samples,
      inputTensor: 'Placeholder:0',
      outputTensor: SOFTMAX,
      progress: { report: (u) => u.fraction !== undefined && fractions.push(u.fraction) },
    });
    assert.equal(c.reference, 'resnet:1 converted at fp32');
    assert.equal(c.dequantized, false);
    assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]) && fractions.at(-1) === 1);
    const op = await convertModel(store, 't', src.id, {
      inputTensor: 'Placeholder:0',
      outputTensors: SOFTMAX,
      precision: 'msfp8',
      calibrationDir: samples,
    });
    assert.equal(op.state, 'Succeeded', op.error);
    const report = readConversionReport(store, 't', await getModel(store, 't', op.resultId!))!;
    assert.equal(c.rows[2].top1Agreement, report.accuracy!.top1Agreement);
    assert.equal(c.rows[2].meanAbsProbDiff, report.accuracy!.meanAbsProbDiff);
  });
});
