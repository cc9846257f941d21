import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_RECEIVE_BYTES, defaultMaxReceiveBytes } from '../../../src/emulator/frontend/serviceEndpoint';

describe('receive limit', () => {
  it('defaults to 64 MiB and follows ACCEL_MAX_RECEIVE_MB', () => {
    assert.equal(defaultMaxReceiveBytes({}), DEFAULT_MAX_RECEIVE_BYTES);
    assert.equal(DEFAULT_MAX_RECEIVE_BYTES, 64 * 1024 * 1024);
    assert.equal(defaultMaxReceiveBytes({ ACCEL_MAX_RECEIVE_MB: '256' }), 256 * 1024 * 1024);
  });

  it('refuses a value that is not a whole number of MiB, saying how to fix it', () => {
    for (const bad of ['0', '-1', '1.5', 'lots', '4096']) {
      assert.throws(
        () => defaultMaxReceiveBytes({ ACCEL_MAX_RECEIVE_MB: bad }),
        /ACCEL_MAX_RECEIVE_MB=.*whole number of MiB between 1 and 2047/,
        bad,
      );
    }
  });
});
