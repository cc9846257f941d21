// Issue 10 finding 8: a model's file name must not write lines into the exported Dockerfile or README (a
// newline added a RUN line, which an ACR build then ran). Registration refuses such names; an export of a
// record written before that check still places the model at model/model.onnx and quotes every value.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { AccelHome } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const home = new AccelHome();
const W = ['--workspace', 'inj'];
const HOSTILE = 'm.onnx"]\nRUN touch pwned\nCMD ["sh';

after(async () => {
  await home.cleanup();
});

function copyAs(name: string): string {
  const dir = fs.mkdtempSync(path.join(home.home, 'src-'));
  const file = path.join(dir, name);
  fs.copyFileSync(mobilenetPath, file);
  return file;
}

test('registration refuses model file names with line breaks, control characters, quotes, backslashes or $', async () => {
  await home.run(['workspace', 'create', 'inj', '--json']);
  for (const name of [
    HOSTILE,
    'a\tb.onnx',
    'say"hi".onnx',
    "it's.onnx",
    'back`tick`.onnx',
    'a\\b.onnx',
    '$(id).onnx',
    'bell\u0007.onnx',
    'sep\u2028.onnx',
  ]) {
    const r = await home.run(['model', 'register', copyAs(name), '--name', 'evil', ...W], { expectFailure: true });
    assert.match(
      r.stderr,
      /The model file name .* has .*\. Rename the file to letters, digits/,
      `${JSON.stringify(name)}: ${r.stderr}`,
    );
  }
  const list = (await home.run(['model', 'list', '--json', ...W])).json;
  assert.equal(list.length, 0, 'nothing registered');
  // Ordinary names still work, spaces and unicode letters included.
  const ok = (
    await home.run([
      'model',
      'register',
      copyAs('My Model (v2) é.onnx'),
      '--name',
      'fine',
      '--preset',
      'mobilenetv2',
      '--json',
      ...W,
    ])
  ).json;
  assert.equal(ok.fileName, 'My Model (v2) é.onnx');
});

test('an export of a record registered before the check: model/model.onnx, no injected Dockerfile or README lines', async () => {
  await home.run(['model', 'register', mobilenetPath, '--name', 'legacy', '--preset', 'mobilenetv2', '--json', ...W]);
  // A store written by an older version holds the hostile name as it was registered then.
  const stateFile = path.join(home.home, 'workspaces', 'inj', 'state.json');
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  state.models.find((m: { name: string }) => m.name === 'legacy').fileName = HOSTILE;
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
  await home.run(['image', 'create', 'legacy-image', '--model', 'legacy:1', '--json', ...W]);
  const dir = path.join(home.home, 'ctx');
  const result = (await home.run(['image', 'export', 'legacy-image:1', dir, '--json', ...W])).json;
  assert.ok(result.files.includes('model/model.onnx'), result.files.join(', '));
  assert.deepEqual(result.files.filter((f: string) => f.startsWith('model/')).sort(), [
    'model/manifest.json',
    'model/model.onnx',
  ]);

  const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  assert.doesNotMatch(dockerfile, /pwned/);
  const instructions = dockerfile.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith(' '));
  assert.deepEqual(
    instructions.map((l) => l.split(' ')[0]),
    ['ARG', 'FROM', 'WORKDIR', 'ENV', 'COPY', 'COPY', 'COPY', 'COPY', 'LABEL', 'USER', 'EXPOSE', 'HEALTHCHECK', 'CMD'],
  );
  const cmd = JSON.parse(
    dockerfile
      .split('\n')
      .find((l) => l.startsWith('CMD '))!
      .slice(4),
  ) as string[];
  assert.deepEqual(cmd.slice(cmd.indexOf('--model')), ['--model', 'model/model.onnx']);

  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  assert.ok(!readme.split('\n').some((l) => l.startsWith('RUN ')), 'no README line starts with the injected text');
  const mention = readme.split('\n').find((l) => l.includes('registered as'))!;
  assert.ok(mention.includes('RUN touch pwned'), 'the old name is shown, on the same line as its context');
});

test('label values are escaped: quotes, backslashes and $ from descriptions cannot end the value or expand', async () => {
  const { dockerQuote, execForm } = await import('../../../src/container/buildContext');
  assert.equal(dockerQuote('a"b\\c$HOME'), '"a\\"b\\\\c\\$HOME"');
  assert.throws(() => dockerQuote('x\nRUN id'), /line break or control character/);
  assert.throws(() => execForm(['node', 'a\rb']), /line break or control character/);
  assert.equal(execForm(['node', 'x y', '"q"']), '["node","x y","\\"q\\""]');
});
