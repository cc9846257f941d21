// accel.service.benchmark: latency histogram and throughput vs concurrency in the Benchmark panel.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AccelContext } from '../accelContext';
import type { BenchmarkView } from '../../panels/protocol';
import { ResultPanel } from '../panels/resultPanel';
import { runBenchmark } from '../../scoring/benchmarkRun';
import type { TreeNode } from '../trees/treeNode';
import { withProgress, type CommandRunner } from './commandRunner';
import { pickService } from './pickers';

export function registerBenchmarkCommand(run: CommandRunner, ctx: AccelContext): void {
  run.register(
    'accel.service.benchmark',
    async (node?: TreeNode, options?: { image?: string; levels?: number[]; requestsPerLevel?: number }) => {
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
      const view: BenchmarkView = {
        kind: 'benchmark',
        service: service.name,
        image: path.basename(image),
        histogram: [],
        levels: [],
        done: false,
      };
      const panel = ResultPanel.show(ctx.extension.extensionUri, view);
      const plan = { levels: options?.levels ?? [1, 2, 4], requestsPerLevel: options?.requestsPerLevel ?? 24 };
      const result = await withProgress(`Benchmarking ${service.name}`, (progress, cancel) =>
        runBenchmark(
          async () => (await scorer.scoreFile(image, 1)).latency.clientMs,
          plan,
          () => cancel.isCancellationRequested,
          (partial, fraction) => {
            progress.report({ message: `concurrency ${partial.levels.at(-1)?.concurrency}`, fraction });
            panel.update({ ...view, ...partial });
          },
        ),
      );
      const done: BenchmarkView = { ...view, ...result, done: true };
      panel.update(done);
      ctx.log.info(
        `benchmark ${service.name}: ${result.levels.map((l) => `c=${l.concurrency} ${l.throughputPerSec.toFixed(1)}/s p50 ${l.p50Ms.toFixed(1)} ms`).join('; ')}`,
      );
      return done;
    },
  );
}
