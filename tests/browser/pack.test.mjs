// The published artifact, end to end: `npm pack` the package (www/lib, its own package.json),
// install the tarball into a fresh folder (offline: a local tarball without dependencies needs
// no registry), serve ONLY that folder, and interpolate on WebGPU with the packaged model,
// checked against the golden. bundlers.test.mjs builds apps from the same kind of tarball.
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
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: path.join(REPO, 'www/lib'),
      maxBuffer: 16 << 20,
    });
    [packed] = JSON.parse(stdout);
    app = path.join(tmp, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)], {
      cwd: app,
    });
  });
  after(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the tarball holds the library, the wasm and the model, and nothing else', async () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const needed of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker/worker.js',
      'dist/vendor/mediabunny.js',
      'dist/vendor/mediabunny.LICENSE',
      'pkg/inbetween_wasm.js',
      'pkg/inbetween_wasm_bg.wasm',
      'pkg/inbetween_wasm.d.ts',
      'pkg-mt/inbetween_wasm.js',
      'pkg-mt/inbetween_wasm_bg.wasm',
      'pkg-mt/inbetween_wasm.d.ts',
      'model/rife-4.25-f16.bpk',
      'model/rife-4.25-f16.bpk.sha256',
    ]) {
      assert.ok(files.includes(needed), `${needed} missing from the tarball`);
    }
    // No TypeScript sources, tests, repo files, declaration maps or the f32 model.
    const allowed =
      /^(package\.json|README\.md|dist\/[\w/-]+\.(js|js\.map|d\.ts)|dist\/vendor\/mediabunny\.LICENSE|pkg(-mt)?\/inbetween_wasm(\.js|\.d\.ts|_bg\.wasm)|model\/rife-4\.25-f16\.bpk(\.sha256)?)$/;
    // The test hooks' entry (testing.ts) is for this repo's tests only.
    const strays = files.filter((f) => !allowed.test(f) || f.endsWith('.d.ts.map') || f.startsWith('dist/testing.'));
    assert.deepEqual(strays, [], 'unexpected files in the tarball');

    // Every source map stands alone (the TypeScript inline) and names only package-relative
    // sources: no path of the machine that built it.
    const installed = path.join(app, 'node_modules/inbetween');
    const maps = files.filter((f) => f.endsWith('.js.map'));
    assert.ok(maps.length > 0, 'the package ships source maps');
    for (const f of maps) {
      const map = JSON.parse(await readFile(path.join(installed, f), 'utf8'));
      assert.equal(map.sources.length, map.sourcesContent?.length, `${f}: sources without their content`);
      for (const source of map.sources) {
        assert.match(source, /^\.\.\/(\.\.\/)?src\/[\w/-]+\.ts$/, `${f}: source path ${source}`);
      }
    }

    // `exports` reaches the entry, its types, the worker and the assets a bundler or an app needs.
    const pkg = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
    const targets = {
      '.': pkg.exports['.'].default,
      types: pkg.exports['.'].types,
      './worker': pkg.exports['./worker'],
      './wasm': pkg.exports['./wasm'],
      './model/*': pkg.exports['./model/*'].replace('*', 'rife-4.25-f16.bpk'),
    };
    for (const [key, target] of Object.entries(targets)) {
      assert.ok(files.includes(target.replace(/^\.\//, '')), `exports ${key} → ${target} is not in the tarball`);
    }
  });

  test('the installed package interpolates on WebGPU and matches the golden', { timeout: 10 * MINUTE }, async (t) => {
    const installed = path.join(app, 'node_modules/inbetween');
    const pkg = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
    // Resolve the entry point the way a bundler would, from `exports`.
    const entry = pkg.exports['.'].default;
    assert.equal(typeof entry, 'string');
    await writeFile(
      path.join(app, 'index.html'),
      `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">${JSON.stringify({ imports: { inbetween: `/node_modules/inbetween/${entry.replace(/^\.\//, '')}` } })}</script>
<script type="module" src="/harness.js"></script>
`,
    );
    // The test harness and the golden case, copied next to the app (not served from the repo).
    await copyFile(path.join(REPO, 'tests/browser/harness.js'), path.join(app, 'harness.js'));
    const meta = JSON.parse(await readFile(path.join(REPO, 'tests/golden', CASE, 'meta.json'), 'utf8'));
    await mkdir(path.join(app, 'golden', CASE), { recursive: true });
    await mkdir(path.join(app, 'golden/images'), { recursive: true });
    for (const f of [
      'meta.json',
      meta.tensors.output.file,
      meta.tensors['block4.flow'].file,
      meta.tensors['block4.mask'].file,
    ]) {
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
      assert.equal(server.count('/node_modules/inbetween/model/rife-4.25-f16.bpk'), 1);
      assert.equal(server.count('/node_modules/inbetween/pkg/inbetween_wasm_bg.wasm'), 1);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
