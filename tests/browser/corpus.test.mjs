// The bad-input corpus, browser side: each case through the JS API (and so the wasm Engine in
// its worker), interpolateVideo and model loading, in headless Chromium on the CPU path. Each
// must end within its stated time with a clear error (or correct output), never a hang, a trap
// that breaks later calls, or a changed input. The native side (CLI, Rust API) is
// crate/core/tests/corpus.rs and crate/cli/tests/corpus.rs; the README's reliability section lists them by category.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { probe } from './clips.mjs';
import { openTestPage } from './fixture.mjs';

const MINUTE = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-corpus-'));
const f = (name) => path.join(dir, name);
const ffmpeg = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
const src = (size, rate, seconds) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
const h264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'];
const vp9 = ['-c:v', 'libvpx-vp9', '-b:v', '300k', '-pix_fmt', 'yuv420p'];

// ---- The video files.
// The size changes mid-stream: SPS/PPS repeated in-band so the second part can be decoded.
ffmpeg([
  ...src('96x54', 24, 0.5),
  ...h264,
  '-x264-params',
  'repeat-headers=1',
  '-bsf:v',
  'h264_mp4toannexb',
  '-f',
  'h264',
  f('part1.h264'),
]);
ffmpeg([
  ...src('64x36', 24, 0.5),
  ...h264,
  '-x264-params',
  'repeat-headers=1',
  '-bsf:v',
  'h264_mp4toannexb',
  '-f',
  'h264',
  f('part2.h264'),
]);
writeFileSync(f('sizes.h264'), Buffer.concat([readFileSync(f('part1.h264')), readFileSync(f('part2.h264'))]));
ffmpeg(['-r', '24', '-i', f('sizes.h264'), '-c', 'copy', f('size-change.mp4')]);
// VP9 changes resolution at a key frame natively: two sizes in one WebM track.
ffmpeg([...src('96x54', 24, 0.5), ...vp9, f('v1.webm')]);
ffmpeg([...src('64x36', 24, 0.5), ...vp9, f('v2.webm')]);
writeFileSync(f('list.txt'), `file '${f('v1.webm')}'\nfile '${f('v2.webm')}'\n`);
ffmpeg(['-f', 'concat', '-safe', '0', '-i', f('list.txt'), '-c', 'copy', f('vp9-resize.webm')]);
ffmpeg([...src('96x54', 24, 1 / 24), ...h264, f('one-frame.mp4')]);
// Index at the front (faststart), then cut: the index promises frames that are not there.
ffmpeg([...src('96x54', 24, 2), ...h264, '-movflags', '+faststart', f('faststart.mp4')]);
const whole = readFileSync(f('faststart.mp4'));
writeFileSync(f('truncated-index-intact.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
// A header that claims ten hours: mvhd and mdhd durations rewritten (version 0 boxes).
ffmpeg([...src('96x54', 24, 1), ...h264, f('one-second.mp4')]);
const tenHours = Buffer.from(readFileSync(f('one-second.mp4')));
for (const box of ['mvhd', 'mdhd']) {
  for (let at = tenHours.indexOf(box); at >= 0; at = tenHours.indexOf(box, at + 4)) {
    const timescale = tenHours.readUInt32BE(at + 16);
    tenHours.writeUInt32BE(timescale * 36000, at + 20);
  }
}
writeFileSync(f('ten-hour-header.mp4'), tenHours);
ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', f('audio-only.mp4')]);
ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus', f('audio-only.webm')]);
writeFileSync(f('empty.mp4'), Buffer.alloc(0));
writeFileSync(f('png-named.mp4'), readFileSync(path.join(REPO, 'tests/golden/images/I0_0.png')));
const before0 = new Map();

describe('the bad-input corpus in the browser', () => {
  const counts = {};
  const fx = openTestPage({ webgpu: true, server: { mounts: { '/': REPO, '/corpus/': dir } } });
  before(async () => {
    for (const name of [
      'size-change.mp4',
      'vp9-resize.webm',
      'one-frame.mp4',
      'truncated-index-intact.mp4',
      'ten-hour-header.mp4',
      'audio-only.mp4',
    ]) {
      before0.set(name, readFileSync(f(name)));
    }
    await fx.browser.page.evaluate(async () => {
      window.ci = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      window.pic = (w, h, seed = 0) => {
        const d = new ImageData(w, h);
        for (let p = 0; p < w * h; p++)
          d.data.set(
            [(40 + (150 * (p % w)) / w + seed) & 255, (60 + (120 * Math.floor(p / w)) / h) & 255, 120, 255],
            p * 4,
          );
        return d;
      };
    });
  });
  after(() => {
    console.log(`browser corpus: ${JSON.stringify(counts)}`);
    for (const [name, bytes] of before0) assert.ok(readFileSync(f(name)).equals(bytes), `${name} changed`);
  });

  /** Runs `fn` in the page under a deadline; returns { value } or { error: {name, message} }. */
  async function within(ms, category, fn, arg) {
    counts[category] = (counts[category] ?? 0) + 1;
    const r = await Promise.race([
      fx.browser.page.evaluate(
        async ([source, a]) => {
          try {
            // biome-ignore lint/complexity/noCommaOperator: indirect eval, so the case runs in the page's global scope
            // biome-ignore lint/security/noGlobalEval: the test's own case functions, sent as text
            const value = await (0, eval)(source)(a);
            return { value };
          } catch (e) {
            return { error: { name: e?.name ?? typeof e, message: e?.message ?? String(e) } };
          }
        },
        [fn.toString(), arg],
      ),
      new Promise((resolve) => setTimeout(() => resolve({ hang: true }), ms)),
    ]);
    assert.ok(!r.hang, `no answer within ${ms} ms`);
    return r;
  }

  test('arguments: NaN, infinities, -0, sizes, huge timestep lists', { timeout: 3 * MINUTE }, async () => {
    for (const [what, t, scale] of [
      ['t NaN', Number.NaN, 1],
      ['t Infinity', Infinity, 1],
      ['t -Infinity', -Infinity, 1],
      ['t 1+ε', 1 + 1e-9, 1],
      ['scale NaN', 0.5, Number.NaN],
      ['scale Infinity', 0.5, Infinity],
      ['scale -0', 0.5, -0],
      ['scale 0', 0.5, 0],
    ]) {
      const r = await within(
        10_000,
        'arguments',
        async ([t, scale]) => {
          await window.ci.interpolate(window.pic(32, 24), window.pic(32, 24, 9), t, { scale });
        },
        [t, scale],
      );
      assert.equal(r.error?.name, 'TypeError', `${what}: ${JSON.stringify(r)}`);
    }
    // -0 is a valid time: frame a comes back.
    const zero = await within(30_000, 'arguments', async () => {
      const a = window.pic(32, 24);
      const out = await window.ci.interpolate(a, window.pic(32, 24, 60), -0);
      return window.harness.maxAbsDiff(out.data, a.data);
    });
    assert.ok(zero.value <= 3, `t = -0 gives frame a: ${JSON.stringify(zero)}`);
    const huge = await within(30_000, 'arguments', async () => {
      await window.ci.interpolateMany(window.pic(64, 48), window.pic(64, 48, 5), new Array(1_000_000).fill(0.5));
    });
    assert.match(huge.error?.message ?? '', /timesteps|ts /, JSON.stringify(huge));
    const sizes = await within(10_000, 'arguments', async () => {
      await window.ci.interpolate(window.pic(32, 24), window.pic(24, 32), 0.5);
    });
    assert.equal(sizes.error?.name, 'TypeError');
    for (const [w, h] of [
      [1, 1],
      [1, 300],
      [300, 1],
    ]) {
      const r = await within(
        60_000,
        'arguments',
        async ([w, h]) => {
          const out = await window.ci.interpolate(window.pic(w, h), window.pic(w, h, 3), 0.5);
          return [out.width, out.height];
        },
        [w, h],
      );
      assert.deepEqual(r.value, [w, h], `${w}x${h}: ${JSON.stringify(r)}`);
    }
  });

  test('too large for wasm memory: a clear error before any work, and the interpolator still works', {
    timeout: 3 * MINUTE,
  }, async () => {
    const r = await within(60_000, 'arguments', async () => {
      const e = await window.harness.errorOf(() =>
        window.ci.interpolate(window.pic(8192, 4608), window.pic(8192, 4608, 1), 0.5),
      );
      const out = await window.ci.interpolate(window.pic(32, 24), window.pic(32, 24, 2), 0.5);
      return { e, after: [out.width, out.height] };
    });
    assert.match(r.value?.e?.message ?? '', /8192x4608 at scale 1 needs about \d+ MiB/, JSON.stringify(r));
    assert.deepEqual(r.value.after, [32, 24]);
  });

  test('concurrent calls all answer correctly; dispose during a call rejects it', { timeout: 3 * MINUTE }, async () => {
    const r = await within(90_000, 'faults', async () => {
      const a = window.pic(48, 32);
      const b = window.pic(48, 32, 40);
      const alone = await window.ci.interpolate(a, b, 0.5);
      const together = await Promise.all([0, 1, 2, 3].map(() => window.ci.interpolate(a, b, 0.5)));
      return together.map((x) => window.harness.maxAbsDiff(x.data, alone.data));
    });
    assert.deepEqual(r.value, [0, 0, 0, 0], JSON.stringify(r));
    const d = await within(60_000, 'faults', async () => {
      const interp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      const pending = window.harness.errorOf(() =>
        interp.interpolate(window.pic(160, 96), window.pic(160, 96, 7), 0.5),
      );
      interp.dispose();
      return await pending;
    });
    assert.match(d.value?.message ?? '', /disposed/, JSON.stringify(d));
  });

  test('a worker that dies mid-call: the call rejects instead of waiting forever', {
    timeout: 3 * MINUTE,
  }, async () => {
    const { page } = fx.browser;
    // A video job, because the worker yields between its frames: a worker busy in one long
    // synchronous wasm call would only run the close below after that call had answered.
    await page.evaluate(async () => {
      window.doomed = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      window.doomedStarted = false;
      const blob = await (await fetch('/corpus/faststart.mp4')).blob();
      window.doomedCall = window.harness.errorOf(() =>
        window.harness.lib.interpolateVideo(
          blob,
          { factor: 2, interpolator: window.doomed },
          {
            onProgress: (p) => {
              if (p.stage === 'interpolating') window.doomedStarted = true;
            },
          },
        ),
      );
    });
    for (let i = 0; i < 300 && !(await page.evaluate(() => window.doomedStarted)); i++)
      await new Promise((r) => setTimeout(r, 100));
    // The newest worker is the doomed interpolator's; end it from inside, as a crash would.
    const worker = page.workers().at(-1);
    await Promise.race([worker.evaluate(() => self.close()).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    const r = await within(15_000, 'faults', async () => await window.doomedCall);
    assert.match(r.value?.message ?? '', /stopped unexpectedly/, JSON.stringify(r));
    const later = await within(5_000, 'faults', async () =>
      window.harness.errorOf(() => window.doomed.interpolate(window.pic(8, 8), window.pic(8, 8), 0.5)),
    );
    assert.match(later.value?.message ?? '', /stopped unexpectedly/);
  });

  test('a wasm trap (out of memory): the call rejects with what happened, the interpolator closes, a new one works', {
    timeout: 2 * MINUTE,
  }, async () => {
    const r = await within(60_000, 'faults', async () => {
      const interp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      const a = window.pic(32, 32);
      const b = window.pic(32, 32, 9);
      const before = await interp.interpolate(a, b, 0.5);
      const trap = await window.harness.errorOf(() => window.testing.trap(interp));
      // The worker is retired: the interpolator says so, and later calls fail at once, clearly.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const later = await window.harness.errorOf(() => interp.interpolate(a, b, 0.5));
      const fresh = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      const after = await fresh.interpolate(a, b, 0.5);
      fresh.dispose();
      return {
        trap: trap?.message,
        trapCode: trap?.code,
        closed: interp.closed,
        later: later?.message,
        same: window.harness.maxAbsDiff(after.data, before.data),
      };
    });
    const v = r.value;
    assert.ok(v, JSON.stringify(r));
    assert.match(v.trap ?? '', /crashed \(WebAssembly unreachable\).*create a new one/, JSON.stringify(v));
    assert.equal(v.trapCode, 'engine-crashed');
    assert.equal(v.closed, true, 'the interpolator closed');
    assert.match(v.later ?? '', /crashed|stopped|closed/, JSON.stringify(v));
    assert.equal(v.same, 0, 'a new interpolator computes the same frame');
  });

  test('the GPU device lost in the middle of a video: the job rejects with what happened, a new interpolator finishes it', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await within(4 * MINUTE, 'faults', async () => {
      const { lib, errorOf } = window.harness;
      const blob = await (await fetch('/corpus/faststart.mp4')).blob();
      const interp = await lib.createInterpolator({ backend: 'webgpu' });
      let lostAt = -1;
      const failed = await errorOf(() =>
        lib.interpolateVideo(
          blob,
          { factor: 2, interpolator: interp },
          {
            onProgress: (p) => {
              if (lostAt < 0 && p.stage === 'interpolating' && p.framesDone >= 3) {
                lostAt = p.framesDone;
                void window.testing.loseDevice(interp);
              }
            },
          },
        ),
      );
      const closed = interp.closed;
      const fresh = await lib.createInterpolator({ backend: 'webgpu' });
      const again = await lib.interpolateVideo(blob, { factor: 2, interpolator: fresh, container: 'webm' });
      fresh.dispose();
      return { lostAt, failed: failed?.message, failedCode: failed?.code, closed, bytes: again.size, type: again.type };
    });
    const v = r.value;
    assert.ok(v, JSON.stringify(r));
    assert.ok(v.lostAt >= 3, `the device was lost mid-video: ${JSON.stringify(v)}`);
    assert.match(v.failed ?? '', /GPU device was lost/, JSON.stringify(v));
    // The worker saw the code, not the message: that is what closed the interpolator.
    assert.equal(v.failedCode, 'device-lost');
    assert.equal(v.closed, true);
    assert.ok(v.bytes > 1000 && /webm/.test(v.type), `a new interpolator made the whole video: ${JSON.stringify(v)}`);
  });

  test('models: corrupt, truncated, not a model, missing; a full Cache API quota', {
    timeout: 3 * MINUTE,
  }, async () => {
    const model = readFileSync(path.join(REPO, 'www/lib/model/rife-4.25-f16.bpk'));
    writeFileSync(f('truncated.bpk'), model.subarray(0, model.length >> 1));
    const noisy = Buffer.from(model);
    for (let i = 0; i < 4096; i++) noisy[i] ^= 0x5a;
    writeFileSync(f('bad-header.bpk'), noisy);
    for (const [what, url, says] of [
      ['truncated model', '/corpus/truncated.bpk', /not a valid inbetween model/],
      ['damaged header', '/corpus/bad-header.bpk', /not a valid inbetween model/],
      ['a PNG as the model', '/tests/golden/images/I0_0.png', /not a valid inbetween model/],
      ['missing model', '/corpus/missing.bpk', /HTTP 404/],
    ]) {
      const r = await within(
        60_000,
        'models',
        async (u) => {
          await window.harness.lib.createInterpolator({ backend: 'cpu', modelUrl: u });
        },
        url,
      );
      assert.match(r.error?.message ?? '', says, `${what}: ${JSON.stringify(r)}`);
    }
    // Cache.put rejecting as a full quota does: the interpolator still starts, uncached.
    const q = await within(90_000, 'faults', async () => {
      await caches.delete('inbetween-models');
      const put = Cache.prototype.put;
      Cache.prototype.put = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'));
      try {
        const interp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
        interp.dispose();
      } finally {
        Cache.prototype.put = put;
      }
      return (await (await caches.open('inbetween-models')).keys()).length;
    });
    assert.equal(q.value, 0, JSON.stringify(q));
  });

  test('videos: size changes, one frame, truncated with its index, a ten-hour header, no video', {
    timeout: 6 * MINUTE,
  }, async () => {
    const run = (name) =>
      within(
        90_000,
        'videos',
        async (url) => {
          const blob = await (await fetch(url)).blob();
          const out = await window.harness.lib.interpolateVideo(blob, { factor: 2, interpolator: window.ci });
          const bytes = new Uint8Array(await out.arrayBuffer());
          let s = '';
          for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return { type: out.type, data: btoa(s) };
        },
        `/corpus/${name}`,
      );
    const valid = (name, r, frames) => {
      assert.ok(r.value, `${name}: ${JSON.stringify(r.error)}`);
      const file = f(`out-${name}.${r.value.type.includes('mp4') ? 'mp4' : 'webm'}`);
      writeFileSync(file, Buffer.from(r.value.data, 'base64'));
      const info = probe(file);
      if (frames !== undefined) assert.equal(info.frames.length, frames, `${name}: frames`);
      return info;
    };
    // Sizes that change mid-stream are scaled to the first size: one output size throughout.
    for (const name of ['size-change.mp4', 'vp9-resize.webm']) {
      const r = await run(name);
      if (r.error) assert.match(r.error.message, /size|resolution|decod/i, `${name}: ${r.error.message}`);
      else assert.equal(Number(valid(name, r).video.width), 96);
    }
    // x2 of one frame: the frame, held for its second half (every input frame gives `factor`).
    valid('one-frame.mp4', await run('one-frame.mp4'), 2);
    const truncated = await run('truncated-index-intact.mp4');
    if (truncated.error) assert.match(truncated.error.message, /damaged|truncated|decod/i, truncated.error.message);
    else valid('truncated-index-intact.mp4', truncated);
    // The header's ten hours are not believed: the real second of frames comes out, quickly.
    const ten = await run('ten-hour-header.mp4');
    if (ten.error) assert.match(ten.error.message, /duration|decod|damaged/i, ten.error.message);
    else assert.ok(valid('ten-hour-header.mp4', ten).frames.length <= 48);
    for (const [name, says] of [
      ['audio-only.mp4', /no video track/i],
      ['audio-only.webm', /no video track/i],
      ['empty.mp4', /empty|not a video|could not|unsupported/i],
      ['png-named.mp4', /not a video|could not|unsupported|format/i],
    ]) {
      const r = await run(name);
      assert.match(r.error?.message ?? '', says, `${name}: ${JSON.stringify(r.error)}`);
    }
  });
});
