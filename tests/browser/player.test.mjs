// The live player (createPlayer): a file played smoothed into a WebGPU canvas (SwiftShader here).
// - Driven by a clock the test holds: at each time, the frame presented is the playhead's pair
//   at the right t (×4: steps of 1/4), and the canvas holds exactly the pixels interpolate()
//   gives for that pair and t.
// - Seeking forwards and back puts the right pair on screen.
// - On its own clock (SwiftShader is far slower than the video): it plays to the end in order,
//   every presented frame moving on from the one before.
// - A scene cut shows the frame before it until the cut (sceneThreshold 0: blended).
// - Animation on twos: the repeats are dropped and the pair spans their slot (dedupe: false keeps
//   them).
// - A phone video (stored 64x48, rotated 90° in the container) plays upright, at 48x64.
// - Bad inputs are clear errors.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { F32_MODEL } from './common.mjs';
import { openTestPage } from './fixture.mjs';

const MINUTE = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-player-'));
/** An H.264 clip (64x48) made by ffmpeg from `args` (inputs and filters). */
const clip = (name, ...args) =>
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...args,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '16',
    '-pix_fmt',
    'yuv420p',
    path.join(dir, name),
  ]);
clip(
  'clip.mp4',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=64x48:rate=8:duration=1',
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:sample_rate=48000:duration=1',
  '-c:a',
  'aac',
);
// Animation on twos: 4 pictures a second, scrolling fast, each shown twice at 8 fps (ffmpeg's fps
// filter repeats).
clip('twos.mp4', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=4:duration=2', '-vf', 'scroll=horizontal=0.05,fps=8');
// A hard cut between frames 3 and 4 (0.375 s and 0.5 s): the pattern, then a different picture.
clip(
  'cut.mp4',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=64x48:rate=8:duration=0.5',
  '-f',
  'lavfi',
  '-i',
  'mandelbrot=size=64x48:rate=8,trim=duration=0.5',
  '-filter_complex',
  '[0:v][1:v]concat=n=2:v=1:a=0[v]',
  '-map',
  '[v]',
);

// Stored 64x48, shown rotated by 90° (container metadata, as phones write it).
clip('unrotated.mp4', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=8:duration=1');
execFileSync('ffmpeg', [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-i',
  path.join(dir, 'unrotated.mp4'),
  '-c',
  'copy',
  '-metadata:s:v:0',
  'rotate=90',
  path.join(dir, 'rotated.mp4'),
]);

describe('createPlayer: live playback into a WebGPU canvas', () => {
  const fx = openTestPage({ webgpu: true, server: { mounts: { '/': REPO, '/clips/': dir } } });
  before(async () => {
    await fx.browser.page.evaluate(
      async (o) => {
        const { lib } = window.harness;
        window.gpu = await lib.createInterpolator(o);
        window.clip = await (await fetch('/clips/clip.mp4')).blob();
        // The clip's frames, decoded here for the expected pictures (by timestamp, in s).
        const mb = await import('/www/lib/dist/vendor/mediabunny.js');
        const input = new mb.Input({ source: new mb.BlobSource(window.clip), formats: mb.ALL_FORMATS });
        const sink = new mb.VideoSampleSink(await input.getPrimaryVideoTrack());
        window.frames = [];
        for await (const sample of sink.samples()) {
          window.frames.push({ ts: sample.timestamp, frame: sample.toVideoFrame() });
          sample.close();
        }
        /** A player on a clock the test holds: `at(time)` moves the clock there (seeking first
         * when asked) and resolves to the frame presented for it. */
        window.heldPlayer = async (clip, options) => {
          const canvas = document.createElement('canvas');
          document.body.append(canvas);
          const presented = [];
          let now = 0;
          const player = await lib.createPlayer(clip, {
            canvas,
            interpolator: window.gpu,
            factor: 4,
            clock: () => now,
            onFrame: (f) => presented.push(f),
            ...options,
          });
          const at = async (time, seek = false) => {
            now = time;
            if (seek) await player.seek(time);
            const start = performance.now();
            while (!presented.some((f) => f.time === time)) {
              if (performance.now() - start > 60_000) throw new Error(`nothing presented for ${time}`);
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
            return presented.find((f) => f.time === time);
          };
          const close = () => {
            player.close();
            canvas.remove();
          };
          return { player, canvas, at, close };
        };
        window.readCanvas = async (canvas, expected) => {
          // The canvas updates when the browser next composites: read it until it shows
          // `expected` (RGBA bytes in `.data`), for at most 5 s; resolves to the largest difference.
          const reader = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d', {
            willReadFrequently: true,
          });
          let diff = Infinity;
          const start = performance.now();
          while (performance.now() - start < 5000 && diff !== 0) {
            await new Promise((resolve) => requestAnimationFrame(resolve));
            reader.clearRect(0, 0, canvas.width, canvas.height);
            reader.drawImage(canvas, 0, 0);
            const got = reader.getImageData(0, 0, canvas.width, canvas.height).data;
            diff = 0;
            for (let i = 0; i < got.length; i++)
              if ((i & 3) !== 3) diff = Math.max(diff, Math.abs(got[i] - expected.data[i]));
          }
          return diff;
        };
      },
      { backend: 'webgpu', ...F32_MODEL },
    );
  });

  test("on a held clock: the playhead's pair at t in steps of 1/4, pixel for pixel interpolate()'s, and seeks", {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      // The player's default static guard, named here because interpolate() below must match it.
      const { player, canvas, at, close } = await window.heldPlayer(window.clip, { staticGuard: true });
      const checks = [];
      // Times inside pairs 0, 1, 3 and 6, then a seek back to pair 2, then forward to the last.
      const plan = [
        { time: 0 },
        { time: 0.05 },
        { time: 0.2 },
        { time: 0.45 },
        { time: 0.8 },
        { time: 0.3, seek: true },
        { time: 0.95, seek: true },
      ];
      for (const step of plan) {
        const f = await at(step.time, step.seek);
        const a = window.frames.find((x) => x.ts === f.a);
        const b = window.frames.find((x) => x.ts === f.b);
        // VideoFrames in, a VideoFrame out (made from the engine's RGBA bytes): read them back.
        const out = await window.gpu.interpolate(a.frame, b.frame, f.t, { staticGuard: true });
        const expected = { data: new Uint8Array(out.allocationSize({ format: 'RGBA' })) };
        await out.copyTo(expected.data, { format: 'RGBA' });
        out.close();
        checks.push({ ...step, a: f.a, b: f.b, t: f.t, diff: await window.readCanvas(canvas, expected) });
      }
      const stats = { ...player.stats };
      close();
      return { checks, stats, timestamps: window.frames.map((x) => x.ts) };
    });
    t.diagnostic(JSON.stringify(r));
    const ts = r.timestamps;
    assert.equal(ts.length, 8);
    for (const c of r.checks) {
      // The pair that holds the time (the last pair at the end), and t rounded down to a quarter.
      const k = Math.min(
        ts.length - 2,
        ts.findLastIndex((x) => x <= c.time + 1e-9),
      );
      assert.deepEqual([c.a, c.b], [ts[k], ts[k + 1]], `at ${c.time} s: the pair`);
      const exact = Math.min(1, (c.time - ts[k]) / (ts[k + 1] - ts[k]));
      assert.equal(c.t, Math.floor(exact * 4 + 1e-6) / 4, `at ${c.time} s: t`);
      assert.equal(c.diff, 0, `at ${c.time} s: the canvas differs from interpolate() by up to ${c.diff} steps`);
    }
    assert.ok(
      r.checks.some((c) => c.t > 0 && c.t < 1),
      'some checks are in-betweens',
    );
    assert.equal(r.stats.presented, r.checks.length, 'one frame presented per clock step');
  });

  test('on its own clock: plays to the end, in order, each frame moving on', { timeout: 5 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const { lib } = window.harness;
      const canvas = document.createElement('canvas');
      document.body.append(canvas);
      const presented = [];
      const player = await lib.createPlayer(window.clip, {
        canvas,
        interpolator: window.gpu,
        onFrame: (f) => presented.push(f),
      });
      const duration = player.duration;
      await player.play();
      const start = performance.now();
      while (performance.now() - start < 20_000 && !(player.currentTime >= duration && presented.at(-1)?.t === 1)) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const wall = (performance.now() - start) / 1000;
      const stats = { ...player.stats };
      const error = player.error;
      player.close();
      canvas.remove();
      return { presented, stats, duration, wall, error: error ? String(error) : null };
    });
    t.diagnostic(JSON.stringify({ stats: r.stats, duration: r.duration, wall: r.wall, frames: r.presented.length }));
    assert.equal(r.error, null);
    assert.ok(r.presented.length >= 2, 'frames were presented');
    for (let i = 1; i < r.presented.length; i++) {
      const [p, q] = [r.presented[i - 1], r.presented[i]];
      assert.ok(q.time >= p.time, 'presentation times only move forward');
      assert.ok(q.a > p.a || (q.a === p.a && q.t > p.t), `frame ${i} moves on from the one before`);
    }
    const last = r.presented.at(-1);
    assert.equal(last.t, 1, 'it ends on the last frame');
    // The clip lasts 1 s; on its own clock the player keeps to it, whatever the GPU's speed.
    assert.ok(r.wall < r.duration + 15, `it kept to the clock (${r.wall.toFixed(1)} s for ${r.duration} s)`);
  });

  test('a scene cut shows the frame before it, never a blend; with sceneThreshold 0 it is interpolated', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const clip = await (await fetch('/clips/cut.mp4')).blob();
      const run = async (options) => {
        const { at, close } = await window.heldPlayer(clip, options);
        const out = [];
        for (const time of [0.2, 0.45]) {
          const { a, b, t, cut } = await at(time);
          out.push({ time, a, b, t, cut });
        }
        close();
        return out;
      };
      return { guarded: await run({}), off: await run({ sceneThreshold: 0 }) };
    });
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(
      r.guarded[0],
      { time: 0.2, a: 0.125, b: 0.25, t: 0.5, cut: false },
      'an ordinary pair is interpolated',
    );
    assert.deepEqual(
      r.guarded[1],
      { time: 0.45, a: 0.375, b: 0.5, t: 0, cut: true },
      'the cut pair shows its first frame',
    );
    assert.deepEqual(
      r.off[1],
      { time: 0.45, a: 0.375, b: 0.5, t: 0.5, cut: false },
      'with the guard off the cut pair is blended',
    );
  });

  test('animation on twos: the repeats are dropped, so the pair spans the held slot (dedupe: false keeps them)', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const clip = await (await fetch('/clips/twos.mp4')).blob();
      const run = async (options) => {
        const { player, at, close } = await window.heldPlayer(clip, options);
        const { a, b, t } = await at(1.4);
        const repeats = player.stats.repeats;
        close();
        return { a, b, t, repeats };
      };
      return { on: await run({}), off: await run({ dedupe: false }) };
    });
    t.diagnostic(JSON.stringify(r));
    // 1.375 s repeats 1.25 s: without it the pair is 1.25 → 1.5 and 1.4 s lies 0.6 of the way.
    assert.deepEqual([r.on.a, r.on.b, r.on.t], [1.25, 1.5, 0.5], 'the held slot is interpolated across');
    assert.ok(r.on.repeats >= 3, `repeats dropped: ${r.on.repeats}`);
    assert.deepEqual(
      [r.off.a, r.off.b, r.off.t, r.off.repeats],
      [1.375, 1.5, 0, 0],
      'without dedupe the repeat is a pair start',
    );
  });

  test('a rotated phone video plays upright, at its display size', { timeout: 5 * MINUTE }, async (t) => {
    const r = await fx.browser.page.evaluate(async () => {
      const blob = await (await fetch('/clips/rotated.mp4')).blob();
      // The expected pictures: each sample drawn upright by its own metadata (mediabunny's draw).
      const mb = await import('/www/lib/dist/vendor/mediabunny.js');
      const input = new mb.Input({ source: new mb.BlobSource(blob), formats: mb.ALL_FORMATS });
      const upright = [];
      for await (const sample of new mb.VideoSampleSink(await input.getPrimaryVideoTrack()).samples()) {
        const g = new OffscreenCanvas(sample.displayWidth, sample.displayHeight).getContext('2d');
        sample.draw(g, 0, 0, sample.displayWidth, sample.displayHeight);
        upright.push({
          ts: sample.timestamp,
          frame: new VideoFrame(g.canvas, { timestamp: sample.microsecondTimestamp }),
        });
        sample.close();
      }
      const { canvas, at, close } = await window.heldPlayer(blob, { staticGuard: true });
      try {
        const f = await at(0.2);
        const a = upright.find((x) => x.ts === f.a);
        const b = upright.find((x) => x.ts === f.b);
        const out = await window.gpu.interpolate(a.frame, b.frame, f.t, { staticGuard: true });
        const expected = { data: new Uint8Array(out.allocationSize({ format: 'RGBA' })) };
        await out.copyTo(expected.data, { format: 'RGBA' });
        out.close();
        return {
          size: [canvas.width, canvas.height],
          storedWidth: await (await input.getPrimaryVideoTrack()).getCodedWidth(),
          t: f.t,
          diff: await window.readCanvas(canvas, expected),
        };
      } finally {
        close();
        for (const u of upright) u.frame.close();
      }
    });
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.storedWidth, 64, 'the clip is stored 64 wide');
    assert.deepEqual(r.size, [48, 64], 'the canvas is the upright 48x64');
    assert.equal(r.diff, 0, `the canvas differs from interpolate() of the upright frames by up to ${r.diff} steps`);
  });

  test('bad inputs: clear errors', { timeout: MINUTE }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const { lib, errorOf } = window.harness;
      const cpu = await lib.createInterpolator({ backend: 'cpu' });
      const canvas = () => document.createElement('canvas');
      try {
        return {
          notBlob: await errorOf(() => lib.createPlayer('clip.mp4', { canvas: canvas(), interpolator: window.gpu })),
          factor: await errorOf(() =>
            lib.createPlayer(window.clip, { canvas: canvas(), interpolator: window.gpu, factor: 0.5 }),
          ),
          cpu: await errorOf(() => lib.createPlayer(window.clip, { canvas: canvas(), interpolator: cpu })),
          garbage: await errorOf(() =>
            lib.createPlayer(new Blob([new Uint8Array(1000)]), { canvas: canvas(), interpolator: window.gpu }),
          ),
        };
      } finally {
        cpu.dispose();
      }
    });
    assert.equal(r.notBlob.name, 'TypeError');
    assert.equal(r.factor.name, 'TypeError');
    assert.match(r.cpu.message, /needs the WebGPU backend/);
    assert.ok(r.garbage.message.length > 0);
  });
});
