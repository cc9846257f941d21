// Runs the real bundled CLI (dist/cli.js) against a temp ACCEL_HOME, and checks the home's emulator host
// is gone at the end of a test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readHostInfo, stopHost } from '../../src/emulator/host/hostControl';
import { isProcessAlive } from '../../src/processAlive';
import { imagesDir, repoRoot } from './paths';

export const cliPath = path.join(repoRoot, 'dist', 'cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

export class AccelHome {
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-b2-'));
  private hostPids = new Set<number>();

  constructor(private readonly env: Record<string, string> = {}) {}

  /** Runs `accel ...args`; fails the test on a non-zero exit unless `expectFailure`. */
  async run(args: string[], options: { expectFailure?: boolean } = {}): Promise<CliResult> {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, ACCEL_HOME: this.home, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const info = readHostInfo(this.home);
    if (info) this.hostPids.add(info.pid);
    if (options.expectFailure) {
      assert.notEqual(code, 0, `expected accel ${args.join(' ')} to fail; stdout: ${stdout}`);
    } else {
      assert.equal(code, 0, `accel ${args.join(' ')} exited ${code}\nstderr: ${stderr}\nstdout: ${stdout}`);
    }
    let json: any;
    if (args.includes('--json') && code === 0) json = JSON.parse(stdout);
    return { code, stdout, stderr, json };
  }

  /** Every host pid seen while the test ran. */
  get pids(): number[] {
    const info = readHostInfo(this.home);
    if (info) this.hostPids.add(info.pid);
    return [...this.hostPids];
  }

  /** Stops the host and asserts that no host process of this home is left. */
  async cleanup(): Promise<void> {
    const pids = this.pids;
    await stopHost(this.home);
    for (const pid of pids) assert.equal(isProcessAlive(pid), false, `emulator host pid ${pid} is still running`);
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** The photos and the robust top-1 assertions of ../shared/data/README.md. */
interface Photo {
  file: string;
  accepts: (top1: number, top5: number[]) => boolean;
  expected: string;
}

const RELATIVE: Photo[] = [
  { file: 'skimage/coffee.png', accepts: (t) => t === 967, expected: '967 espresso' },
  { file: 'coral/parrot.jpg', accepts: (t) => t === 88, expected: '88 macaw' },
  { file: 'coral/hot_dog.jpg', accepts: (t) => t === 934, expected: '934 hot dog' },
  { file: 'coral/bird.bmp', accepts: (t) => t === 19, expected: '19 chickadee' },
  { file: 'coral/dragonfly.bmp', accepts: (t) => t === 319, expected: '319 dragonfly' },
  { file: 'skimage/chelsea.png', accepts: (t) => t >= 281 && t <= 285, expected: 'a cat class 281-285' },
  { file: 'coral/cat_720p.jpg', accepts: (t) => t >= 281 && t <= 285, expected: 'a cat class 281-285' },
  { file: 'coral/pets.jpg', accepts: (t) => t >= 151 && t <= 268, expected: 'a dog breed 151-268' },
  {
    file: 'coral/grace_hopper.bmp',
    accepts: (_t, top5) => top5.includes(652),
    expected: '652 military uniform in the top-5',
  },
];

export const PHOTOS: Photo[] = RELATIVE.map((p) => ({ ...p, file: path.join(imagesDir, p.file) }));

/** Creates workspace `ws` and image `mobilenet-image:1` of the real MobileNetV2 in `home`. */
export async function setupImage(home: AccelHome, ws: string, modelPath: string): Promise<void> {
  await home.run(['workspace', 'create', ws, '--json']);
  await home.run([
    'model',
    'register',
    modelPath,
    '--name',
    'mobilenet',
    '--preset',
    'mobilenetv2',
    '--json',
    '--workspace',
    ws,
  ]);
  await home.run(['image', 'create', 'mobilenet-image', '--model', 'mobilenet:1', '--json', '--workspace', ws]);
}
