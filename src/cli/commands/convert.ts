// accel model convert | model add, accel operation show|log|cancel (and the hidden `operation run` a detached
// conversion executes in its own process, so `operation show` can be polled while it works).
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { CATALOG } from '../../catalog/catalog';
import { addCatalogModel } from '../../core/catalogModels';
import {
  attachRunner,
  cancelOperation,
  convertModel,
  getOperation,
  operationLog,
  readConversionReport,
  runConversion,
  startConversion,
  type ConversionReport,
} from '../../core/conversions';
import { AccelError } from '../../domain/errors';
import { signalFromAbort } from '../../domain/ports';
import { presetLabel } from '../../domain/presets';
import type { Operation } from '../../domain/types';
import type { Precision } from '../../convert/precision';
import { action, nounCommand } from '../context';
import { cliProgress, printJson, printLine } from '../output';

interface ConvertCliOptions {
  input: string;
  output: string;
  precision?: Precision;
  calibration?: string;
  dequantize?: boolean;
  wait?: boolean;
}

function printOperation(op: Operation): void {
  const rows: [string, unknown][] = [
    ['id', op.id],
    ['kind', op.kind],
    ['state', op.state],
    ['target', op.target],
    ['created', op.createdTime],
    ['finished', op.finishedTime],
    ['result', op.resultId],
    ['error', op.error],
  ];
  for (const [k, v] of rows) if (v !== undefined) printLine(`${`${k}:`.padEnd(10)}${v}`);
}

/** The compatibility report lines `accel model show` prints for a converted model. */
export function printConversionReport(r: ConversionReport): void {
  const c = r.compatibility;
  printLine('conversion:');
  printLine(
    `  precision     ${r.precision}${r.msfpBlockSize ? ` (blocks of ${r.msfpBlockSize})` : ''}${r.precisionNote ? ` — ${r.precisionNote}` : ''}`,
  );
  if (r.dequantized)
    printLine(
      `  dequantized   ${Object.entries(r.dequantized.rewritten)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ')} → fp32 (${r.dequantized.clips} activation ranges kept as Clip)`,
    );
  if (r.preprocessing)
    printLine(`  preprocessing cut at ${r.preprocessing.boundaryTensor} → preset ${r.preprocessing.preset}`);
  printLine(
    `  accelerator   ${c.accelerator.nodes} nodes: ${Object.entries(c.accelerator.ops)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
  );
  printLine(
    `  host          ${c.host.nodes} nodes: ${
      Object.entries(c.host.ops)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ') || '-'
    }`,
  );
  printLine(`  parameters    ${c.parameters}`);
  printLine(`  MACs/image    ${c.macsPerImage}${c.macsComplete ? '' : ' (lower bound)'}`);
  printLine(`  weight bytes  fp32 ${c.weightBytes.fp32}, msfp9 ${c.weightBytes.msfp9}, msfp8 ${c.weightBytes.msfp8}`);
  if (r.accuracy) {
    for (const a of [r.accuracy, r.accuracyVsDequantized]) {
      if (a)
        printLine(
          `  accuracy      vs ${a.reference} on ${a.images} images: top-1 ${(a.top1Agreement * 100).toFixed(1)}%, top-5 ${(a.top5Agreement * 100).toFixed(1)}%, max |Δp| ${a.maxAbsProbDiff.toExponential(3)}, mean |Δp| ${a.meanAbsProbDiff.toExponential(3)}`,
        );
    }
  } else if (r.accuracyNote) {
    printLine(`  accuracy      ${r.accuracyNote}`);
  }
}

export { readConversionReport };

export function register(program: Command): void {
  const model = nounCommand(program, 'model', 'Register, list, show and delete models');
  model
    .command('convert <model>')
    .description('convert a model (<name>[:<version>]) for the accelerator into "<name>.<version>.accelonnx"')
    .requiredOption('--input <tensor>', 'input tensor (e.g. Placeholder:0, or the ONNX input name)')
    .requiredOption(
      '--output <tensors>',
      'output tensor(s), comma-separated (e.g. classifier/resnet_v1_50/predictions/Softmax:0)',
    )
    .option('--precision <p>', 'fp32 | msfp9 | msfp8', 'fp32')
    .option(
      '--dequantize',
      'rewrite an int8-quantized ONNX model to fp32 first, so --precision applies to it (otherwise it is left numerically unchanged)',
    )
    .option(
      '--calibration <dir>',
      'folder of photos to measure the accuracy delta on (default: $ACCEL_CALIBRATION or the sample images)',
    )
    .option(
      '--wait',
      'run in this process and wait for the result (otherwise it runs in the background: poll `accel operation show <id>`)',
    )
    .action(
      action(async (ctx, ref: string, opts: ConvertCliOptions) => {
        const ws = await ctx.workspace();
        const options = {
          inputTensor: opts.input,
          outputTensors: opts.output,
          precision: opts.precision,
          calibrationDir: opts.calibration,
          dequantize: opts.dequantize,
        };
        if (opts.wait) {
          const abort = new AbortController();
          process.once('SIGINT', () => abort.abort());
          const op = await convertModel(
            ctx.store,
            ws,
            ref,
            options,
            cliProgress(ctx.json),
            signalFromAbort(abort.signal),
          );
          if (ctx.json) printJson(op);
          else printOperation(op);
          if (op.state === 'Failed')
            throw new AccelError(
              'InvalidModel',
              `Conversion failed: ${op.error} (log: \`accel operation log ${op.id}\`)`,
            );
          if (op.state === 'Cancelled')
            throw new AccelError('Cancelled', `Conversion ${op.id} was cancelled; nothing was registered.`);
          return;
        }
        const op = await startConversion(ctx.store, ws, ref, options, true);
        const child = spawn(process.execPath, [process.argv[1], 'operation', 'run', op.id, '--workspace', ws], {
          detached: true,
          stdio: 'ignore',
          env: process.env,
        });
        child.unref();
        if (child.pid) await attachRunner(ctx.store, ws, op.id, child.pid);
        const started = await getOperation(ctx.store, ws, op.id);
        if (ctx.json) return printJson(started);
        printOperation(started);
        printLine(`Poll with \`accel operation show ${op.id}\`; the log: \`accel operation log ${op.id}\`.`);
      }),
    );

  model
    .command('add <family>')
    .description(`download a catalog model and register it (${Object.keys(CATALOG).join(', ')})`)
    .option('--name <name>', 'model name (default: the family name)')
    .action(
      action(async (ctx, family: string, opts: { name?: string }) => {
        const ws = await ctx.workspace();
        const added = await addCatalogModel(ctx.store, ws, family, {
          name: opts.name,
          progress: cliProgress(ctx.json),
        });
        if (ctx.json) return printJson(added);
        printLine(`Registered ${added.id} (${added.framework}, preset ${presetLabel(added)}, labels ${added.labels}).`);
      }),
    );

  const operation = nounCommand(program, 'operation', 'Show, follow and cancel long-running operations (conversions)');
  operation
    .command('show <id>')
    .description('state, result and error of an operation')
    .action(
      action(async (ctx, id: string) => {
        const op = await getOperation(ctx.store, await ctx.workspace(), id);
        if (ctx.json) return printJson(op);
        printOperation(op);
      }),
    );
  operation
    .command('log <id>')
    .description('the log of an operation')
    .action(
      action(async (ctx, id: string) => {
        const text = await operationLog(ctx.store, await ctx.workspace(), id);
        if (ctx.json) return printJson({ id, log: text });
        process.stdout.write(text);
      }),
    );
  operation
    .command('cancel <id>')
    .description('cancel a running operation; nothing it would have created is kept')
    .action(
      action(async (ctx, id: string) => {
        const op = await cancelOperation(ctx.store, await ctx.workspace(), id);
        if (ctx.json) return printJson(op);
        printOperation(op);
      }),
    );
  operation
    .command('run <id>', { hidden: true })
    .description('run a started operation in this process (used by `model convert` without --wait)')
    .action(
      action(async (ctx, id: string) => {
        const op = await runConversion(ctx.store, await ctx.workspace(), id);
        if (ctx.json) printJson(op);
      }),
    );
}
