// The bundled CLI (dist/cli.js) in child processes: @azure/identity's real DefaultAzureCredential (narrowed to
// the developer chain with AZURE_TOKEN_CREDENTIALS=dev, so nothing probes a managed-identity endpoint) signs in
// through an `az` executable on PATH that answers `az account get-access-token` like the Azure CLI does; ARM is a
// local HTTPS server (ACCEL_ARM_ENDPOINT) trusted through NODE_EXTRA_CA_CERTS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createImage } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath, repoRoot } from '../../support/paths';
import { FakeKube } from './support/fakeKube';
import { HttpsFake, testToken } from './support/httpsFake';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const SUB_ID = '6f1c2d3e-0000-4000-8000-00000000b001';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('accel azure (CLI, real DefaultAzureCredential)', () => {
  let arm: HttpsFake;
  let kube: FakeKube;
  let tmp: string;
  let bin: string;
  let env: Record<string, string>;
  const token = testToken({ upn: 'ops@contoso.example', tid: '72f988bf-0000-4000-8000-000000000001' });

  function writeAz(mode: 'signed-in' | 'signed-out'): void {
    const script =
      mode === 'signed-in'
        ? `#!/usr/bin/env node
require('fs').appendFileSync(process.env.FAKE_AZ_LOG, JSON.stringify(process.argv.slice(2)) + '\\n');
const exp = Math.floor(Date.now() / 1000) + 3600;
process.stdout.write(JSON.stringify({ accessToken: ${JSON.stringify(token)}, expiresOn: new Date(exp * 1000).toISOString().replace('T', ' ').replace('Z', ''), expires_on: exp, subscription: '${SUB_ID}', tenant: '72f988bf-0000-4000-8000-000000000001', tokenType: 'Bearer' }));
`
        : `#!/usr/bin/env node
process.stderr.write("ERROR: Please run 'az login' to setup account.\\n");
process.exit(1);
`;
    fs.writeFileSync(path.join(bin, 'az'), script, { mode: 0o755 });
  }

  function accel(args: string[]): Promise<Run> {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
  }

  before(async () => {
    assert.ok(fs.existsSync(cli), 'run `node scripts/build.mjs` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-azcli-'));
    bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    arm = await HttpsFake.start();
    kube = await FakeKube.start();
    fs.writeFileSync(path.join(tmp, 'ca.pem'), arm.ca);
    fs.writeFileSync(path.join(tmp, 'kubeconfig'), kube.kubeconfig('dev-cluster'));
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(AZURE_|MSI_|IDENTITY_|ACCEL_)/.test(k)),
    ) as Record<string, string>;
    env = {
      ...clean,
      PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
      ACCEL_HOME: path.join(tmp, 'home'),
      ACCEL_ARM_ENDPOINT: arm.url,
      NODE_EXTRA_CA_CERTS: path.join(tmp, 'ca.pem'),
      AZURE_TOKEN_CREDENTIALS: 'dev',
      FAKE_AZ_LOG: path.join(tmp, 'az.log'),
    };
    arm.route('GET', /^\/subscriptions$/, () => ({
      json: {
        value: [
          {
            id: `/subscriptions/${SUB_ID}`,
            subscriptionId: SUB_ID,
            displayName: 'Contoso Dev',
            state: 'Enabled',
            tenantId: '72f988bf-0000-4000-8000-000000000001',
          },
        ],
      },
    }));
    arm.route(
      'GET',
      new RegExp(`^/subscriptions/${SUB_ID}/providers/Microsoft.Compute/locations/westus2/usages$`),
      () => ({
        json: {
          value: [
            {
              unit: 'Count',
              currentValue: 0,
              limit: 350,
              name: { value: 'cores', localizedValue: 'Total Regional vCPUs' },
            },
            {
              unit: 'Count',
              currentValue: 6,
              limit: 6,
              name: { value: 'standardPBSFamily', localizedValue: 'Standard PBS Family vCPUs' },
            },
          ],
        },
      }),
    );
    arm.route('GET', new RegExp(`^/subscriptions/${SUB_ID}/providers/Microsoft.Compute/skus$`), () => ({
      json: {
        value: [
          {
            resourceType: 'virtualMachines',
            name: 'Standard_PB6s',
            family: 'standardPBSFamily',
            locations: ['westus2'],
            capabilities: [{ name: 'vCPUs', value: '6' }],
            restrictions: [],
          },
        ],
      },
    }));
    arm.route(
      'GET',
      new RegExp(`^/subscriptions/${SUB_ID}/providers/Microsoft.MachineLearningServices/workspaces$`),
      () => ({
        json: {
          value: [
            {
              id: `/subscriptions/${SUB_ID}/resourceGroups/rg-vision/providers/Microsoft.MachineLearningServices/workspaces/vision`,
              name: 'vision',
              location: 'westus2',
              properties: {},
            },
          ],
        },
      }),
    );
  });
  after(async () => {
    await arm.close();
    await kube.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('login-status: not signed in → exit 6 and how to sign in', async () => {
    writeAz('signed-out');
    const r = await accel(['azure', 'login-status']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /Not signed in to Azure/);
    assert.match(r.stderr, /az login/);
    assert.equal(r.stdout, '');
  });

  it('login-status: signed in through the Azure CLI → account, tenant, expiry', async () => {
    writeAz('signed-in');
    const r = await accel(['azure', 'login-status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.signedIn, true);
    assert.equal(status.account, 'ops@contoso.example');
    assert.equal(status.tenantId, '72f988bf-0000-4000-8000-000000000001');
    const calls = fs
      .readFileSync(env.FAKE_AZ_LOG, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(calls.at(-1).slice(0, 5), ['account', 'get-access-token', '--output', 'json', '--resource']);
    assert.equal(calls.at(-1)[5], 'https://management.azure.com');
  });

  it('subscriptions and workspaces use the token against ARM', async () => {
    const subs = await accel(['azure', 'subscriptions', '--json']);
    assert.equal(subs.code, 0, subs.stderr);
    assert.deepEqual(
      JSON.parse(subs.stdout).map((s: { name: string }) => s.name),
      ['Contoso Dev'],
    );
    assert.equal(arm.find('GET', /^\/subscriptions$/).at(-1)!.headers.authorization, `Bearer ${token}`);
    const ws = await accel(['azure', 'workspaces']);
    assert.equal(ws.code, 0, ws.stderr);
    assert.match(
      ws.stdout,
      /^WORKSPACE\s+REGION\s+RESOURCE GROUP\s+SUBSCRIPTION\nvision\s+westus2\s+rg-vision\s+Contoso Dev$/m,
    );
  });

  it('quota exhausted → the table and "request quota" with the link', async () => {
    const r = await accel(['azure', 'quota', '--location', 'westus2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FPGA\s+Standard PBS Family vCPUs\s+6\s+6\s+0/);
    assert.match(r.stdout, /Standard_PB6s\s+FPGA\s+6\s+1\s+available/);
    assert.match(
      r.stdout,
      /Request quota: "Standard PBS Family vCPUs" in westus2 has limit 6 with 6 used, and 1 × Standard_PB6s needs 6 vCPUs\. Ask for a limit of at least 12 at https:\/\/aka\.ms\/accelerateAI\./,
    );
    const j = await accel(['azure', 'quota', '--location', 'westus2', '--json']);
    const report = JSON.parse(j.stdout);
    assert.equal(report.verdict.ok, false);
    assert.equal(report.verdict.maxReplicas, 0);
    assert.equal(report.families[0].available, 0);
  });

  it('service deploy --target kubernetes, then show, keys, regen-key, update, logs, delete through the same verbs', async () => {
    const store = openStore(env.ACCEL_HOME);
    await store.createWorkspace('k8s');
    await registerModel(store, 'k8s', { name: 'mobilenet', path: mobilenetPath });
    await createImage(store, 'k8s', 'mobilenet', 'mobilenet:1');
    const kc = ['--kubeconfig', path.join(tmp, 'kubeconfig')];
    const w = ['--workspace', 'k8s'];

    const deployed = await accel([
      'service',
      'deploy',
      'mnet',
      '--image',
      'mobilenet',
      '--target',
      'kubernetes',
      ...kc,
      '--namespace',
      'models',
      '--image-ref',
      'myacr.azurecr.io/mobilenet:1',
      '--max',
      '4',
      '--allow-plaintext',
      '--json',
      ...w,
    ]);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stderr, /Warning: .*unencrypted across the network/, 'plain text allowed, with a warning');
    const view = JSON.parse(deployed.stdout);
    assert.deepEqual(
      [view.target, view.context, view.namespace, view.state, view.scoringUri],
      ['kubernetes', 'dev-cluster', 'models', 'Running', 'grpc://127.0.0.1:80'],
    );
    assert.deepEqual(
      view.autoscale,
      { min: 1, max: 4, targetUtilization: 70 },
      'no --replicas: autoscale, as the original service',
    );
    assert.equal(
      (kube.get('HorizontalPodAutoscaler', 'models', 'mnet')?.spec as { maxReplicas: number }).maxReplicas,
      4,
    );

    const shown = await accel(['service', 'show', 'mnet', '--json', ...w]);
    assert.equal(JSON.parse(shown.stdout).imageRef, 'myacr.azurecr.io/mobilenet:1');
    const listed = JSON.parse((await accel(['service', 'list', '--json', ...w])).stdout);
    assert.deepEqual(
      listed.map((s: { name: string; target: string; state: string }) => [s.name, s.target, s.state]),
      [['mnet', 'kubernetes', 'Running']],
      'list asks the cluster (never reports a cluster service as a stopped local one)',
    );
    const keys = JSON.parse((await accel(['service', 'keys', 'mnet', '--json', ...w])).stdout);
    const regen = await accel(['service', 'regen-key', 'mnet', 'secondary', '--json', ...w]);
    assert.equal(regen.code, 0, regen.stderr);
    const after = JSON.parse(regen.stdout);
    assert.equal(after.primaryKey, keys.primaryKey);
    assert.notEqual(after.secondaryKey, keys.secondaryKey);

    const updated = await accel(['service', 'update', 'mnet', '--replicas', '2', '--json', ...w]);
    assert.equal(updated.code, 0, updated.stderr);
    const scaled = JSON.parse(updated.stdout);
    assert.deepEqual([scaled.replicas, scaled.ready, scaled.desired], [2, 2, 2]);
    assert.equal(kube.get('HorizontalPodAutoscaler', 'models', 'mnet'), undefined);

    const logs = await accel(['service', 'logs', 'mnet', '--lines', '20', ...w]);
    assert.match(logs.stdout, /==> pod (mnet-[a-z0-9-]+) \(Running\) <==\npod \1 container model tail 20/);

    const del = await accel(['service', 'delete', 'mnet', ...w]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(kube.get('Deployment', 'models', 'mnet'), undefined);
    const list = JSON.parse((await accel(['service', 'list', '--json', ...w])).stdout);
    assert.deepEqual(list, []);
  });
});
