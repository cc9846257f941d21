#!/usr/bin/env node
// `npx accel` entry: runs the bundled CLI (built by `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write('accel: dist/cli.js is missing. Run `npm run build` first.\n');
  process.exit(2);
}
require(bundle);
