import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isAccelError } from '../../../src/domain/errors';
import { withLock } from '../../../src/store/lock';

function deadPid(): number {
  // A process that has exited: its pid is free (reuse within the test is practically impossible).
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('withLock', () => {
  it('breaks a lock left by a dead process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-lock-'));
    const file = path.join(dir, '.lock');
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), host: os.hostname(), since: new Date().toISOString() }));
    assert.equal(await withLock(file, 'Test', () => 42), 42);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('waits for a live holder, then reports Busy naming its pid', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-lock-'));
    const file = path.join(dir, '.lock');
    // The parent of this process is alive and is not us: a live foreign holder.
    fs.writeFileSync(
      file,
      JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }),
    );
    await assert.rejects(
      withLock(file, 'Workspace "w"', () => 1, 200),
      (e) =>
        isAccelError(e, 'Busy') &&
        e.message.includes(`process ${process.ppid}`) &&
        /Workspace "w" is busy/.test(e.message),
    );
    assert.ok(fs.existsSync(file), 'a live holder keeps its lock');
  });
});
