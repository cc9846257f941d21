// `accel emulator start|status|stop|logs` — the home's emulator host (one per ACCEL_HOME). Deploy, update and
// score start it on demand; it keeps running after the command that started it.
import type { Command } from 'commander';
import { AccelError } from '../../domain/errors';
import {
  HOST_INFO_FILE,
  findHost,
  hostLogPath,
  readLogTail,
  startHost,
  stopRecordedHost,
} from '../../emulator/host/hostControl';
import { action, nounCommand } from '../context';
import { printJson, printLine, printTable } from '../output';

function wholeNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new AccelError('InvalidArgument', `${flag} ${value} is not valid. Give a whole number ≥ 1.`);
  return n;
}

export function register(program: Command): void {
  const emulator = nounCommand(program, 'emulator', 'The local accelerator emulator host that runs deployed services');

  emulator
    .command('start')
    .description('Start the emulator host for this home (restores every deployed service)')
    .option('--devices <n>', 'emulated accelerator devices (default ACCEL_DEVICES or 4)')
    .action(
      action(async (ctx, opts: { devices?: string }) => {
        const devices = opts.devices === undefined ? undefined : wholeNumber(opts.devices, '--devices');
        const { client, started } = await startHost(ctx.store.home, { devices });
        if (!started && devices !== undefined && devices !== client.info.devices) {
          throw new AccelError(
            'Busy',
            `The emulator is already running with ${client.info.devices} devices (pid ${client.info.pid}). Stop it first (accel emulator stop) to change the device count.`,
          );
        }
        const status = await client.reconcile();
        if (ctx.json) printJson({ started, ...status });
        else
          printLine(
            `${started ? 'Started' : 'Already running:'} emulator host pid ${status.pid} with ${status.devices.count} devices, ${status.services.length} service(s). Log: ${hostLogPath(ctx.store.home)}`,
          );
      }),
    );

  emulator
    .command('status')
    .description('Show the emulator host and its services (state, port, devices, request counts)')
    .action(
      action(async (ctx) => {
        const client = await findHost(ctx.store.home);
        if (!client) {
          if (ctx.json) printJson({ running: false, home: ctx.store.home });
          else
            printLine(
              `No emulator host is running for ${ctx.store.home}. Start it with \`accel emulator start\` (deploy and score start it too).`,
            );
          return;
        }
        const status = await client.status();
        if (ctx.json) {
          printJson({ running: true, ...status });
          return;
        }
        const free = status.devices.devices.filter((d) => d.owner === undefined).length;
        printLine(
          `Emulator host pid ${status.pid}, version ${status.version}, started ${status.startTime}; ${status.devices.count} devices (${free} free)`,
        );
        printTable(
          status.services,
          [
            { header: 'SERVICE', value: (s) => s.name },
            { header: 'WORKSPACE', value: (s) => s.workspace },
            { header: 'STATE', value: (s) => (s.error ? `${s.state}: ${s.error}` : s.state) },
            { header: 'PORT', value: (s) => s.port },
            { header: 'DEVICES', value: (s) => s.devices },
            { header: 'REQUESTS', value: (s) => s.requests },
            { header: 'ERRORS', value: (s) => s.errors },
          ],
          'No services deployed.',
        );
      }),
    );

  emulator
    .command('stop')
    .description('Stop the emulator host (services stay deployed and come back on the next start)')
    .action(
      action(async (ctx) => {
        const outcome = await stopRecordedHost(ctx.store.home);
        const record = `${ctx.store.home}/${HOST_INFO_FILE}`;
        if (ctx.json) {
          printJson({ stopped: outcome.result === 'stopped', ...outcome });
          if (outcome.result === 'unproven' || outcome.result === 'stillRunning') process.exitCode = 1;
          return;
        }
        switch (outcome.result) {
          case 'none':
            printLine('No emulator host was running.');
            break;
          case 'stopped':
            printLine(`Stopped emulator host pid ${outcome.pid}.`);
            break;
          case 'stale':
            printLine(
              `No emulator host was running: the record ${record} is stale (${outcome.reason}). Nothing was signalled; the stale record was removed.`,
            );
            break;
          case 'unproven':
            throw new AccelError(
              'Unavailable',
              `Not stopping pid ${outcome.pid}: ${outcome.reason}. If \`ps -p ${outcome.pid} -o pid,lstart,args\` shows it is this home's emulator host, stop it with \`kill ${outcome.pid}\`; otherwise delete ${record}.`,
            );
          case 'stillRunning':
            throw new AccelError('Unavailable', `The emulator host was asked to stop, but ${outcome.reason}.`);
        }
      }),
    );

  emulator
    .command('logs')
    .description('Print the emulator host log')
    .option('--lines <n>', 'lines from the end', '200')
    .action(
      action(async (ctx, opts: { lines: string }) => {
        const text = readLogTail(hostLogPath(ctx.store.home), wholeNumber(opts.lines, '--lines'));
        if (ctx.json) printJson({ file: hostLogPath(ctx.store.home), log: text });
        else process.stdout.write(text || `(no emulator log yet in ${hostLogPath(ctx.store.home)})\n`);
      }),
    );
}
