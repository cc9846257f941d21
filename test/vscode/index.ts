// The extension-host suite's entry: VS Code (code-server's extension host, or @vscode/test-electron's) loads this
// module and calls run(). No exit code reaches the code-server driver, so run() writes a JSON report that
// scripts/test-vscode.mjs waits for; it also rejects on failure so that @vscode/test-electron exits non-zero.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteReport {
  passed: number;
  failed: number;
  pending: number;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number; error?: string }[];
  finished: true;
}

export function resultsFile(): string {
  return process.env.ACCEL_VSCODE_RESULTS ?? path.join(__dirname, 'results.json');
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: false, reporter: 'spec' });
  for (const f of fs
    .readdirSync(__dirname)
    // ACCEL_VSCODE_FILES (a regular expression) runs only the matching files, for working on one suite.
    .filter((f) => f.endsWith('.test.js') && new RegExp(process.env.ACCEL_VSCODE_FILES ?? '').test(f))
    .sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  const report: SuiteReport = { passed: 0, failed: 0, pending: 0, tests: [], finished: true };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (t) => {
      report.passed++;
      report.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration });
    });
    runner.on('fail', (t, err: Error) => {
      report.failed++;
      report.tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) });
    });
    runner.on('pending', (t) => {
      report.pending++;
      report.tests.push({ title: t.fullTitle(), state: 'pending' });
    });
  });
  const file = resultsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(report, null, 2));
  fs.renameSync(`${file}.tmp`, file);
  if (report.failed > 0) throw new Error(`${report.failed} extension-host test(s) failed`);
}
