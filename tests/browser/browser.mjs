// Launching Debian's Chromium through playwright-core (Playwright's own browser download cannot
// work here), with the flags that give headless Chromium a WebGPU adapter on a machine without a
// GPU (SwiftShader, Chromium's software Vulkan, chosen by the flags below).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.INBETWEEN_CHROMIUM ?? '/usr/bin/chromium';
export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const BASE_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // gc() in pages and workers: the VideoFrame leak checks force a collection, so a frame that
  // was never closed is reported now instead of whenever the collector happens to run.
  '--js-flags=--expose-gc',
];

// WebGPU needs --enable-unsafe-webgpu (else requestAdapter() gives null). The Vulkan/SwiftShader
// ones make VideoFrame → WebGPU imports work too. Note: Playwright passes its own
// --enable-features; Chromium takes the last occurrence of a switch, which is this one.
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=vulkan',
  '--use-vulkan=swiftshader',
];

// For a machine with a real GPU (the bench script's --no-swiftshader): WebGPU still needs the
// unsafe flag (and Vulkan on Linux), but Chromium picks the GPU's own driver, even when it is on
// the blocklist.
const REAL_GPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

/**
 * A fresh browser profile (its own --user-data-dir, so no Cache API state leaks between test
 * files) with one page.
 * The defaults are the tests' setup; `swiftshader: false`, `headless: false` and
 * `executablePath` are for benchmarking on a machine with a real GPU (scripts/bench/browser.mjs).
 * @param {{ webgpu?: boolean, swiftshader?: boolean, headless?: boolean, executablePath?: string,
 *   log?: (line: string) => void }} [options]
 */
export async function launch({
  webgpu = true,
  swiftshader = true,
  headless = true,
  executablePath = CHROMIUM,
  log = () => {},
} = {}) {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'inbetween-chromium-'));
  const gpuArgs = webgpu ? (swiftshader ? WEBGPU_ARGS : REAL_GPU_ARGS) : [];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless,
    args: [...(headless ? ['--headless=new'] : []), ...BASE_ARGS, ...gpuArgs],
    env: swiftshader ? { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' } : process.env,
    // Slow SwiftShader runs must not trip Playwright's default 30 s timeouts; node:test's
    // per-test timeouts bound every test instead.
    timeout: 120_000,
  });
  context.setDefaultTimeout(0);
  const page = context.pages()[0] ?? (await context.newPage());
  // Surface page and worker errors in the test output: a failing test is much easier to read
  // with the console line that explains it.
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log(`[console.${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`[worker console.${m.type()}] ${m.text()}`);
    }),
  );
  return {
    context,
    page,
    /** Opens `url` and waits for the harness module to be ready. */
    async open(url) {
      await page.goto(url);
      await page.waitForFunction(() => window.harnessReady === true, null, { timeout: 60_000 });
    },
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Milliseconds → "1.23 s" for the test log. */
export function seconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}
