// Finding 2 of issue 10: one damaged (or newer-schema) workspace must not stop reconcile for the home. Beside a
// healthy workspace, through the real CLI, the real emulator host and real gRPC over loopback: a regenerated key
// works at once and the old one is refused, a delete stops the service, a deploy works, a restarted host
// restores the healthy workspace's services, the damaged workspaces are reported (CLI, emulator log) and never
// rewritten. Two services with one name in two workspaces never shadow each other in the host.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findHost, hostLogPath, waitForService } from '../../../src/emulator/host/hostControl';
import { openStore } from '../../../src/store/fileStore';
import { AccelHome, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';
import { bearer, tfServingStub, unary } from '../emulator/wireClients';

/** What a real TF Serving client gets for a key: 'OK' or the gRPC status name. */
async function tryKey(port: number, service: string, key: string): Promise<string> {
  const stub = tfServingStub(port);
  try {
    await unary(
      stub,
      'GetModelMetadata',
      { model_spec: { name: service }, metadata_field: ['signature_def'] },
      bearer(key),
      10_000,
    );
    return 'OK';
  } catch (e) {
    return grpc.status[(e as grpc.ServiceError).code];
  } finally {
    stub.close();
  }
}

describe('a damaged workspace beside a healthy one', { timeout: 240_000 }, () => {
  const home = new AccelHome({ ACCEL_DEVICES: '4' });
  const W = ['--workspace', 'good'];
  const damaged: Record<string, string> = {
    broken: '{"schemaVersion": 1, "workspace": ',
    future: '',
  };
  const stateFile = (ws: string) => path.join(home.home, 'workspaces', ws, 'state.json');

  before(async () => {
    await setupImage(home, 'good', mobilenetPath);
    await home.run(['service', 'deploy', 'svc', '--image', 'mobilenet-image', '--json', ...W]);
    // Damage two workspaces after the host runs: unreadable JSON, and a state written by a newer schema.
    for (const ws of Object.keys(damaged)) await home.run(['workspace', 'create', ws]);
    const future = JSON.parse(fs.readFileSync(stateFile('future'), 'utf8'));
    damaged.future = JSON.stringify({ ...future, schemaVersion: 99 });
    for (const [ws, text] of Object.entries(damaged)) fs.writeFileSync(stateFile(ws), text);
  });

  after(async () => {
    await home.cleanup();
  });

  it('regen-key succeeds only once the running service takes the new key and refuses the old one', async () => {
    const port = (await home.run(['service', 'show', 'svc', '--json', ...W])).json.port;
    const old = (await home.run(['service', 'keys', 'svc', '--json', ...W])).json;
    assert.equal(await tryKey(port, 'svc', old.primaryKey), 'OK');
    const regen = await home.run(['service', 'regen-key', 'svc', 'primary', '--json', ...W]);
    assert.equal(regen.json.effect, 'applied');
    assert.notEqual(regen.json.primaryKey, old.primaryKey);
    assert.equal(await tryKey(port, 'svc', regen.json.primaryKey), 'OK');
    assert.equal(await tryKey(port, 'svc', old.primaryKey), 'UNAUTHENTICATED');
    assert.equal(await tryKey(port, 'svc', old.secondaryKey), 'OK', 'the other key is unchanged');
    const text = await home.run(['service', 'regen-key', 'svc', 'secondary', ...W]);
    assert.match(text.stdout, /accepts it now and refuses the old secondary key/);
  });

  it('the CLI and the emulator log report the damaged workspaces; the others are listed', async () => {
    const list = await home.run(['workspace', 'list', '--json']);
    const byName = Object.fromEntries(list.json.map((w: { name: string }) => [w.name, w]));
    assert.equal(byName.good.damaged, undefined);
    assert.equal(byName.broken.damaged, true);
    assert.match(byName.broken.error, /damaged/);
    assert.equal(byName.future.code, 'SchemaTooNew');
    assert.match(byName.future.error, /Upgrade the extension\/CLI/);
    const text = await home.run(['workspace', 'list']);
    assert.match(text.stdout, /broken\s+DAMAGED/);
    assert.match(text.stdout, /future\s+NEWER SCHEMA/);
    assert.match(text.stderr, /workspace broken cannot be read and is skipped/);
    const log = fs.readFileSync(hostLogPath(home.home), 'utf8');
    assert.match(log, /workspace broken: .*damaged.* It is skipped and left unchanged/);
    assert.match(log, /workspace future: .*schema version 99/);
    const status = (await home.run(['emulator', 'status', '--json'])).json;
    assert.ok(
      status.lastReconcile.errors.some((e: string) => /workspace broken is skipped/.test(e)),
      JSON.stringify(status.lastReconcile),
    );
  });

  it('a deploy works and a delete stops the service', async () => {
    const svc2 = (await home.run(['service', 'deploy', 'svc2', '--image', 'mobilenet-image', '--json', ...W])).json;
    assert.equal(svc2.state, 'Running');
    const key = (await home.run(['service', 'keys', 'svc2', '--json', ...W])).json.primaryKey;
    assert.equal(await tryKey(svc2.port, 'svc2', key), 'OK');
    await home.run(['service', 'delete', 'svc2', ...W]);
    assert.equal(await tryKey(svc2.port, 'svc2', key), 'UNAVAILABLE', 'nothing listens on the deleted service port');
    const status = (await home.run(['emulator', 'status', '--json'])).json;
    assert.deepEqual(
      status.services.map((s: { name: string }) => s.name),
      ['svc'],
    );
  });

  it('a restarted host restores the healthy workspace and leaves the damaged ones as they were', async () => {
    const port = (await home.run(['service', 'show', 'svc', '--json', ...W])).json.port;
    const key = (await home.run(['service', 'keys', 'svc', '--json', ...W])).json.primaryKey;
    await home.run(['emulator', 'stop']);
    assert.equal(await tryKey(port, 'svc', key), 'UNAVAILABLE');
    await home.run(['emulator', 'start']);
    const client = await findHost(home.home);
    assert.ok(client);
    await waitForService(client, 'svc', 60_000);
    assert.equal(await tryKey(port, 'svc', key), 'OK');
    for (const [ws, text] of Object.entries(damaged))
      assert.equal(fs.readFileSync(stateFile(ws), 'utf8'), text, `${ws} was rewritten`);
  });

  it('two services with one name in two workspaces: the running one keeps serving, the other is reported', async () => {
    // The home-wide lock keeps deploys from doing this; a copied or restored state file still can.
    await home.run(['workspace', 'create', 'twin']);
    const store = openStore(home.home);
    const good = await store.read('good');
    const client = (await findHost(home.home))!;
    const before = (await client.status()).services.find((s) => s.name === 'svc')!;
    await store.update('twin', (state) => {
      state.models = structuredClone(good.models);
      state.images = structuredClone(good.images);
      const copy = structuredClone(good.services.find((s) => s.name === 'svc')!);
      state.services.push({ ...copy, port: copy.port + 1, createdTime: new Date(Date.now() + 1000).toISOString() });
    });
    for (const m of good.models) fs.cpSync(store.blobPath('good', m.blob), store.blobPath('twin', m.blob));
    for (const i of good.images) fs.cpSync(store.blobPath('good', i.digest), store.blobPath('twin', i.digest));
    const status = await client.reconcile();
    const svc = status.services.filter((s) => s.name === 'svc');
    assert.equal(svc.length, 1);
    assert.equal(svc[0].workspace, 'good');
    assert.equal(svc[0].port, before.port);
    assert.ok(
      status.lastReconcile?.errors.some((e) =>
        /service svc of workspace twin is not started: workspace good already runs a service named svc/.test(e),
      ),
      JSON.stringify(status.lastReconcile),
    );
    const key = (await home.run(['service', 'keys', 'svc', '--json', ...W])).json.primaryKey;
    assert.equal(await tryKey(before.port, 'svc', key), 'OK');
    // The twin's service is not ours to show as running.
    const twinShow = (await home.run(['service', 'show', 'svc', '--json', '--workspace', 'twin'])).json;
    assert.notEqual(twinShow.state, 'Running');
    await store.update('twin', (state) => void (state.services = []));
  });
});
