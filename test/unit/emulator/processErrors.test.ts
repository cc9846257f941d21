// An emulator process keeps serving after an error no handler caught (Node's default is to exit, which took
// every service of every workspace down): the error is logged with its stack, at most 20 a minute. A real child
// process installs the policy, throws from timers and leaves a rejection unhandled, then still answers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';

const modulePath = path.resolve(__dirname, '../../../src/emulator/host/processErrors.ts');
const CHILD = `
const { keepServingOnUncaughtErrors } = require(${JSON.stringify(modulePath)});
const lines = [];
keepServingOnUncaughtErrors({ info() {}, warn() {}, error: (m) => lines.push(m) });
for (let i = 0; i < 30; i++) setTimeout(() => { throw new Error('thrown from timer ' + i); }, 1);
setTimeout(() => void Promise.reject(new Error('nobody catches this')), 5);
setTimeout(() => { console.log(JSON.stringify(lines)); process.exit(0); }, 200);
`;

test(
  'uncaught exceptions and unhandled rejections are logged (capped at 20 a minute) and the process keeps running',
  { timeout: 30_000 },
  async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, `the process ran to its own end: ${err}`);
    const lines = JSON.parse(out) as string[];
    assert.equal(lines.length, 20, 'the first 20 are logged, the rest of the burst is counted');
    assert.match(
      lines[0],
      /^uncaught exception \(the process keeps serving; please report this with the log\): Error: thrown from timer 0\n\s+at /,
    );
    assert.ok(!lines.some((l) => l.includes('nobody catches this')), 'the rejection came after the cap');
  },
);

test('an unhandled rejection is logged, not fatal', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD.replace('i < 30', 'i < 0')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 0);
  const lines = JSON.parse(out) as string[];
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^unhandled rejection \(the process keeps serving; please report this with the log\): Error: nobody catches this/,
  );
});
