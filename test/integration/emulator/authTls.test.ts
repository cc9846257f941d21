// Keys, key rotation, the AML route header and real TLS (self-signed certificate from the selfsigned package).
import * as grpc from '@grpc/grpc-js';
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import selfsigned from 'selfsigned';
import { PredictionClient } from '../../../src/client/predictionClient';
import { sha256Hex } from '../../../src/emulator/frontend/auth';
import type { ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { OUTPUT, PRIMARY_KEY, SECONDARY_KEY, photo, startMobilenet } from './endpointHarness';

const code = (e: unknown) => (e as grpc.ServiceError).code;

describe('keys', () => {
  let endpoint: ServiceEndpoint;
  before(async () => {
    endpoint = await startMobilenet();
  });
  after(() => endpoint.stop());
  const client = (key?: string, service = 'mnv2') =>
    new PredictionClient('127.0.0.1', endpoint.port, false, key, service, undefined, { attempts: 1 });

  it('accepts the primary and the secondary key, with any case of "Bearer"', async () => {
    for (const key of [PRIMARY_KEY, SECONDARY_KEY]) {
      const c = client(key);
      assert.equal((await c.scoreFile(photo('coral/parrot.jpg'))).outputs[OUTPUT].shape[1], 1000);
      c.close();
    }
    const raw = new grpc.Client(`127.0.0.1:${endpoint.port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `bEaReR ${PRIMARY_KEY}`);
    const status = await new Promise<number>((resolve) =>
      raw.makeUnaryRequest(
        '/tensorflow.serving.PredictionService/Predict',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        md,
        (err) => resolve(err ? err.code : 0),
      ),
    );
    raw.close();
    assert.equal(status, grpc.status.INVALID_ARGUMENT, 'authenticated, then rejected for having no inputs');
  });

  it('a missing or wrong key is UNAUTHENTICATED and is not retried', async () => {
    for (const key of [undefined, 'not-the-key']) {
      const c = client(key);
      await assert.rejects(c.scoreFile(photo('coral/parrot.jpg')), (e) => {
        assert.equal(code(e), grpc.status.UNAUTHENTICATED);
        assert.match((e as Error).message, /primary or secondary key/);
        return true;
      });
      c.close();
    }
  });

  it('setAuth takes effect on the next call of an open channel', async () => {
    const c = client(PRIMARY_KEY);
    await c.scoreFile(photo('coral/parrot.jpg'));
    const newKey = 'regenerated-primary-key';
    endpoint.setAuth({ enabled: true, keyHashes: [sha256Hex(newKey), sha256Hex(SECONDARY_KEY)] });
    await assert.rejects(c.scoreFile(photo('coral/parrot.jpg')), (e) => code(e) === grpc.status.UNAUTHENTICATED);
    const fresh = client(newKey);
    await fresh.scoreFile(photo('coral/parrot.jpg'));
    endpoint.setAuth({ enabled: false, keyHashes: [] });
    const anonymous = client(undefined);
    await anonymous.scoreFile(photo('coral/parrot.jpg'));
    endpoint.setAuth({ enabled: true, keyHashes: [sha256Hex(PRIMARY_KEY), sha256Hex(SECONDARY_KEY)] });
    await c.scoreFile(photo('coral/parrot.jpg'));
    for (const x of [c, fresh, anonymous]) x.close();
  });

  it('a route header naming another service is NOT_FOUND with the right route in the message', async () => {
    const c = client(PRIMARY_KEY, 'someone-else');
    await assert.rejects(c.scoreFile(photo('coral/parrot.jpg')), (e) => {
      assert.equal(code(e), grpc.status.NOT_FOUND);
      assert.match((e as Error).message, /\/api\/v1\/service\/mnv2/);
      return true;
    });
    c.close();
  });
});

describe('TLS', () => {
  let endpoint: ServiceEndpoint;
  let certPem: string;
  before(async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    certPem = pems.cert;
    endpoint = await startMobilenet({ tls: { certPem: pems.cert, keyPem: pems.private } });
  });
  after(() => endpoint.stop());

  it('scores over TLS when the client trusts the certificate', async () => {
    const c = new PredictionClient('localhost', endpoint.port, true, PRIMARY_KEY, 'mnv2', certPem);
    const r = await c.scoreFile(photo('coral/hot_dog.jpg'));
    assert.equal(r.outputs[OUTPUT].data.length, 1000);
    c.close();
  });

  it('a plaintext client cannot talk to the TLS port, and an untrusting TLS client fails with UNAVAILABLE', async () => {
    const plain = new PredictionClient('127.0.0.1', endpoint.port, false, PRIMARY_KEY, 'mnv2', undefined, {
      attempts: 1,
      deadlineMs: 3000,
    });
    await assert.rejects(plain.scoreFile(photo('coral/hot_dog.jpg')), (e) =>
      [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.INTERNAL].includes(code(e)),
    );
    plain.close();
    const untrusting = new PredictionClient('localhost', endpoint.port, true, PRIMARY_KEY, 'mnv2', undefined, {
      attempts: 1,
      deadlineMs: 3000,
    });
    await assert.rejects(untrusting.scoreFile(photo('coral/hot_dog.jpg')), (e) => code(e) === grpc.status.UNAVAILABLE);
    untrusting.close();
  });
});
