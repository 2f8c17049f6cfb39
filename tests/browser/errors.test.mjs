// Bad inputs: TypeErrors from the TypeScript layer before any work, Rust's messages as Errors
// from the wasm layer, bad model files, and WebGPU being unavailable.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { openTestPage } from './fixture.mjs';
import { F16_SHA256 } from './common.mjs';

const MINUTE = 60_000;
// Deterministic-length garbage: neither a burnpack nor anything else.
const GARBAGE = randomBytes(64 * 1024);

describe('errors', () => {
  const fx = openTestPage({
    webgpu: true,
    server: {
      // /broken/ is the built library without its wasm glue (www/lib/pkg missing): the worker
      // cannot load, which must surface as an Error rather than a promise that never settles.
      mounts: {
        '/': REPO,
        '/broken/dist/': `${REPO}/www/lib/dist`,
        '/broken/model/': `${REPO}/www/lib/model`,
      },
      routes: {
        '/garbage.bpk': { body: GARBAGE },
        // A real file cut short: the header parses, the tensors are missing.
        '/truncated.bpk': { body: readFileSync(`${REPO}/models/rife-4.25-f16.bpk`).subarray(0, 1 << 20) },
      },
    },
  });
  before(async () => {
    await fx.browser.page.evaluate(async () => {
      window.interp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
    });
  });

  test('bad arguments are TypeErrors that name the problem', { timeout: MINUTE }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const { errorOf } = window.harness;
      const i = window.interp;
      const a = new ImageData(40, 24);
      const b = new ImageData(40, 24);
      const narrow = new ImageData(20, 24);
      const closed = new VideoFrame(new Uint8Array(40 * 24 * 4), {
        format: 'RGBA',
        codedWidth: 40,
        codedHeight: 24,
        timestamp: 0,
      });
      closed.close();
      return {
        t15: await errorOf(() => i.interpolate(a, b, 1.5)),
        tNeg: await errorOf(() => i.interpolate(a, b, -0.1)),
        tNaN: await errorOf(() => i.interpolate(a, b, NaN)),
        tString: await errorOf(() => i.interpolate(a, b, '0.5')),
        sizes: await errorOf(() => i.interpolate(a, narrow, 0.5)),
        scale8: await errorOf(() => i.interpolate(a, b, 0.5, { scale: 8 })),
        scaleNaN: await errorOf(() => i.interpolate(a, b, 0.5, { scale: NaN })),
        notImage: await errorOf(() => i.interpolate(new Uint8Array(40 * 24 * 4), b, 0.5)),
        nullFrame: await errorOf(() => i.interpolate(a, null, 0.5)),
        closedFrame: await errorOf(() => i.interpolate(closed, b, 0.5)),
        manyBadT: await errorOf(() => i.interpolateMany(a, b, [0.5, 2])),
        manyNotArray: await errorOf(() => i.interpolateMany(a, b, 0.5)),
        mapLength: await errorOf(() => i.interpolateMap(a, b, new Float32Array(10))),
        mapValue: await errorOf(() => i.interpolateMap(a, b, new Float32Array(40 * 24).fill(1.5))),
        mapType: await errorOf(() => i.interpolateMap(a, b, new Array(40 * 24).fill(0.5))),
        flowT: await errorOf(() => i.interpolateWithFlow(a, b, Infinity)),
        backendName: await errorOf(() => window.harness.lib.createInterpolator({ backend: 'gpu' })),
        badSha: await errorOf(() => window.harness.lib.createInterpolator({ modelSha256: 'abc' })),
      };
    });
    const typeError = (e, pattern, label) => {
      assert.ok(e, `${label}: expected an error`);
      assert.equal(e.name, 'TypeError', `${label}: ${e.name}: ${e.message}`);
      assert.match(e.message, pattern, label);
    };
    typeError(r.t15, /t must be a number in \[0, 1\], got 1\.5/, 't=1.5');
    typeError(r.tNeg, /\[0, 1\], got -0\.1/, 't=-0.1');
    typeError(r.tNaN, /got NaN/, 't=NaN');
    typeError(r.tString, /got "0\.5"/, "t='0.5'");
    typeError(r.sizes, /the two frames differ in size: 40x24 and 20x24/, 'sizes');
    typeError(r.scale8, /scale must be a number in \[0\.25, 4\] or 'auto', got 8/, 'scale 8');
    typeError(r.scaleNaN, /scale .* got NaN/, 'scale NaN');
    typeError(
      r.notImage,
      /frame a must be an ImageData, ImageBitmap, VideoFrame or \{ texture: GPUTexture, device: GPUDevice \}, got Uint8Array/,
      'Uint8Array',
    );
    typeError(r.nullFrame, /frame b must be .* got null/, 'null');
    typeError(r.closedFrame, /frame a is a closed VideoFrame/, 'closed VideoFrame');
    typeError(r.manyBadT, /ts\[1\] must be a number in \[0, 1\], got 2/, 'ts');
    typeError(r.manyNotArray, /ts must be an array/, 'ts not array');
    typeError(r.mapLength, /map has 10 values, expected 960 \(40x24\)/, 'map length');
    typeError(r.mapValue, /map\[0\] must be a number in \[0, 1\], got 1\.5/, 'map value');
    typeError(r.mapType, /map must be a Float32Array, got Array/, 'map type');
    typeError(r.flowT, /got Infinity/, 'flow t');
    typeError(r.backendName, /backend must be 'auto', 'webgpu' or 'cpu', got "gpu"/, 'backend');
    typeError(r.badSha, /modelSha256 must be 64 hex digits/, 'sha');
  });

  test('the wasm Engine rejects bad input with the Rust message (as Error)', { timeout: 2 * MINUTE }, async () => {
    // The layer under the TypeScript checks, called directly: these are the messages the worker
    // forwards when something slips past the TS layer.
    const r = await fx.browser.page.evaluate(async () => {
      const { errorOf } = window.harness;
      const glue = await import('/www/lib/pkg/inbetween_wasm.js');
      await glue.default({ module_or_path: '/www/lib/pkg/inbetween_wasm_bg.wasm' });
      const model = new Uint8Array(await (await fetch('/www/lib/model/rife-4.25-f16.bpk')).arrayBuffer());
      const engine = await glue.Engine.create(model, 'cpu');
      const px = (w, h) => new Uint8Array(w * h * 4);
      const a = engine.prepare(px(40, 24), 40, 24, 1);
      const b = engine.prepare(px(40, 24), 40, 24, 1);
      const narrow = engine.prepare(px(20, 24), 20, 24, 1);
      const half = engine.prepare(px(40, 24), 40, 24, 0.5);
      const out = {
        backend: engine.backend,
        frame: [a.width, a.height, a.scale],
        t15: await errorOf(() => engine.interpolate(a, b, 1.5)),
        sizes: await errorOf(() => engine.interpolate(a, narrow, 0.5)),
        scales: await errorOf(() => engine.interpolate(a, half, 0.5)),
        bytes: await errorOf(() => engine.prepare(px(40, 23), 40, 24, 1)),
        scale8: await errorOf(() => engine.prepare(px(40, 24), 40, 24, 8)),
        empty: await errorOf(() => engine.prepare(new Uint8Array(0), 0, 24, 1)),
        manyT: await errorOf(() => engine.interpolateMany(a, b, new Float32Array([0.5, -1]))),
        mapValue: await errorOf(() => engine.interpolateMap(a, b, new Float32Array(40 * 24).fill(2))),
        mapLength: await errorOf(() => engine.interpolateMap(a, b, new Float32Array(5))),
        backendName: await errorOf(() => glue.Engine.create(model, 'x')),
        garbage: await errorOf(() => glue.Engine.create(new Uint8Array(1000).fill(7), 'cpu')),
      };
      for (const f of [a, b, narrow, half]) f.free();
      engine.free();
      return out;
    });
    // Each with its kind as a code (crate/wasm, from inbetween::Error::code), so no caller has to
    // match the message.
    const rustError = (e, text, label, code) => {
      assert.ok(e, `${label}: expected an error`);
      assert.ok(e.isError, `${label}: not an Error: ${JSON.stringify(e)}`);
      assert.ok(
        e.message.includes(text),
        `${label}: ${JSON.stringify(e.message)} does not include ${JSON.stringify(text)}`,
      );
      assert.equal(e.code, code, `${label}: code`);
    };
    assert.equal(r.backend, 'cpu');
    assert.deepEqual(r.frame, [40, 24, 1]);
    rustError(r.t15, 'timestep 1.5 is outside [0, 1]', 't=1.5', 'bad-time');
    rustError(r.sizes, 'the two frames differ in size: 40x24 and 20x24', 'sizes', 'size-mismatch');
    rustError(r.scales, 'the frames were prepared at different scales', 'scales', 'bad-scale');
    rustError(r.bytes, 'image buffer has 3680 bytes, expected 3840 for 40x24 with 4 channels', 'bytes', 'bad-image');
    rustError(r.scale8, 'scale 8 is outside [0.25, 4]', 'scale 8', 'bad-scale');
    rustError(r.empty, 'image is empty (0x24)', 'empty', 'bad-image');
    rustError(r.manyT, 'timestep -1 is outside [0, 1]', 'many t', 'bad-time');
    rustError(r.mapValue, 'time map value 2 at index 0 is outside [0, 1]', 'map value', 'bad-time');
    rustError(r.mapLength, 'time map has 5 values, expected 960 (40x24)', 'map length', 'bad-time');
    rustError(r.backendName, "unknown backend 'x'", 'backend', 'backend');
    rustError(r.garbage, 'model data is not a valid inbetween model', 'garbage model', 'bad-model');
  });

  test('a corrupt model file is rejected: by the Rust loader, or by the sha256 check', {
    timeout: 2 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async (packagedSha) => {
      const { errorOf, lib } = window.harness;
      return {
        noHash: await errorOf(() => lib.createInterpolator({ backend: 'cpu', modelUrl: '/garbage.bpk' })),
        truncated: await errorOf(() => lib.createInterpolator({ backend: 'auto', modelUrl: '/truncated.bpk' })),
        withHash: await errorOf(() =>
          lib.createInterpolator({ backend: 'cpu', modelUrl: '/garbage.bpk', modelSha256: packagedSha }),
        ),
        missing: await errorOf(() => lib.createInterpolator({ backend: 'cpu', modelUrl: '/no-such-model.bpk' })),
      };
    }, F16_SHA256);
    assert.equal(r.noHash?.name, 'Error', JSON.stringify(r.noHash));
    assert.match(r.noHash.message, /^model data is not a valid inbetween model/);
    // 'auto' tries WebGPU first; a bad model must be reported as such, not retried on the CPU
    // and not turned into a WebGPU error.
    assert.equal(r.truncated?.name, 'Error', JSON.stringify(r.truncated));
    assert.match(r.truncated.message, /^model data is not a valid inbetween model/);
    const actual = createHash('sha256').update(GARBAGE).digest('hex');
    assert.equal(r.withHash?.name, 'Error');
    assert.ok(r.withHash.message.includes(actual), `names the actual hash: ${r.withHash.message}`);
    assert.ok(r.withHash.message.includes(F16_SHA256), `names the expected hash: ${r.withHash.message}`);
    assert.match(r.missing.message, /could not fetch the model from .*no-such-model\.bpk: HTTP 404/);
  });

  test('a worker that cannot load rejects createInterpolator with an Error', { timeout: MINUTE }, async () => {
    const e = await fx.browser.page.evaluate(async () => {
      const broken = await import('/broken/dist/index.js');
      return window.harness.errorOf(() => broken.createInterpolator({ backend: 'cpu' }));
    });
    assert.equal(e?.name, 'Error', JSON.stringify(e));
    assert.match(e.message, /the inbetween worker failed/);
  });
});

describe('a browser without --enable-unsafe-webgpu', () => {
  const fx = openTestPage({ webgpu: false });

  // (With an adapter, 'auto' skipping a software one for the CPU is parity.test.mjs's case; a
  // hardware adapter whose device creation fails cannot be made here.)
  test("no adapter at all: forcing 'webgpu' is a clear Error; 'auto' uses the CPU with no fallback reason", {
    timeout: 3 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { errorOf, lib, goldenCase } = window.harness;
      const forced = await errorOf(() => lib.createInterpolator({ backend: 'webgpu' }));
      const interp = await lib.createInterpolator({ backend: 'auto' });
      const g = await goldenCase('i2_crop_s0.5');
      const small = [window.harness.crop(g.a, [0, 32, 0, 32]), window.harness.crop(g.b, [0, 32, 0, 32])];
      const out = await interp.interpolate(small[0], small[1], 0.5);
      const result = {
        forced,
        backend: interp.backend,
        adapterInfo: interp.adapterInfo,
        fallbackReason: interp.fallbackReason,
        outSize: [out.width, out.height],
        hasGpu: 'gpu' in navigator && (await navigator.gpu.requestAdapter()) !== null,
      };
      interp.dispose();
      return result;
    });
    t.diagnostic(`forced webgpu: ${r.forced?.message}`);
    assert.equal(r.hasGpu, false, 'this browser must really have no adapter');
    assert.equal(r.forced?.name, 'Error');
    assert.match(
      r.forced.message,
      /backend 'webgpu' was requested but WebGPU is not available: .*requestAdapter\(\) returned no adapter/,
    );
    assert.equal(r.backend, 'cpu');
    assert.equal(r.adapterInfo, null);
    assert.equal(r.fallbackReason, null);
    assert.deepEqual(r.outSize, [32, 32]);
  });
});
