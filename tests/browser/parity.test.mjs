// Parity with the PyTorch reference in a real browser, on the CPU fallback (WebAssembly) and on
// WebGPU (SwiftShader, a software GPU at ≈0.2 GFLOP/s: hence the half-scale 301x173 case, about
// the cheapest real one, and the generous timeouts). The CPU path runs twice: the threaded wasm
// build in a cross-origin-isolated page and the single-thread build in a plain one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { openTestPage } from './fixture.mjs';
import { assertParity, BOUND_F16, BOUND_F32, describeParity, F32_MODEL } from './common.mjs';

const MINUTE = 60_000;

describe('parity with the PyTorch golden in a cross-origin-isolated page: the threaded wasm build', () => {
  // COOP/COEP on every response (scripts/serve.mjs `isolate`), as `npm run demo` serves them.
  const fx = openTestPage({ webgpu: true, server: { mounts: { '/': REPO }, isolate: true } });

  for (const [label, options, bound] of [
    ['f32 model', F32_MODEL, BOUND_F32],
    ['packaged f16 model', {}, BOUND_F16],
  ]) {
    test(`CPU path on rayon threads, ${label}`, { timeout: 5 * MINUTE }, async (t) => {
      const r = await fx.browser.page.evaluate((o) => window.harness.parity(o), {
        backend: 'cpu',
        runs: 2,
        ...options,
      });
      t.diagnostic(`${describeParity(r)}; build ${JSON.stringify(r.cpu)}`);
      assert.equal(r.crossOriginIsolated, true, 'the page is cross-origin isolated');
      assert.equal(r.backend, 'cpu');
      // The threaded build ran, with its pool started: not the fallback.
      assert.equal(r.cpu?.variant, 'threads', JSON.stringify(r.cpu));
      assert.equal(r.cpu.atomics, true);
      assert.equal(r.cpu.simd, true);
      assert.ok(r.cpu.threads >= 2, `${r.cpu.threads} rayon threads`);
      assertParity(r, bound, `cpu-threads/${label}`);
    });
  }

  test('WebGPU (SwiftShader) from the threaded build, f32 model', { timeout: 10 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.parity(o), { backend: 'webgpu', ...F32_MODEL });
    t.diagnostic(`${describeParity(r)}; build ${JSON.stringify(r.cpu)}`);
    assert.equal(r.backend, 'webgpu');
    // The same module as the CPU tests above; its thread pool is never started on WebGPU.
    assert.deepEqual(r.cpu, { variant: 'threads', threads: 0, simd: true, atomics: true });
    assertParity(r, BOUND_F32, 'webgpu-threads/f32');
  });
});

describe('parity with the PyTorch golden (i2_crop_s0.5: 301x173, t=0.5, scale 0.5)', () => {
  const fx = openTestPage({ webgpu: true });

  test('CPU fallback, f32 model', { timeout: 5 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.parity(o), {
      backend: 'cpu',
      runs: 2,
      ...F32_MODEL,
    });
    t.diagnostic(`${describeParity(r)}; build ${JSON.stringify(r.cpu)}`);
    assert.equal(r.backend, 'cpu');
    assert.equal(r.adapterInfo, null);
    // A plain page cannot share memory: the single-thread build, with simd128.
    assert.equal(r.crossOriginIsolated, false);
    assert.deepEqual(r.cpu, { variant: 'single', threads: 0, simd: true, atomics: false });
    assertParity(r, BOUND_F32, 'cpu/f32');
  });

  test('CPU fallback, packaged f16 model (default modelUrl)', { timeout: 5 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate(() => window.harness.parity({ backend: 'cpu' }));
    t.diagnostic(describeParity(r));
    assert.equal(r.backend, 'cpu');
    assertParity(r, BOUND_F16, 'cpu/f16');
  });

  test('WebGPU (SwiftShader), f32 model', { timeout: 10 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.parity(o), {
      backend: 'webgpu',
      runs: 2,
      ...F32_MODEL,
    });
    t.diagnostic(describeParity(r));
    t.diagnostic(`adapter: ${JSON.stringify(r.adapterInfo)}`);
    assert.equal(r.backend, 'webgpu');
    assert.ok(r.adapterInfo, 'adapterInfo is set on WebGPU');
    // This machine has no GPU: the only adapter is SwiftShader, a fallback adapter.
    assert.equal(r.adapterInfo.isFallbackAdapter, true);
    assert.equal(typeof r.adapterInfo.vendor, 'string');
    assertParity(r, BOUND_F32, 'webgpu/f32');
  });

  test('WebGPU (SwiftShader), WGSL engine: float output within 1e-3 of the PyTorch golden', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.floatParity(o), { backend: 'webgpu', ...F32_MODEL });
    t.diagnostic(`float output max |diff| ${r.maxDiff} in ${(r.ms / 1000).toFixed(2)} s; ${JSON.stringify(r.stats)}`);
    assert.equal(r.backend, 'webgpu');
    assert.equal(r.stats.engine, 'wgsl', 'WebGPU runs our WGSL engine, not burn');
    assert.equal(r.stats.precision, 'f32');
    // crate/core/tests/parity.rs's bound for the output (measured natively on lavapipe: 2.7e-5).
    assert.ok(r.maxDiff <= 1e-3, `max |diff| ${r.maxDiff} > 1e-3`);
    // One pair, both frames new: 4 encoder dispatches each plus 5 blocks of 13, one command buffer.
    assert.equal(r.stats.submissions, 1);
    assert.equal(r.stats.dispatches, 73);
  });

  test('WebGPU, WGSL engine: each new in-between frame of a sequence takes at most 70 dispatches in one command buffer', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(
      async (o) => {
        const { lib } = window.harness;
        const interp = await lib.createInterpolator(o);
        try {
          // Three different frames, stepped through as a player would, with the sequence handle:
          // (f0, f1), then (f1, f2).
          const frame = (v) => {
            const img = new ImageData(48, 32);
            for (let i = 0; i < img.data.length; i += 4) img.data.set([(i / 4 + v) % 256, v, 255 - v, 255], i);
            return img;
          };
          const [f0, f1, f2] = [frame(10), frame(90), frame(170)];
          const seq = interp.sequence();
          await seq.push(f0, []);
          const s0 = await window.testing.stats(interp);
          await seq.push(f1, [0.5]);
          const s1 = await window.testing.stats(interp);
          await seq.push(f2, [0.5]);
          const s2 = await window.testing.stats(interp);
          seq.close();
          // A one-off pair: both frames prepared (interpolateMany keeps nothing between calls).
          await interp.interpolateMany(f2, f0, [0.25, 0.75]);
          const s3 = await window.testing.stats(interp);
          const d = (x, y) => ({
            dispatches: y.dispatches - x.dispatches,
            submissions: y.submissions - x.submissions,
            prepares: y.prepares - x.prepares,
          });
          return { first: d(s0, s1), next: d(s1, s2), many: d(s2, s3), engine: s3.engine };
        } finally {
          interp.dispose();
        }
      },
      { backend: 'webgpu', ...F32_MODEL },
    );
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.engine, 'wgsl');
    // The first pair encodes both frames (f0 was prepared by its push, encoded in this buffer).
    assert.deepEqual(r.first, { dispatches: 73, submissions: 1, prepares: 1 });
    // The next pair reuses f1 as prepared (only f2 is new): the bound of 70.
    assert.equal(r.next.submissions, 1);
    assert.equal(r.next.prepares, 1);
    assert.ok(r.next.dispatches <= 70, `${r.next.dispatches} dispatches for one new in-between frame`);
    assert.equal(r.next.dispatches, 69);
    // Two timesteps of a one-off pair: both frames' encoders (4 each) once, then 5 blocks of 13
    // per timestep, one command buffer each.
    assert.deepEqual(r.many, { dispatches: 2 * 4 + 2 * 65, submissions: 2, prepares: 2 });
  });

  test('WebGPU, sequence handle: each pushed frame is prepared once and kept by handle; the in-betweens equal interpolate()', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(
      async (o) => {
        const { lib, maxAbsDiff, errorOf } = window.harness;
        const interp = await lib.createInterpolator(o);
        try {
          const frame = (v) => {
            const img = new ImageData(48, 32);
            for (let i = 0; i < img.data.length; i += 4) img.data.set([(i / 4 + v) % 256, v, 255 - v, 255], i);
            return img;
          };
          const [f0, f1, f2] = [frame(10), frame(90), frame(170)];
          const seq = interp.sequence();
          const counts = [];
          const outs = [];
          for (const [f, ts] of [
            [f0, [0.5]],
            [f1, [0.5]],
            [f2, [0.25, 0.75]],
          ]) {
            const s0 = await window.testing.stats(interp);
            outs.push(await seq.push(f, ts));
            const s1 = await window.testing.stats(interp);
            counts.push({ dispatches: s1.dispatches - s0.dispatches, submissions: s1.submissions - s0.submissions });
          }
          const wrongSize = await errorOf(() => seq.push(new ImageData(16, 16)));
          seq.close();
          const afterClose = await errorOf(() => seq.push(f0));
          // The same pairs through interpolate / interpolateMany.
          const mid01 = await interp.interpolate(f0, f1, 0.5);
          const [q12, r12] = await interp.interpolateMany(f1, f2, [0.25, 0.75]);
          return {
            counts,
            lengths: outs.map((o) => o.length),
            diffs: [
              maxAbsDiff(outs[1][0].data, mid01.data),
              maxAbsDiff(outs[2][0].data, q12.data),
              maxAbsDiff(outs[2][1].data, r12.data),
            ],
            wrongSize,
            afterClose,
          };
        } finally {
          interp.dispose();
        }
      },
      { backend: 'webgpu', ...F32_MODEL },
    );
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.lengths, [0, 1, 2]);
    // The first push only uploads (the encoder is recorded with the first pair); the second
    // encodes both frames (73); the third encodes only the new frame (4) and runs two timesteps.
    assert.deepEqual(r.counts, [
      { dispatches: 0, submissions: 0 },
      { dispatches: 73, submissions: 1 },
      { dispatches: 4 + 2 * 65, submissions: 2 },
    ]);
    assert.deepEqual(r.diffs, [0, 0, 0], 'the sequence gives the same pixels as the pair calls');
    assert.equal(r.wrongSize?.isTypeError, true, JSON.stringify(r.wrongSize));
    assert.match(r.wrongSize.message, /frames are 48x32, got 16x16/);
    assert.match(r.afterClose?.message ?? '', /FrameSequence was closed/);
  });

  test("WebGPU f16 mode on SwiftShader (no shader-f16): the pack2x16float form, >= 48 dB against 'f32'", {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.f16Psnr(o), { backend: 'webgpu', ...F32_MODEL });
    const fmt = (c) => `PSNR ${c.psnr.toFixed(1)} dB, max |diff| ${c.maxDiff.toExponential(2)}, ${c.nonFinite} NaN/inf`;
    t.diagnostic(
      `f16 vs f32: ${fmt(r.vsF32)}; f16 vs PyTorch: ${fmt(r.vsGolden)}; ` +
        `f32 ${(r.ms.f32 / 1000).toFixed(1)} s, f16 ${(r.ms.f16 / 1000).toFixed(1)} s; ${JSON.stringify(r.stats)}`,
    );
    assert.equal(r.backend, 'webgpu');
    assert.equal(r.f32Stats.precision, 'f32');
    // SwiftShader has no shader-f16: 'f16' runs the packed form, in the same 73 dispatches.
    assert.equal(r.stats.engine, 'wgsl');
    assert.equal(r.stats.precision, 'f16-packed');
    assert.equal(r.stats.dispatches, 73);
    assert.equal(r.vsF32.nonFinite, 0, 'no NaN or inf in the f16 output');
    // Issue 9's bound for the fast mode (natively on lavapipe this case measured 79.4 dB).
    assert.ok(r.vsF32.psnr >= 48, `f16 vs f32: PSNR ${r.vsF32.psnr.toFixed(1)} dB < 48`);
    assert.ok(r.vsGolden.psnr >= 48, `f16 vs PyTorch: PSNR ${r.vsGolden.psnr.toFixed(1)} dB < 48`);
  });

  test("'auto' skips a software adapter (SwiftShader) for the faster CPU path, and says why", {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(
      async (o) => {
        const interp = await window.harness.lib.createInterpolator(o);
        const out = { backend: interp.backend, adapterInfo: interp.adapterInfo, fallbackReason: interp.fallbackReason };
        interp.dispose();
        return out;
      },
      { backend: 'auto', ...F32_MODEL },
    );
    // The only adapter here is SwiftShader (isFallbackAdapter, checked above).
    assert.equal(r.backend, 'cpu');
    assert.equal(r.adapterInfo, null);
    assert.match(r.fallbackReason, /software fallback .*swiftshader.*CPU path is faster/);
  });

  test('a lost GPU device rejects later calls with a clear Error', { timeout: 10 * MINUTE }, async () => {
    const r = await fx.browser.page.evaluate(
      async (o) => {
        const { lib, errorOf } = window.harness;
        const interp = await lib.createInterpolator(o);
        const a = new ImageData(new Uint8ClampedArray(32 * 24 * 4).fill(120), 32, 24);
        const first = (await interp.interpolate(a, a, 0.5)).width;
        const lost = await window.testing.loseDevice(interp);
        const after = await errorOf(() => interp.interpolate(a, a, 0.5));
        const closed = interp.closed;
        interp.dispose();
        // Recovery: a new interpolator gets a new worker and a new device, and works.
        const fresh = await lib.createInterpolator(o);
        const again = (await fresh.interpolate(a, a, 0.5)).width;
        fresh.dispose();
        return { first, lost, after, closed, again };
      },
      { backend: 'webgpu', ...F32_MODEL },
    );
    assert.equal(r.first, 32);
    assert.equal(r.lost, true);
    assert.equal(r.after?.name, 'Error', JSON.stringify(r.after));
    assert.match(r.after.message, /the GPU device was lost/);
    assert.equal(r.closed, true, 'a lost device closes the interpolator');
    assert.equal(r.again, 32, 'a new interpolator works after a device loss');
  });
});
