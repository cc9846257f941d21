// `accel score <service> <file>... [--top 5]` — scores image files against a deployed service over gRPC, as any
// TF Serving client would: the service's primary key as a Bearer token, its certificate as the TLS root.
import type { Command } from 'commander';
import * as fs from 'node:fs';
import type { Timings } from '../../client/predictionClient';
import type { Prediction } from '../../client/topK';
import { AccelError } from '../../domain/errors';
import { findService, scoringUri } from '../../core/services';
import { startHost, waitForService } from '../../emulator/host/hostControl';
import { ServiceScorer } from '../../scoring/serviceScorer';
import { action, nounCommand } from '../context';
import { scoringTarget } from '../../services/deployService';
import { cliArmContext } from './azure';
import { printJson, printLine } from '../output';

export interface FileScore {
  file: string;
  top: Prediction[];
  timings: Timings;
}

export function register(program: Command): void {
  program
    .command('score <service> <files...>')
    .description(
      'Score image files (JPEG/PNG/GIF/WebP/BMP) against a deployed service; prints the top-k labels and timings',
    )
    .option('--top <k>', 'how many classes to show', '5')
    .action(
      action(async (ctx, serviceName: string, files: string[], opts: { top: string }) => {
        const workspace = await ctx.workspace();
        const k = Number(opts.top);
        if (!Number.isInteger(k) || k < 1)
          throw new AccelError(
            'InvalidArgument',
            `--top ${opts.top} is not valid. Give a whole number ≥ 1, e.g. --top 5.`,
          );
        for (const file of files) {
          if (!fs.existsSync(file) || !fs.statSync(file).isFile())
            throw new AccelError('InvalidArgument', `${file}: no such file. Give the path of an image file.`);
        }
        const service = findService(await ctx.store.read(workspace), serviceName);
        const scorer = await ServiceScorer.open(ctx.store, workspace, service, {
          ensureServing: async () => {
            const { client: host } = await startHost(ctx.store.home);
            await waitForService(host, serviceName);
          },
          // The target's address, TLS server name and certificate to trust (src/services), as `service score` uses.
          remoteTarget: (s) =>
            scoringTarget({ store: ctx.store, workspace, kube: async () => ({ arm: await cliArmContext() }) }, s),
        });
        const results: FileScore[] = [];
        try {
          for (const file of files) {
            const r = await scorer.scoreFile(file, k);
            results.push({ file, top: r.top, timings: r.timings });
            if (!ctx.json) {
              const t = r.timings;
              const parts = [
                `total ${t.totalMs.toFixed(1)} ms`,
                t.queueMs !== undefined && `queue ${t.queueMs.toFixed(1)}`,
                t.preprocessMs !== undefined && `preprocess ${t.preprocessMs.toFixed(1)}`,
                t.inferenceMs !== undefined && `inference ${t.inferenceMs.toFixed(1)}`,
              ].filter(Boolean);
              printLine(`${file}  (${parts.join(', ')} ms)`);
              for (const p of r.top)
                printLine(`  ${(p.score * 100).toFixed(1).padStart(5)}%  ${String(p.index).padStart(4)}  ${p.label}`);
              for (const b of r.boxes)
                printLine(
                  `  box ${b.label} ${(b.score * 100).toFixed(1)}% [${[b.xmin, b.ymin, b.xmax, b.ymax].map((v) => v.toFixed(3)).join(', ')}]`,
                );
            }
          }
        } finally {
          scorer.close();
        }
        if (ctx.json) printJson({ service: serviceName, scoringUri: scoringUri(service), results });
      }),
    );
}
