// The published artifact, end to end: `npm pack` the repo, install the tarball into a fresh
// folder (offline: a local tarball without dependencies needs no registry), serve ONLY that
// folder, and interpolate on WebGPU with the packaged model, checked against the golden.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { launch, REPO } from './browser.mjs';
import { startServer } from './server.mjs';
import { assertParity, BOUND_F16, describeParity } from './common.mjs';

const run = promisify(execFile);
const MINUTE = 60_000;
const CASE = 'i2_crop_s0.5';

describe('npm pack → npm install → import in a page', () => {
  let tmp;
  let packed;
  let app;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'inbetween-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: REPO, maxBuffer: 16 << 20 });
    [packed] = JSON.parse(stdout);
    app = path.join(tmp, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)], { cwd: app });
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the tarball holds the library, the wasm and the model, and nothing else', () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const needed of [
      'package.json', 'README.md', 'www/lib/README.md',
      'www/lib/dist/index.js', 'www/lib/dist/index.d.ts', 'www/lib/dist/worker.js',
      'www/lib/pkg/inbetween_wasm.js', 'www/lib/pkg/inbetween_wasm_bg.wasm', 'www/lib/pkg/inbetween_wasm.d.ts',
      'www/lib/model/rife-4.25-f16.bpk',
    ]) {
      assert.ok(files.includes(needed), `${needed} missing from the tarball`);
    }
    const strays = files.filter((f) => !/^(package\.json|README\.md|www\/lib\/(README\.md|dist\/|src\/|pkg\/|model\/rife-4\.25-f16\.bpk))/.test(f));
    assert.deepEqual(strays, [], 'unexpected files in the tarball');
    assert.ok(!files.includes('www/lib/model/rife-4.25.bpk'), 'the f32 model is not shipped');
  });

  test('the installed package interpolates on WebGPU and matches the golden', { timeout: 10 * MINUTE }, async (t) => {
    const installed = path.join(app, 'node_modules/inbetween');
    const pkg = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
    // Resolve the entry point the way a bundler would, from `exports`.
    const entry = pkg.exports['.'].default;
    assert.equal(typeof entry, 'string');
    await writeFile(path.join(app, 'index.html'), `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify({ imports: { inbetween: `/node_modules/inbetween/${entry.replace(/^\.\//, '')}` } })}</script>
<script type="module" src="/harness.js"></script>
`);
    // The test harness and the golden case, copied next to the app (not served from the repo).
    await copyFile(path.join(REPO, 'tests/browser/harness.js'), path.join(app, 'harness.js'));
    const meta = JSON.parse(await readFile(path.join(REPO, 'tests/golden', CASE, 'meta.json'), 'utf8'));
    await mkdir(path.join(app, 'golden', CASE), { recursive: true });
    await mkdir(path.join(app, 'golden/images'), { recursive: true });
    for (const f of ['meta.json', meta.tensors.output.file, meta.tensors['block4.flow'].file, meta.tensors['block4.mask'].file]) {
      await copyFile(path.join(REPO, 'tests/golden', CASE, f), path.join(app, 'golden', CASE, f));
    }
    for (const f of [meta.image0, meta.image1]) {
      await copyFile(path.join(REPO, 'tests/golden', CASE, f), path.join(app, 'golden', CASE, f));
    }

    const server = await startServer({ mounts: { '/': app } });
    const browser = await launch({ webgpu: true, log: (line) => console.log(line) });
    try {
      await browser.open(`${server.origin}/index.html?golden=/golden`);
      const r = await browser.page.evaluate(() => window.harness.parity({ backend: 'webgpu' }));
      t.diagnostic(describeParity(r));
      assert.equal(r.backend, 'webgpu');
      assertParity(r, BOUND_F16, 'packed/webgpu/f16');
      // The default model came from inside the installed package.
      assert.equal(server.count('/node_modules/inbetween/www/lib/model/rife-4.25-f16.bpk'), 1);
      assert.equal(server.count('/node_modules/inbetween/www/lib/pkg/inbetween_wasm_bg.wasm'), 1);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
