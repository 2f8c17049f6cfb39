// Issue 12's per-pair options through the package, on the wasm CPU path:
// - `scale: 'auto'`: a fast pan on a 960x576 frame runs at 0.5 (the output is `scale: 0.5`'s,
//   pixel for pixel) and a slow one keeps 1; the frames are windows over a real photo (the
//   golden pair's first, upscaled 3x), so each pair is one picture moved by a known amount.
// - `quality: 'best'`: the mirrored pair is interpolated too and the two averaged; checked
//   against that average made here from two plain calls (within the rounding of 8-bit output).
// Both fail when the option is ignored.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';

const MINUTE = 60_000;

describe('per-pair quality options', () => {
  const fx = openTestPage({});

  const autoScaleCheck = (backend, slowToo) => async (t) => {
    const r = await fx.browser.page.evaluate(
      async ([backend, slowToo]) => {
        const { lib } = window.harness;
        const photo = await createImageBitmap(await (await fetch('/tests/golden/images/I0_0.png')).blob());
        const [w, h] = [960, 576];
        const big = new OffscreenCanvas(photo.width * 3, photo.height * 3);
        const g = big.getContext('2d', { willReadFrequently: true });
        g.imageSmoothingQuality = 'high';
        g.drawImage(photo, 0, 0, big.width, big.height);
        const view = (x0) => g.getImageData(20 + x0, 20, w, h);
        const same = (x, y) => x.data.every((v, i) => v === y.data[i]);
        const interp = await lib.createInterpolator({ backend, cache: false });
        try {
          const [a, fast, slow] = [view(0), view(160), view(16)];
          const auto = await interp.interpolate(a, fast, 0.5, { scale: 'auto' });
          const half = await interp.interpolate(a, fast, 0.5, { scale: 0.5 });
          const one = await interp.interpolate(a, fast, 0.5, { scale: 1 });
          // The slow pan only where a pass is cheap (SwiftShader takes ~10 s a pass at this size).
          const slowAuto = slowToo ? await interp.interpolate(a, slow, 0.5, { scale: 'auto' }) : null;
          const slowOne = slowToo ? await interp.interpolate(a, slow, 0.5, { scale: 1 }) : null;
          let typeError = null;
          try {
            await interp.interpolate(a, slow, 0.5, { scale: 'fast' });
          } catch (e) {
            typeError = `${e.name}: ${e.message}`;
          }
          return {
            fastIsHalf: same(auto, half),
            halfIsNotOne: !same(half, one),
            slowIsOne: slowToo ? same(slowAuto, slowOne) : null,
            typeError,
          };
        } finally {
          interp.dispose();
        }
      },
      [backend, slowToo],
    );
    t.diagnostic(JSON.stringify(r));
    assert.ok(r.halfIsNotOne, 'the scale changes the output (else the test shows nothing)');
    assert.ok(r.fastIsHalf, "a 160 px pan at 960x576: 'auto' gives scale 0.5's output");
    if (slowToo) assert.ok(r.slowIsOne, "a 16 px pan: 'auto' gives scale 1's output");
    assert.match(r.typeError ?? '', /TypeError: scale must be a number in \[0\.25, 4\] or 'auto', got "fast"/);
  };

  test(
    "CPU: scale 'auto' runs a fast 960x576 pan at 0.5 and keeps 1 for a slow one",
    {
      timeout: 8 * MINUTE,
    },
    autoScaleCheck('cpu', true),
  );

  // The GPU engine measures on the GPU (block 0, then a small readback) and makes the frames
  // again at 0.5 there, from their own bytes.
  test(
    "WebGPU: scale 'auto' runs a fast 960x576 pan at 0.5 and keeps 1 for a slow one",
    {
      timeout: 8 * MINUTE,
    },
    autoScaleCheck('webgpu', false),
  );

  const bestCheck = (backend) => async (t) => {
    const r = await fx.browser.page.evaluate(async (backend) => {
      const { lib } = window.harness;
      const load = async (n) => {
        const bitmap = await createImageBitmap(await (await fetch(`/tests/golden/images/${n}`)).blob());
        const c = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
        c.drawImage(bitmap, 0, 0);
        return c.getImageData(0, 0, bitmap.width, bitmap.height);
      };
      const mirror = (img) => {
        const out = new ImageData(img.width, img.height);
        for (let y = 0; y < img.height; y++) {
          for (let x = 0; x < img.width; x++) {
            const [i, j] = [4 * (y * img.width + x), 4 * (y * img.width + img.width - 1 - x)];
            for (let c = 0; c < 4; c++) out.data[j + c] = img.data[i + c];
          }
        }
        return out;
      };
      const [a, b] = await Promise.all([load('I0_0.png'), load('I0_1.png')]);
      const interp = await lib.createInterpolator({ backend, cache: false });
      try {
        const best = await interp.interpolate(a, b, 0.5, { quality: 'best' });
        const plain = await interp.interpolate(a, b, 0.5);
        const mirrored = mirror(await interp.interpolate(mirror(a), mirror(b), 0.5));
        // Each plain pass is rounded to 8 bits; 'best' rounds their unrounded mean once.
        let worst = 0;
        let fromPlain = 0;
        for (let i = 0; i < best.data.length; i += 4) {
          for (let c = 0; c < 3; c++) {
            const mean = (plain.data[i + c] + mirrored.data[i + c]) / 2;
            worst = Math.max(worst, Math.abs(best.data[i + c] - mean));
            fromPlain = Math.max(fromPlain, Math.abs(best.data[i + c] - plain.data[i + c]));
          }
        }
        let typeError = null;
        try {
          await interp.interpolate(a, b, 0.5, { quality: 'high' });
        } catch (e) {
          typeError = `${e.name}: ${e.message}`;
        }
        return { worst, fromPlain, typeError };
      } finally {
        interp.dispose();
      }
    }, backend);
    t.diagnostic(JSON.stringify(r));
    assert.ok(r.fromPlain >= 4, `'best' differs from one pass (by up to ${r.fromPlain} steps)`);
    assert.ok(r.worst <= 1, `'best' is the mean of the two passes within 1 step (${r.worst})`);
    assert.match(r.typeError ?? '', /TypeError: quality must be 'fast' or 'best', got "high"/);
  };

  test("CPU: quality 'best' is the mean of the pair and its mirror image", { timeout: 5 * MINUTE }, bestCheck('cpu'));
  // The GPU engine's mirrored pass: its own mirrored frames and one merge that averages.
  test(
    "WebGPU: quality 'best' is the mean of the pair and its mirror image",
    {
      timeout: 5 * MINUTE,
    },
    bestCheck('webgpu'),
  );
});
