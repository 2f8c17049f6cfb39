#!/usr/bin/env node
// Runs the bench page (www/bench/) in Chromium and prints its result as JSON on stdout; progress
// and browser errors go to stderr. Exit 0 on success, 1 with the error message on failure.
// Reuses the browser tests' static server and launcher (tests/browser/), so it needs the built
// package (npm run build) and playwright-core (npm ci).
//
//   node scripts/bench/browser.mjs [--backend auto|webgpu|cpu] [--sizes 640x360,1280x720]
//     [--iters 5] [--scale 1[,0.5]] [--precision f32[,f16]] [--timeout-s 1800]
//     [--compare DIR] [--browser PATH] [--no-swiftshader] [--headed]
//     [--cpu-builds single,threads] [--native [PATH]]
//
// --cpu-builds times the CPU path in each wasm build: `single` in a plain page, `threads` in a
// cross-origin-isolated one (COOP/COEP from the server), where the package runs its threaded
// build with one rayon thread per core. --native also runs the native CLI bench
// (`inbetween-bench --backends cpu`, flex with the fused CPU kernels; default path
// $CARGO_TARGET_DIR/debug/inbetween-bench) on the same sizes with RAYON_NUM_THREADS 1 and the
// threaded build's count, in the same run, and prints wasm/native ratios per size and build.
// The CPU table of the README: `npm run bench:browser -- --backend cpu --sizes 320x180,640x360
// --cpu-builds single,threads --native`.
//
// --compare DIR also times another build of the package in the same browser, right after this
// one, and prints the ratios: DIR is a folder holding www/lib/{dist,pkg,model} of that build
// (served at /compare/), e.g. the last burn-wgpu package: `npm run build` in a checkout of
// commit aecd586, or its www/lib/pkg (wasm-bindgen + wasm-opt of its cargo output) with that
// commit's www/lib/src compiled by tsc. Each result has `pair` (both frames new) and `newFrame`
// (one new frame per call, as in a video) timings, and the engine's dispatches per new frame.
//
// By default the browser is Debian's /usr/bin/chromium with the tests' SwiftShader flags (software
// WebGPU: correct but very slow, ~10 s per 301x173 frame). On a machine with a real GPU pass
// --no-swiftshader (Chromium then uses the GPU's own Vulkan driver), and --headed and/or
// --browser /path/to/chrome if headless Chromium does not get the hardware adapter there. Check
// adapterInfo in the output: isFallbackAdapter true means a software GPU.
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { launch, REPO } from '../../tests/browser/browser.mjs';
import { startServer } from '../../tests/browser/server.mjs';

const { values: opts } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    sizes: { type: 'string', default: '640x360,1280x720' },
    iters: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    precision: { type: 'string', default: 'f32' },
    compare: { type: 'string' },
    // Generous: on SwiftShader the default sizes take many minutes; on a real GPU, seconds.
    'timeout-s': { type: 'string', default: '1800' },
    browser: { type: 'string' },
    'no-swiftshader': { type: 'boolean', default: false },
    headed: { type: 'boolean', default: false },
    'cpu-builds': { type: 'string' },
    native: { type: 'boolean', default: false },
    'native-bin': { type: 'string' },
  },
});
const cpuBuilds = opts['cpu-builds'] ? opts['cpu-builds'].split(',') : null;
if (cpuBuilds?.some((b) => b !== 'single' && b !== 'threads')) {
  console.error(`--cpu-builds takes single and/or threads, got ${opts['cpu-builds']}`);
  process.exit(1);
}

const timeoutS = Number(opts['timeout-s']);
if (!(timeoutS > 0)) {
  console.error(`--timeout-s must be a positive number, got ${opts['timeout-s']}`);
  process.exit(1);
}

const log = (line) => console.error(line);
let server;
const servers = [];
let browser;
let exitCode = 0;
try {
  const mounts = { '/': REPO, ...(opts.compare ? { '/compare/': opts.compare } : {}) };
  server = await startServer({ mounts });
  // The threaded build runs only in a cross-origin-isolated page: a second server that says so.
  const isolated = cpuBuilds?.includes('threads') ? await startServer({ mounts, isolate: true }) : null;
  servers.push(isolated);
  browser = await launch({
    webgpu: true, // also for backend=cpu: harmless, and 'auto' needs it to find an adapter
    swiftshader: !opts['no-swiftshader'],
    headless: !opts.headed,
    ...(opts.browser ? { executablePath: opts.browser } : {}),
    log,
  });
  // The page's progress lines ([bench] …); the launcher already relays errors and warnings.
  browser.page.on('console', (m) => {
    if (m.text().startsWith('[bench]')) log(m.text());
  });

  const builds = cpuBuilds
    ? cpuBuilds.map((b) => ({
        name: b === 'single' ? 'this build' : 'threads',
        lib: '../lib/dist/index.js',
        origin: b === 'threads' ? servers[0].origin : server.origin,
        cpu: b,
      }))
    : [{ name: 'this build', lib: '../lib/dist/index.js', origin: server.origin }];
  if (opts.compare) builds.push({ name: 'compare', lib: '/compare/www/lib/dist/index.js', origin: server.origin });
  const out = {};
  for (const build of builds) {
    log(`== ${build.name} (${build.lib})`);
    const query = new URLSearchParams({
      backend: opts.backend,
      sizes: opts.sizes,
      iters: opts.iters,
      scale: opts.scale,
      precision: opts.precision,
      lib: build.lib,
    });
    await browser.page.goto(`${build.origin}/www/bench/index.html?${query}`);
    // Parameter errors also come back as benchError, so one wait covers both outcomes.
    await browser.page
      .waitForFunction(() => window.benchResult !== undefined || window.benchError !== undefined, null, {
        timeout: timeoutS * 1000,
        polling: 500,
      })
      .catch(async (e) => {
        // A timeout: say where the page was.
        const where = await browser.page.textContent('#status').catch(() => '?');
        throw new Error(`${e.message} (page status: ${where})`);
      });
    const { result, error } = await browser.page.evaluate(() => ({
      result: window.benchResult,
      error: window.benchError,
    }));
    if (error !== undefined) throw new Error(`${build.name}: ${error}`);
    if (result.runs.some((r) => r.adapterInfo?.isFallbackAdapter)) {
      log('warning: the WebGPU adapter is a software one (isFallbackAdapter); these are not GPU timings');
    }
    if (build.cpu) {
      const ran = result.runs.find((r) => r.cpu)?.cpu;
      const want = build.cpu === 'threads' ? 'threads' : 'single';
      if (ran?.variant !== want) throw new Error(`asked for the ${want} build, the page ran ${JSON.stringify(ran)}`);
    }
    out[build.name] = result;
  }
  const result = out['this build'] ?? out.threads;
  if (out.threads && out['this build']) result.threads = out.threads;
  if (cpuBuilds) result.cpuTable = await cpuTable(out);
  if (opts.compare) {
    // This build's time over the other's, per size, scale and precision (f32 of the other build
    // when it has no such precision): below 1 means this build is faster.
    const other = out.compare.runs.find((r) => r.results) ?? { results: [] };
    result.compare = out.compare;
    result.ratios = result.runs
      .filter((r) => r.results)
      .flatMap((r) =>
        r.results.map((x) => {
          const y = other.results.find((o) => o.size === x.size && o.scale === x.scale);
          return {
            size: x.size,
            scale: x.scale,
            precision: r.precision,
            pair: y ? Math.round((x.pair.medianMs / y.pair.medianMs) * 1000) / 1000 : null,
            newFrame: y ? Math.round((x.newFrame.medianMs / y.newFrame.medianMs) * 1000) / 1000 : null,
          };
        }),
      );
  }
  console.log(JSON.stringify(result, null, 2));
} catch (e) {
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  exitCode = 1;
} finally {
  await browser?.close();
  await server?.close();
  for (const s of servers) await s?.close();
}
process.exit(exitCode);

/**
 * ms per frame (median of the `pair` calls: both frames prepared, as the native bench's "both
 * frames encoded") for each wasm build, and with --native the native flex time on the same
 * thread count, run now, after the browser has closed its pages (not at the same time: they
 * would share the cores). Printed as a Markdown table on stderr and returned.
 */
async function cpuTable(out) {
  const rows = [];
  const native = {};
  if (opts.native) {
    const bin =
      opts['native-bin'] ??
      path.join(
        process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/inbetween/target'),
        'debug/inbetween-bench',
      );
    const counts = new Set(
      Object.values(out).flatMap((b) => b.runs.filter((r) => r.cpu).map((r) => Math.max(1, r.cpu.threads))),
    );
    for (const threads of counts) {
      log(`== native flex, ${threads} thread(s): ${bin}`);
      const { stdout } = await promisify(execFile)(
        bin,
        ['--sizes', opts.sizes, '--backends', 'cpu', '--iters', opts.iters, '--no-torch'],
        {
          cwd: REPO,
          env: { ...process.env, RAYON_NUM_THREADS: String(threads) },
          maxBuffer: 1 << 24,
        },
      );
      // The bench's table rows: | 640x360 | cpu | 0.123 | … |
      for (const m of stdout.matchAll(/^\| (\d+x\d+) \| cpu \| ([\d.]+) \|/gm))
        native[`${m[1]}/${threads}`] = Number(m[2]) * 1000;
    }
  }
  for (const [name, build] of Object.entries(out)) {
    for (const run of build.runs.filter((r) => r.results && r.cpu)) {
      const threads = Math.max(1, run.cpu.threads);
      for (const x of run.results) {
        const n = native[`${x.size}/${threads}`];
        rows.push({
          build: { 'this build': 'single', threads: 'threads', compare: 'compare' }[name],
          size: x.size,
          scale: x.scale,
          threads,
          simd: run.cpu.simd,
          wasmMs: x.pair.medianMs,
          nativeMs: n ?? null,
          ratio: n ? Math.round((x.pair.medianMs / n) * 100) / 100 : null,
        });
      }
    }
  }
  log(
    '\n| size | wasm build | threads | wasm ms/frame | native flex ms/frame | wasm / native |\n|---|---|---|---|---|---|',
  );
  for (const r of rows)
    log(
      `| ${r.size} | ${r.build}${r.simd ? ' (simd128)' : ''} | ${r.threads} | ${Math.round(r.wasmMs)} | ${r.nativeMs === null ? '-' : Math.round(r.nativeMs)} | ${r.ratio ?? '-'} |`,
    );
  return rows;
}
