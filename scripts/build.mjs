// Bundles every entry point to dist/. Native packages stay external and ship in node_modules.
import { build } from 'esbuild';
import { cpSync, mkdirSync, existsSync } from 'node:fs';

const production = process.argv.includes('--production');
// grpc-health-check and @grpc/reflection read their .proto files relative to their own folder at run time, and
// @julusian/jpeg-turbo its prebuilt binary.
const external = [
  'vscode',
  'onnxruntime-node',
  'sharp',
  '@julusian/jpeg-turbo',
  'grpc-health-check',
  '@grpc/reflection',
];

const nodeEntries = {
  extension: 'src/extension.ts',
  cli: 'src/cli/main.ts',
  emulator: 'src/emulator/host/main.ts',
  inferenceWorker: 'src/emulator/runtime/inferenceWorker.ts',
};
if (existsSync('src/azure/index.ts')) nodeEntries.azure = 'src/azure/index.ts';
const entryPoints = Object.fromEntries(Object.entries(nodeEntries).filter(([, file]) => existsSync(file)));

// The Azure and Kubernetes SDKs are ~10 MB of JavaScript that most commands never need: the CLI and the
// extension reach them only through a dynamic import of src/azure, which we leave out of their bundles and
// point at the sibling bundle dist/azure.js, so `accel --help` and activation don't parse them.
const azureAsSiblingBundle = {
  name: 'azure-as-sibling-bundle',
  setup(b) {
    b.onResolve({ filter: /(^|\/)azure$/ }, (args) =>
      args.kind === 'dynamic-import' && !args.importer.includes('/src/azure/')
        ? { path: './azure.js', external: true }
        : undefined,
    );
  },
};

await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external,
  plugins: [azureAsSiblingBundle],
  logLevel: 'warning',
});

if (existsSync('webview/main.ts')) {
  await build({
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  });
}

// The emulator and the CLI load .proto files at run time: ship them next to the bundles.
mkdirSync('dist', { recursive: true });
cpSync('protos', 'dist/protos', { recursive: true });
