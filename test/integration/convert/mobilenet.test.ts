// The real int8 MobileNetV2 goes through the convert operation: fp32 leaves it numerically identical on the
// sample photos, and msfp8 is a no-op with a note (it is already quantized).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertModel, operationLog, readConversionReport } from '../../../src/core/conversions';
import { getModel, registerModel } from '../../../src/core/models';
import { openStore } from '../../../src/store/fileStore';
import { imagesDir, mobilenetPath } from '../../support/paths';

describe('convert the real MobileNetV2 (ONNX int8)', () => {
  let home: string;
  const ws = 'conv';
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-conv-'));
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  test('fp32: same outputs on every sample photo; msfp8 left unchanged with a note', async () => {
    const store = openStore(home);
    await store.createWorkspace(ws);
    const src = await registerModel(store, ws, { path: mobilenetPath, name: 'mobilenetv2' });
    const op = await convertModel(store, ws, src.id, {
      inputTensor: 'input',
      outputTensors: 'output',
      precision: 'fp32',
      calibrationDir: imagesDir,
    });
    assert.equal(op.state, 'Succeeded', op.error);
    assert.equal(op.resultId, 'mobilenetv2.1.accelonnx:1');
    const converted = await getModel(store, ws, op.resultId!);
    assert.equal(converted.parentId, src.id);
    assert.equal(converted.preset, 'mobilenetv2');
    assert.equal(converted.labels, 'imagenet-1000');
    const report = readConversionReport(store, ws, converted)!;
    assert.equal(report.accuracy!.images, 9);
    assert.equal(report.accuracy!.top1Agreement, 1);
    assert.equal(report.accuracy!.top5Agreement, 1);
    assert.equal(report.accuracy!.maxAbsProbDiff, 0);
    assert.equal(report.compatibility.opHistogram.QLinearConv, 52);
    assert.ok(
      report.compatibility.macsPerImage > 290e6 && report.compatibility.macsPerImage < 310e6,
      `${report.compatibility.macsPerImage}`,
    );

    const op8 = await convertModel(store, ws, src.id, {
      inputTensor: 'input',
      outputTensors: ['output'],
      precision: 'msfp8',
      calibrationDir: imagesDir,
    });
    assert.equal(op8.state, 'Succeeded', op8.error);
    const log = await operationLog(store, ws, op8.id);
    assert.match(log, /msfp8 not applied: the model is already quantized \(.*QLinearConv×52/);
    const r8 = readConversionReport(store, ws, await getModel(store, ws, op8.resultId!))!;
    assert.equal(r8.accuracy!.maxAbsProbDiff, 0);
  });
});
