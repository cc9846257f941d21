// TLS (self-signed and from PEM files), device exhaustion and port clashes, through the real CLI and host.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { generate } from 'selfsigned';
import { PredictionClient } from '../../../src/client/predictionClient';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const home = new AccelHome({ ACCEL_DEVICES: '2' });
const W = ['--workspace', 'tls'];
const parrot = PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!.file;

before(async () => {
  await setupImage(home, 'tls', mobilenetPath);
});

after(async () => {
  await home.cleanup();
});

test('--self-signed serves TLS for localhost; clients must trust the certificate', async () => {
  const svc = (
    await home.run(['service', 'deploy', 'secure', '--image', 'mobilenet-image', '--self-signed', '--json', ...W])
  ).json;
  assert.equal(svc.scoringUri, `grpcs://localhost:${svc.port}`);
  assert.equal(svc.tls.selfSigned, true);
  const scored = (await home.run(['score', 'secure', parrot, '--json', ...W])).json;
  assert.equal(scored.results[0].top[0].index, 88);

  const show = (await home.run(['service', 'show', 'secure', '--json', ...W])).json;
  const cert = new (await import('node:crypto')).X509Certificate(show.tls.certificate);
  assert.match(cert.subject, /CN=localhost/);
  assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
  assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);

  const key = (await home.run(['service', 'keys', 'secure', '--json', ...W])).json.primaryKey;
  const trusted = new PredictionClient('localhost', svc.port, true, key, 'secure', show.tls.certificate, {
    attempts: 1,
  });
  const r = await trusted.scoreFile(parrot, { inputName: 'input' });
  assert.ok(r.outputs.output.data.length === 1000);
  trusted.close();
  const untrusted = new PredictionClient('localhost', svc.port, true, key, 'secure', undefined, { attempts: 1 });
  await assert.rejects(
    untrusted.scoreFile(parrot, { inputName: 'input' }),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
  );
  untrusted.close();
  const plaintext = new PredictionClient('127.0.0.1', svc.port, false, key, 'secure', undefined, { attempts: 1 });
  await assert.rejects(plaintext.scoreFile(parrot, { inputName: 'input' }));
  plaintext.close();
});

test('--ssl-cert/--ssl-key from PEM files; a key that does not match is refused and nothing is written', async () => {
  const dir = fs.mkdtempSync(path.join(home.home, 'pem-'));
  const san = {
    name: 'subjectAltName' as const,
    altNames: [
      { type: 2 as const, value: 'localhost' },
      { type: 7 as const, ip: '127.0.0.1' },
    ],
  };
  const a = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [san],
  });
  const b = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [san],
  });
  fs.writeFileSync(path.join(dir, 'cert.pem'), a.cert);
  fs.writeFileSync(path.join(dir, 'key.pem'), a.private);
  fs.writeFileSync(path.join(dir, 'other-key.pem'), b.private);

  const bad = await home.run(
    [
      'service',
      'deploy',
      'filetls',
      '--image',
      'mobilenet-image',
      '--ssl-cert',
      path.join(dir, 'cert.pem'),
      '--ssl-key',
      path.join(dir, 'other-key.pem'),
      ...W,
    ],
    { expectFailure: true },
  );
  assert.match(bad.stderr, /does not belong to the certificate/);
  const onlyCert = await home.run(
    ['service', 'deploy', 'filetls', '--image', 'mobilenet-image', '--ssl-cert', path.join(dir, 'cert.pem'), ...W],
    { expectFailure: true },
  );
  assert.match(onlyCert.stderr, /--ssl-key/);
  assert.deepEqual(
    (await home.run(['service', 'list', '--json', ...W])).json.map((s: { name: string }) => s.name),
    ['secure'],
  );

  const svc = (
    await home.run([
      'service',
      'deploy',
      'filetls',
      '--image',
      'mobilenet-image',
      '--ssl-cert',
      path.join(dir, 'cert.pem'),
      '--ssl-key',
      path.join(dir, 'key.pem'),
      '--no-auth',
      '--json',
      ...W,
    ])
  ).json;
  assert.equal(svc.tls.selfSigned, false);
  assert.equal(svc.authEnabled, false);
  const client = new PredictionClient('localhost', svc.port, true, undefined, 'filetls', a.cert, { attempts: 1 });
  const r = await client.scoreFile(parrot, { inputName: 'input' });
  assert.equal(r.outputs.output.data.length, 1000);
  client.close();
  await home.run(['service', 'delete', 'filetls', ...W]);
});

test('more replicas than free devices: a clear error naming the holders, nothing deployed', async () => {
  // 'secure' holds one of the two devices.
  const busy = await home.run(['service', 'deploy', 'big', '--image', 'mobilenet-image', '--replicas', '2', ...W], {
    expectFailure: true,
  });
  assert.equal(busy.code, 5);
  assert.match(busy.stderr, /No free accelerator device for service "big": it needs 2, 1 of 2 free/);
  assert.match(busy.stderr, /Held by "secure"/);
  const huge = await home.run(['service', 'deploy', 'huge', '--image', 'mobilenet-image', '--replicas', '3', ...W], {
    expectFailure: true,
  });
  assert.match(huge.stderr, /needs 3 accelerator devices but the emulator has only 2/);
  const scaleUp = await home.run(['service', 'update', 'secure', '--replicas', '3', ...W], { expectFailure: true });
  assert.match(scaleUp.stderr, /only 2/);
  const names = (await home.run(['service', 'list', '--json', ...W])).json.map(
    (s: { name: string; replicas: number }) => `${s.name}:${s.replicas}`,
  );
  assert.deepEqual(names, ['secure:1']);
  const status = (await home.run(['emulator', 'status', '--json'])).json;
  assert.deepEqual(
    status.services.map((s: { name: string }) => s.name),
    ['secure'],
  );
});

test('a port used by another service is refused naming that service', async () => {
  const secure = (await home.run(['service', 'show', 'secure', '--json', ...W])).json;
  const clash = await home.run(
    ['service', 'deploy', 'clash', '--image', 'mobilenet-image', '--port', String(secure.port), ...W],
    { expectFailure: true },
  );
  assert.match(clash.stderr, new RegExp(`Port ${secure.port} is already used by service "secure"`));
  const invalid = await home.run(
    ['service', 'deploy', 'clash', '--image', 'mobilenet-image', '--port', '70000', ...W],
    { expectFailure: true },
  );
  assert.match(invalid.stderr, /not a TCP port/);
  const missing = await home.run(['service', 'deploy', 'clash', '--image', 'nope', ...W], { expectFailure: true });
  assert.match(missing.stderr, /No image "nope"/);
});
