// Soak: one long interpolateVideo job on the CPU path at a tiny size, with the worker's memory
// sampled while it runs: its JS heap (read over the DevTools protocol after a forced
// collection), its wasm memory and the encoded output it holds. All three must stay flat: a
// leak of frames, tensors, closures or output shows up as growth between the samples.
//
// CI runs INBETWEEN_SOAK_FRAMES output frames (default 1000, about a minute here); the full soak
// is a bench: INBETWEEN_SOAK_FRAMES=10000 bash scripts/test-browser.sh tests/browser/soak.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { openTestPage } from './fixture.mjs';

const FRAMES = Number(process.env.INBETWEEN_SOAK_FRAMES ?? 1000);
const RATE = 25;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-soak-'));
// x2: half as many source frames as output frames. testsrc2 moves everywhere, so every pair
// runs RIFE (no duplicates, no cuts).
execFileSync('ffmpeg', [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=32x18:rate=${RATE}:duration=${FRAMES / 2 / RATE}`,
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '23',
  '-pix_fmt',
  'yuv420p',
  path.join(dir, 'soak.mp4'),
]);

/** The worker's JS heap in bytes after a full collection, over CDP (the page session's
 * auto-attached worker target; the non-flattened protocol, which Playwright's API can carry). */
async function workerHeap(session, sessionId) {
  let id = 0;
  const ask = (method) =>
    new Promise((resolve) => {
      const mine = ++id + 1000 * Math.floor(Math.random() * 1e6);
      const on = (ev) => {
        if (ev.sessionId !== sessionId) return;
        const m = JSON.parse(ev.message);
        if (m.id !== mine) return;
        session.off('Target.receivedMessageFromTarget', on);
        resolve(m.result);
      };
      session.on('Target.receivedMessageFromTarget', on);
      void session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: mine, method }) });
    });
  await ask('HeapProfiler.collectGarbage');
  return (await ask('Runtime.getHeapUsage')).usedSize;
}

describe('soak: a long job keeps memory flat', () => {
  const fx = openTestPage({ webgpu: false, server: { mounts: { '/': REPO, '/soak/': dir } } });

  test(`${FRAMES} output frames on the CPU path`, { timeout: Math.max(10, FRAMES / 40) * 60_000 }, async (t) => {
    const { page } = fx.browser;
    const session = await page.context().newCDPSession(page);
    const workers = [];
    session.on('Target.attachedToTarget', (ev) => {
      if (ev.targetInfo.type === 'worker') workers.push(ev.sessionId);
    });
    await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    await page.evaluate(async () => {
      window.soakInterp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      window.soakState = { done: 0, total: 0, finished: false, error: null, frames: 0 };
      const blob = await (await fetch('/soak/soak.mp4')).blob();
      window.soakJob = window.harness.lib
        .interpolateVideo(
          blob,
          { factor: 2, interpolator: window.soakInterp },
          {
            onProgress: (p) => {
              window.soakState.done = p.framesDone;
              window.soakState.total = p.framesTotal;
            },
          },
        )
        .then(
          (out) => {
            window.soakState.finished = true;
            window.soakState.bytes = out.size;
          },
          (e) => {
            window.soakState.error = String(e?.message ?? e);
            window.soakState.finished = true;
          },
        );
    });
    for (let i = 0; i < 100 && workers.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(workers.length, 1, 'the interpolator worker is attached');
    const samples = [];
    for (;;) {
      const state = await page.evaluate(() => window.soakState);
      if (state.finished) {
        assert.equal(state.error, null, state.error);
        break;
      }
      if (state.total > 0 && state.done > 0) {
        const mem = await page.evaluate(() => window.testing.liveMemory(window.soakInterp));
        const heap = await workerHeap(session, workers[0]);
        samples.push({ done: state.done, heap, wasm: mem.wasmBytes, output: mem.outputBytes });
      }
      // Once a second: with the CPU kernels on in wasm the 1000-frame job takes about 12 s here,
      // and every 3 s gave only 3 samples, too few to tell warm-up from growth.
      await new Promise((r) => setTimeout(r, 1000));
    }
    const mib = (b) => (b / 2 ** 20).toFixed(1);
    for (const s of samples)
      t.diagnostic(
        `frame ${s.done}: worker heap ${mib(s.heap)} MiB, wasm ${mib(s.wasm)} MiB, output held ${mib(s.output)} MiB`,
      );
    assert.ok(samples.length >= 4, `only ${samples.length} samples`);
    // Flat: after the first quarter (warm-up: the model, the decoders, the first pages), nothing
    // grows. wasm memory never shrinks, so any growth there is a leak; the heap may wander a bit.
    const settled = samples.slice(Math.floor(samples.length / 4));
    const first = settled[0];
    const last = settled.at(-1);
    assert.equal(last.wasm, first.wasm, `wasm memory grew from ${mib(first.wasm)} to ${mib(last.wasm)} MiB`);
    const heaps = settled.map((s) => s.heap);
    assert.ok(
      Math.max(...heaps) - Math.min(...heaps) < 8 * 2 ** 20,
      `worker heap ranged ${mib(Math.min(...heaps))}–${mib(Math.max(...heaps))} MiB`,
    );
    for (const s of samples)
      assert.ok(s.output <= 3 * 4 * 2 ** 20, `output held ${mib(s.output)} MiB at frame ${s.done}`);
    await page.evaluate(() => window.soakInterp.dispose());
  });
});
