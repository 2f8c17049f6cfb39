// The package's two small helper modules, in a real browser: visualize.ts (flow and mask as
// pictures) and encode.ts (encodeFrames: images → WebM/MP4 with WebCodecs + mediabunny). No
// model is loaded, so this file is quick. Encoded files are checked with ffprobe, an
// independent reader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openTestPage } from './fixture.mjs';

/** RGB (0..255) → hue in degrees [0, 360). */
function hue([r, g, b]) {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return NaN;
  const d = max - min;
  let h;
  if (max === r) h = ((g - b) / d) % 6;
  else if (max === g) h = (b - r) / d + 2;
  else h = (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

/** Angular distance between two hues, degrees. */
function hueDistance(a, b) {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

/** Every frame of `file` as RGB24, decoded by ffmpeg (BT.709 as tagged by encodeFrames). */
function decodeFrames(file, width, height) {
  const raw = execFileSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 1 << 28 },
  );
  const size = width * height * 3;
  const frames = [];
  for (let o = 0; o + size <= raw.length; o += size) frames.push(raw.subarray(o, o + size));
  return frames;
}

function ffprobe(file) {
  const out = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames:format=duration',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  const j = JSON.parse(out);
  const s = j.streams[0];
  return {
    codec: s.codec_name,
    width: s.width,
    height: s.height,
    frames: Number(s.nb_read_frames),
    duration: Number(j.format.duration),
  };
}

describe('visualize.ts and encode.ts', () => {
  const fx = openTestPage({ webgpu: false });
  let dir;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inbetween-vis-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('flowToImageData: the Middlebury colour wheel (direction → hue, magnitude → saturation)', async () => {
    const r = await fx.browser.page.evaluate(() => {
      const { flowToImageData } = window.harness.lib;
      // 3x2 pixels; flow towards b (planes 2 and 3): right, down, left / up, none, half right.
      const w = 3,
        h = 2,
        n = w * h;
      const flow = new Float32Array(4 * n);
      const bx = [1, 0, -1, 0, 0, 0.5];
      const by = [0, 1, 0, -1, 0, 0];
      for (let i = 0; i < n; i++) {
        flow[2 * n + i] = bx[i];
        flow[3 * n + i] = by[i];
      }
      // Planes 0, 1 (towards a) point the other way, as RIFE's do for steady motion.
      for (let i = 0; i < n; i++) {
        flow[i] = -bx[i];
        flow[n + i] = -by[i];
      }
      const px = (img) => Array.from({ length: n }, (_, i) => Array.from(img.data.slice(i * 4, i * 4 + 4)));
      const b = flowToImageData(flow, w, h);
      const a = flowToImageData(flow, w, h, { which: 'a' });
      const fixed = flowToImageData(flow, w, h, { maxMagnitude: 0.5 });
      const nan = flowToImageData(new Float32Array(4).fill(NaN), 1, 1);
      return { size: [b.width, b.height], b: px(b), a: px(a), fixed: px(fixed), nan: px(nan)[0] };
    });
    assert.deepEqual(r.size, [3, 2]);
    const [right, down, left, up, none, halfRight] = r.b;
    for (const p of r.b) assert.equal(p[3], 255, 'opaque');
    // The wheel's published anchor colours: +x red, +y yellow-orange, −x cyan-blue, −y blue-violet.
    assert.ok(hueDistance(hue(right), 0) <= 20, `right → red, got hue ${hue(right)} ${right}`);
    assert.ok(hueDistance(hue(down), 55) <= 15, `down → yellow-orange, got hue ${hue(down)} ${down}`);
    assert.ok(hueDistance(hue(left), 190) <= 15, `left → cyan, got hue ${hue(left)} ${left}`);
    assert.ok(hueDistance(hue(up), 262) <= 15, `up → blue-violet, got hue ${hue(up)} ${up}`);
    // Full magnitude is the saturated wheel colour: its smallest channel is near 0.
    for (const p of [right, down, left, up]) assert.ok(Math.min(p[0], p[1], p[2]) <= 45, `saturated: ${p}`);
    assert.deepEqual(none.slice(0, 3), [255, 255, 255], 'no motion is white');
    // Half the largest magnitude: half saturated, same hue as the full-length vector.
    assert.ok(hueDistance(hue(halfRight), hue(right)) <= 2, `half right keeps the hue: ${halfRight}`);
    assert.ok(Math.abs(Math.min(...halfRight.slice(0, 3)) - 128) <= 24, `half saturated: ${halfRight}`);
    // which: 'a' draws planes 0 and 1: the same motion, pointing back, so right-moving is cyan.
    assert.ok(hueDistance(hue(r.a[0]), hue(left)) <= 2, `which 'a': ${r.a[0]} vs ${left}`);
    // maxMagnitude 0.5: unit vectors are out of range, kept in hue and darkened to 75 %.
    const bright = Math.max(...r.fixed[0].slice(0, 3));
    assert.ok(Math.abs(bright - 191) <= 2, `out of range darkened to 75 %: ${r.fixed[0]}`);
    assert.ok(Math.min(...r.fixed[5].slice(0, 3)) <= 45, `0.5 px at maxMagnitude 0.5 is saturated: ${r.fixed[5]}`);
    assert.deepEqual(r.nan, [0, 0, 0, 255], 'non-finite flow is black');
  });

  test('maskToImageData: grey levels, clamped', async () => {
    const r = await fx.browser.page.evaluate(() => {
      const img = window.harness.lib.maskToImageData(new Float32Array([0, 0.5, 1, 2, -1, NaN]), 3, 2);
      return { size: [img.width, img.height], px: Array.from(img.data) };
    });
    assert.deepEqual(r.size, [3, 2]);
    const grey = [0, 128, 255, 255, 0, 0];
    assert.deepEqual(
      r.px,
      grey.flatMap((g) => [g, g, g, 255]),
    );
  });

  test('flowToImageData / maskToImageData: TypeErrors that name the problem', async () => {
    const errors = await fx.browser.page.evaluate(() => {
      const { flowToImageData, maskToImageData } = window.harness.lib;
      const attempt = (f) => {
        try {
          f();
          return 'no error';
        } catch (e) {
          return `${e.name}: ${e.message}`;
        }
      };
      return [
        attempt(() => flowToImageData(new Float32Array(15), 2, 2)),
        attempt(() => flowToImageData([0, 0, 0, 0], 1, 1)),
        attempt(() => flowToImageData(new Float32Array(16), 0, 4)),
        attempt(() => flowToImageData(new Float32Array(16), 2, 2.5)),
        attempt(() => flowToImageData(new Float32Array(16), 2, 2, { which: 'c' })),
        attempt(() => flowToImageData(new Float32Array(16), 2, 2, { maxMagnitude: -1 })),
        attempt(() => maskToImageData(new Float32Array(5), 2, 3)),
        attempt(() => maskToImageData(new Float64Array(6), 2, 3)),
      ];
    });
    const want = [
      /TypeError: flow has 15 values, expected 4 x 2 x 2 = 16/,
      /TypeError: flow must be a Float32Array, got/,
      /TypeError: width must be a positive integer, got 0/,
      /TypeError: height must be a positive integer, got 2.5/,
      /TypeError: which must be 'a' or 'b', got/,
      /TypeError: maxMagnitude must be a finite number > 0, got -1/,
      /TypeError: mask has 5 values, expected 2 x 3 = 6/,
      /TypeError: mask must be a Float32Array, got/,
    ];
    errors.forEach((e, i) => assert.match(e, want[i]));
  });

  test('encodeFrames: ImageData, ImageBitmap and VideoFrame → WebM and MP4 with the right frames', {
    timeout: 120_000,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const { encodeFrames } = window.harness.lib;
      const w = 64,
        h = 48;
      // Frame i: a grey level that steps, so frames differ and nothing is dropped as a duplicate.
      const image = (i) => {
        const d = new ImageData(w, h);
        for (let p = 0; p < w * h; p++) d.data.set([i * 30, 255 - i * 30, (p % w) * 4, 255], p * 4);
        return d;
      };
      const frames = Array.from({ length: 6 }, (_, i) => image(i));
      const b64 = async (blob) => {
        const bytes = new Uint8Array(await blob.arrayBuffer());
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return { type: blob.type, data: btoa(s) };
      };
      const webm = await encodeFrames(frames, { fps: 10 });
      // An async generator of the other two types; the caller's objects must stay open.
      const bitmap = await createImageBitmap(frames[0]);
      const vf = new VideoFrame(bitmap, { timestamp: 0 });
      async function* mixed() {
        yield bitmap;
        yield vf;
        yield frames[2];
        yield vf;
      }
      const mp4 = await encodeFrames(mixed(), { fps: 25, container: 'mp4', codec: 'avc' });
      const stillOpen = { bitmap: bitmap.width === w, videoFrame: vf.format !== null };
      bitmap.close();
      vf.close();
      return { webm: await b64(webm), mp4: await b64(mp4), stillOpen };
    });
    assert.equal(r.webm.type, 'video/webm');
    assert.equal(r.mp4.type, 'video/mp4');
    assert.deepEqual(r.stillOpen, { bitmap: true, videoFrame: true });
    const webmFile = path.join(dir, 'seq.webm');
    const mp4File = path.join(dir, 'seq.mp4');
    await writeFile(webmFile, Buffer.from(r.webm.data, 'base64'));
    await writeFile(mp4File, Buffer.from(r.mp4.data, 'base64'));
    const a = ffprobe(webmFile);
    assert.equal(a.codec, 'vp9');
    assert.deepEqual([a.width, a.height, a.frames], [64, 48, 6]);
    assert.ok(Math.abs(a.duration - 0.6) < 0.02, `6 frames at 10 fps last 0.6 s, got ${a.duration}`);
    const b = ffprobe(mp4File);
    assert.equal(b.codec, 'h264');
    assert.deepEqual([b.width, b.height, b.frames], [64, 48, 4]);
    assert.ok(Math.abs(b.duration - 0.16) < 0.02, `4 frames at 25 fps last 0.16 s, got ${b.duration}`);
    // The pixels, decoded by ffmpeg: each output frame is its input picture, in order: nearest
    // to it of all six inputs, and within codec loss of it (neighbouring inputs differ by 20
    // levels on average; a BGR swap or a wrong frame is far beyond the bound).
    const picture = (i) => {
      const px = new Uint8Array(64 * 48 * 3);
      for (let p = 0; p < 64 * 48; p++) px.set([i * 30, 255 - i * 30, (p % 64) * 4], p * 3);
      return px;
    };
    const meanDiff = (x, y) => x.reduce((sum, v, i) => sum + Math.abs(v - y[i]), 0) / x.length;
    for (const [file, order] of [
      [webmFile, [0, 1, 2, 3, 4, 5]],
      [mp4File, [0, 0, 2, 0]],
    ]) {
      const got = decodeFrames(file, 64, 48);
      assert.equal(got.length, order.length, file);
      got.forEach((frame, k) => {
        const diffs = [0, 1, 2, 3, 4, 5].map((i) => meanDiff(frame, picture(i)));
        const d = diffs[order[k]];
        const nearest = diffs.indexOf(Math.min(...diffs));
        assert.equal(
          nearest,
          order[k],
          `${path.basename(file)} frame ${k} looks like input ${nearest}: ${diffs.map((x) => x.toFixed(1))}`,
        );
        assert.ok(
          d < 12,
          `${path.basename(file)} frame ${k}: mean |diff| ${d.toFixed(1)} levels from input ${order[k]}`,
        );
      });
    }
  });

  test('encodeFrames: errors name the problem', async () => {
    const errors = await fx.browser.page.evaluate(async () => {
      const { encodeFrames } = window.harness.lib;
      const attempt = async (f) => {
        try {
          await f();
          return 'no error';
        } catch (e) {
          return `${e.name}: ${e.message}`;
        }
      };
      return [
        await attempt(() => encodeFrames([], { fps: 10 })),
        await attempt(() => encodeFrames([new ImageData(16, 16), new ImageData(32, 16)], { fps: 10 })),
        await attempt(() => encodeFrames([new ImageData(16, 16)], { fps: 0 })),
        await attempt(() => encodeFrames([new ImageData(16, 16)], { fps: 10, container: 'webm', codec: 'avc' })),
        await attempt(() => encodeFrames([new ImageData(16, 16), 'frame'], { fps: 10 })),
        await attempt(() => encodeFrames(42, { fps: 10 })),
      ];
    });
    const want = [
      /TypeError: frames is empty/,
      /TypeError: frame 1 is 32x16, but frame 0 is 16x16/,
      /TypeError: fps must be a number in \(0, 480\], got 0/,
      /TypeError: codec 'avc' \(H\.264\) cannot go in a WebM file/,
      /TypeError: frame 1 must be an ImageData, ImageBitmap or VideoFrame/,
      /TypeError: frames must be an iterable/,
    ];
    errors.forEach((e, i) => assert.match(e, want[i]));
  });
});
