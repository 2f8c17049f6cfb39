// The package's structure check (issue 14): reads the imports of www/lib/src and fails on an
// import cycle, or on a page module importing worker code or the reverse.
//
// Which side a module is on: `worker/` holds the worker's code (its entry, the video job and what
// only it uses), `shared/` the floor (types and the wire protocol) that both sides import and that
// imports nothing of the package; everything else runs on the page. Type-only imports
// (`import type`) count for cycles too: a circle of types is a circle of concepts. And the entry,
// `index.ts`, only re-exports (a line of code there that is not an `export … from` fails).
// CI runs it (scripts/test-browser.sh); tests/unit/check-structure.test.mjs shows it failing on
// a made-up tree with a cycle, a crossing and code in index.ts.
//
//   node scripts/check-structure.mjs [--report] [--src DIR]   # --report: print, but exit 0
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const srcAt = process.argv.indexOf('--src');
const SRC = srcAt >= 0 ? path.resolve(process.argv[srcAt + 1]) : path.join(ROOT, 'www/lib/src');
const report = process.argv.includes('--report');

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'vendor') walk(p);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(p);
  }
};
walk(SRC);

const rel = (p) => path.relative(SRC, p);
const side = (p) => (rel(p).startsWith('worker/') ? 'worker' : rel(p).startsWith('shared/') ? 'shared' : 'page');

/** @type {Map<string, string[]>} module → the package modules it imports */
const graph = new Map();
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of files) {
  const source = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const deps = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    if (target.startsWith(path.join(SRC, 'vendor')) || !target.startsWith(SRC)) continue;
    if (files.includes(target)) deps.push(target);
  }
  graph.set(file, [...new Set(deps)]);
}

const problems = [];
// The entry only re-exports: what is left of index.ts without comments and `export … from`
// statements must be empty.
const entry = path.join(SRC, 'index.ts');
if (files.includes(entry)) {
  const rest = readFileSync(entry, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"][^'"]+['"]\s*;?/g, '')
    .trim();
  if (rest) problems.push(`index.ts does more than re-export: ${JSON.stringify(rest.slice(0, 80))}`);
}
// Crossings: the page and the worker meet only in shared/; shared/ imports nothing of theirs.
for (const [file, deps] of graph) {
  for (const dep of deps) {
    const from = side(file);
    const to = side(dep);
    if (from !== to && to !== 'shared') problems.push(`crossing: ${rel(file)} (${from}) imports ${rel(dep)} (${to})`);
  }
}
// Cycles: Tarjan's strongly connected components; any component of more than one module (or a
// module importing itself) is a cycle.
let index = 0;
const stack = [];
const info = new Map();
const strong = (v) => {
  info.set(v, { index, low: index, on: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v)) {
    if (!info.has(w)) {
      strong(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).on) {
      info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).on = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) {
      problems.push(`cycle of ${component.length} modules: ${component.map(rel).sort().join(', ')}`);
    }
  }
};
for (const v of graph.keys()) if (!info.has(v)) strong(v);

const edges = [...graph.values()].reduce((n, d) => n + d.length, 0);
console.log(`check-structure: ${graph.size} modules, ${edges} imports, ${problems.length} problem(s)`);
for (const p of problems) console.log(`  ${p}`);
if (problems.length && !report) process.exit(1);
