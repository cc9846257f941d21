// Bundles every entry point to dist/. Native packages stay external and ship in node_modules.
import { build } from 'esbuild';
import { cpSync, mkdirSync, existsSync } from 'node:fs';

const production = process.argv.includes('--production');
// grpc-health-check and @grpc/reflection read their .proto files relative to their own folder at run time.
const external = ['vscode', 'onnxruntime-node', 'sharp', 'grpc-health-check', '@grpc/reflection'];

const nodeEntries = {
  extension: 'src/extension.ts',
  cli: 'src/cli/main.ts',
  emulator: 'src/emulator/main.ts',
  inferenceWorker: 'src/emulator/inferenceWorker.ts',
};
const entryPoints = Object.fromEntries(Object.entries(nodeEntries).filter(([, file]) => existsSync(file)));

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
