// A digest of a whole directory tree (paths, file contents, symlinks), to prove an operation changed nothing.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function treeHash(root: string): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return hash.update('<missing>');
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const rel = path.relative(root, p);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        hash.update(`d ${rel}\n`);
        walk(p);
      } else if (st.isSymbolicLink()) {
        hash.update(`l ${rel} ${fs.readlinkSync(p)}\n`);
      } else {
        hash.update(`f ${rel} ${st.size} ${st.mode}\n`);
        hash.update(fs.readFileSync(p));
      }
    }
  };
  walk(root);
  return hash.digest('hex');
}
