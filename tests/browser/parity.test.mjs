// Parity with the PyTorch reference in a real browser, on the CPU fallback (WebAssembly) and on
// WebGPU (SwiftShader, a software GPU at ≈0.2 GFLOP/s: hence the half-scale 301x173 case, about
// the cheapest real one, and the generous timeouts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';
import { assertParity, BOUND_F16, BOUND_F32, describeParity, F32_MODEL } from './common.mjs';

const MINUTE = 60_000;

describe('parity with the PyTorch golden (i2_crop_s0.5: 301x173, t=0.5, scale 0.5)', () => {
  const fx = openTestPage({ webgpu: true });

  test('CPU fallback, f32 model', { timeout: 5 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.parity(o), { backend: 'cpu', runs: 2, ...F32_MODEL });
    t.diagnostic(describeParity(r));
    assert.equal(r.backend, 'cpu');
    assert.equal(r.adapterInfo, null);
    assertParity(r, BOUND_F32, 'cpu/f32');
  });

  test('CPU fallback, packaged f16 model (default modelUrl)', { timeout: 5 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate(() => window.harness.parity({ backend: 'cpu' }));
    t.diagnostic(describeParity(r));
    assert.equal(r.backend, 'cpu');
    assertParity(r, BOUND_F16, 'cpu/f16');
  });

  test('WebGPU (SwiftShader), f32 model', { timeout: 10 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate((o) => window.harness.parity(o), { backend: 'webgpu', runs: 2, ...F32_MODEL });
    t.diagnostic(describeParity(r));
    t.diagnostic(`adapter: ${JSON.stringify(r.adapterInfo)}`);
    assert.equal(r.backend, 'webgpu');
    assert.ok(r.adapterInfo, 'adapterInfo is set on WebGPU');
    // This machine has no GPU: the only adapter is SwiftShader, a fallback adapter.
    assert.equal(r.adapterInfo.isFallbackAdapter, true);
    assert.equal(typeof r.adapterInfo.vendor, 'string');
    assertParity(r, BOUND_F32, 'webgpu/f32');
  });

  test("'auto' skips a software adapter (SwiftShader) for the faster CPU path, and says why", { timeout: 5 * MINUTE }, async () => {
    const r = await fx.browser.page.evaluate(async (o) => {
      const interp = await window.harness.lib.createInterpolator(o);
      const out = { backend: interp.backend, adapterInfo: interp.adapterInfo, fallbackReason: interp.fallbackReason };
      interp.dispose();
      return out;
    }, { backend: 'auto', ...F32_MODEL });
    // The only adapter here is SwiftShader (isFallbackAdapter, checked above).
    assert.equal(r.backend, 'cpu');
    assert.equal(r.adapterInfo, null);
    assert.match(r.fallbackReason, /software fallback .*swiftshader.*CPU path is faster/);
  });

  test('a lost GPU device rejects later calls with a clear Error', { timeout: 10 * MINUTE }, async () => {
    const r = await fx.browser.page.evaluate(async (o) => {
      const { lib, errorOf } = window.harness;
      const interp = await lib.createInterpolator(o);
      const a = new ImageData(new Uint8ClampedArray(32 * 24 * 4).fill(120), 32, 24);
      const first = (await interp.interpolate(a, a, 0.5)).width;
      const lost = await interp._loseDeviceForTesting();
      const after = await errorOf(() => interp.interpolate(a, a, 0.5));
      const closed = interp.closed;
      interp.dispose();
      // Recovery: a new interpolator gets a new worker and a new device, and works.
      const fresh = await lib.createInterpolator(o);
      const again = (await fresh.interpolate(a, a, 0.5)).width;
      fresh.dispose();
      return { first, lost, after, closed, again };
    }, { backend: 'webgpu', ...F32_MODEL });
    assert.equal(r.first, 32);
    assert.equal(r.lost, true);
    assert.equal(r.after?.name, 'Error', JSON.stringify(r.after));
    assert.match(r.after.message, /the GPU device was lost/);
    assert.equal(r.closed, true, 'a lost device closes the interpolator');
    assert.equal(r.again, 32, 'a new interpolator works after a device loss');
  });
});
