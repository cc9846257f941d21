// The compact Workspaces view with its Compute section, and the compute commands, in a real VS Code: one line per
// workspace (active mark, counts), computes as children (VM size × nodes, provisioning state, accelerator); Show,
// Delete refused while a service uses the compute, Detach, and Delete of a created cluster asking for Azure sign-in
// (no Microsoft account here; the ARM calls themselves are covered by test/integration/azure/compute.test.ts).
// Leaves no workspace behind (deleteCascade.test.ts and lifecycle.test.ts run after this file).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Compute } from '../../src/domain/types';
import type { ComputeTreeNode } from '../../src/vscode/trees/workspacesTree';
import { exec, execFailing, input, label, testApi } from './support/harness';

const WS = 'computes';
const NOW = '2026-12-01T10:00:00.000Z';

const created: Compute = {
  name: 'fpga-east',
  kind: 'aks',
  createdTime: NOW,
  properties: {},
  aks: {
    origin: 'created',
    resourceId:
      '/subscriptions/sub-1/resourceGroups/rg-vision/providers/Microsoft.ContainerService/managedClusters/fpga-east',
    subscriptionId: 'sub-1',
    resourceGroup: 'rg-vision',
    clusterName: 'fpga-east',
    vmSize: 'Standard_PB6s',
    agentCount: 2,
    location: 'eastus',
    provisioningState: 'Succeeded',
    accelerator: { kind: 'FPGA', resourceName: 'fpga.intel.com/arria10', count: 1 },
  },
};
const attached: Compute = {
  name: 'lab',
  kind: 'aks',
  createdTime: NOW,
  properties: {},
  aks: { origin: 'attached', kubeContext: 'lab-cluster', provisioningState: 'Attached' },
};

async function computeNodes(): Promise<ComputeTreeNode[]> {
  const api = await testApi();
  const ws = (await api.trees.workspaces.getChildren()).find((n) => label(n) === WS)!;
  return (await api.trees.workspaces.getChildren(ws)) as ComputeTreeNode[];
}

async function until(check: () => Promise<boolean>): Promise<void> {
  // The store watcher refreshes the view shortly after a commit; the suite's timeout bounds the wait.
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

describe('Workspaces view: compact, with computes', function () {
  this.timeout(120_000);

  afterEach(() => input.assertDone());

  after(async () => {
    const api = await testApi();
    if ((await api.ctx.store.listWorkspaces()).some((w) => w.name === WS)) {
      await api.ctx.store.update(WS, (s) => {
        s.services = [];
      });
      await vscode.commands.executeCommand('accel.workspace.delete', WS, { force: true });
    }
  });

  it('shows one line per workspace with counts, and its computes as children', async () => {
    const api = await testApi();
    await exec('accel.workspace.create', WS);
    await exec('accel.workspace.select', WS);
    await api.ctx.store.update(WS, (s) => {
      s.computes.push(created, attached);
      s.services.push({
        name: 'resnet-aks',
        imageId: 'resnet:1',
        target: 'kubernetes',
        computeName: 'fpga-east',
        tags: {},
        createdTime: NOW,
        updatedTime: NOW,
        port: 80,
        replicas: 1,
        authEnabled: false,
        kubernetes: { context: 'no-such-context', namespace: 'default', imageRef: 'x.azurecr.io/resnet:1' },
      });
    });
    await until(async () =>
      /2 computes/.test(
        String((await api.trees.workspaces.getChildren()).find((n) => label(n) === WS)?.item.description),
      ),
    );
    const ws = (await api.trees.workspaces.getChildren()).find((n) => label(n) === WS)!;
    assert.equal(ws.item.description, 'active · 1 service · 2 computes');
    assert.equal(ws.item.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    assert.match(String((ws.item.tooltip as vscode.MarkdownString).value), /fpga\\-east \\\(Standard\\_PB6s × 2/);

    const nodes = await computeNodes();
    assert.deepEqual(
      nodes.map((n) => [label(n), n.item.description, n.item.contextValue]),
      [
        ['fpga-east', 'Standard_PB6s × 2 · Succeeded · 1 × FPGA', 'compute;aks;created'],
        ['lab', 'lab-cluster · Attached', 'compute;aks;attached'],
      ],
    );
    assert.equal(nodes[0].item.id, `workspace/${WS}/compute/fpga-east`);
  });

  it('Show opens the compute as a document', async () => {
    const [node] = await computeNodes();
    const shown = await exec<Compute>('accel.compute.show', node);
    assert.equal(shown.name, 'fpga-east');
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.match(text, /^# Compute fpga-east/);
    assert.match(text, /\| Accelerator \| 1 × FPGA \(`fpga\.intel\.com\/arria10`\) \|/);
    assert.match(text, /\| Nodes \| 2 \|/);
  });

  it('Delete is refused while a service runs on the compute, before any question', async () => {
    const [node] = await computeNodes();
    const refused = await execFailing('accel.compute.delete', node);
    assert.equal(refused.code, 'HasDependents');
    assert.match(refused.message, /Cannot delete compute fpga-east: service resnet-aks runs on it/);
  });

  it('Detach forgets an attached cluster; Delete of a created one asks for Azure sign-in', async () => {
    const api = await testApi();
    const lab = (await computeNodes()).find((n) => label(n) === 'lab')!;
    input.script({ confirm: true });
    assert.deepEqual(await exec('accel.compute.detach', lab), { detached: 'lab' });
    await until(async () => (await computeNodes()).length === 1);

    await api.ctx.store.update(WS, (s) => {
      s.services = [];
    });
    const [node] = await computeNodes();
    input.script({ confirm: true });
    const err = await execFailing('accel.compute.delete', node);
    assert.equal(err.code, 'NotSignedIn');
    assert.match(err.message, /Sign in to Azure/);
    assert.deepEqual(
      (await api.ctx.store.read(WS)).computes.map((c) => c.name),
      ['fpga-east'],
      'nothing deleted',
    );
  });
});
