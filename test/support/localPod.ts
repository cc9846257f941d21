// A kubelet for one Deployment of the fake cluster: runs its container as the real standalone server
// (dist/emulator.js --standalone, what the exported image runs) on this machine, with the environment the pod spec
// gives it — keys from the keys Secret (secretKeyRef), TLS files from the TLS Secret volume — so a client that reads
// the service's address from the cluster really scores through it. `sync()` restarts it when the Secrets change, as
// a rollout would replace the pods; the fake's `ingressFor` points the LoadBalancer at `port`.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

type KubeObj = { spec?: Record<string, unknown>; data?: Record<string, string> } | undefined;

/** What the pod runner needs of the fake cluster (FakeKube has it). */
export interface ClusterObjects {
  get(kind: string, namespace: string, name: string): KubeObj;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class LocalPod {
  port = 0;
  private child?: ChildProcess;
  private running = '';
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-pod-'));
  output = '';

  constructor(
    private readonly cluster: ClusterObjects,
    private readonly namespace: string,
    private readonly name: string,
    /** dist/emulator.js */
    private readonly emulatorJs: string,
    /** The image's runtime manifest (JSON) and model file. */
    private readonly image: { manifest: object; modelFile: string },
    /** The node binary to run it with. */
    private readonly node = process.execPath,
  ) {}

  async init(): Promise<this> {
    this.port = await freePort();
    fs.writeFileSync(path.join(this.dir, 'manifest.json'), JSON.stringify(this.image.manifest));
    return this;
  }

  /** The container's environment as the kubelet resolves it; undefined while a referenced Secret is missing. */
  private resolve(): { env: Record<string, string>; files: Record<string, string> } | undefined {
    const dep = this.cluster.get('Deployment', this.namespace, this.name);
    const podSpec = (dep?.spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec;
    if (!podSpec) return undefined;
    const container = (
      podSpec.containers as Array<{ env?: EnvVar[]; volumeMounts?: Array<{ name: string; mountPath: string }> }>
    )[0];
    const volumes = (podSpec.volumes as Array<{ name: string; secret?: { secretName: string } }> | undefined) ?? [];
    const env: Record<string, string> = {};
    for (const v of container.env ?? []) {
      if (v.value !== undefined) env[v.name] = v.value;
      const ref = v.valueFrom?.secretKeyRef;
      if (ref) {
        const data = this.cluster.get('Secret', this.namespace, ref.name)?.data?.[ref.key];
        if (data === undefined) return undefined;
        env[v.name] = Buffer.from(data, 'base64').toString('utf8');
      }
    }
    const files: Record<string, string> = {};
    for (const m of container.volumeMounts ?? []) {
      const secretName = volumes.find((v) => v.name === m.name)?.secret?.secretName;
      if (!secretName) continue;
      const data = this.cluster.get('Secret', this.namespace, secretName)?.data;
      if (!data) return undefined;
      for (const [k, b64] of Object.entries(data))
        files[`${m.mountPath}/${k}`] = Buffer.from(b64, 'base64').toString('utf8');
    }
    return { env, files };
  }

  private queue: Promise<unknown> = Promise.resolve();

  /** Starts (or restarts, when the pod's keys or certificate changed) the server; resolves once it listens. */
  sync(): Promise<boolean> {
    // One sync at a time (a test's own call and the polling kubelet's may overlap).
    const next = this.queue.then(() => this.syncNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async syncNow(): Promise<boolean> {
    const spec = this.resolve();
    const fingerprint = JSON.stringify(spec ?? null);
    if (fingerprint === this.running && this.child) return true;
    await this.stop();
    if (!spec) return false;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...spec.env,
      ACCEL_PORT: String(this.port),
      ACCEL_HEALTH_PORT: String(await freePort()),
      ACCEL_BIND_HOST: '127.0.0.1',
    };
    // Secret volumes become files here; env paths into the mount point follow them.
    const mountDir = path.join(this.dir, 'mounts');
    fs.rmSync(mountDir, { recursive: true, force: true });
    for (const [file, text] of Object.entries(spec.files)) {
      const local = path.join(mountDir, file);
      fs.mkdirSync(path.dirname(local), { recursive: true });
      fs.writeFileSync(local, text, { mode: 0o600 });
    }
    for (const [k, v] of Object.entries(env)) if (v in spec.files) env[k] = path.join(mountDir, v);
    const child = spawn(
      this.node,
      [
        this.emulatorJs,
        '--standalone',
        '--manifest',
        path.join(this.dir, 'manifest.json'),
        '--model',
        this.image.modelFile,
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.child = child;
    this.running = fingerprint;
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`the pod's server exited: ${this.output.slice(-2000)}`);
      if (await connects(this.port)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the pod's server did not listen on ${this.port}: ${this.output.slice(-2000)}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.running = '';
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
