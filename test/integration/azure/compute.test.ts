// accel compute through the bundled CLI (dist/cli.js) in child processes: the real DefaultAzureCredential signs in
// through a fake `az` on PATH, and the real @azure/arm-containerservice and @azure/arm-compute clients talk to a
// local HTTPS ARM (FakeArmAks) that runs managedClusters as long-running operations.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Compute } from '../../../src/domain/types';
import { openStore } from '../../../src/store/fileStore';
import { repoRoot } from '../../support/paths';
import { FakeArmAks } from './support/fakeArmAks';
import { FakeKube } from './support/fakeKube';
import { HttpsFake, testToken } from './support/httpsFake';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const SUB = '6f1c2d3e-0000-4000-8000-00000000c0c0';
const RG = 'rg-vision';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('accel compute (CLI, AKS through a local ARM)', () => {
  let arm: HttpsFake;
  let aks: FakeArmAks;
  let kube: FakeKube;
  let tmp: string;
  let env: Record<string, string>;

  function start(args: string[]) {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { code: -1, stdout: '', stderr: '' };
    child.stdout.on('data', (d) => (run.stdout += d));
    child.stderr.on('data', (d) => (run.stderr += d));
    const done = new Promise<Run>((resolve) =>
      child.on('close', (code) => {
        run.code = code ?? 1;
        resolve(run);
      }),
    );
    return { child, run, done };
  }
  const accel = (args: string[]) => start(args).done;
  const computes = async (): Promise<Compute[]> => (await openStore(path.join(tmp, 'home')).read('vision')).computes;
  const managedClusterCalls = (method: string) => arm.find(method, /\/managedClusters\//);

  before(async () => {
    assert.ok(fs.existsSync(cli), 'run `npm run build` first');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-compute-'));
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    arm = await HttpsFake.start();
    kube = await FakeKube.start();
    aks = new FakeArmAks(
      arm,
      SUB,
      'eastus',
      [
        { family: 'cores', localName: 'Total Regional vCPUs', used: 10, limit: 100 },
        { family: 'standardPBSFamily', localName: 'Standard PBS Family vCPUs', used: 6, limit: 18 },
        { family: 'standardNCSv3Family', localName: 'Standard NCSv3 Family vCPUs', used: 0, limit: 24 },
      ],
      [
        { name: 'Standard_PB6s', family: 'standardPBSFamily', vcpus: 6 },
        { name: 'Standard_NC12s_v3', family: 'standardNCSv3Family', vcpus: 12, gpus: 2 },
      ],
    );
    aks.kubeconfig = kube.kubeconfig('outside-aks');
    const token = testToken({ upn: 'ops@contoso.example' });
    fs.writeFileSync(
      path.join(bin, 'az'),
      `#!/usr/bin/env node
const exp = Math.floor(Date.now() / 1000) + 3600;
process.stdout.write(JSON.stringify({ accessToken: ${JSON.stringify(token)}, expiresOn: new Date(exp * 1000).toISOString().replace('T', ' ').replace('Z', ''), expires_on: exp, subscription: '${SUB}', tenant: 'tenant-1', tokenType: 'Bearer' }));
`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(tmp, 'ca.pem'), arm.ca);
    fs.writeFileSync(path.join(tmp, 'kubeconfig'), kube.kubeconfig('lab-cluster'));
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(AZURE_|MSI_|IDENTITY_|ACCEL_|KUBECONFIG)/.test(k)),
    ) as Record<string, string>;
    env = {
      ...clean,
      PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
      ACCEL_HOME: path.join(tmp, 'home'),
      ACCEL_ARM_ENDPOINT: arm.url,
      ACCEL_ARM_POLL_MS: '20',
      NODE_EXTRA_CA_CERTS: path.join(tmp, 'ca.pem'),
      AZURE_TOKEN_CREDENTIALS: 'dev',
    };
    assert.equal((await accel(['workspace', 'create', 'vision'])).code, 0);
  });
  after(async () => {
    await arm?.close();
    await kube?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('create: quota checked, managed cluster PUT, provisioning state printed until Succeeded, the compute recorded', async () => {
    const r = await accel([
      'compute',
      'create',
      'fpga-east',
      '--vm-size',
      'Standard_PB6s',
      '--agent-count',
      '2',
      '--location',
      'East US',
      '--resource-group',
      RG,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /Quota: 2 × Standard_PB6s needs 12 vCPUs; 12 free in standardPBSFamily, 90 free in the region\./,
    );
    assert.match(r.stderr, /fpga-east: provisioning state Creating/);
    assert.match(r.stdout, /fpga-east {2}AKS Succeeded/);
    assert.match(r.stdout, /accelerator +1 × FPGA \(fpga\.intel\.com\/arria10\)/);

    const put = managedClusterCalls('PUT');
    assert.equal(put.length, 1);
    assert.equal(
      put[0].path,
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/fpga-east`,
    );
    assert.equal(put[0].query['api-version'], '2026-04-01');
    assert.equal(put[0].headers['if-none-match'], '*', 'never reconfigures a cluster made meanwhile');
    const body = put[0].body as any;
    assert.equal(body.location, 'eastus');
    assert.deepEqual(body.identity, { type: 'SystemAssigned' });
    assert.deepEqual(
      body.properties.agentPoolProfiles.map((p: any) => [p.name, p.mode, p.count, p.vmSize, p.osType]),
      [['agentpool', 'System', 2, 'Standard_PB6s', 'Linux']],
    );
    assert.equal(body.tags['accelerated-models-workspace'], 'vision');
    // The quota was read before the PUT.
    const order = arm.requests.map((q) => `${q.method} ${q.path}`);
    const usages = order.findIndex((x) => /\/usages$/.test(x));
    const putAt = order.findIndex((x) => x.startsWith('PUT '));
    assert.ok(usages >= 0 && usages < putAt, 'usages read before the PUT');
    assert.ok(arm.find('GET', /\/operations\/op-\d+$/).length >= 3, 'the async operation was polled until it settled');

    const [c] = await computes();
    assert.equal(c.name, 'fpga-east');
    assert.equal(c.kind, 'aks');
    assert.deepEqual(
      { ...c.aks, resourceId: undefined },
      {
        origin: 'created',
        resourceId: undefined,
        subscriptionId: SUB,
        resourceGroup: RG,
        clusterName: 'fpga-east',
        vmSize: 'Standard_PB6s',
        agentCount: 2,
        location: 'eastus',
        provisioningState: 'Succeeded',
        accelerator: { kind: 'FPGA', resourceName: 'fpga.intel.com/arria10', count: 1 },
      },
    );
    assert.match(c.aks!.resourceId!, /managedClusters\/fpga-east$/);

    const list = await accel(['--json', 'compute', 'list']);
    assert.deepEqual(
      JSON.parse(list.stdout).map((x: Compute) => [x.name, x.aks?.provisioningState]),
      [['fpga-east', 'Succeeded']],
    );
    const gets = managedClusterCalls('GET').length;
    const shown = await accel(['--json', 'compute', 'show', 'fpga-east']);
    assert.equal(JSON.parse(shown.stdout).aks.provisioningState, 'Succeeded');
    assert.equal(managedClusterCalls('GET').length, gets + 1, 'show reads the cluster from ARM');
  });

  it('create: refused before any PUT when vCPUs × agent count exceed the free family quota', async () => {
    const puts = managedClusterCalls('PUT').length;
    const r = await accel([
      'compute',
      'create',
      'too-big',
      '--vm-size',
      'Standard_PB6s',
      '--agent-count',
      '3',
      '--location',
      'eastus',
      '--resource-group',
      RG,
    ]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /Not enough quota: 3 × Standard_PB6s needs 18 vCPUs \(6 each\), but "Standard PBS Family vCPUs" in eastus has 12 free \(6 used of 18\)\. Ask for a limit of at least 24 at https:\/\/aka\.ms\/accelerateAI, or use --agent-count 2\. Nothing was created\./,
    );
    assert.equal(managedClusterCalls('PUT').length, puts, 'no PUT was sent');
    assert.deepEqual(
      (await computes()).map((c) => c.name),
      ['fpga-east'],
    );
  });

  it('create: refused (before the quota check and any PUT) when the cluster already exists in Azure', async () => {
    aks.addExisting(RG, 'taken', 'Standard_PB6s', 1);
    const puts = managedClusterCalls('PUT').length;
    const usages = arm.find('GET', /\/usages$/).length;
    const r = await accel(['compute', 'create', 'taken', '--resource-group', RG]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /An AKS cluster named taken already exists in resource group rg-vision.*accel compute attach taken --cluster \/subscriptions\//,
    );
    assert.equal(managedClusterCalls('PUT').length, puts);
    assert.equal(arm.find('GET', /\/usages$/).length, usages);
    aks.remove(RG, 'taken');
  });

  it('create: a provisioning failure surfaces the ARM error code and message and leaves no record', async () => {
    aks.failNextCreate(
      'gpu-west',
      'OverconstrainedAllocationRequest',
      'Allocation failed. VM(s) with the following constraints cannot be allocated.',
    );
    const r = await accel([
      'compute',
      'create',
      'gpu-west',
      '--vm-size',
      'Standard_NC12s_v3',
      '--agent-count',
      '1',
      '--location',
      'eastus',
      '--resource-group',
      RG,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Provisioning AKS cluster gpu-west failed: OverconstrainedAllocationRequest: Allocation failed\. VM\(s\) with the following constraints cannot be allocated\. Nothing was recorded/,
    );
    assert.match(r.stderr, /az aks delete -g rg-vision -n gpu-west/);
    assert.deepEqual(
      (await computes()).map((c) => c.name),
      ['fpga-east'],
    );
    assert.equal(aks.state(RG, 'gpu-west'), 'Failed');
  });

  it('create: Ctrl-C stops waiting, keeps the record as Creating and says Azure keeps going', async () => {
    aks.pollsPerOperation = 100_000;
    try {
      const p = start([
        'compute',
        'create',
        'slow-one',
        '--vm-size',
        'Standard_NC12s_v3',
        '--agent-count',
        '1',
        '--location',
        'eastus',
        '--resource-group',
        RG,
      ]);
      while (!/slow-one: provisioning state Creating/.test(p.run.stderr) && p.run.code === -1)
        await new Promise((r) => setTimeout(r, 20));
      p.child.kill('SIGINT');
      const r = await p.done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /Stopped waiting for AKS cluster slow-one; Azure keeps provisioning it/);
      const slow = (await computes()).find((c) => c.name === 'slow-one');
      assert.equal(slow?.aks?.provisioningState, 'Creating');
      assert.deepEqual(slow?.aks?.accelerator, { kind: 'GPU', resourceName: 'nvidia.com/gpu', count: 2 });
    } finally {
      aks.pollsPerOperation = 2;
    }
    // The cluster finishes in Azure; deleting the compute awaits the DELETE and removes the record.
    const d = await accel(['compute', 'delete', 'slow-one']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(aks.has(RG, 'slow-one'), false);
  });

  it('delete: refused while a service runs on the compute, naming it; then deletes the cluster and the record', async () => {
    const store = openStore(path.join(tmp, 'home'));
    const now = new Date().toISOString();
    await store.update('vision', (s) => {
      s.services.push({
        name: 'resnet-aks',
        imageId: 'resnet:1',
        target: 'kubernetes',
        computeName: 'fpga-east',
        tags: {},
        createdTime: now,
        updatedTime: now,
        port: 80,
        replicas: 1,
        authEnabled: false,
        kubernetes: { context: 'fpga-east', namespace: 'default', imageRef: 'x.azurecr.io/resnet:1' },
      });
    });
    const deletes = managedClusterCalls('DELETE').length;
    const refused = await accel(['compute', 'delete', 'fpga-east']);
    assert.equal(refused.code, 4);
    assert.match(
      refused.stderr,
      /Cannot delete compute fpga-east: service resnet-aks runs on it\. Delete it first \(`accel service delete resnet-aks`\)/,
    );
    assert.equal(managedClusterCalls('DELETE').length, deletes, 'no DELETE was sent');
    assert.equal((await accel(['compute', 'detach', 'fpga-east'])).code, 4);

    await store.update('vision', (s) => {
      s.services = [];
    });
    const r = await accel(['compute', 'delete', 'fpga-east']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /fpga-east: provisioning state Deleting/);
    assert.equal(managedClusterCalls('DELETE').length, deletes + 1);
    assert.equal(aks.has(RG, 'fpga-east'), false);
    assert.deepEqual(await computes(), []);
  });

  it('attach: an AKS cluster by resource id (GET + user credentials) and a kubeconfig context; detach leaves them', async () => {
    const id = aks.addExisting('rg-shared', 'shared-aks', 'Standard_NC12s_v3', 3);
    const r = await accel(['--json', 'compute', 'attach', 'shared', '--cluster', id]);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Compute;
    assert.deepEqual(
      [c.aks?.origin, c.aks?.vmSize, c.aks?.agentCount, c.aks?.location, c.aks?.provisioningState],
      ['attached', 'Standard_NC12s_v3', 3, 'eastus', 'Succeeded'],
    );
    assert.deepEqual(c.aks?.accelerator, { kind: 'GPU', resourceName: 'nvidia.com/gpu', count: 2 });
    assert.equal(arm.find('POST', /shared-aks\/listClusterUserCredential$/).length, 1);

    const k = await accel([
      '--json',
      'compute',
      'attach',
      'lab',
      '--kube-context',
      'lab-cluster',
      '--kubeconfig',
      path.join(tmp, 'kubeconfig'),
      '--vm-size',
      'Standard_NP10s',
      '--accelerator-resource',
      'xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_2_1-0',
    ]);
    assert.equal(k.code, 0, k.stderr);
    const lab = JSON.parse(k.stdout) as Compute;
    assert.equal(lab.aks?.kubeContext, 'lab-cluster');
    assert.deepEqual(lab.aks?.accelerator, {
      kind: 'FPGA',
      resourceName: 'xilinx.com/fpga-xilinx_u250_gen3x16_xdma_shell_2_1-0',
      count: 1,
    });
    const missing = await accel([
      'compute',
      'attach',
      'nope',
      '--kube-context',
      'nope',
      '--kubeconfig',
      path.join(tmp, 'kubeconfig'),
    ]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /no context "nope" \(contexts: lab-cluster\)/);

    // An attached cluster is never deleted from here.
    const del = await accel(['compute', 'delete', 'shared']);
    assert.equal(del.code, 2);
    assert.match(del.stderr, /was attached, not created by Accelerated Models/);
    assert.equal(aks.has('rg-shared', 'shared-aks'), true, 'the attached cluster is left alone');
    // A cluster deleted outside: show says so, and detach forgets it.
    aks.remove('rg-shared', 'shared-aks');
    const gone = await accel(['compute', 'show', 'shared']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.match(gone.stdout, /^shared {2}AKS NotFound \(attached\)/);
    for (const name of ['shared', 'lab']) assert.equal((await accel(['compute', 'detach', name])).code, 0);
    assert.deepEqual(await computes(), []);
  });

  it('hostile names and values are refused before any ARM call', async () => {
    const before = arm.requests.length;
    const cases: [string[], RegExp][] = [
      [['compute', 'create', '../etc', '--resource-group', RG], /is not a valid compute name/],
      [['compute', 'create', 'ok-name', '--resource-group', 'rg/../../x'], /is not a resource group name/],
      [['compute', 'create', 'ok-name', '--resource-group', RG, '--vm-size', 'Standard_PB6s/../x'], /is not a VM size/],
      [['compute', 'create', 'ok-name', '--resource-group', RG, '--location', 'east us?x=1'], /is not an Azure region/],
      [
        ['compute', 'create', 'ok-name', '--resource-group', RG, '--agent-count', '1e3'],
        /--agent-count 1e3 is not a whole number/,
      ],
      [['compute', 'create', 'ok-name', '--resource-group', RG, '--agent-count', '0'], /from 1 to 100/],
      [
        [
          'compute',
          'attach',
          'ok-name',
          '--cluster',
          `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/a/../../b`,
        ],
        /is not an AKS cluster resource id/,
      ],
      [['compute', 'attach', 'ok-name', '--kube-context', 'bad\u0001ctx'], /must be a kubeconfig context name/],
      [['compute', 'attach', 'ok-name'], /exactly one of --cluster/],
      [['compute', 'show', 'Nope!'], /"Nope!" is not a valid compute name/],
      [['compute', 'delete', '../../x'], /is not a valid compute name/],
    ];
    for (const [args, pattern] of cases) {
      const r = await accel(args);
      assert.ok(r.code === 2 || r.code === 3, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
    }
    assert.equal(
      arm.requests.slice(before).filter((q) => /ContainerService|Microsoft\.Compute/.test(q.path)).length,
      0,
      'no ARM call for a refused input',
    );
  });
});
