// accel.service.benchmark: warm-up, then per concurrency level throughput, p50/p90/p99, a latency histogram and the
// server's timings in the Benchmark panel; the previous run of the same service (workspaceState) to compare with.
// accel.benchmark.export writes the shown run as JSON or CSV.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccelError } from '../../domain/errors';
import { benchmarkCsv, benchmarkJson } from '../../panels/benchmarkExport';
import type { BenchmarkRun, BenchmarkView } from '../../panels/protocol';
import { benchmarkPlan, runBenchmark, type BenchmarkOptions } from '../../scoring/benchmarkRun';
import type { AccelContext } from '../accelContext';
import { ResultPanel } from '../panels/resultPanel';
import type { TreeNode } from '../trees/treeNode';
import { noBack } from '../ui';
import { withProgress, type CommandRunner } from './commandRunner';
import { pickService } from './pickers';

const lastRunKey = (ws: string, service: string) => `accel.benchmark.lastRun:${ws}/${service}`;

export function registerBenchmarkCommand(run: CommandRunner, ctx: AccelContext): void {
  /** The panel's Export buttons of the latest run (one listener, however many runs). */
  let exportButtons: vscode.Disposable | undefined;

  async function exportRun(view: BenchmarkRun, format: 'json' | 'csv', target?: vscode.Uri): Promise<string> {
    const stamp = view.startedAt.replace(/[:.]/g, '-');
    const uri =
      target ??
      (await ctx.ui.saveDialog({
        title: `Export benchmark of ${view.service} as ${format.toUpperCase()}`,
        defaultUri: vscode.Uri.joinPath(
          vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()),
          `benchmark-${view.service}-${stamp}.${format}`,
        ),
        filters: format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] },
      }));
    fs.writeFileSync(uri.fsPath, format === 'json' ? benchmarkJson(view) : benchmarkCsv(view));
    void vscode.window.showInformationMessage(`Saved the benchmark of ${view.service} to ${uri.fsPath}.`);
    return uri.fsPath;
  }

  run.register('accel.service.benchmark', async (node?: TreeNode, options?: BenchmarkOptions) => {
    const config = vscode.workspace.getConfiguration('accel');
    const plan = benchmarkPlan(options, (key) => config.get<unknown>(`benchmark.${key}`));
    const { ws, value: service } = await pickService(ctx, node, 'Run Benchmark');
    const image =
      options?.image ??
      (
        await ctx.ui.openDialog({
          title: 'Image to score repeatedly',
          canSelectMany: false,
          filters: { Images: ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp'] },
        })
      )[0].fsPath;
    await ctx.readyToScore(ws, service);
    const scorer = await ctx.scorers.get(ws, service);
    const key = lastRunKey(ws, service.name);
    const previous = ctx.extension.workspaceState.get<BenchmarkRun>(key);
    const view: BenchmarkView = {
      kind: 'benchmark',
      service: service.name,
      image: path.basename(image),
      startedAt: new Date().toISOString(),
      requestsPerLevel: plan.requestsPerLevel,
      warmupRequests: plan.warmupRequests,
      levels: [],
      done: false,
      ...(previous ? { previous } : {}),
    };
    const panel = ResultPanel.show(ctx.extension.extensionUri, view);
    exportButtons?.dispose();
    exportButtons = panel.onMessage((m) => {
      if (m.type === 'exportBenchmark') void vscode.commands.executeCommand('accel.benchmark.export', m.format);
    });
    const result = await withProgress(`Benchmarking ${service.name}`, (progress, cancel) =>
      runBenchmark(
        async () => (await scorer.scoreFile(image, 1)).latency,
        plan,
        () => cancel.isCancellationRequested,
        (partial, fraction) => {
          const at = partial.levels.at(-1);
          progress.report({ message: at ? `concurrency ${at.concurrency}` : 'warmed up', fraction });
          panel.update({ ...view, levels: partial.levels });
        },
      ),
    );
    const done: BenchmarkView = { ...view, levels: result.levels, done: true };
    panel.update(done);
    // Only a complete run becomes the one the next run compares with.
    if (result.levels.length === plan.levels.length) {
      const { service: s, image: i, startedAt, requestsPerLevel, warmupRequests, levels } = done;
      await ctx.extension.workspaceState.update(key, {
        service: s,
        image: i,
        startedAt,
        requestsPerLevel,
        warmupRequests,
        levels,
      } satisfies BenchmarkRun);
    }
    ctx.log.info(
      `benchmark ${service.name} (${result.warmup.requests} warm-up, ${result.warmup.errors} failed): ${result.levels.map((l) => `c=${l.concurrency} ${l.throughputPerSec.toFixed(1)}/s p50 ${l.p50Ms.toFixed(1)} ms p99 ${l.p99Ms.toFixed(1)} ms`).join('; ')}`,
    );
    return done;
  });

  run.register('accel.benchmark.export', async (format?: 'json' | 'csv', target?: string) => {
    const view = ResultPanel.get('benchmark')?.lastShown;
    if (!view || view.kind !== 'benchmark' || !view.done)
      throw new AccelError('NotFound', 'There is no finished benchmark to export. Run Benchmark on a service first.');
    const chosen =
      format ??
      noBack(
        await ctx.ui.pick({
          title: 'Export the benchmark as',
          items: [
            { label: 'JSON', description: 'plan, percentiles, histograms, server timings', value: 'json' as const },
            { label: 'CSV', description: 'one row per concurrency level', value: 'csv' as const },
          ],
        }),
      );
    if (chosen !== 'json' && chosen !== 'csv')
      throw new AccelError('InvalidArgument', `Export as "json" or "csv", not ${JSON.stringify(chosen)}.`);
    return exportRun(view, chosen, target ? vscode.Uri.file(target) : undefined);
  });
}
