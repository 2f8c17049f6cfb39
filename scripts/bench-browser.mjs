#!/usr/bin/env node
// Runs the bench page (www/bench/) in Chromium and prints its result as JSON on stdout; progress
// and browser errors go to stderr. Exit 0 on success, 1 with the error message on failure.
// Reuses the browser tests' static server and launcher (tests/browser/), so it needs the built
// package (npm run build) and playwright-core (npm ci).
//
//   node scripts/bench-browser.mjs [--backend auto|webgpu|cpu] [--sizes 640x360,1280x720]
//     [--iters 5] [--scale 1] [--timeout-s 1800]
//     [--browser PATH] [--no-swiftshader] [--headed]
//
// By default the browser is Debian's /usr/bin/chromium with the tests' SwiftShader flags (software
// WebGPU: correct but very slow, ~10 s per 301x173 frame). On a machine with a real GPU pass
// --no-swiftshader (Chromium then uses the GPU's own Vulkan driver), and --headed and/or
// --browser /path/to/chrome if headless Chromium does not get the hardware adapter there. Check
// adapterInfo in the output: isFallbackAdapter true means a software GPU.
import { parseArgs } from 'node:util';
import { launch, REPO } from '../tests/browser/browser.mjs';
import { startServer } from '../tests/browser/server.mjs';

const { values: opts } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    sizes: { type: 'string', default: '640x360,1280x720' },
    iters: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    // Generous: on SwiftShader the default sizes take many minutes; on a real GPU, seconds.
    'timeout-s': { type: 'string', default: '1800' },
    browser: { type: 'string' },
    'no-swiftshader': { type: 'boolean', default: false },
    headed: { type: 'boolean', default: false },
  },
});

const timeoutS = Number(opts['timeout-s']);
if (!(timeoutS > 0)) {
  console.error(`--timeout-s must be a positive number, got ${opts['timeout-s']}`);
  process.exit(1);
}

const log = (line) => console.error(line);
let server;
let browser;
let exitCode = 0;
try {
  server = await startServer({ mounts: { '/': REPO } });
  browser = await launch({
    webgpu: true, // also for backend=cpu: harmless, and 'auto' needs it to find an adapter
    swiftshader: !opts['no-swiftshader'],
    headless: !opts.headed,
    ...(opts.browser ? { executablePath: opts.browser } : {}),
    log,
  });
  // The page's progress lines ([bench] …); the launcher already relays errors and warnings.
  browser.page.on('console', (m) => { if (m.text().startsWith('[bench]')) log(m.text()); });

  const query = new URLSearchParams({ backend: opts.backend, sizes: opts.sizes, iters: opts.iters, scale: opts.scale });
  await browser.page.goto(`${server.origin}/www/bench/index.html?${query}`);
  // Parameter errors also come back as benchError, so one wait covers both outcomes.
  await browser.page.waitForFunction(
    () => window.benchResult !== undefined || window.benchError !== undefined,
    null,
    { timeout: timeoutS * 1000, polling: 500 },
  ).catch(async (e) => {
    // A timeout: say where the page was.
    const where = await browser.page.textContent('#status').catch(() => '?');
    throw new Error(`${e.message} (page status: ${where})`);
  });
  const { result, error } = await browser.page.evaluate(() => ({ result: window.benchResult, error: window.benchError }));
  if (error !== undefined) throw new Error(error);
  if (result.adapterInfo?.isFallbackAdapter) {
    log('warning: the WebGPU adapter is a software one (isFallbackAdapter); these are not GPU timings');
  }
  console.log(JSON.stringify(result, null, 2));
} catch (e) {
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  exitCode = 1;
} finally {
  await browser?.close();
  await server?.close();
}
process.exit(exitCode);
