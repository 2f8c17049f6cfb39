// The API's behaviour beyond parity, on the CPU fallback (fast enough to call many times):
// flow and mask output, interpolateMany / interpolateMap agreeing with interpolate, the three
// input types, VideoFrame timestamps, and that the caller's objects are left untouched.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';
import { assertParity, BOUND_F32, F32_MODEL } from './common.mjs';

const MINUTE = 60_000;

describe('Interpolator API (CPU fallback, f32 model)', () => {
  const fx = openTestPage({ webgpu: true });
  before(async () => {
    // One interpolator for the whole file, kept on the page.
    await fx.browser.page.evaluate(
      async (o) => {
        window.interp = await window.harness.lib.createInterpolator(o);
      },
      { backend: 'cpu', ...F32_MODEL },
    );
  });

  test('interpolateWithFlow: image as interpolate(), flow and mask match the golden block4', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const h = window.harness;
      const g = await h.goldenCase('i2_crop_s0.5');
      const flowed = await window.interp.interpolateWithFlow(g.a, g.b, g.t, { scale: g.scale });
      const plain = await window.interp.interpolate(g.a, g.b, g.t, { scale: g.scale });
      let maskMin = Infinity;
      let maskMax = -Infinity;
      for (const v of flowed.mask) {
        maskMin = Math.min(maskMin, v);
        maskMax = Math.max(maskMax, v);
      }
      return {
        width: flowed.width,
        height: flowed.height,
        imageIsImageData: flowed.image instanceof ImageData,
        flowLength: flowed.flow.length,
        maskLength: flowed.mask.length,
        maskMin,
        maskMax,
        sameAsInterpolate: h.maxAbsDiff(flowed.image.data, plain.data),
        ...h.compareWithGolden(flowed.image.data, g.output, g.width, g.height),
        ...h.compareFlow(flowed, g),
      };
    });
    t.diagnostic(
      `flow max |diff| ${r.flowMaxDiff.toExponential(2)} px, mask max |diff| ${r.maskMaxDiff.toExponential(2)}`,
    );
    assert.equal(r.width, 301);
    assert.equal(r.height, 173);
    assert.ok(r.imageIsImageData);
    assert.equal(r.flowLength, 4 * 301 * 173);
    assert.equal(r.maskLength, 301 * 173);
    assert.ok(r.maskMin >= 0 && r.maskMax <= 1, `mask in [0, 1]: ${r.maskMin}..${r.maskMax}`);
    assert.equal(r.sameAsInterpolate, 0);
    assertParity(r, BOUND_F32, 'interpolateWithFlow');
    // The native parity test allows 1.5e-3 px of flow and 1.25e-3 of mask after block 4; the wasm
    // build sums in another order (SIMD128), so allow a few times more. A wrong flow layout or
    // scale is off by pixels.
    assert.ok(r.flowMaxDiff <= 1e-2, `flow max |diff| ${r.flowMaxDiff} px`);
    assert.ok(r.maskMaxDiff <= 5e-3, `mask max |diff| ${r.maskMaxDiff}`);
  });

  test('interpolateMany equals interpolate at each t; interpolateMap with a constant map too', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const h = window.harness;
      const g = await h.goldenCase('i2_crop_s0.5');
      const opts = { scale: g.scale };
      const many = await window.interp.interpolateMany(g.a, g.b, [0.25, 0.5], opts);
      const q = await window.interp.interpolate(g.a, g.b, 0.25, opts);
      const half = await window.interp.interpolate(g.a, g.b, 0.5, opts);
      const map = await window.interp.interpolateMap(g.a, g.b, new Float32Array(g.width * g.height).fill(0.5), opts);
      const empty = await window.interp.interpolateMany(g.a, g.b, new Float32Array(0), opts);
      return {
        count: many.length,
        types: many.map((x) => x.constructor.name),
        d25: h.maxAbsDiff(many[0].data, q.data),
        d50: h.maxAbsDiff(many[1].data, half.data),
        quarterVsHalf: h.maxAbsDiff(q.data, half.data),
        mapVsUniform: h.maxAbsDiff(map.data, half.data),
        emptyLength: empty.length,
      };
    });
    assert.equal(r.count, 2);
    assert.deepEqual(r.types, ['ImageData', 'ImageData']);
    assert.equal(r.d25, 0);
    assert.equal(r.d50, 0);
    assert.ok(r.quarterVsHalf > 10, 't must matter');
    // A constant map is the same time tensor as a uniform t, so the same arithmetic runs.
    assert.ok(r.mapVsUniform <= 1, `constant map vs uniform t: ${r.mapVsUniform}`);
    assert.equal(r.emptyLength, 0);
  });

  test('ImageBitmap and VideoFrame inputs give the ImageData result; VideoFrame timestamps interpolate; inputs stay open', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const h = window.harness;
      const g = await h.goldenCase('i2_crop_s0.5');
      const opts = { scale: g.scale };
      const reference = await window.interp.interpolate(g.a, g.b, 0.5, opts);
      const before = g.a.data.slice();

      const bitmaps = await Promise.all([h.toInput(g.a, 'imagebitmap'), h.toInput(g.b, 'imagebitmap')]);
      const fromBitmaps = await window.interp.interpolate(bitmaps[0], bitmaps[1], 0.5, opts);
      const bitmapsOpen = bitmaps.every((b) => b.width === g.width && b.height === g.height);
      bitmaps.forEach((b) => b.close());

      const frames = [await h.toInput(g.a, 'videoframe', 1_000_000), await h.toInput(g.b, 'videoframe', 1_040_000)];
      const out = await window.interp.interpolate(frames[0], frames[1], 0.25, opts);
      const many = await window.interp.interpolateMany(frames[0], frames[1], [0.5, 1], opts);
      const framesOpen = frames.every((f) => f.format !== null && f.displayWidth === g.width);
      const outData = await h.toImageData(many[0]);
      const result = {
        bitmapDiff: h.maxAbsDiff(fromBitmaps.data, reference.data),
        bitmapsOpen,
        outType: out.constructor.name,
        outTimestamp: out.timestamp,
        outSize: [out.displayWidth, out.displayHeight],
        manyTimestamps: many.map((f) => f.timestamp),
        videoDiff: h.maxAbsDiff(outData.data, reference.data),
        framesOpen,
        mixedType: (await window.interp.interpolate(frames[0], g.b, 0.5, opts)).constructor.name,
        imageDataUntouched: h.maxAbsDiff(before, g.a.data) === 0,
      };
      out.close();
      many.forEach((f) => f.close());
      frames.forEach((f) => f.close());
      return result;
    });
    assert.equal(r.bitmapDiff, 0, 'ImageBitmap input must read the same pixels as ImageData');
    assert.ok(r.bitmapsOpen, "the caller's ImageBitmaps must not be closed or transferred");
    assert.equal(r.outType, 'VideoFrame');
    assert.equal(r.outTimestamp, 1_010_000);
    assert.deepEqual(r.outSize, [301, 173]);
    assert.deepEqual(r.manyTimestamps, [1_020_000, 1_040_000]);
    assert.equal(r.videoDiff, 0, 'VideoFrame input must read the same pixels as ImageData');
    assert.ok(r.framesOpen, "the caller's VideoFrames must not be closed");
    assert.equal(r.mixedType, 'ImageData', 'a VideoFrame and an ImageData give an ImageData');
    assert.ok(r.imageDataUntouched);
  });

  test('interpolate() prepares both frames of each call; a sequence prepares each frame once, by handle, with the same result', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const h = window.harness;
      const g = await h.goldenCase('i2_crop_s0.5');
      // A third frame of the same size: frame a mirrored left to right.
      const c = new ImageData(g.width, g.height);
      for (let y = 0; y < g.height; y++) {
        for (let x = 0; x < g.width; x++) {
          const from = (y * g.width + (g.width - 1 - x)) * 4;
          c.data.set(g.a.data.subarray(from, from + 4), (y * g.width + x) * 4);
        }
      }
      const o = { scale: g.scale };
      const prepares = async () => (await window.testing.stats(window.interp)).prepares;
      const n0 = await prepares();
      await window.interp.interpolate(g.a, g.b, 0.5, o);
      const n1 = await prepares();
      // b again, as a: the worker no longer recognises frames by their bytes, so both are prepared.
      const direct = await window.interp.interpolate(g.b, c, 0.5, o);
      const n2 = await prepares();
      const many = await window.interp.interpolateMany(g.b, c, [0.5, 0.25], o);
      const n3 = await prepares();
      const seq = window.interp.sequence(o);
      await seq.push(g.a, []);
      const n4 = await prepares();
      await seq.push(g.b, [0.5]);
      const n5 = await prepares();
      const [viaSequence] = await seq.push(c, [0.5]); // pairs with the kept b
      const n6 = await prepares();
      seq.close();
      return {
        steps: [n1 - n0, n2 - n1, n3 - n2, n4 - n3, n5 - n4, n6 - n5],
        same: h.maxAbsDiff(viaSequence.data, direct.data),
        sameMany: h.maxAbsDiff(many[0].data, direct.data),
      };
    });
    assert.deepEqual(r.steps, [2, 2, 2, 1, 1, 1]);
    assert.equal(r.same, 0);
    assert.equal(r.sameMany, 0);
  });

  test('concurrent calls are all answered; dispose() rejects what is pending and later calls', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const h = window.harness;
      const g = await h.goldenCase('i2_crop_s0.5');
      const small = h.crop(g.a, [0, 64, 0, 64]);
      const small2 = h.crop(g.b, [0, 64, 0, 64]);
      const results = await Promise.all([0, 0.5, 1].map((t) => window.interp.interpolate(small, small2, t)));
      const temp = await h.lib.createInterpolator({ backend: 'cpu', cache: true, modelUrl: '/models/rife-4.25.bpk' });
      const pending = temp.interpolate(small, small2, 0.5).then(
        () => 'resolved',
        (e) => `${e.name}: ${e.message}`,
      );
      temp.dispose();
      return {
        sizes: results.map((x) => `${x.width}x${x.height}`),
        pending: await pending,
        after: await h.errorOf(() => temp.interpolate(small, small2, 0.5)),
      };
    });
    assert.deepEqual(r.sizes, ['64x64', '64x64', '64x64']);
    assert.match(r.pending, /^Error: the Interpolator was disposed/);
    assert.equal(r.after.name, 'Error');
    assert.match(r.after.message, /disposed/);
  });
});
