// Prints the folder-level import graph between the rooms of src/ (src/<room>/..., src/<file>.ts counts as its
// own room) and the cycles in it. `--check` exits 1 when a cycle exists, so CI can keep the rooms acyclic.
// Type-only imports count too: a cycle of types is still a cycle of knowledge.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv.find((a) => a.startsWith('--root='))?.slice(7) ?? 'src');
const importRe = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** src/<room>/…; the emulator's three parts (frontend/, runtime/, host/) are rooms of their own. */
function roomOf(file) {
  const rel = relative(root, file).split(sep);
  if (rel.length === 1) return rel[0].replace(/\.ts$/, '');
  return rel[0] === 'emulator' && rel.length > 2 ? `emulator/${rel[1]}` : rel[0];
}

const edges = new Map();
for (const file of files(root)) {
  const from = roomOf(file);
  for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(root + sep)) continue;
    const to = roomOf(target.endsWith('.ts') ? target : `${target}.ts`);
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}

// Strongly connected components (Tarjan): every component of more than one room is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
let counter = 0;
function visit(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  }
}
const rooms = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])])].sort();
for (const r of rooms) if (!index.has(r)) visit(r);

for (const r of rooms) console.log(`${r.padEnd(14)} -> ${[...(edges.get(r) ?? [])].sort().join(', ') || '(nothing)'}`);
if (cycles.length) {
  console.log(`\ncycles between rooms: ${cycles.map((c) => c.join(' <-> ')).join('; ')}`);
  if (process.argv.includes('--check')) process.exit(1);
} else console.log('\nno cycles between rooms');
