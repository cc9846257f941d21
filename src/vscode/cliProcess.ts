// Runs the bundled `accel` CLI (dist/cli.js) as a child process. Work that loads onnxruntime or sharp (conversion
// with its accuracy check) runs there, never in the extension host.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(extensionPath: string, home: string, args: string[]): Promise<CliResult> {
  const cli = path.join(extensionPath, 'dist', 'cli.js');
  return new Promise((resolve, reject) => {
    // ELECTRON_RUN_AS_NODE: in desktop VS Code process.execPath is Electron; this makes it plain Node.
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ACCEL_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a `--json` CLI command; its stderr message becomes the error (the CLI's messages say what to do). */
export async function cliJson<T>(extensionPath: string, home: string, args: string[]): Promise<T> {
  const r = await runCli(extensionPath, home, [...args, '--json']);
  if (r.code !== 0) {
    const message =
      r.stderr.trim().replace(/^error:\s*/i, '') || `accel ${args[0]} ${args[1] ?? ''} exited with code ${r.code}`;
    throw new AccelError(/cancel/i.test(message) ? 'Cancelled' : 'InvalidArgument', message);
  }
  return JSON.parse(r.stdout) as T;
}
