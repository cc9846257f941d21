// The local container engine (podman or Docker): which one, and running its commands with bounded output.
// Arguments always go as an argv array (no shell). Engine settings that depend on the machine (OCI runtime,
// default ulimits, network mode) come from the engine's own configuration (containers.conf, daemon.json).
import { spawn, spawnSync } from 'node:child_process';
import { AccelError } from '../domain/errors';

export type EngineName = 'podman' | 'docker';
export const ENGINES: EngineName[] = ['podman', 'docker'];

export interface Engine {
  name: EngineName;
  /** The command to run. */
  command: string;
}

function onPath(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
}

const INSTALL_HINT =
  'Install one: podman (Debian/Ubuntu: `sudo apt-get install podman`; Fedora: `sudo dnf install podman`) or Docker Engine (https://docs.docker.com/engine/install/), then retry. ' +
  'Without an engine, `accel image export <image> <dir>` still writes the build context to build elsewhere.';

/** `--engine`, else ACCEL_CONTAINER_ENGINE, else the first of podman and docker that runs. */
export function findEngine(requested?: string): Engine {
  const wanted = requested ?? process.env.ACCEL_CONTAINER_ENGINE;
  if (wanted !== undefined && wanted !== '') {
    if (!ENGINES.includes(wanted as EngineName))
      throw new AccelError('InvalidArgument', `Unknown container engine "${wanted}". Use podman or docker.`);
    const name = wanted as EngineName;
    if (!onPath(name))
      throw new AccelError(
        'Unavailable',
        `The container engine ${name} is not installed (or does not run): \`${name} --version\` failed. ${INSTALL_HINT}`,
      );
    return { name, command: name };
  }
  for (const name of ENGINES) if (onPath(name)) return { name, command: name };
  throw new AccelError(
    'Unavailable',
    `No container engine found: neither podman nor docker is on PATH. ${INSTALL_HINT}`,
  );
}

export function engineByName(name: EngineName): Engine {
  if (!onPath(name))
    throw new AccelError(
      'Unavailable',
      `The container engine ${name} that this service was deployed with is not installed any more. ${INSTALL_HINT}`,
    );
  return { name, command: name };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const MAX_CAPTURE = 4 * 1024 * 1024;

/** Runs `engine args…`; output beyond 4 MiB per stream keeps its tail. `onLine` sees every line as it comes. */
export function runEngine(
  engine: Engine,
  args: string[],
  options: { timeoutMs?: number; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(engine.command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const keep = (text: string) => (text.length > MAX_CAPTURE ? text.slice(-MAX_CAPTURE) : text);
    const lines = (chunk: string) => {
      if (!options.onLine) return;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) options.onLine(line);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout = keep(stdout + d.toString());
      lines(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = keep(stderr + d.toString());
      lines(d.toString());
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new AccelError('Unavailable', `Could not run ${engine.command}: ${e.message}. ${INSTALL_HINT}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (partial && options.onLine) options.onLine(partial);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs and returns stdout; a non-zero exit becomes an error that quotes the engine's own message. */
export async function engineOutput(engine: Engine, args: string[], what: string, timeoutMs = 120_000): Promise<string> {
  const r = await runEngine(engine, args, { timeoutMs });
  if (r.code !== 0)
    throw new AccelError(
      'Unavailable',
      `${what} failed: \`${engine.command} ${args[0]}\` exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`,
    );
  return r.stdout;
}

/** The engine's view of an image (labels, id, size), or undefined when it has no such image. */
export async function inspectImage(
  engine: Engine,
  reference: string,
): Promise<{ id: string; size: number; labels: Record<string, string> } | undefined> {
  const r = await runEngine(engine, ['image', 'inspect', reference], { timeoutMs: 60_000 });
  if (r.code !== 0) return undefined;
  const [info] = JSON.parse(r.stdout) as Array<{
    Id: string;
    Size: number;
    Config?: { Labels?: Record<string, string> };
    Labels?: Record<string, string>;
  }>;
  return { id: info.Id, size: info.Size, labels: info.Config?.Labels ?? info.Labels ?? {} };
}
