// The Supervisor tolerates a busy but live host: a host that misses fewer health checks in a row than the limit is
// left alone (a large request once made the healthy host miss one 5 s check and the extension killed it with every
// service on it); one that keeps missing them is replaced. The "host" is a small real process that records itself
// in a temp home and answers the control /health route, or holds the requests it is told to, so the test is
// ordered by what that process saw, not by the clock.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { HOST_INFO_FILE, Supervisor } from '../../../src/emulator/host/hostControl';

// Holds the next N /health requests unanswered after "hold N" on stdin ("hold -1": all); prints one line per request.
const FAKE_HOST = `
const http = require('node:http'); const fs = require('node:fs'); const path = require('node:path');
const [home, token] = process.argv.slice(1);
let hold = 0; let n = 0;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { for (const line of d.split('\\n')) if (line.startsWith('hold ')) hold = Number(line.slice(5)); });
const server = http.createServer((req, res) => {
  if (req.headers['x-accel-token'] !== token) { res.writeHead(401); return res.end(); }
  n++;
  if (hold !== 0) { hold--; console.log('held ' + n); return; }
  console.log('answered ' + n);
  res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ ok: true, pid: process.pid }));
});
server.listen(0, '127.0.0.1', () => {
  const info = { pid: process.pid, controlPort: server.address().port, token, startTime: new Date().toISOString(), version: 'fake', devices: 1, home };
  fs.writeFileSync(path.join(home, '${HOST_INFO_FILE}'), JSON.stringify(info));
  console.log('listening');
});
`;

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-sup-'));
let fake: ChildProcess | undefined;
let supervisor: Supervisor | undefined;

after(async () => {
  await supervisor?.stop();
  if (fake?.exitCode === null && fake.signalCode === null) fake.kill('SIGKILL');
  fs.rmSync(home, { recursive: true, force: true });
});

test(
  'a host that misses two checks in a row is kept; one that misses three is replaced',
  { timeout: 30_000 },
  async () => {
    fake = spawn(process.execPath, ['-e', FAKE_HOST, home, 'secret-token'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    let buffered = '';
    fake.stdout!.setEncoding('utf8');
    fake.stdout!.on('data', (d: string) => {
      buffered += d;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
      for (const w of waiters.splice(0)) w();
    });
    const waitFor = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    };
    await waitFor(() => lines.includes('listening'));

    supervisor = new Supervisor(home, {
      healthIntervalMs: 100,
      healthTimeoutMs: 300,
      missedChecksBeforeRestart: 3,
      initialBackoffMs: 60_000,
    });
    const events: string[] = [];
    supervisor.on('unresponsive', () => events.push('unresponsive'));
    supervisor.on('down', () => {
      events.push('down');
      void supervisor!.stop(); // no real host is started in a unit test
    });
    const client = await supervisor.start();
    assert.equal(client.info.pid, fake.pid, 'the supervisor adopted the running host');

    // Busy: two checks in a row go unanswered, then it answers again.
    const before = lines.length;
    fake.stdin!.write('hold 2\n');
    // (a check already on its way when "hold" was sent may still be answered first)
    const afterHold = () =>
      lines
        .slice(before)
        .map((l) => l.split(' ')[0])
        .join(' ')
        .replace(/^(answered )+/, '');
    await waitFor(() => afterHold().startsWith('held held answered'));
    assert.deepEqual(events, ['unresponsive', 'unresponsive'], 'two misses are reported, the host is not replaced');
    assert.equal(fake.exitCode, null, 'the busy host still runs');

    // Gone quiet for good: the third miss in a row replaces it.
    fake.stdin!.write('hold -1\n');
    const down = new Promise<void>((r) => supervisor!.once('down', () => r()));
    await down;
    assert.deepEqual(events, ['unresponsive', 'unresponsive', 'unresponsive', 'unresponsive', 'down']);
  },
);
