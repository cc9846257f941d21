import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/** The folder holding our .proto files: dist/protos next to a bundle, or protos/ in the source tree. */
export function protosRoot(): string {
  if (cached) return cached;
  const candidates = [
    path.join(__dirname, 'protos'),
    path.join(__dirname, '..', 'protos'),
    path.join(__dirname, '..', '..', 'protos'),
  ];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'onnx', 'onnx.proto')));
  if (!found) throw new Error(`protos folder not found next to ${__dirname}; rebuild with \`npm run build\``);
  cached = found;
  return found;
}
