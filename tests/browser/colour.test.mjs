// Colour exactness of interpolateVideo (issue 12): decode → RIFE → encode keeps colour, for
// BT.601 and BT.709, limited and full range, and untagged input (read the way players read it:
// BT.709 from 1280 wide or above 576 lines, else BT.601; limited range).
//
// The clips are made here by ffmpeg from one RGB picture (SMPTE bars, a grey ramp, a red-to-blue
// ramp), each converted by ffmpeg with its own matrix and range. The reference is ffmpeg's own
// conversion of that source back to RGB; each output frame (source frames and in-betweens) is
// converted by ffmpeg the same way, with the matrix and range its tags name.
//
// What is compared, and why:
// - The output's tags: the input's colour space, resolved (an untagged input comes out tagged).
// - Mean colour of 23 regions (the inside of the 7 bars, 8 stretches of each ramp): within 2.5
//   8-bit steps. A wrong matrix moves the bars by 5–30 steps, a wrong range by up to 16; chroma
//   resampling, which differs between any two converters at sharp colour edges, does not move a
//   region's mean. What is left is the encoder's: Chromium's H.264 encoder moves flat chroma by
//   one code in places even at 40 Mb/s, which is 1.6–2 steps of R, G or B (measured: 1.1–2.0 on
//   its source frames, which are the decoded YUV passed through untouched). Before colour.ts the
//   same test gave 11–33 steps.
// - The mean absolute difference on 8x8 blocks of flat colour or smooth ramp: within 1 step.
// - Brightness steadiness: the picture is still, so every output frame's mean luma must be the
//   same: within 0.25 steps of each other (source frames and in-betweens alike). Mixing two
//   conversions between frames (the browser's for some, ours for others) shows here.
// The bitrate is set high so that the encoder's loss stays small beside what is measured.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { openTestPage } from './fixture.mjs';

const MINUTE = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-colour-'));
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
const ffmpeg = (args) => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

/** The RGB picture (w x h, h divisible by 4), written as a PNG; returns its rgb24 bytes. */
function master(w, h) {
  const png = path.join(dir, `master-${w}.png`);
  const ramp = (r, g, b) => `color=black:size=${w}x${h / 4},format=rgb24,geq=r='${r}':g='${g}':b='${b}'`;
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `smptebars=size=${w}x${h / 2}`,
    '-f',
    'lavfi',
    '-i',
    ramp('X*255/(W-1)', 'X*255/(W-1)', 'X*255/(W-1)'),
    '-f',
    'lavfi',
    '-i',
    ramp('255-X*255/(W-1)', '64', 'X*255/(W-1)'),
    '-filter_complex',
    '[0:v]format=rgb24[a];[a][1:v][2:v]vstack=3,format=rgb24',
    '-frames:v',
    '1',
    png,
  ]);
  return {
    png,
    rgb: run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']),
  };
}

const TAGS = {
  bt601: ['-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m'],
  bt709: ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709'],
};

/** Three still frames of the picture as H.264 (or VP9), in `matrix`/`range`, tagged or not. */
function clip(name, png, { matrix, range, tagged, codec = 'h264' }) {
  const file = path.join(dir, name);
  const enc =
    codec === 'vp9' ? ['-c:v', 'libvpx-vp9', '-b:v', '8M'] : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '4'];
  ffmpeg([
    '-loop',
    '1',
    '-i',
    png,
    '-frames:v',
    '3',
    '-r',
    '24',
    '-vf',
    `scale=out_color_matrix=${matrix}:out_range=${range}:flags=bicubic+accurate_rnd+full_chroma_int,format=yuv420p`,
    ...enc,
    ...(tagged ? [...TAGS[matrix], '-color_range', range] : []),
    file,
  ]);
  return file;
}

function tagsOf(file) {
  return JSON.parse(
    run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v',
      '-show_entries',
      'stream=width,height,color_range,color_space,color_primaries,color_transfer',
      '-of',
      'json',
      file,
    ]).toString(),
  ).streams[0];
}

/** ffmpeg's conversion of every frame of `file` to rgb24, by the given matrix and range. */
function toRgb(file, matrix, range) {
  return run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-i',
    file,
    '-vf',
    `scale=in_color_matrix=${matrix}:in_range=${range}:flags=bicubic+accurate_rnd+full_chroma_int,format=rgb24`,
    '-f',
    'rawvideo',
    '-',
  ]);
}

/** 8x8 blocks whose 14x14 surroundings in the picture are flat or a smooth ramp (range ≤ 12). */
function smoothBlocks(rgb, w, h) {
  const blocks = [];
  for (let by = 0; by + 8 <= h; by += 8) {
    for (let bx = 0; bx + 8 <= w; bx += 8) {
      let ok = true;
      for (let c = 0; c < 3 && ok; c++) {
        let lo = 255;
        let hi = 0;
        for (let y = Math.max(0, by - 3); y < Math.min(h, by + 11); y++) {
          for (let x = Math.max(0, bx - 3); x < Math.min(w, bx + 11); x++) {
            const v = rgb[(y * w + x) * 3 + c];
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
        ok = hi - lo <= 12;
      }
      if (ok) blocks.push([bx, by]);
    }
  }
  return blocks;
}

/** Mean absolute difference over `blocks` (8x8). */
function mad(ref, out, w, blocks) {
  let sum = 0;
  for (const [bx, by] of blocks) {
    for (let y = by; y < by + 8; y++)
      for (let i = (y * w + bx) * 3; i < (y * w + bx + 8) * 3; i++) sum += Math.abs(out[i] - ref[i]);
  }
  return sum / (blocks.length * 64 * 3);
}

/** The 23 regions (x0, y0, x1, y1) whose mean colour is compared. */
function regions(w, h) {
  const out = [];
  const bar = w / 7;
  for (let i = 0; i < 7; i++)
    out.push([
      Math.round(i * bar + bar * 0.2),
      Math.round(h * 0.05),
      Math.round((i + 1) * bar - bar * 0.2),
      Math.round(h * 0.3),
    ]);
  for (const [y0, y1] of [
    [h / 2 + h / 32, (h * 3) / 4 - h / 32],
    [(h * 3) / 4 + h / 32, h - h / 32],
  ]) {
    for (let i = 0; i < 8; i++)
      out.push([
        Math.round((i * w) / 8 + w / 64),
        Math.round(y0),
        Math.round(((i + 1) * w) / 8 - w / 64),
        Math.round(y1),
      ]);
  }
  return out;
}

/** The worst difference of a region's mean colour, per channel, in 8-bit steps. */
function regionShift(ref, out, w, h) {
  let worst = 0;
  for (const [x0, y0, x1, y1] of regions(w, h)) {
    for (let c = 0; c < 3; c++) {
      let d = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) d += out[(y * w + x) * 3 + c] - ref[(y * w + x) * 3 + c];
      worst = Math.max(worst, Math.abs(d / ((x1 - x0) * (y1 - y0))));
    }
  }
  return worst;
}

/** Mean BT.709 luma (8-bit units) of an rgb24 frame. */
function meanLuma(rgb) {
  let s = 0;
  for (let i = 0; i < rgb.length; i += 3) s += 0.2126 * rgb[i] + 0.7152 * rgb[i + 1] + 0.0722 * rgb[i + 2];
  return s / (rgb.length / 3);
}

const SD = { w: 320, h: 180 };
const HD = { w: 1280, h: 320 };
const CASES = [
  { name: 'bt601-limited.mp4', size: SD, matrix: 'bt601', range: 'tv', tagged: true },
  { name: 'bt601-full.mp4', size: SD, matrix: 'bt601', range: 'pc', tagged: true },
  { name: 'bt709-limited.mp4', size: SD, matrix: 'bt709', range: 'tv', tagged: true },
  { name: 'bt709-full.mp4', size: SD, matrix: 'bt709', range: 'pc', tagged: true },
  // Untagged SD is BT.601 to players and ffmpeg (Chromium alone reads it as BT.709).
  { name: 'untagged-sd.mp4', size: SD, matrix: 'bt601', range: 'tv', tagged: false },
  { name: 'untagged-sd-vp9.webm', size: SD, matrix: 'bt601', range: 'tv', tagged: false, codec: 'vp9' },
  // Untagged HD is BT.709.
  { name: 'untagged-hd.mp4', size: HD, matrix: 'bt709', range: 'tv', tagged: false },
];
const EXPECT_TAGS = { bt601: 'smpte170m', bt709: 'bt709' };

describe('interpolateVideo keeps colour (matrix, range, tags)', () => {
  const pictures = { [SD.w]: master(SD.w, SD.h), [HD.w]: master(HD.w, HD.h) };
  for (const c of CASES) c.file = clip(c.name, pictures[c.size.w].png, c);
  const fx = openTestPage({ webgpu: false, server: { mounts: { '/': REPO, '/clips/': dir } } });
  before(async () => {
    await fx.browser.page.evaluate(async () => {
      window.colourInterp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      window.b64 = (bytes) => {
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      };
    });
  });

  for (const c of CASES) {
    test(c.name, { timeout: 4 * MINUTE }, async () => {
      const { w, h } = c.size;
      const container = c.name.endsWith('.webm') ? 'webm' : 'mp4';
      const b64 = await fx.browser.page.evaluate(
        async ({ url, container }) => {
          const blob = await (await fetch(url)).blob();
          const out = await window.harness.lib.interpolateVideo(blob, {
            factor: 2,
            interpolator: window.colourInterp,
            container,
            bitrate: 40e6,
          });
          return window.b64(new Uint8Array(await out.arrayBuffer()));
        },
        { url: `/clips/${c.name}`, container },
      );
      const outFile = path.join(dir, `out-${c.name}`);
      writeFileSync(outFile, Buffer.from(b64, 'base64'));

      const range = c.range;
      const tags = tagsOf(outFile);
      assert.deepEqual(
        [tags.color_space, tags.color_primaries, tags.color_transfer, tags.color_range],
        [EXPECT_TAGS[c.matrix], EXPECT_TAGS[c.matrix], EXPECT_TAGS[c.matrix], range],
        `${c.name}: the output is tagged with the input's colour space`,
      );
      const size = w * h * 3;
      const ref = toRgb(c.file, c.matrix, range).subarray(0, size);
      const out = toRgb(outFile, c.matrix, range);
      const frames = out.length / size;
      assert.ok(frames >= 5, `${c.name}: ${frames} frames`);
      const blocks = smoothBlocks(pictures[w].rgb, w, h);
      assert.ok(blocks.length > (w * h) / 64 / 2, 'most of the picture is measured');
      const lumas = [];
      const figures = [];
      for (let k = 0; k < frames; k++) {
        const frame = out.subarray(k * size, (k + 1) * size);
        const shift = regionShift(ref, frame, w, h);
        const diff = mad(ref, frame, w, blocks);
        figures.push(`${shift.toFixed(2)}/${diff.toFixed(2)}`);
        lumas.push(meanLuma(frame));
        assert.ok(shift <= 2.5, `${c.name} frame ${k}: a region's mean colour is ${shift.toFixed(2)} steps off`);
        assert.ok(diff <= 1, `${c.name} frame ${k}: mean difference ${diff.toFixed(2)} steps`);
      }
      const steadiness = Math.max(...lumas) - Math.min(...lumas);
      console.log(
        `${c.name}: worst region shift / mean abs diff per frame ${figures.join(' ')}; brightness range ${steadiness.toFixed(3)} steps`,
      );
      assert.ok(
        steadiness <= 0.25,
        `${c.name}: mean brightness varies by ${steadiness.toFixed(3)} steps from frame to frame`,
      );
    });
  }

  test('encodeFrames: RGB pictures come back in their colours (BT.709, limited range)', {
    timeout: 2 * MINUTE,
  }, async () => {
    const { w, h } = SD;
    const pic = pictures[w].rgb;
    const b64 = await fx.browser.page.evaluate(
      async ({ rgb, w, h }) => {
        const bytes = Uint8Array.from(atob(rgb), (ch) => ch.charCodeAt(0));
        const image = new ImageData(w, h);
        for (let i = 0, j = 0; j < bytes.length; i += 4, j += 3)
          image.data.set([bytes[j], bytes[j + 1], bytes[j + 2], 255], i);
        const bitmap = await createImageBitmap(image);
        const out = await window.harness.lib.encodeFrames([image, bitmap, image], {
          fps: 24,
          container: 'mp4',
          bitrate: 40e6,
        });
        bitmap.close();
        return window.b64(new Uint8Array(await out.arrayBuffer()));
      },
      { rgb: Buffer.from(pic).toString('base64'), w, h },
    );
    const outFile = path.join(dir, 'encoded.mp4');
    writeFileSync(outFile, Buffer.from(b64, 'base64'));
    const tags = tagsOf(outFile);
    assert.deepEqual([tags.color_space, tags.color_range], ['bt709', 'tv']);
    const size = w * h * 3;
    const out = toRgb(outFile, 'bt709', 'tv');
    assert.equal(out.length / size, 3);
    const blocks = smoothBlocks(pic, w, h);
    for (let k = 0; k < 3; k++) {
      const frame = out.subarray(k * size, (k + 1) * size);
      const shift = regionShift(pic, frame, w, h);
      const diff = mad(pic, frame, w, blocks);
      console.log(
        `encodeFrames frame ${k}: worst region shift ${shift.toFixed(2)}, mean abs diff ${diff.toFixed(2)} steps`,
      );
      assert.ok(
        shift <= 2.5,
        `frame ${k} (${k === 1 ? 'ImageBitmap' : 'ImageData'}): a region's mean colour is ${shift.toFixed(2)} steps off`,
      );
      assert.ok(diff <= 1, `frame ${k}: mean difference ${diff.toFixed(2)} steps`);
    }
  });
});
