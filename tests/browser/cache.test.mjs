// Model download, sha256 check and the Cache API, observed from the server's request counter.
// The server sends Cache-Control: no-store, so a request that does not reach it was served by
// the Cache API, not by the HTTP cache.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';
import { F16_BYTES, F16_SHA256 } from './common.mjs';

const MINUTE = 60_000;
const MODEL_PATH = '/www/lib/model/rife-4.25-f16.bpk';

describe('model loading: sha256 and the Cache API', () => {
  // A fresh profile: the cache starts empty.
  const fx = openTestPage({ webgpu: false });

  /** Creates and disposes a CPU interpolator with `options`; returns progress calls and timing. */
  const load = (options = {}) =>
    fx.browser.page.evaluate(async (o) => {
      const progress = [];
      const t0 = performance.now();
      const interp = await window.harness.lib.createInterpolator({
        backend: 'cpu',
        ...o,
        onProgress: (loaded, total) => progress.push([loaded, total]),
      });
      const ms = performance.now() - t0;
      interp.dispose();
      return { ms, progressCalls: progress.length, first: progress[0], last: progress.at(-1) };
    }, options);

  const cachedKeys = () =>
    fx.browser.page.evaluate(async () => {
      const cache = await caches.open('inbetween-models');
      return (await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
    });

  test('the first load downloads with progress; the second comes from the cache', {
    timeout: 3 * MINUTE,
  }, async (t) => {
    assert.equal(fx.server.count(MODEL_PATH), 0);
    const first = await load();
    assert.equal(fx.server.count(MODEL_PATH), 1);
    assert.ok(first.progressCalls >= 2, `streamed progress: ${first.progressCalls} calls`);
    assert.deepEqual(first.first, [0, F16_BYTES]);
    assert.deepEqual(first.last, [F16_BYTES, F16_BYTES]);
    assert.deepEqual(await cachedKeys(), [`${MODEL_PATH}?inbetween-sha256=${F16_SHA256}`]);

    const second = await load();
    assert.equal(fx.server.count(MODEL_PATH), 1, 'the second load must not download');
    assert.deepEqual(second.last, [F16_BYTES, F16_BYTES]);
    t.diagnostic(`first load ${(first.ms / 1000).toFixed(2)} s, cached load ${(second.ms / 1000).toFixed(2)} s`);

    await load({ cache: false });
    assert.equal(fx.server.count(MODEL_PATH), 2, 'cache: false always downloads');
  });

  test('a wrong modelSha256 rejects, naming both hashes; nothing is cached for it', {
    timeout: 2 * MINUTE,
  }, async () => {
    const wrong = '0'.repeat(64);
    const before = fx.server.count(MODEL_PATH);
    const e = await fx.browser.page.evaluate(
      (sha) =>
        window.harness.errorOf(() =>
          window.harness.lib.createInterpolator({
            backend: 'cpu',
            modelUrl: '/www/lib/model/rife-4.25-f16.bpk',
            modelSha256: sha,
          }),
        ),
      wrong,
    );
    assert.equal(fx.server.count(MODEL_PATH), before + 1, 'a different hash is a different cache key: downloaded');
    assert.equal(e?.name, 'Error');
    assert.ok(e.message.includes(wrong), `names the expected hash: ${e.message}`);
    assert.ok(e.message.includes(F16_SHA256), `names the actual hash: ${e.message}`);
    assert.ok(!(await cachedKeys()).some((k) => k.includes(wrong)));
  });

  test('a corrupted cache entry is rejected with both hashes and deleted; the next load downloads', {
    timeout: 3 * MINUTE,
  }, async () => {
    const key = `${MODEL_PATH}?inbetween-sha256=${F16_SHA256}`;
    const badSha = await fx.browser.page.evaluate(async (k) => {
      const cache = await caches.open('inbetween-models');
      const bytes = new Uint8Array(1024).fill(42);
      await cache.put(new URL(k, location.href).href, new Response(bytes));
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    }, key);
    const before = fx.server.count(MODEL_PATH);
    const e = await fx.browser.page.evaluate(() =>
      window.harness.errorOf(() => window.harness.lib.createInterpolator({ backend: 'cpu' })),
    );
    assert.equal(fx.server.count(MODEL_PATH), before, 'served from the (corrupt) cache');
    assert.equal(e?.name, 'Error');
    assert.ok(e.message.includes(badSha) && e.message.includes(F16_SHA256), e.message);
    assert.match(e.message, /inbetween-models/, 'says it came from the cache');
    assert.deepEqual(await cachedKeys(), [], 'the bad entry is deleted');

    await load();
    assert.equal(fx.server.count(MODEL_PATH), before + 1, 'downloaded again');
    assert.deepEqual(await cachedKeys(), [key], 'and cached again');
  });
});
