import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAccelError } from '../../../src/domain/errors';
import { authorize, keyMatches, sha256Hex } from '../../../src/emulator/frontend/auth';
import { DevicePool } from '../../../src/emulator/runtime/devicePool';

const auth = { enabled: true, keyHashes: [sha256Hex('k1'), sha256Hex('k2')] };
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('auth', () => {
  it('accepts either key, Bearer in any case, or a bare key', () => {
    for (const value of ['Bearer k1', 'bearer k2', 'BEARER   k1 ', 'k2'])
      assert.equal(authorize(headers({ authorization: value }), auth, 's'), undefined, value);
  });
  it('rejects missing and wrong keys as unauthenticated, with the fix in the message', () => {
    assert.equal(authorize(headers({}), auth, 's')?.kind, 'unauthenticated');
    assert.match(authorize(headers({ authorization: 'Bearer nope' }), auth, 's')!.message, /accel service keys s/);
    assert.equal(authorize(headers({ authorization: 'Bearer ' }), auth, 's')?.kind, 'unauthenticated');
    assert.equal(keyMatches('k1', ['zz']), false, 'a malformed hash never matches');
  });
  it('checks the AML route header when present', () => {
    assert.equal(
      authorize(headers({ authorization: 'Bearer k1', 'x-ms-aml-grpc-service-route': '/api/v1/service/s' }), auth, 's'),
      undefined,
    );
    assert.equal(
      authorize(headers({ authorization: 'Bearer k1', 'x-ms-aml-grpc-service-route': 's' }), auth, 's'),
      undefined,
    );
    assert.equal(
      authorize(headers({ authorization: 'Bearer k1', 'x-ms-aml-grpc-service-route': '/api/v1/service/t' }), auth, 's')
        ?.kind,
      'wrongService',
    );
  });
  it('lets everything through when auth is off', () => {
    assert.equal(authorize(headers({}), { enabled: false, keyHashes: [] }, 's'), undefined);
  });
});

describe('DevicePool', () => {
  it('hands out whole devices and names the holders when full', () => {
    const pool = new DevicePool(3);
    assert.deepEqual(pool.acquire('a', 2), [0, 1]);
    assert.deepEqual(pool.acquire('b', 1), [2]);
    assert.throws(
      () => pool.acquire('c', 1),
      (e) =>
        isAccelError(e, 'Busy') &&
        /"a" \(devices 0, 1\), "b" \(device 2\)/.test(e.message) &&
        /accel service delete/.test(e.message),
    );
    assert.throws(
      () => pool.acquire('d', 4),
      (e) => isAccelError(e, 'Unavailable') && /only 3/.test(e.message),
    );
    assert.throws(
      () => pool.acquire('a', 1),
      (e) => isAccelError(e, 'Busy'),
    );
    pool.release('a');
    assert.deepEqual(pool.acquire('c', 2), [0, 1]);
    assert.deepEqual(pool.snapshot(), {
      count: 3,
      devices: [
        { id: 0, owner: 'c' },
        { id: 1, owner: 'c' },
        { id: 2, owner: 'b' },
      ],
    });
    assert.throws(
      () => new DevicePool(0),
      (e) => isAccelError(e, 'InvalidArgument'),
    );
  });
});
