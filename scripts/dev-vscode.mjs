// The README's first command: opens the extension in a real VS Code in the browser (code-server, installed on
// first use into .tools/) on the embedded default: a sample workspace folder of photos, and the sample model
// (MobileNetV2) registered, packaged and deployed on the local emulator — ready to right-click a photo.
// Usage: node scripts/dev-vscode.mjs [--port N] [--check]
//   --check  opens the workbench once in headless chromium, checks that the photos folder and a sample photo offer
//            scoring on right-click and that the Services view shows mobilenet-svc, saves
//            test-artifacts/dev-vscode-photos.png and dev-vscode.png, and exits.
// The store is ACCEL_HOME or ~/.accel (the same one the `accel` CLI uses). Ctrl+C stops code-server; the
// emulator keeps serving (stop it with `npx accel emulator stop`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copySamplePhotos } from './ensure-setup.mjs';
import { ensureTools, launchBrowser, repoRoot, startCodeServer, workbenchUrl } from './code-server-harness.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const portArg = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : undefined;
const shared = process.env.ACCEL_SHARED ?? join(repoRoot, '..', 'shared');
const env = { ...process.env };
if (!env.ACCEL_MIRROR && existsSync(join(shared, 'data/models/onnx')))
  env.ACCEL_MIRROR = join(shared, 'data/models/onnx');

function step(what) {
  console.log(`\n> ${what}`);
}

function accel(...cliArgs) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli.js'), ...cliArgs, '--json'], {
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`accel ${cliArgs.join(' ')} failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout || 'null');
}

step('installing code-server, Node 24 and chromium into .tools/ (first run only)');
ensureTools();

step('building the extension');
if (spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, stdio: 'inherit' }).status !== 0)
  process.exit(1);

step('sample workspace folder with photos: .cache/sample-workspace/photos');
const folder = join(repoRoot, '.cache', 'sample-workspace');
console.log(`  ${copySamplePhotos(join(folder, 'photos')).length} photos from media/samples/`);

step('store workspace with the sample model deployed (mobilenet-svc)');
const workspaces = accel('workspace', 'list');
// Service names are unique per home: when `npm run walkthrough` (or an earlier run) already deployed
// mobilenet-svc in another workspace, open that workspace instead of failing on a second deploy.
const owner = workspaces.find((w) =>
  accel('service', 'list', '--workspace', w.name).some((s) => s.name === 'mobilenet-svc'),
);
const wsName = owner?.name ?? 'default';
if (!workspaces.some((w) => w.name === wsName)) accel('workspace', 'create', wsName);
accel('workspace', 'use', wsName);
const W = ['--workspace', wsName];
let service = owner && accel('service', 'list', ...W).find((s) => s.name === 'mobilenet-svc');
if (!service) {
  const state = { models: accel('model', 'list', ...W), images: accel('image', 'list', ...W) };
  const model = state.models.find((m) => m.name === 'mobilenetv2') ?? accel('model', 'add', 'mobilenetv2', ...W);
  const image =
    state.images.find((i) => i.modelId === model.id) ??
    accel('image', 'create', 'mobilenet-image', '--model', model.id, ...W);
  service = accel('service', 'deploy', 'mobilenet-svc', '--image', image.id, ...W);
}
accel('emulator', 'start');
console.log(`  workspace "${wsName}" (active): ${service.imageId} → ${service.name}`);

step('starting VS Code (code-server)');
const server = await startCodeServer({ workspace: folder, env, label: 'dev', port: portArg });
const url = workbenchUrl(server, { folder, extensionDevelopmentPath: repoRoot });
if (check) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(url);
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    // The Explorer first, before any of our views is opened: photos/ holds the sample photos, a right-click on one
    // offers scoring, and one on the folder offers folder scoring (its accel.hasService context key is set by the
    // activation after start-up, so the menu is retried until the key has arrived).
    await page.keyboard.press('Control+Shift+E');
    const photos = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'photos' }).first();
    await photos.waitFor({ timeout: 90_000 });
    for (let attempt = 1; ; attempt++) {
      await photos.click({ button: 'right' });
      const entry = page
        .locator('.monaco-menu .action-item', { hasText: 'Score All Images with Accelerated Model' })
        .first();
      const shown = await entry.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      );
      await page.keyboard.press('Escape');
      if (shown) break;
      if (attempt === 18)
        throw new Error(
          'the photos folder never offered "Score All Images with Accelerated Model" (accel.hasService not set)',
        );
    }
    await photos.click();
    const photo = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'espresso.jpg' }).first();
    await photo.click({ button: 'right', timeout: 90_000 });
    await page
      .locator('.monaco-menu .action-item', { hasText: 'Score with Accelerated Model' })
      .first()
      .hover({ timeout: 90_000 });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts/dev-vscode-photos.png') });
    await page.keyboard.press('Escape');
    await page.locator('.activitybar [aria-label^="Accelerated Models"]').first().click({ timeout: 90_000 });
    await page
      .locator('.pane:has(.pane-header[aria-label^="Services"]) .monaco-list-row', { hasText: 'mobilenet-svc' })
      .first()
      .waitFor({ timeout: 90_000 });
    await page.screenshot({ path: join(repoRoot, 'test-artifacts/dev-vscode.png') });
    console.log(
      '\ncheck passed: photos/ offers "Score All Images with Accelerated Model", photos/espresso.jpg offers "Score with',
    );
    console.log(
      'Accelerated Model", and the Services view shows mobilenet-svc; screenshots test-artifacts/dev-vscode-photos.png',
    );
    console.log('and test-artifacts/dev-vscode.png');
  } finally {
    await browser.close();
    await server.stop();
  }
  process.exit(0);
}
console.log(
  `\nOpen this URL in a browser (right-click a photo in photos/ → "Score with Accelerated Model"):\n\n  ${url}\n\nCtrl+C stops VS Code.`,
);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
