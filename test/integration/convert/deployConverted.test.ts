// The end-to-end check through the real CLI: the real MobileNetV2 converted at fp32, packaged and
// deployed on the emulator, gives the same top-1 as its source on every sample photo. The --dequantize fp32
// rewrite is deployed too: it meets the photos' expected classes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { AccelHome, PHOTOS } from '../../support/accelCli';
import { imagesDir, mobilenetPath } from '../../support/paths';

const home = new AccelHome({ ACCEL_DEVICES: '3' });
const W = ['--workspace', 'deploy-conv'];

before(async () => {
  await home.run(['workspace', 'create', 'deploy-conv', '--json']);
});

after(async () => {
  await home.cleanup();
});

async function top1s(service: string): Promise<{ top1: number[]; top5: number[][] }> {
  const scored = (await home.run(['score', service, ...PHOTOS.map((p) => p.file), '--top', '5', '--json', ...W])).json;
  assert.equal(scored.results.length, PHOTOS.length);
  const top5 = scored.results.map((r: { top: { index: number }[] }) => r.top.map((p) => p.index));
  return { top1: top5.map((t: number[]) => t[0]), top5 };
}

test('a deployed fp32-converted MobileNetV2 gives the same top-1 as its source on every photo', async () => {
  await home.run([
    'model',
    'register',
    mobilenetPath,
    '--name',
    'mobilenet',
    '--preset',
    'mobilenetv2',
    '--json',
    ...W,
  ]);
  const convert = (args: string[]) =>
    home.run([
      'model',
      'convert',
      'mobilenet:1',
      '--input',
      'input',
      '--output',
      'output',
      '--calibration',
      imagesDir,
      '--wait',
      '--json',
      ...args,
      ...W,
    ]);
  const op = (await convert(['--precision', 'fp32'])).json;
  assert.equal(op.state, 'Succeeded');
  assert.equal(op.resultId, 'mobilenet.1.accelonnx:1');
  const converted = (await home.run(['model', 'show', op.resultId, '--json', ...W])).json;
  assert.equal(converted.parentId, 'mobilenet:1');
  assert.equal(converted.preset, 'mobilenetv2');

  for (const [image, model, service] of [
    ['source-image', 'mobilenet:1', 'source'],
    ['converted-image', op.resultId, 'converted'],
  ]) {
    await home.run(['image', 'create', image, '--model', model, '--json', ...W]);
    const deployed = (await home.run(['service', 'deploy', service, '--image', `${image}:1`, '--json', ...W])).json;
    assert.equal(deployed.state, 'Running');
  }
  const source = await top1s('source');
  const conv = await top1s('converted');
  assert.deepEqual(conv.top1, source.top1, 'same top-1 on every photo');
  assert.deepEqual(conv.top5, source.top5, 'fp32 conversion of an int8 model is numerically unchanged');
  PHOTOS.forEach((p, i) =>
    assert.ok(
      p.accepts(conv.top1[i], conv.top5[i]),
      `${path.basename(p.file)}: expected ${p.expected}, got ${conv.top5[i]}`,
    ),
  );

  // The fp32 rewrite of the int8 model (--dequantize) serves too and meets every photo's expected class.
  const deq = (await convert(['--precision', 'fp32', '--dequantize'])).json;
  assert.equal(deq.state, 'Succeeded');
  await home.run(['image', 'create', 'dequantized-image', '--model', deq.resultId, '--json', ...W]);
  await home.run(['service', 'deploy', 'dequantized', '--image', 'dequantized-image:1', '--json', ...W]);
  const d = await top1s('dequantized');
  PHOTOS.forEach((p, i) =>
    assert.ok(
      p.accepts(d.top1[i], d.top5[i]),
      `dequantized ${path.basename(p.file)}: expected ${p.expected}, got ${d.top5[i]}`,
    ),
  );
  assert.ok(
    d.top1.filter((t, i) => t === source.top1[i]).length >= 8,
    `dequantized top-1 ${d.top1} vs source ${source.top1}`,
  );
});
