// `accel score <service> <file>... [--top 5]` — scores image files against a deployed service over gRPC, as any
// TF Serving client would: the service's primary key as a Bearer token, its certificate as the TLS root.
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { labelsFor } from '../../catalog/labels';
import { PredictionClient, type Timings } from '../../client/predictionClient';
import { topK, type Prediction } from '../../client/topK';
import { AccelError } from '../../core/errors';
import { findImage, readImageManifest } from '../../core/images';
import { findService, getServiceKeys, readTls, scoringUri } from '../../core/services';
import { startHost, waitForService } from '../../emulator/hostControl';
import { action, nounCommand } from '../context';
import { kubernetesPredictionClient } from './azure';
import { printJson, printLine } from '../output';

export interface FileScore {
  file: string;
  top: Prediction[];
  timings: Timings;
}

export function register(program: Command): void {
  program
    .command('score <service> <files...>')
    .description('Score image files (JPEG/PNG/GIF/WebP/BMP) against a deployed service; prints the top-k labels and timings')
    .option('--top <k>', 'how many classes to show', '5')
    .action(action(async (ctx, serviceName: string, files: string[], opts: { top: string }) => {
      const workspace = await ctx.workspace();
      const k = Number(opts.top);
      if (!Number.isInteger(k) || k < 1) throw new AccelError('InvalidArgument', `--top ${opts.top} is not valid. Give a whole number ≥ 1, e.g. --top 5.`);
      for (const file of files) {
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new AccelError('InvalidArgument', `${file}: no such file. Give the path of an image file.`);
      }
      const state = await ctx.store.read(workspace);
      const service = findService(state, serviceName);
      const manifest = await readImageManifest(ctx.store, workspace, findImage(state, service.imageId));
      let client: PredictionClient;
      if (service.target === 'kubernetes') client = await kubernetesPredictionClient(ctx, serviceName);
      else {
        const { client: host } = await startHost(ctx.store.home);
        await waitForService(host, serviceName);
        const key = service.authEnabled ? (await getServiceKeys(ctx.store, workspace, serviceName)).primaryKey : undefined;
        const tls = readTls(ctx.store, workspace, service);
        client = new PredictionClient(tls ? 'localhost' : '127.0.0.1', service.port, !!tls, key, serviceName, tls?.certPem);
      }
      const labels = labelsFor(manifest.labels);
      const output = manifest.outputs[0].name;
      const results: FileScore[] = [];
      try {
        for (const file of files) {
          const r = await client.scoreFile(file, { inputName: manifest.inputs[0].name, outputs: [output] });
          const scores = r.outputs[output].data.subarray(0, r.outputs[output].shape.at(-1) ?? r.outputs[output].data.length);
          const result = { file, top: topK(scores, labels, k), timings: r.timings };
          results.push(result);
          if (!ctx.json) {
            const t = r.timings;
            const parts = [`total ${t.totalMs.toFixed(1)} ms`, t.queueMs !== undefined && `queue ${t.queueMs.toFixed(1)}`, t.preprocessMs !== undefined && `preprocess ${t.preprocessMs.toFixed(1)}`, t.inferenceMs !== undefined && `inference ${t.inferenceMs.toFixed(1)}`].filter(Boolean);
            printLine(`${file}  (${parts.join(', ')} ms)`);
            for (const p of result.top) printLine(`  ${(p.score * 100).toFixed(1).padStart(5)}%  ${String(p.index).padStart(4)}  ${p.label}`);
          }
        }
      } finally {
        client.close();
      }
      if (ctx.json) printJson({ service: serviceName, scoringUri: scoringUri(service), results });
    }));
}
