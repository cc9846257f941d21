import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { seal, secretKeyPath, unseal } from '../../../src/store/sealedSecrets';

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'accel-sealed-'));
}

test('seal/unseal round-trips and never stores the plain text', () => {
  const home = tempHome();
  const secret = 'k3y-' + 'x'.repeat(40);
  const sealed = seal(home, secret);
  assert.ok(!sealed.includes(secret));
  assert.notEqual(seal(home, secret), sealed, 'a fresh IV each time');
  assert.equal(unseal(home, sealed), secret);
});

test('the key file is created once, 32 bytes, owner-only', () => {
  const home = tempHome();
  seal(home, 'a');
  const file = secretKeyPath(home);
  const before = fs.readFileSync(file);
  assert.equal(before.length, 32);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  seal(home, 'b');
  assert.deepEqual(fs.readFileSync(file), before);
});

test('tampered ciphertext or another home key is refused with what to do', () => {
  const home = tempHome();
  const sealed = seal(home, 'secret');
  const raw = Buffer.from(sealed.slice(3), 'base64');
  raw[raw.length - 1] ^= 1;
  assert.throws(() => unseal(home, 'v1:' + raw.toString('base64')), /regen-key/);
  assert.throws(() => unseal(tempHome(), sealed), /cannot be opened/);
  assert.throws(() => unseal(home, 'plain'), /unknown format/);
});
