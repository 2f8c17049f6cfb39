// The package inside real apps. For each way of consuming it (Vite, webpack, esbuild, a plain
// page without a bundler, and Vite's dev server), a minimal app (tests/bundlers/) is set up as a user would:
// `npm pack` of www/lib, `npm install` of that tarball into a fresh folder, the bundler's
// production build. Only the build's output is served (127.0.0.1), so anything the bundler
// failed to emit is a 404, and headless Chromium runs the app: `interpolate` against the golden
// (on the CPU fallback: this browser has no WebGPU adapter, so 'auto' must fall back) and a short
// `interpolateVideo`, checked with ffprobe.
//
// The apps' main.js files are the README's "Using it with a bundler" examples; a test below keeps
// the two the same.
//
// The bundlers come from tests/bundlers/package-lock.json, installed once per lockfile under
// ~/.cache/inbetween/bundlers/ (outside the clone, so CI reinstalls only when the pins change).
// Pinned exactly (tests/bundlers/package.json): vite 7.3.8 (the 7 line the issue names; 8 is
// out), webpack 5.113.0 with webpack-cli 7.3.1 (the CLI that webpack's zero-config build needs),
// esbuild 0.28.2 (the version Vite 7.3.8 also takes). Raise them together, on purpose.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { launch, REPO } from './browser.mjs';
import { assertParity, BOUND_F16, F16_SHA256 } from './common.mjs';
import { probe } from './clips.mjs';
import { startServer } from './server.mjs';

const run = promisify(execFile);
const MINUTE = 60_000;
const APPS_DIR = path.join(REPO, 'tests/bundlers');
const CACHE = process.env.INBETWEEN_CACHE ?? path.join(os.homedir(), '.cache/inbetween');
const MODEL = 'rife-4.25-f16.bpk';
const CASE = 'i2_crop_s0.5';

/**
 * Each app: the folders of tests/bundlers/ its files are copied from (`app/` first, then its own
 * over it), where the model goes (the app's static folder), and how it is run: built and its
 * `serveDir` served, served as it is (plain), or by Vite's dev server (`dev`).
 */
const APPS = [
  { name: 'vite', layers: ['app', 'vite'], build: true, staticDir: 'public', serveDir: 'dist' },
  { name: 'webpack', layers: ['app', 'webpack'], build: true, staticDir: 'public', serveDir: 'public' },
  { name: 'esbuild', layers: ['app', 'esbuild'], build: true, staticDir: 'public', serveDir: 'public' },
  { name: 'plain', layers: ['app', 'plain'], build: false, staticDir: '.', serveDir: '.' },
  { name: 'vite-dev', layers: ['app', 'vite', 'vite-dev'], build: false, dev: true, staticDir: 'public' },
];

/**
 * Strings that survive minification, one from each part of the worker's module graph: a single
 * emitted file holding all of them is the worker, bundled with everything it imports.
 */
const WORKER_PARTS = {
  'worker/worker.js': 'internal error: cancel requests are served in onmessage',
  // A wasm export the glue calls by name (a property, so minifiers keep it).
  'pkg/inbetween_wasm.js': '__wbg_engine_free',
  'worker/video-job.js': 'no video frames could be decoded from the file',
  'vendor/mediabunny.js': 'Invalid exponential-Golomb code.',
};

/** Installs the pinned bundlers once per lockfile; returns their bin folder. */
async function toolchain() {
  const files = ['package.json', 'package-lock.json'];
  const hash = createHash('sha256');
  for (const f of files) hash.update(await readFile(path.join(APPS_DIR, f)));
  const dir = path.join(CACHE, 'bundlers', hash.digest('hex').slice(0, 16));
  const bin = path.join(dir, 'node_modules/.bin');
  if (existsSync(path.join(dir, '.installed'))) return bin;
  // Install beside it and rename, so an interrupted install is never taken for a finished one.
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  for (const f of files) await copyFile(path.join(APPS_DIR, f), path.join(partial, f));
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: partial, maxBuffer: 16 << 20 });
  await writeFile(path.join(partial, '.installed'), '');
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return bin;
}

async function listFiles(dir, base = dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(path.relative(base, p));
  }
  return out;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** `vite` (the dev server) in `dir` on a free port, until close(). */
async function viteDevServer(dir, bin) {
  const port = await new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(path.join(bin, 'vite'), ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => {
    log += d;
  });
  child.stderr.on('data', (d) => {
    log += d;
  });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`vite exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`${origin}/index.html`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error(`vite did not start in 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

describe('the packed package in apps: Vite, webpack and esbuild builds, a plain page, Vite dev', () => {
  let tmp;
  let tarball;
  let bin;
  let browser;
  let clip;
  const lib = path.join(REPO, 'www/lib');

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'inbetween-bundlers-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: lib,
      maxBuffer: 16 << 20,
    });
    tarball = path.join(tmp, JSON.parse(stdout)[0].filename);
    bin = await toolchain();
    // 6 frames of 64x36: ×2 is 12 frames, 6 of them made by RIFE, a few seconds on the CPU.
    clip = path.join(tmp, 'clip.mp4');
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x36:rate=24:duration=0.25',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '16',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    browser = await launch({ webgpu: false, log: (line) => console.log(line) });
  });
  after(async () => {
    await browser?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test("the README's bundler examples are the files these apps are built from", async () => {
    const readme = await readFile(path.join(lib, 'README.md'), 'utf8');
    for (const file of ['app/main.js', 'esbuild/src/main.js', 'vite-dev/vite.config.js']) {
      const code = (await readFile(path.join(APPS_DIR, file), 'utf8')).trim();
      assert.ok(readme.includes(code), `www/lib/README.md does not show tests/bundlers/${file} as it is`);
    }
  });

  test("a TypeScript app type-checks against the package's own types", { timeout: 2 * MINUTE }, async () => {
    const dir = path.join(tmp, 'typescript');
    await cp(path.join(APPS_DIR, 'typescript'), dir, { recursive: true });
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir });
    const tsc = path.join(REPO, 'node_modules/.bin/tsc');
    const tsconfig = JSON.parse(await readFile(path.join(dir, 'tsconfig.json'), 'utf8'));
    // As bundler apps resolve ('bundler') and as Node does ('nodenext'): both read `exports`.
    for (const [module, moduleResolution] of [
      ['ESNext', 'bundler'],
      ['NodeNext', 'nodenext'],
    ]) {
      await writeFile(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          ...tsconfig,
          compilerOptions: { ...tsconfig.compilerOptions, module, moduleResolution },
        }),
      );
      try {
        await run(tsc, ['-p', dir]);
      } catch (e) {
        assert.fail(`tsc (${moduleResolution}) failed:\n${e.stdout}${e.stderr}`);
      }
    }
  });

  for (const app of APPS) {
    test(`${app.name}: the app runs interpolate (golden) and interpolateVideo`, { timeout: 8 * MINUTE }, async (t) => {
      const dir = path.join(tmp, app.name);
      for (const layer of app.layers) {
        await cp(path.join(APPS_DIR, layer), layer === 'app' ? path.join(dir, 'src') : dir, { recursive: true });
      }
      await copyFile(path.join(REPO, 'tests/browser/harness.js'), path.join(dir, 'src/harness.js'));
      // The package from its tarball, as `npm install inbetween` would lay it out (it has no
      // dependencies, so no registry is needed).
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir });
      // The app serves the model itself (README: "The model"); copied from the installed package.
      await mkdir(path.join(dir, app.staticDir), { recursive: true });
      await copyFile(path.join(dir, 'node_modules/inbetween/model', MODEL), path.join(dir, app.staticDir, MODEL));

      if (app.build) {
        const t0 = Date.now();
        const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
        try {
          await run('npm', ['run', 'build'], { cwd: dir, env, maxBuffer: 16 << 20 });
        } catch (e) {
          assert.fail(`${app.name} build failed:\n${e.stdout}\n${e.stderr}`);
        }
        t.diagnostic(`${app.name} build: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      const site = app.dev ? null : path.join(dir, app.serveDir);

      if (app.build) {
        // What the bundler emitted: the worker with all of its imports in one file, the .wasm
        // once (byte for byte the package's), and no copy of the model but the app's own.
        const files = (await listFiles(site)).filter((f) => !f.startsWith('node_modules'));
        const texts = await Promise.all(
          files.filter((f) => f.endsWith('.js')).map(async (f) => [f, await readFile(path.join(site, f), 'utf8')]),
        );
        const workers = texts.filter(([, text]) =>
          Object.values(WORKER_PARTS).every((marker) => text.includes(marker)),
        );
        assert.equal(
          workers.length,
          1,
          `one emitted file should hold the worker and all it imports (${Object.keys(WORKER_PARTS).join(', ')}); files: ${files.join(', ')}`,
        );
        // Nothing resolved at build time to a path on the build machine (a file:// URL for
        // import.meta.url, say): it would leak the path and point nowhere once deployed.
        for (const [f, text] of texts) {
          assert.ok(!text.includes(dir) && !text.includes('file://'), `${f} names a build-machine path`);
        }
        // Both builds of the module (single-thread, and threaded for cross-origin-isolated
        // pages) where the bundler follows `new URL(…, import.meta.url)`; esbuild has only the
        // one the app imports (`inbetween/wasm`, the single-thread build).
        const packaged = {
          [sha256(await readFile(path.join(lib, 'pkg/inbetween_wasm_bg.wasm')))]: 'pkg',
          [sha256(await readFile(path.join(lib, 'pkg-mt/inbetween_wasm_bg.wasm')))]: 'pkg-mt',
        };
        const wasms = files.filter((f) => f.endsWith('.wasm'));
        const builds = await Promise.all(
          wasms.map(async (f) => packaged[sha256(await readFile(path.join(site, f)))] ?? `${f} (not the package's)`),
        );
        assert.deepEqual(
          builds.sort(),
          app.name === 'esbuild' ? ['pkg'] : ['pkg', 'pkg-mt'],
          `the .wasm files in the build: ${wasms.join(', ') || 'none'}`,
        );
        const modelBytes = (await stat(path.join(lib, 'model', MODEL))).size;
        const models = [];
        for (const f of files) if ((await stat(path.join(site, f))).size === modelBytes) models.push(f);
        assert.deepEqual(
          models,
          [MODEL],
          'the model is in the build only where the app put it, not bundled or fingerprinted',
        );
        t.diagnostic(`${app.name} output: ${files.join(', ')}`);
      }

      let server;
      if (app.dev) {
        // Vite serves only the app: the golden case and the clip go into its public folder.
        const golden = path.join(REPO, 'tests/golden');
        await cp(path.join(golden, CASE), path.join(dir, 'public/golden', CASE), { recursive: true });
        const meta = JSON.parse(await readFile(path.join(golden, CASE, 'meta.json'), 'utf8'));
        for (const image of [meta.image0, meta.image1]) {
          await cp(path.join(golden, CASE, image), path.join(dir, 'public/golden', CASE, image));
        }
        await copyFile(clip, path.join(dir, 'public/clip.mp4'));
        server = await viteDevServer(dir, bin);
      } else {
        server = await startServer({
          mounts: { '/': site, '/golden/': path.join(REPO, 'tests/golden') },
          routes: { '/clip.mp4': { body: await readFile(clip), type: 'video/mp4' } },
        });
      }
      try {
        await browser.open(`${server.origin}/index.html?golden=/golden`);
        if (app.build) {
          // The default model (next to the package's files) is not in a build: the error says
          // what to do instead of failing somewhere deeper.
          const e = await browser.page.evaluate(() =>
            window.harness.errorOf(() => window.harness.lib.createInterpolator()),
          );
          assert.equal(e?.name, 'Error', JSON.stringify(e));
          assert.match(
            e.message,
            /could not fetch the model from .*: HTTP 404 .*serve rife-4\.25-f16\.bpk .*modelUrl, modelSha256: MODEL_SHA256.*Using it with a bundler/,
          );
        }
        const r = await browser.page.evaluate(async (caseName) => {
          const { goldenCase, compareWithGolden, toImageData, closeIfFrame } = window.harness;
          const g = await goldenCase(caseName);
          let t0 = performance.now();
          const out = await window.app.middle(g.a, g.b, { scale: g.scale });
          const middleMs = performance.now() - t0;
          const image = await toImageData(out);
          closeIfFrame(out);
          const parity = compareWithGolden(image.data, g.output, g.width, g.height);

          const input = await (await fetch('/clip.mp4')).blob();
          let summary = null;
          t0 = performance.now();
          const blob = await window.app.twiceAsSmooth(input, (p) => {
            if (p.summary) summary = p.summary;
          });
          const videoMs = performance.now() - t0;
          const bytes = new Uint8Array(await blob.arrayBuffer());
          let binary = '';
          for (let i = 0; i < bytes.length; i += 0x8000)
            binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return {
            parity,
            middleMs,
            summary,
            videoMs,
            type: blob.type,
            base64: btoa(binary),
            width: image.width,
            height: image.height,
          };
        }, CASE);
        t.diagnostic(
          `${app.name}: middle ${(r.middleMs / 1000).toFixed(2)} s, max |diff| ${r.parity.maxDiff.toFixed(3)} steps, ` +
            `PSNR ${r.parity.psnr.toFixed(2)} dB; interpolateVideo ${(r.videoMs / 1000).toFixed(2)} s, ${r.summary?.frames} frames on ${r.summary?.backend}`,
        );

        assertParity(r.parity, BOUND_F16, `${app.name}/cpu/f16`);
        // No WebGPU adapter in this browser: 'auto' fell back to the CPU.
        assert.equal(r.summary?.backend, 'cpu');
        assert.equal(r.summary.frames, 12);
        const out = path.join(tmp, `${app.name}.${r.type === 'video/webm' ? 'webm' : 'mp4'}`);
        await writeFile(out, Buffer.from(r.base64, 'base64'));
        const info = probe(out);
        assert.equal(
          info.frames.length,
          12,
          `ffprobe counts ${info.frames.length} frames in the ${app.name} app's video`,
        );
        assert.equal(info.video.width, 64);
        assert.equal(info.video.height, 36);
        // Downloaded once, verified, then served from the Cache API for the second interpolator.
        if (!app.dev) assert.equal(server.count(`/${MODEL}`), 1, 'the model was downloaded once');
      } finally {
        await server.close();
      }

      // The same build in a cross-origin-isolated page runs the threaded wasm build: its helper
      // workers (`new Worker(new URL('./cpu-thread.js', import.meta.url))`, an entry point of
      // their own) and the threaded .wasm must be in the app's output too. Not esbuild, which
      // follows neither and passes `wasmUrl` (the single-thread module), nor Vite's dev server,
      // which would need the headers in its own config.
      if (!app.dev && app.name !== 'esbuild') {
        const isolated = await startServer({
          mounts: { '/': site, '/golden/': path.join(REPO, 'tests/golden') },
          isolate: true,
        });
        try {
          await browser.open(`${isolated.origin}/index.html?golden=/golden`);
          const r = await browser.page.evaluate((o) => window.harness.parity(o), {
            caseName: CASE,
            backend: 'cpu',
            modelUrl: `/${MODEL}`,
            modelSha256: F16_SHA256,
          });
          t.diagnostic(
            `${app.name}, cross-origin isolated: ${JSON.stringify(r.cpu)}, max |diff| ${r.maxDiff.toFixed(3)} steps`,
          );
          assert.equal(r.crossOriginIsolated, true);
          assert.equal(r.cpu?.variant, 'threads', JSON.stringify(r.cpu));
          assert.ok(r.cpu.threads >= 2, `${r.cpu.threads} rayon threads`);
          assertParity(r, BOUND_F16, `${app.name}/cpu-threads/f16`);
        } finally {
          await isolated.close();
        }
      }
    });
  }
});
