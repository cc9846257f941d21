// The real `accel` CLI (dist/cli.js, built by `node scripts/build.mjs`) against a real store in a temp home.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath, repoRoot } from '../../support/paths';
import { treeHash } from '../../support/treeHash';

const cli = path.join(repoRoot, 'dist', 'cli.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function accel(home: string, args: string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, ACCEL_HOME: home, ACCEL_MIRROR: '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: Result): any {
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr');
  return JSON.parse(r.stdout); // the whole of stdout is one JSON document
}

const tempHome = () => fs.mkdtempSync(path.join(os.tmpdir(), 'accel-cli-'));

describe('accel CLI', () => {
  before(() => {
    if (!fs.existsSync(cli)) {
      const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, stdio: 'inherit' });
      assert.equal(b.status, 0, 'build failed');
    }
  });

  it('prints help', () => {
    const r = accel(tempHome(), ['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: accel/);
    assert.match(r.stdout, /workspace/);
    assert.match(r.stdout, /model/);
    const m = accel(tempHome(), ['model', 'register', '--help']);
    assert.equal(m.code, 0);
    assert.match(m.stdout, /--sample/);
    assert.match(m.stdout, /--json/, 'global options shown on subcommands');
  });

  it('registers the real MobileNetV2 twice (versions 1 and 2) and lists both, JSON only on stdout', () => {
    const home = tempHome();
    const ws = json(accel(home, ['workspace', 'create', 'demo', '--json']));
    assert.equal(ws.name, 'demo');
    assert.equal(ws.active, true);
    const m1 = json(accel(home, ['model', 'register', mobilenetPath, '--name', 'mobilenet', '--json']));
    assert.equal(m1.id, 'mobilenet:1');
    assert.deepEqual(m1.inputs, [{ name: 'input', dtype: 'float32', shape: ['batch_size', 3, 224, 224] }]);
    assert.deepEqual(m1.outputs, [{ name: 'output', dtype: 'float32', shape: ['batch_size', 1000] }]);
    assert.equal(m1.framework, 'onnx');
    assert.equal(m1.preset, 'mobilenetv2');
    assert.equal(m1.labels, 'imagenet-1000');
    const m2 = json(
      accel(home, [
        'model',
        'register',
        mobilenetPath,
        '--name',
        'mobilenet',
        '--tag',
        'stage=prod',
        '--tag',
        'int8',
        '--property',
        'source=zoo',
        '--description',
        'second',
        '--json',
      ]),
    );
    assert.equal(m2.version, 2);
    assert.deepEqual(m2.tags, { stage: 'prod', int8: '' });
    assert.deepEqual(m2.properties, { source: 'zoo' });
    const list = json(accel(home, ['model', 'list', '--json']));
    assert.deepEqual(
      list.map((m: { id: string }) => m.id),
      ['mobilenet:1', 'mobilenet:2'],
    );
    assert.deepEqual(
      json(accel(home, ['model', 'list', '--latest', '--json'])).map((m: { id: string }) => m.id),
      ['mobilenet:2'],
    );
    assert.deepEqual(
      json(accel(home, ['model', 'list', '--tag', 'stage=prod', '--json'])).map((m: { id: string }) => m.id),
      ['mobilenet:2'],
    );
    assert.equal(json(accel(home, ['model', 'show', 'mobilenet', '--json'])).id, 'mobilenet:2');
    assert.equal(
      json(accel(home, ['model', 'show', 'mobilenet:1', '--workspace', 'demo', '--json'])).id,
      'mobilenet:1',
    );
    // Human output: a table.
    const table = accel(home, ['model', 'list']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^NAME\s+VERSION/);
    assert.match(table.stdout, /mobilenet\s+2\s+onnx\s+mobilenetv2/);
    const updated = json(
      accel(home, [
        'model',
        'update',
        'mobilenet:1',
        '--add-tag',
        'reviewed=yes',
        '--description',
        'checked',
        '--json',
      ]),
    );
    assert.deepEqual([updated.id, updated.tags, updated.description], ['mobilenet:1', { reviewed: 'yes' }, 'checked']);
    // Delete needs the version, then works.
    const vague = accel(home, ['model', 'delete', 'mobilenet']);
    assert.equal(vague.code, 2);
    assert.match(vague.stderr, /accel model delete mobilenet:2/);
    assert.deepEqual(json(accel(home, ['model', 'delete', 'mobilenet:1', '--json'])), { deleted: 'mobilenet:1' });
    assert.deepEqual(
      json(accel(home, ['model', 'list', '--json'])).map((m: { id: string }) => m.id),
      ['mobilenet:2'],
    );
  });

  it('manages workspaces and explains when none is selected', () => {
    const home = tempHome();
    const none = accel(home, ['model', 'list']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /create one with `accel workspace create NAME`/i);
    assert.equal(none.stdout, '');
    json(accel(home, ['workspace', 'create', 'one', '--json']));
    json(accel(home, ['workspace', 'create', 'two', '--description', 'second', '--json']));
    let list = json(accel(home, ['workspace', 'list', '--json']));
    assert.deepEqual(
      list.map((w: { name: string; active: boolean }) => [w.name, w.active]),
      [
        ['one', true],
        ['two', false],
      ],
    );
    json(accel(home, ['workspace', 'use', 'two', '--json']));
    list = json(accel(home, ['workspace', 'list', '--json']));
    assert.deepEqual(
      list.map((w: { active: boolean }) => w.active),
      [false, true],
    );
    const dup = accel(home, ['workspace', 'create', 'one']);
    assert.equal(dup.code, 4);
    assert.match(dup.stderr, /already exists/);
    const missing = accel(home, ['workspace', 'use', 'three']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /accel workspace create three/);
    json(accel(home, ['model', 'register', mobilenetPath, '--name', 'm', '--json']));
    const notEmpty = accel(home, ['workspace', 'delete', 'two']);
    assert.equal(notEmpty.code, 4);
    assert.match(notEmpty.stderr, /still holds 1 model/);
    assert.match(notEmpty.stderr, /--force/);
    json(accel(home, ['workspace', 'delete', 'two', '--force', '--json']));
    assert.deepEqual(
      json(accel(home, ['workspace', 'list', '--json'])).map((w: { name: string }) => w.name),
      ['one'],
    );
    const unknown = accel(home, ['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command/);
  });

  it('refuses deleting a model an image uses, naming it and the order, with exit code 4', async () => {
    const home = tempHome();
    json(accel(home, ['workspace', 'create', 'w', '--json']));
    json(accel(home, ['model', 'register', mobilenetPath, '--name', 'mobilenet', '--json']));
    await openStore(home).update('w', (s) => {
      s.images.push({
        id: 'classifier:1',
        name: 'classifier',
        version: 1,
        modelId: 'mobilenet:1',
        tags: {},
        createdTime: 't',
        state: 'Succeeded',
        digest: 'b'.repeat(64),
      });
    });
    const r = accel(home, ['model', 'delete', 'mobilenet:1']);
    assert.equal(r.code, 4);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      'accel: Model mobilenet:1 is used by image classifier:1. Delete in this order: accel image delete classifier:1; accel model delete mobilenet:1.\n',
    );
    const j = accel(home, ['model', 'delete', 'mobilenet:1', '--json']);
    assert.equal(j.code, 4);
    assert.equal(JSON.parse(j.stderr).error.code, 'HasDependents');
  });

  it('registers the sample model from ACCEL_MIRROR, and explains what to do offline without one', () => {
    const home = tempHome();
    json(accel(home, ['workspace', 'create', 'w', '--json']));
    const offline = accel(home, ['model', 'register', '--sample'], { ACCEL_MIRROR: '' });
    if (offline.code !== 0) {
      // This network cannot reach GitHub: the error must say to set ACCEL_MIRROR.
      assert.equal(offline.code, 5, offline.stderr);
      assert.match(offline.stderr, /Set ACCEL_MIRROR/);
    }
    const m = json(
      accel(home, ['model', 'register', '--sample', '--json'], { ACCEL_MIRROR: path.dirname(mobilenetPath) }),
    );
    assert.equal(m.name, 'mobilenet');
    assert.equal(m.blob, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f');
    assert.ok(fs.existsSync(path.join(home, 'cache', 'models', m.blob, 'mobilenetv2-12-int8.onnx')));
  });

  it('gives each bad input its own clear message and leaves the home byte-for-byte unchanged', () => {
    const home = tempHome();
    json(accel(home, ['workspace', 'create', 'w', '--json']));
    json(accel(home, ['model', 'register', mobilenetPath, '--name', 'mobilenet', '--json']));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-bad-'));
    const notOnnx = path.join(dir, 'notes.onnx');
    fs.writeFileSync(notOnnx, 'just some text, definitely not a protobuf model\n');
    const empty = path.join(dir, 'empty.onnx');
    fs.writeFileSync(empty, '');
    const cases: [string, string[], number, RegExp][] = [
      [
        'not ONNX',
        ['model', 'register', notOnnx, '--name', 'x'],
        2,
        /notes\.onnx is not an ONNX model.*Export the model to ONNX/,
      ],
      ['empty file', ['model', 'register', empty, '--name', 'x'], 2, /empty\.onnx is empty \(0 bytes\)/],
      [
        'missing path',
        ['model', 'register', path.join(dir, 'gone.onnx'), '--name', 'x'],
        3,
        /gone\.onnx does not exist/,
      ],
      [
        'illegal name',
        ['model', 'register', mobilenetPath, '--name', 'My Model'],
        2,
        /"My Model" is not a valid model name\. Use 1-128 lowercase letters/,
      ],
      [
        'framework mismatch',
        ['model', 'register', mobilenetPath, '--name', 'x', '--framework', 'tensorflow'],
        2,
        /--framework tensorflow does not match the file/,
      ],
      ['bad tag', ['model', 'register', mobilenetPath, '--name', 'x', '--tag', 'no spaces=1'], 2, /not a valid tag/],
    ];
    const seen = new Set<string>();
    for (const [label, args, code, message] of cases) {
      const before = treeHash(home);
      const r = accel(home, args);
      assert.equal(r.code, code, `${label}: ${r.stderr}`);
      assert.match(r.stderr, message, label);
      assert.equal(r.stdout, '', `${label}: stdout must stay empty`);
      assert.equal(treeHash(home), before, `${label}: the home changed`);
      seen.add(r.stderr);
    }
    assert.equal(seen.size, cases.length, 'each bad input has its own message');
    // A store written by a newer schema.
    const state = path.join(home, 'workspaces', 'w', 'state.json');
    fs.writeFileSync(state, fs.readFileSync(state, 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 3'));
    const before = treeHash(home);
    for (const args of [
      ['model', 'register', mobilenetPath, '--name', 'mobilenet'],
      ['model', 'list'],
      ['model', 'delete', 'mobilenet:1'],
    ]) {
      const r = accel(home, args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /schema version 3, but this version of Accelerated Models supports schema version 1 only\. Upgrade the extension\/CLI/,
      );
    }
    assert.equal(treeHash(home), before, 'newer schema: the home changed');
  });
});
