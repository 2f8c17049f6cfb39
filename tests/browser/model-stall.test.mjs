// A model download that stalls or is cancelled must end with a clear error, never hang
// createInterpolator (or interpolateVideo, which calls it). The server here answers the model
// URL with its headers and the first bytes, then sends nothing more and never closes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';
import { REPO } from './browser.mjs';
import { F16_BYTES } from './common.mjs';

const STALL = '/stall/rife.bpk';

describe('model loading: stalls and cancellation', () => {
  const open = new Set();
  const fx = openTestPage({
    webgpu: false,
    server: {
      mounts: { '/': REPO },
      routes: {
        [STALL]: {
          handler: (req, res) => {
            res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(F16_BYTES) });
            res.write(new Uint8Array(64 * 1024));
            open.add(res);
            req.on('close', () => open.delete(res));
          },
        },
      },
    },
  });

  test('a stalled download fails after stallTimeoutMs, naming the stall', { timeout: 60_000 }, async () => {
    const r = await fx.browser.page.evaluate(async (url) => {
      const t0 = performance.now();
      const e = await window.harness.errorOf(() =>
        window.harness.lib.createInterpolator({ backend: 'cpu', modelUrl: url, stallTimeoutMs: 1500 }),
      );
      return { e, ms: performance.now() - t0 };
    }, STALL);
    assert.equal(r.e?.name, 'Error', JSON.stringify(r.e));
    assert.match(r.e.message, /stalled: no data for 2 s/);
    assert.ok(r.ms >= 1400 && r.ms < 10_000, `gave up after ${r.ms} ms`);
  });

  test('aborting the signal rejects at once with its reason, and the request is dropped', {
    timeout: 60_000,
  }, async () => {
    const r = await fx.browser.page.evaluate(async (url) => {
      const controller = new AbortController();
      const t0 = performance.now();
      const pending = window.harness.errorOf(() =>
        window.harness.lib.createInterpolator({ backend: 'cpu', modelUrl: url, signal: controller.signal }),
      );
      await new Promise((r) => setTimeout(r, 500));
      controller.abort(new Error('user cancelled'));
      const e = await pending;
      return { e, ms: performance.now() - t0 };
    }, STALL);
    assert.equal(r.e?.message, 'user cancelled');
    assert.ok(r.ms < 3000, `took ${r.ms} ms`);
    // The browser closed the connection: the server sees no open response for long.
    for (let i = 0; i < 50 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(open.size, 0, 'the stalled request is still open');
  });

  test('interpolateVideo passes its signal to the model download', { timeout: 60_000 }, async () => {
    const r = await fx.browser.page.evaluate(async (url) => {
      const controller = new AbortController();
      const blob = new Blob([new Uint8Array(16)], { type: 'video/mp4' });
      const pending = window.harness.errorOf(() =>
        window.harness.lib.interpolateVideo(blob, { backend: 'cpu', modelUrl: url }, { signal: controller.signal }),
      );
      await new Promise((r) => setTimeout(r, 500));
      controller.abort(new Error('stop the video'));
      return await pending;
    }, STALL);
    assert.equal(r?.message, 'stop the video');
  });

  test('bad stallTimeoutMs and signal are TypeErrors', { timeout: 30_000 }, async () => {
    const errs = await fx.browser.page.evaluate(async () =>
      Promise.all(
        [0, -1, Number.NaN, '5']
          .map((v) =>
            window.harness.errorOf(() => window.harness.lib.createInterpolator({ backend: 'cpu', stallTimeoutMs: v })),
          )
          .concat([
            window.harness.errorOf(() => window.harness.lib.createInterpolator({ backend: 'cpu', signal: {} })),
          ]),
      ),
    );
    for (const e of errs) assert.equal(e?.name, 'TypeError', JSON.stringify(e));
  });
});
