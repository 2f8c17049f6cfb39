// Headless Chromium with the unpacked extension loaded, for tests/browser/extension*.test.mjs.
//
// - Playwright passes --disable-extensions by default: drop it, and load only ours.
// - The action is clicked for real: CDP's Extensions.triggerAction (Chromium 14x+, needs the pipe
//   connection Playwright uses and --enable-unsafe-extension-debugging) runs the same path as a
//   user's click, activeTab grant included. No test-only permission is added to the manifest.
// - Test hooks: `inTab(fn)` runs `fn` through chrome.scripting in the extension's isolated world
//   of the tab, where content.js keeps `globalThis.__inbetween` (the page cannot see it).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../browser.mjs';

const BASE_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
// As tests/browser/browser.mjs: SwiftShader WebGPU, with VideoFrame imports working.
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=vulkan',
  '--use-vulkan=swiftshader',
];
// A machine with a real GPU (the bench): Chromium's own driver choice, blocklist ignored.
const REAL_GPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

/**
 * @param {{ extensionDir: string, webgpu?: boolean, realGpu?: boolean, log?: (line: string) => void }} options
 */
export async function launchWithExtension({ extensionDir, webgpu = true, realGpu = false, log = () => {} }) {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'inbetween-ext-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [
      '--headless=new',
      ...BASE_ARGS,
      ...(webgpu ? (realGpu ? REAL_GPU_ARGS : WEBGPU_ARGS) : []),
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
      '--enable-unsafe-extension-debugging',
      '--autoplay-policy=no-user-gesture-required',
    ],
    env: realGpu ? process.env : { ...process.env, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' },
    timeout: 120_000,
  });
  context.setDefaultTimeout(0);
  const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  const extensionId = new URL(sw.url()).host;
  const page = context.pages()[0] ?? (await context.newPage());
  /** Console errors and warnings of the page (content script included) and of extension pages. */
  const messages = [];
  const record = (where) => (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      messages.push(`${where}: ${m.text()}`);
      log(`[${where} console.${m.type()}] ${m.text()}`);
    }
  };
  page.on('console', record('page'));
  page.on('pageerror', (e) => {
    messages.push(`page: ${e.message}`);
    log(`[pageerror] ${e.message}`);
  });
  const cdp = await context.browser().newBrowserCDPSession();

  return {
    context,
    page,
    sw,
    extensionId,
    messages,
    /**
     * Clicks the extension's action on the active tab, as a user would, and waits until
     * content.js has seen the click. A click can get lost (seen about once in ten runs: the
     * activeTab grant arrives but the service worker's onClicked does not run, or neither
     * happens); then nothing was injected, so clicking again is what a user would do, and safe.
     */
    async clickAction() {
      const clicks = () => this.inTab(() => globalThis.__inbetween?.debug.clicks() ?? 0).catch(() => 0);
      const before = await clicks();
      for (let attempt = 1; ; attempt++) {
        const { targetInfos } = await cdp.send('Target.getTargets', { filter: [{ type: 'tab' }] });
        const url = page.url();
        const tab = targetInfos.find((t) => t.url === url) ?? targetInfos[0];
        await cdp.send('Extensions.triggerAction', { id: extensionId, targetId: tab.targetId });
        for (let i = 0; i < 20; i++) {
          if ((await clicks()) > before) return;
          await new Promise((r) => setTimeout(r, 250));
        }
        if (attempt === 3) throw new Error('the action click never reached the page');
        log(`[launch] the action click did not arrive (attempt ${attempt}), clicking again`);
      }
    },
    /** Runs `fn(arg)` in the extension's isolated world of the active tab; returns its result. */
    async inTab(fn, arg = null) {
      // The function is spliced into the service worker's source as text: extension contexts
      // forbid eval, so it cannot be rebuilt from a string there (nor in the isolated world).
      return sw.evaluate(`(async () => {
        const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
        const [r] = await chrome.scripting.executeScript({
          target: { tabId: tab.id }, world: 'ISOLATED', func: ${fn.toString()}, args: [${JSON.stringify(arg)}],
        });
        return r?.result;
      })()`);
    },
    /** Sets the extension's stored settings (chrome.storage.local). */
    async settings(values) {
      await sw.evaluate((v) => chrome.storage.local.set(v), values);
    },
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
