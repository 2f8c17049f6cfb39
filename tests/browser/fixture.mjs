// The setup every browser test file shares: a static server (the repo root unless told
// otherwise), a fresh headless Chromium, and the test page open. Call inside `describe`; the
// returned object's `server` and `browser` are set once the `before` hook has run.
import { after, before } from 'node:test';
import { launch, REPO } from './browser.mjs';
import { startServer } from './server.mjs';

export function openTestPage({ webgpu = true, server: serverOptions = { mounts: { '/': REPO } } } = {}) {
  const fx = { server: null, browser: null };
  before(async () => {
    fx.server = await startServer(serverOptions);
    fx.browser = await launch({ webgpu, log: (line) => console.log(line) });
    await fx.browser.open(`${fx.server.origin}/tests/browser/page.html`);
  });
  after(async () => {
    await fx.browser?.close();
    await fx.server?.close();
  });
  return fx;
}
