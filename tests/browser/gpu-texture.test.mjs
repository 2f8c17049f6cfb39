// A caller's own GPUTexture in, and GPU output out of plain `interpolate` (issue 9, item 3), in
// Chromium on SwiftShader WebGPU:
// - `{ texture, device }` of the page's own device, filled with a golden pair's RGBA, gives the
//   in-between `interpolate()` gives for the same ImageData (within one 8-bit step, the bound the
//   VideoFrame and ImageBitmap imports are held to), by each route the package takes: a copy
//   (rgba8unorm, bgra8unorm, rgba16float with COPY_SRC) and a render pass (TEXTURE_BINDING only,
//   an sRGB format among them); it goes to the worker as an image, and none is left open;
// - `interpolate(a, b, t, { canvas })` draws into the canvas with no readback (read back here
//   only), equal to the ImageData result, and a second call reuses the canvas;
// - `interpolate(a, b, t, { output: { device, texture } })` writes the frame into the caller's
//   texture (read back here only), equal to the ImageData result;
// - bad textures, targets and canvases are clear TypeErrors, nothing reaches the caller's
//   device as an uncaptured error, and the interpolator works on; the CPU backend reads a
//   texture back (same result as its ImageData) and refuses GPU output with a TypeError.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';
import { assertParity, BOUND_F32, F32_MODEL } from './common.mjs';

const MINUTE = 60_000;

/** Page-side helpers, installed once: textures made from ImageData, and read back. */
function installHelpers() {
  const FLOAT = { rgba16float: true, rgba32float: true };
  window.tex = {
    /** A texture of `device` holding `img` in `format` (bytes as they are; floats as byte/255). */
    make(device, img, format, usage) {
      const { width: w, height: h } = img;
      const texture = device.createTexture({ size: [w, h], format, usage: usage | GPUTextureUsage.COPY_DST });
      let data = img.data;
      let bpp = 4;
      if (format.startsWith('bgra')) {
        data = new Uint8Array(img.data);
        for (let i = 0; i < data.length; i += 4) [data[i], data[i + 2]] = [img.data[i + 2], img.data[i]];
      } else if (FLOAT[format]) {
        const f = Float32Array.from(img.data, (v) => v / 255);
        data = format === 'rgba16float' ? new Float16Array(f) : f;
        bpp = format === 'rgba16float' ? 8 : 16;
      }
      device.queue.writeTexture({ texture }, data, { bytesPerRow: w * bpp }, [w, h]);
      return texture;
    },
    /** An 8-bit texture's RGBA bytes (bgra swapped back), read back for the test only. */
    async read(device, texture) {
      const { width: w, height: h } = texture;
      const row = Math.ceil((w * 4) / 256) * 256;
      const buf = device.createBuffer({ size: row * h, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      const enc = device.createCommandEncoder();
      enc.copyTextureToBuffer({ texture }, { buffer: buf, bytesPerRow: row }, [w, h]);
      device.queue.submit([enc.finish()]);
      await buf.mapAsync(GPUMapMode.READ);
      const rows = new Uint8Array(buf.getMappedRange());
      const out = new Uint8Array(w * h * 4);
      for (let y = 0; y < h; y++) out.set(rows.subarray(row * y, row * y + 4 * w), 4 * w * y);
      buf.destroy();
      if (texture.format.startsWith('bgra')) {
        for (let i = 0; i < out.length; i += 4) [out[i], out[i + 2]] = [out[i + 2], out[i]];
      }
      return out;
    },
    /** Max |diff| over R, G, B. */
    maxDiff(x, y) {
      if (x.length !== y.length) return Infinity;
      let m = 0;
      for (let i = 0; i < x.length; i++) if ((i & 3) !== 3) m = Math.max(m, Math.abs(x[i] - y[i]));
      return m;
    },
    /** The moving-square scene of gpu-frames.test.mjs (64x48, real motion). */
    scene(k, W = 64, H = 48) {
      const img = new ImageData(W, H);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const inside = x >= 10 + 6 * k && x < 26 + 6 * k && y >= 14 && y < 30;
          img.data.set(
            inside ? [240, 220, 40, 255] : [(x * 4) % 256, (y * 5) % 256, ((x + y) * 3) % 256, 255],
            4 * (y * W + x),
          );
        }
      }
      return img;
    },
  };
}

describe('GPUTexture input, canvas and texture output (WebGPU, SwiftShader)', () => {
  const fx = openTestPage({ webgpu: true });
  before(async () => {
    await fx.browser.page.evaluate(installHelpers);
    await fx.browser.page.evaluate(
      async (o) => {
        window.gpuInterp = await window.harness.lib.createInterpolator(o);
        // The caller's own device, watched for errors that escape the package's error scopes.
        window.callerDevice = await (await navigator.gpu.requestAdapter()).requestDevice();
        window.uncaptured = [];
        window.callerDevice.addEventListener('uncapturederror', (e) => window.uncaptured.push(e.error.message));
      },
      { backend: 'webgpu', ...F32_MODEL },
    );
  });

  test('a golden pair as GPUTextures matches interpolate() of its ImageData, by copy and by render pass', {
    timeout: 15 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { harness: h, tex, gpuInterp: interp, callerDevice: device } = window;
      const g = await h.goldenCase('i2_crop_s0.5');
      const opts = { scale: g.scale };
      const want = await interp.interpolate(g.a, g.b, g.t, opts);
      const U = GPUTextureUsage;
      const cases = {
        'rgba8unorm copy': ['rgba8unorm', U.COPY_SRC],
        'rgba8unorm render': ['rgba8unorm', U.TEXTURE_BINDING],
        'bgra8unorm copy': ['bgra8unorm', U.COPY_SRC],
        'rgba16float copy+render': ['rgba16float', U.COPY_SRC],
        'rgba8unorm-srgb render': ['rgba8unorm-srgb', U.TEXTURE_BINDING],
        'rgba32float render': ['rgba32float', U.TEXTURE_BINDING],
      };
      const out = { golden: h.compareWithGolden(want.data, g.output, g.width, g.height), cases: {} };
      for (const [name, [format, usage]] of Object.entries(cases)) {
        const ta = tex.make(device, g.a, format, usage);
        const tb = tex.make(device, g.b, format, usage);
        const before = await window.testing.stats(interp);
        const got = await interp.interpolate({ texture: ta, device }, { texture: tb, device }, g.t, opts);
        const after = await window.testing.stats(interp);
        out.cases[name] = {
          type: got.constructor.name,
          size: [got.width, got.height],
          diff: tex.maxDiff(got.data, want.data),
          imagesIn: after.imagesIn - before.imagesIn,
          imagesOpen: after.imagesOpen,
          ...h.compareWithGolden(got.data, g.output, g.width, g.height),
        };
        ta.destroy();
        tb.destroy();
      }
      // The comparison can fail: the pair the other way round, at t = 0.25, is another frame.
      const ta = tex.make(device, g.a, 'rgba8unorm', U.COPY_SRC);
      const tb = tex.make(device, g.b, 'rgba8unorm', U.COPY_SRC);
      const swapped = await interp.interpolate({ texture: tb, device }, { texture: ta, device }, 0.25, opts);
      out.swapped = tex.maxDiff(swapped.data, want.data);
      ta.destroy();
      tb.destroy();
      out.uncaptured = window.uncaptured.slice();
      return out;
    });
    t.diagnostic(JSON.stringify(r));
    assertParity(r.golden, BOUND_F32, 'ImageData reference');
    for (const [name, c] of Object.entries(r.cases)) {
      assert.equal(c.type, 'ImageData', name);
      assert.deepEqual(c.size, [301, 173], name);
      assert.equal(c.imagesIn, 2, `${name}: both textures went to the worker as images`);
      assert.equal(c.imagesOpen, 0, `${name}: the worker closed them`);
      assert.ok(c.diff <= 1, `${name}: max |diff| ${c.diff} steps against the ImageData input`);
      assertParity(c, BOUND_F32, name);
    }
    assert.ok(r.swapped > 20, `the swapped pair differs (${r.swapped} steps)`);
    assert.deepEqual(r.uncaptured, []);
  });

  test('interpolate(…, { canvas }) draws the frame with no readback, equal to the ImageData result; the canvas is reused', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { tex, gpuInterp: interp } = window;
      const [W, H] = [64, 48];
      const [i0, i1] = [tex.scene(0), tex.scene(1)];
      const canvas = document.createElement('canvas');
      document.body.append(canvas);
      const reader = new OffscreenCanvas(W, H).getContext('2d', { willReadFrequently: true });
      // The canvas updates when the browser next composites: read the placeholder frame by
      // frame until it shows `want`, for at most 5 s.
      const shown = async (want) => {
        let diff = Infinity;
        const start = performance.now();
        while (performance.now() - start < 5000) {
          await new Promise((resolve) => requestAnimationFrame(resolve));
          if (canvas.width !== W || canvas.height !== H) continue;
          reader.clearRect(0, 0, W, H);
          reader.drawImage(canvas, 0, 0);
          diff = tex.maxDiff(reader.getImageData(0, 0, W, H).data, want.data);
          if (diff === 0) break;
        }
        return diff;
      };
      try {
        const out = {};
        for (const time of [0.25, 0.75]) {
          const want = await interp.interpolate(i0, i1, time);
          const before = await window.testing.stats(interp);
          const result = await interp.interpolate(i0, i1, time, { canvas });
          const after = await window.testing.stats(interp);
          out[time] = {
            result: result === undefined ? 'undefined' : String(result),
            diff: await shown(want),
            dispatches: after.dispatches - before.dispatches,
            submissions: after.submissions - before.submissions,
          };
        }
        out.size = [canvas.width, canvas.height];
        // Against another frame, to show the comparison can fail.
        out.other = tex.maxDiff(
          (await interp.interpolate(i0, i1, 0.75)).data,
          (await interp.interpolate(i0, i1, 0.25)).data,
        );
        // An OffscreenCanvas is transferred too (and is the worker's from then on).
        const off = new OffscreenCanvas(8, 8);
        await interp.interpolate(i0, i1, 0.5, { canvas: off });
        await interp.interpolate(i0, i1, 0.5, { canvas: off });
        out.offscreenDetached = (() => {
          try {
            off.getContext('2d');
            return false;
          } catch {
            return true;
          }
        })();
        // Canvases the page lets go of are freed in the worker too (FinalizationRegistry).
        const held = async () => (await window.testing.stats(interp)).outputCanvases;
        out.held = [await held()];
        for (let i = 0; i < 3; i++) await interp.interpolate(i0, i1, 0.5, { canvas: new OffscreenCanvas(8, 8) });
        out.held.push(await held());
        const start = performance.now();
        while (performance.now() - start < 10_000 && (await held()) > out.held[0]) {
          gc();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        out.held.push(await held());
        return out;
      } finally {
        canvas.remove();
      }
    });
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.size, [64, 48], 'the canvas takes the frame size');
    for (const time of ['0.25', '0.75']) {
      assert.equal(r[time].result, 'undefined');
      assert.equal(r[time].diff, 0, `t=${time}: the canvas differs from the ImageData result by ${r[time].diff} steps`);
      // A new pair, as for bytes: two encodes and five blocks in one command buffer (the draw
      // is a render pass, not counted).
      assert.deepEqual({ d: r[time].dispatches, s: r[time].submissions }, { d: 73, s: 1 });
    }
    assert.ok(r.other > 20, `a different t differs (${r.other} steps)`);
    assert.ok(r.offscreenDetached, 'the OffscreenCanvas went to the worker');
    // The element and `off` are still referenced: 2 held; 3 more, then freed once collected.
    assert.deepEqual(r.held, [2, 5, 2], 'output canvases held in the worker: before, after 3 more, after gc');
  });

  test("interpolate(…, { output: { device, texture } }) writes the frame into the caller's texture, equal to the ImageData result", {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { tex, gpuInterp: interp, callerDevice: device } = window;
      const [W, H] = [64, 48];
      const [i0, i1] = [tex.scene(0), tex.scene(1)];
      const U = GPUTextureUsage;
      const out = {};
      for (const format of ['rgba8unorm', 'bgra8unorm']) {
        const texture = device.createTexture({
          size: [W, H],
          format,
          usage: U.COPY_DST | U.RENDER_ATTACHMENT | U.COPY_SRC,
        });
        const want = await interp.interpolate(i0, i1, 0.25);
        const result = await interp.interpolate(i0, i1, 0.25, { output: { device, texture } });
        const got = await tex.read(device, texture);
        out[format] = { result: String(result), diff: tex.maxDiff(got, want.data) };
        // Written again at another t: the texture follows.
        await interp.interpolate(i0, i1, 0.75, { output: { device, texture } });
        out[format].again = tex.maxDiff(await tex.read(device, texture), (await interp.interpolate(i0, i1, 0.75)).data);
        out[format].other = tex.maxDiff(await tex.read(device, texture), want.data);
        texture.destroy();
      }
      // Texture in, texture out: nothing of the frames passes through the page's memory.
      const ta = tex.make(device, i0, 'rgba8unorm', U.COPY_SRC);
      const tb = tex.make(device, i1, 'rgba8unorm', U.COPY_SRC);
      const texture = device.createTexture({
        size: [W, H],
        format: 'rgba8unorm',
        usage: U.COPY_DST | U.RENDER_ATTACHMENT | U.COPY_SRC,
      });
      await interp.interpolate({ texture: ta, device }, { texture: tb, device }, 0.5, { output: { device, texture } });
      out.textureToTexture = tex.maxDiff(await tex.read(device, texture), (await interp.interpolate(i0, i1, 0.5)).data);
      for (const x of [ta, tb, texture]) x.destroy();
      const stats = await window.testing.stats(interp);
      out.imagesOpen = stats.imagesOpen;
      out.uncaptured = window.uncaptured.slice();
      return out;
    });
    t.diagnostic(JSON.stringify(r));
    for (const format of ['rgba8unorm', 'bgra8unorm']) {
      assert.equal(r[format].result, 'undefined');
      assert.ok(
        r[format].diff <= 0,
        `${format}: the texture differs from the ImageData result by ${r[format].diff} steps`,
      );
      assert.ok(r[format].again <= 0, `${format}: the second write differs by ${r[format].again} steps`);
      assert.ok(r[format].other > 20, `${format}: another t differs (${r[format].other} steps)`);
    }
    assert.ok(r.textureToTexture <= 1, `texture in, texture out: ${r.textureToTexture} steps`);
    assert.equal(r.imagesOpen, 0);
    assert.deepEqual(r.uncaptured, []);
  });

  test('textures in the other calls: interpolateMany, sequence().push, interpolateWithFlow', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { tex, gpuInterp: interp, callerDevice: device } = window;
      const U = GPUTextureUsage;
      const imgs = [tex.scene(0), tex.scene(1), tex.scene(2)];
      const texs = imgs.map((img) => ({ texture: tex.make(device, img, 'rgba8unorm', U.TEXTURE_BINDING), device }));
      const want = await interp.interpolateMany(imgs[0], imgs[1], [0.25, 0.5]);
      const many = await interp.interpolateMany(texs[0], texs[1], [0.25, 0.5]);
      const seq = interp.sequence();
      const pushed = [];
      for (const x of texs) pushed.push(...(await seq.push(x, [0.5])));
      seq.close();
      const want12 = await interp.interpolate(imgs[1], imgs[2], 0.5);
      const flow = await interp.interpolateWithFlow(texs[0], texs[1], 0.25);
      for (const x of texs) x.texture.destroy();
      return {
        many: many.map((m, i) => tex.maxDiff(m.data, want[i].data)),
        pushed: pushed.length,
        seq01: tex.maxDiff(pushed[0].data, want[1].data),
        seq12: tex.maxDiff(pushed[1].data, want12.data),
        flow: tex.maxDiff(flow.image.data, want[0].data),
        imagesOpen: (await window.testing.stats(interp)).imagesOpen,
      };
    });
    t.diagnostic(JSON.stringify(r));
    assert.ok(Math.max(...r.many) <= 1, `interpolateMany: ${r.many} steps`);
    assert.equal(r.pushed, 2);
    assert.ok(r.seq01 <= 1 && r.seq12 <= 1, `sequence: ${r.seq01}, ${r.seq12} steps`);
    assert.ok(r.flow <= 1, `interpolateWithFlow (bytes, read back): ${r.flow} steps`);
    assert.equal(r.imagesOpen, 0);
  });

  test('bad textures, targets and canvases are clear TypeErrors; the interpolator works on', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { harness: h, tex, gpuInterp: interp, callerDevice: device } = window;
      const [W, H] = [64, 48];
      const [i0, i1] = [tex.scene(0), tex.scene(1)];
      const U = GPUTextureUsage;
      const good = tex.make(device, i1, 'rgba8unorm', U.COPY_SRC);
      const src = (desc) => ({
        texture: device.createTexture({ size: [W, H], format: 'rgba8unorm', ...desc }),
        device,
      });
      const target = (desc) => ({
        texture: device.createTexture({
          size: [W, H],
          format: 'rgba8unorm',
          usage: U.COPY_DST | U.RENDER_ATTACHMENT,
          ...desc,
        }),
        device,
      });
      const destroyed = tex.make(device, i0, 'rgba8unorm', U.COPY_SRC);
      destroyed.destroy();
      const otherDevice = await (await navigator.gpu.requestAdapter()).requestDevice();
      const foreign = tex.make(otherDevice, i0, 'rgba8unorm', U.COPY_SRC);
      const deadTarget = target({});
      deadTarget.texture.destroy();
      // A lost device does nothing and reports nothing: the package says so instead of a blank frame.
      const goneDevice = await (await navigator.gpu.requestAdapter()).requestDevice();
      const goneTexture = tex.make(goneDevice, i0, 'rgba8unorm', U.COPY_SRC);
      const goneTarget = goneDevice.createTexture({
        size: [W, H],
        format: 'rgba8unorm',
        usage: U.COPY_DST | U.RENDER_ATTACHMENT,
      });
      goneDevice.destroy();
      await goneDevice.lost;
      const used = document.createElement('canvas');
      used.getContext('2d');
      const run = (a, options) => h.errorOf(() => interp.interpolate(a, { texture: good, device }, 0.5, options));
      const out = {
        notTexture: await run({ texture: new ArrayBuffer(4), device }),
        noDevice: await run({ texture: good }),
        format: await run(src({ format: 'r8unorm', usage: U.COPY_SRC | U.TEXTURE_BINDING })),
        usage: await run(src({ usage: U.COPY_DST })),
        threeD: await run(src({ dimension: '3d', size: [W, H, 2], usage: U.COPY_SRC })),
        layers: await run(src({ size: [W, H, 2], usage: U.COPY_SRC })),
        multisampled: await run(src({ sampleCount: 4, usage: U.RENDER_ATTACHMENT | U.TEXTURE_BINDING })),
        size: await h.errorOf(() =>
          interp.interpolate(src({ size: [W, H + 2], usage: U.COPY_SRC }), { texture: good, device }, 0.5),
        ),
        destroyed: await run({ texture: destroyed, device }),
        otherDevice: await run({ texture: foreign, device }),
        lostDevice: await run({ texture: goneTexture, device: goneDevice }),
        outLost: await run({ texture: good, device }, { output: { texture: goneTarget, device: goneDevice } }),
        outFormat: await run({ texture: good, device }, { output: target({ format: 'r8unorm' }) }),
        outUsage: await run({ texture: good, device }, { output: target({ usage: U.COPY_DST }) }),
        outSize: await run({ texture: good, device }, { output: target({ size: [W + 1, H] }) }),
        outDestroyed: await run({ texture: good, device }, { output: deadTarget }),
        outNotTarget: await run({ texture: good, device }, { output: {} }),
        both: await run({ texture: good, device }, { output: target({}), canvas: new OffscreenCanvas(4, 4) }),
        notCanvas: await run({ texture: good, device }, { canvas: {} }),
        canvas2d: await run({ texture: good, device }, { canvas: used }),
        canvas2dAgain: await run({ texture: good, device }, { canvas: used }),
      };
      // Still works, with the same textures as before, and left nothing open.
      const ok = await interp.interpolate(i0, { texture: good, device }, 0.5);
      out.after = tex.maxDiff(ok.data, (await interp.interpolate(i0, i1, 0.5)).data);
      out.imagesOpen = (await window.testing.stats(interp)).imagesOpen;
      out.uncaptured = window.uncaptured.slice();
      out.closed = interp.closed;
      // The CPU backend: a texture is read back (the same result as its ImageData), GPU output
      // is refused.
      const cpu = await h.lib.createInterpolator({ backend: 'cpu', modelUrl: '/models/rife-4.25.bpk' });
      try {
        const ta = tex.make(device, i0, 'rgba8unorm', U.COPY_SRC);
        const tb = tex.make(device, i1, 'bgra8unorm', U.TEXTURE_BINDING);
        const viaTexture = await cpu.interpolate({ texture: ta, device }, { texture: tb, device }, 0.5);
        out.cpuTexture = tex.maxDiff(viaTexture.data, (await cpu.interpolate(i0, i1, 0.5)).data);
        out.cpuCanvas = await h.errorOf(() => cpu.interpolate(i0, i1, 0.5, { canvas: new OffscreenCanvas(4, 4) }));
        out.cpuOutput = await h.errorOf(() => cpu.interpolate(i0, i1, 0.5, { output: target({}) }));
        out.cpuBadTexture = await h.errorOf(() => cpu.interpolate({ texture: destroyed, device }, i1, 0.5));
      } finally {
        cpu.dispose();
      }
      otherDevice.destroy();
      return out;
    });
    t.diagnostic(JSON.stringify(r));
    const typeError = (e, pattern, name) => {
      assert.ok(e, `${name}: no error`);
      assert.ok(e.isTypeError, `${name}: ${e.name}: ${e.message}`);
      assert.match(e.message, pattern, name);
    };
    typeError(r.notTexture, /frame a\.texture must be a GPUTexture/, 'not a texture');
    typeError(r.noDevice, /frame a\.device must be the GPUDevice/, 'no device');
    typeError(r.format, /is r8unorm; the formats taken are rgba8unorm, /, 'format');
    typeError(r.usage, /needs GPUTextureUsage\.COPY_SRC or TEXTURE_BINDING/, 'usage');
    typeError(r.threeD, /must be a 2D texture of one layer, got a 3d texture$/, '3d');
    typeError(r.layers, /must be a 2D texture of one layer, got 2 layers$/, 'layers');
    typeError(r.multisampled, /is multisampled \(4 samples\)/, 'multisampled');
    typeError(r.size, /the two frames differ in size: 64x50 and 64x48/, 'size');
    typeError(
      r.destroyed,
      /could not be read \(destroyed, or not of frame\.device\?\): Destroyed texture/,
      'destroyed',
    );
    typeError(r.otherDevice, /could not be read \(destroyed, or not of frame\.device\?\)/, 'other device');
    for (const [name, e] of [
      ['lost device', r.lostDevice],
      ['lost output device', r.outLost],
    ]) {
      assert.ok(e?.isError && !e.isTypeError && e.code === 'gpu', `${name}: ${JSON.stringify(e)}`);
      assert.match(e.message, /(frame|output)\.device was lost/, name);
    }
    typeError(r.outFormat, /output\.texture is r8unorm; the formats written are/, 'output format');
    typeError(r.outUsage, /output\.texture needs GPUTextureUsage\.COPY_DST and RENDER_ATTACHMENT/, 'output usage');
    typeError(r.outSize, /output\.texture is 65x48, the frames are 64x48/, 'output size');
    typeError(r.outDestroyed, /could not be written to output\.texture \(destroyed/, 'output destroyed');
    typeError(r.outNotTarget, /output must be \{ texture: GPUTexture, device: GPUDevice \}/, 'output {}');
    typeError(r.both, /either canvas or output, not both/, 'both');
    typeError(r.notCanvas, /canvas must be an HTMLCanvasElement or OffscreenCanvas, got Object/, 'not a canvas');
    typeError(r.canvas2d, /cannot be handed to the worker .*no rendering context/, 'canvas with a 2d context');
    typeError(r.canvas2dAgain, /cannot be handed to the worker/, 'the same canvas again');
    assert.ok(r.after <= 1, `works on: ${r.after} steps`);
    assert.equal(r.closed, false);
    assert.equal(r.imagesOpen, 0, 'no image left open after the failures');
    assert.deepEqual(r.uncaptured, [], 'no error escaped to the caller device');
    assert.ok(r.cpuTexture <= 1, `CPU backend, texture input read back: ${r.cpuTexture} steps`);
    typeError(r.cpuCanvas, /canvas output needs the WebGPU backend; this interpolator runs on 'cpu'/, 'cpu canvas');
    typeError(r.cpuOutput, /GPUTexture output needs the WebGPU backend/, 'cpu output');
    typeError(r.cpuBadTexture, /could not be read \(destroyed/, 'cpu destroyed texture');
  });
});
