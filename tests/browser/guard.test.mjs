// Issue 12's static guard through the package (wasm CPU path): a still caption over a pan comes
// back still with `staticGuard: true` and is dragged by RIFE without it; a non-boolean option is
// a TypeError. One small pair (128x96), a forward each way.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';

const MINUTE = 60_000;

describe('staticGuard', () => {
  const fx = openTestPage({});

  test('a caption over a pan stays still with staticGuard, and moves without it', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { lib } = window.harness;
      const [w, h] = [128, 96];
      // A textured scene (sums of sines, no repeat within the frame) seen through a window that
      // pans by `x0`, with a caption of 3 px stripes at the same place on every frame.
      const frame = (x0) => {
        const img = new ImageData(w, h);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const u = x + x0;
            const caption = y >= 70 && y < 86 && x >= 30 && x < 98;
            const i = 4 * (y * w + x);
            for (let c = 0; c < 3; c++) {
              const v = caption
                ? (Math.floor(x / 3) + Math.floor(y / 4)) % 2 === 0
                  ? 250
                  : 30
                : 128 + 60 * Math.sin(u * 0.21 + c + y * 0.05) + 50 * Math.sin(y * 0.17 - u * 0.07 * (c + 1));
              img.data[i + c] = Math.round(v);
            }
            img.data[i + 3] = 255;
          }
        }
        return img;
      };
      const [a, b, truth] = [frame(0), frame(24), frame(12)];
      const interp = await lib.createInterpolator({ backend: 'cpu', cache: false });
      try {
        const error = (img) => {
          let sum = 0;
          let n = 0;
          for (let y = 70; y < 86; y++) {
            for (let x = 30; x < 98; x++) {
              for (let c = 0; c < 3; c++) {
                const i = 4 * (y * w + x) + c;
                sum += Math.abs(img.data[i] - truth.data[i]);
                n++;
              }
            }
          }
          return sum / n;
        };
        const on = error(await interp.interpolate(a, b, 0.5, { staticGuard: true }));
        const off = error(await interp.interpolate(a, b, 0.5));
        let typeError = null;
        try {
          await interp.interpolate(a, b, 0.5, { staticGuard: 'yes' });
        } catch (e) {
          typeError = `${e.name}: ${e.message}`;
        }
        return { on, off, typeError };
      } finally {
        interp.dispose();
      }
    });
    t.diagnostic(`caption mean |error|: ${r.off.toFixed(2)} levels without the guard, ${r.on.toFixed(2)} with it`);
    assert.ok(r.on < 2, `the caption moved with the guard on: ${r.on}`);
    assert.ok(r.off > 2 * r.on + 1, `without the guard the caption should be dragged (${r.off} vs ${r.on})`);
    assert.equal(r.typeError, 'TypeError: staticGuard must be a boolean, got "yes"');
  });
});
