// scripts/check-structure.mjs must fail on what it guards against: a made-up package tree with
// one import cycle, one page→worker crossing, one shared→page import and code in index.ts gives
// exactly those problems; the same tree without them passes. Runs in milliseconds.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/check-structure.mjs');

async function check(tree) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inbetween-structure-'));
  try {
    for (const [name, text] of Object.entries(tree)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, '--src', dir]);
      return { code: 0, stdout };
    } catch (e) {
      return { code: e.code, stdout: e.stdout };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const CLEAN = {
  'index.ts':
    "// the entry\nexport { a } from './a.js';\nexport type { T } from './shared/types.js';\nexport * from './b.js';\n",
  'a.ts': "import type { T } from './shared/types.js';\nimport { b } from './b.js';\nexport const a: T = b;\n",
  'b.ts': 'export const b = 1;\n',
  'shared/types.ts': 'export type T = number;\n',
  'worker/worker.ts':
    "import type { T } from '../shared/types.js';\nimport { job } from './job.js';\nexport const w: T = job;\n",
  'worker/job.ts': 'export const job = 2;\n',
};

test('a tree without cycles or crossings passes', async () => {
  const r = await check(CLEAN);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /0 problem\(s\)/);
});

test('a cycle, a page→worker crossing, an upward import from shared/ and code in index.ts each fail', async () => {
  const r = await check({
    ...CLEAN,
    'index.ts': `${CLEAN['index.ts']}export const extra = 1;\n`,
    'b.ts': "import { a } from './a.js';\nexport const b = 1;\nexport const again = a;\n",
    'a.ts': `${CLEAN['a.ts']}import { job } from './worker/job.js';\n`,
    'shared/types.ts': "import { b } from '../b.js';\nexport type T = typeof b;\n",
  });
  assert.equal(r.code, 1, r.stdout);
  const problems = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim())
    .sort();
  assert.deepEqual(problems, [
    'crossing: a.ts (page) imports worker/job.ts (worker)',
    'crossing: shared/types.ts (shared) imports b.ts (page)',
    'cycle of 3 modules: a.ts, b.ts, shared/types.ts',
    'index.ts does more than re-export: "export const extra = 1;"',
  ]);
});
