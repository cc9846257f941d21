// The original documentation's order of deletion through the CLI: a registered model goes before its converted
// model, which stays (with its image) and shows its lineage as "source deleted"; the model's own images still block.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { registerModel } from '../../../src/core/models';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath, repoRoot } from '../../support/paths';

const cli = path.join(repoRoot, 'dist', 'cli.js');

function accel(home: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, ACCEL_HOME: home, ACCEL_MIRROR: '' },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('accel model delete: source before converted model', () => {
  before(() => {
    if (!fs.existsSync(cli)) {
      const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, stdio: 'inherit' });
      assert.equal(b.status, 0, 'build failed');
    }
  });

  it('deletes the registered model; the converted model keeps parentId and says "source deleted"', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-cli-'));
    assert.equal(accel(home, ['workspace', 'create', 'w']).code, 0);
    const store = openStore(home);
    const source = await registerModel(store, 'w', { path: mobilenetPath, name: 'mobilenet' });
    // A converted model as conversion records it (the conversion itself is tested elsewhere).
    const converted = await registerModel(store, 'w', {
      path: mobilenetPath,
      name: 'mobilenet.1.accelonnx',
      parentId: source.id,
    });
    assert.equal(accel(home, ['image', 'create', 'classifier', '--model', converted.id]).code, 0);
    assert.equal(accel(home, ['image', 'create', 'raw', '--model', source.id]).code, 0);

    const refused = accel(home, ['model', 'delete', source.id]);
    assert.equal(refused.code, 4, 'its own image still blocks');
    assert.equal(
      refused.stderr,
      'accel: Model mobilenet:1 is used by image raw:1. Delete in this order: accel image delete raw:1; accel model delete mobilenet:1.\n',
    );
    assert.equal(accel(home, ['image', 'delete', 'raw:1']).code, 0);
    const deleted = accel(home, ['model', 'delete', source.id]);
    assert.equal(deleted.code, 0, deleted.stderr);

    const shown = accel(home, ['model', 'show', converted.id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^parent: +mobilenet:1 \(source deleted\)$/m);
    const json = JSON.parse(accel(home, ['model', 'show', converted.id, '--json']).stdout);
    assert.equal(json.parentId, 'mobilenet:1');
    assert.equal(accel(home, ['image', 'show', 'classifier:1']).code, 0, 'its image stays');
  });
});
