// Page-side helpers for the browser tests. Loaded by page.html (the repo's build) and by the
// npm-pack test's page (the installed tarball); both map the bare specifier 'inbetween' to the
// library with an import map, so this file tests whichever copy the page points at.
//
// Tests drive it through `page.evaluate(() => window.harness...)`.
import * as lib from 'inbetween';

// The package's test hooks (www/lib/src/testing.ts), left out of the published package: the test
// page's import map names them; the bundler apps (tests/bundlers, which copy this file) have
// none, so there the import fails and they go without. The specifier is a variable so bundlers
// leave it alone.
const TESTING = 'inbetween/testing';
/** @type {Promise<typeof import('../../www/lib/dist/testing.js') | null>} */
const testingHooks = import(/* @vite-ignore */ /* webpackIgnore: true */ TESTING).catch(() => null);

const params = new URLSearchParams(location.search);
/** Where the golden cases are served (the pack test serves a copy elsewhere). */
const GOLDEN = params.get('golden') ?? '/tests/golden';

/** PNG → ImageData with the file's bytes untouched: no colour conversion, no premultiplication
 * (the reference decoded the PNGs with Pillow, which does neither). */
async function decodePng(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const bitmap = await createImageBitmap(await response.blob(), {
    colorSpaceConversion: 'none',
    premultiplyAlpha: 'none',
  });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { colorSpace: 'srgb', willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' });
  } finally {
    bitmap.close();
  }
}

/** `img[y0:y1, x0:x1]`, as in the reference (numpy slicing of the uint8 image). */
function crop(image, [y0, y1, x0, x1]) {
  const w = x1 - x0;
  const h = y1 - y0;
  const out = new ImageData(w, h);
  for (let y = 0; y < h; y++) {
    const start = ((y0 + y) * image.width + x0) * 4;
    out.data.set(image.data.subarray(start, start + w * 4), y * w * 4);
  }
  return out;
}

async function floats(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Float32Array(await response.arrayBuffer()); // little-endian, like every browser host
}

const cases = new Map();

/** A golden case: the two input frames (cropped), t, scale, the expected output and final flow. */
async function goldenCase(name) {
  if (!cases.has(name)) {
    cases.set(
      name,
      (async () => {
        const base = `${GOLDEN}/${name}`;
        const meta = await (await fetch(`${base}/meta.json`)).json();
        let [a, b] = await Promise.all([decodePng(`${base}/${meta.image0}`), decodePng(`${base}/${meta.image1}`)]);
        if (meta.crop) [a, b] = [crop(a, meta.crop), crop(b, meta.crop)];
        const [h, w] = meta.size;
        if (a.width !== w || a.height !== h)
          throw new Error(`case ${name}: input ${a.width}x${a.height}, meta says ${w}x${h}`);
        return {
          name,
          meta,
          a,
          b,
          width: w,
          height: h,
          t: meta.t,
          scale: meta.scale,
          output: await floats(`${base}/${meta.tensors.output.file}`),
          flow4: await floats(`${base}/${meta.tensors['block4.flow'].file}`),
          flow4Shape: meta.tensors['block4.flow'].shape,
          mask4: await floats(`${base}/${meta.tensors['block4.mask'].file}`),
        };
      })(),
    );
  }
  return cases.get(name);
}

/**
 * Compares 8-bit RGBA with the golden float output (planar [3][h][w], not clamped): the golden is
 * clamped to [0, 1] and scaled by 255 but NOT rounded, so the difference includes our rounding.
 * Returns the max and mean |diff| in 8-bit steps, the PSNR (peak 255, over R, G, B) and where
 * the worst pixel is.
 */
function compareWithGolden(rgba, golden, width, height) {
  const plane = width * height;
  if (rgba.length !== plane * 4) throw new Error(`result has ${rgba.length} bytes, expected ${plane * 4}`);
  let max = 0;
  let sum = 0;
  let sumSq = 0;
  let worst = null;
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const want = Math.min(1, Math.max(0, golden[c * plane + i])) * 255;
      const got = rgba[i * 4 + c];
      const d = Math.abs(got - want);
      sum += d;
      sumSq += d * d;
      if (d > max) {
        max = d;
        worst = { x: i % width, y: Math.floor(i / width), channel: c, got, want };
      }
    }
  }
  const mse = sumSq / (3 * plane);
  return { maxDiff: max, meanDiff: sum / (3 * plane), psnr: 10 * Math.log10((255 * 255) / mse), worst };
}

/** Our flow ([4][h][w], cropped) and mask (sigmoid) against the golden block4 (stride 4, padded). */
function compareFlow(result, golden) {
  const { width: w, height: h } = result;
  const [, , gh, gw] = golden.flow4Shape;
  let flowMax = 0;
  let maskMax = 0;
  for (let gy = 0; gy * 4 < h; gy++) {
    for (let gx = 0; gx * 4 < w; gx++) {
      const i = gy * 4 * w + gx * 4;
      for (let c = 0; c < 4; c++) {
        flowMax = Math.max(flowMax, Math.abs(result.flow[c * w * h + i] - golden.flow4[(c * gh + gy) * gw + gx]));
      }
      const sigmoid = 1 / (1 + Math.exp(-golden.mask4[gy * gw + gx]));
      maskMax = Math.max(maskMax, Math.abs(result.mask[i] - sigmoid));
    }
  }
  return { flowMaxDiff: flowMax, maskMaxDiff: maskMax };
}

/**
 * Creates an interpolator, runs the golden case through `interpolate` and compares.
 * `input` picks the type handed to the API: 'imagedata', 'imagebitmap' or 'videoframe'.
 */
async function parity({ caseName = 'i2_crop_s0.5', input = 'imagedata', runs = 1, ...options } = {}) {
  const golden = await goldenCase(caseName);
  let t0 = performance.now();
  const interp = await lib.createInterpolator(options);
  const createMs = performance.now() - t0;
  try {
    const [a, b] = await Promise.all([toInput(golden.a, input, 0), toInput(golden.b, input, 40_000)]);
    try {
      const runMs = [];
      let out;
      for (let i = 0; i < runs; i++) {
        t0 = performance.now();
        out = await interp.interpolate(a, b, golden.t, { scale: golden.scale });
        runMs.push(performance.now() - t0);
        if (i < runs - 1) closeIfFrame(out);
      }
      const image = await toImageData(out);
      const result = {
        backend: interp.backend,
        adapterInfo: interp.adapterInfo,
        // Which wasm build ran (threads, simd128), from the worker.
        cpu: interp.cpuBuild,
        crossOriginIsolated: self.crossOriginIsolated === true,
        createMs,
        runMs,
        outputType: out.constructor.name,
        timestamp: out instanceof VideoFrame ? out.timestamp : null,
        ...compareWithGolden(image.data, golden.output, golden.width, golden.height),
      };
      closeIfFrame(out);
      return result;
    } finally {
      closeIfFrame(a);
      closeIfFrame(b);
    }
  } finally {
    interp.dispose();
  }
}

/**
 * The golden case through the engine's float output (planar RGB, neither clamped nor rounded),
 * against the golden float output: max |diff| in 0..1 units, NaN kept (a NaN anywhere makes
 * `maxDiff` NaN, which fails every bound). Also returns the engine's counters afterwards.
 */
async function floatParity({ caseName = 'i2_crop_s0.5', ...options } = {}) {
  const golden = await goldenCase(caseName);
  const interp = await lib.createInterpolator(options);
  try {
    const testing = await testingHooks;
    const t0 = performance.now();
    const rgb = await testing.interpolateRgb(interp, golden.a, golden.b, golden.t, { scale: golden.scale });
    const ms = performance.now() - t0;
    if (rgb.length !== golden.output.length)
      throw new Error(`got ${rgb.length} floats, golden has ${golden.output.length}`);
    let max = 0;
    let nan = false;
    for (let i = 0; i < rgb.length; i++) {
      const d = Math.abs(rgb[i] - golden.output[i]);
      if (Number.isNaN(d)) nan = true;
      else if (d > max) max = d;
    }
    return { backend: interp.backend, ms, maxDiff: nan ? NaN : max, stats: await testing.stats(interp) };
  } finally {
    interp.dispose();
  }
}

/**
 * The golden case's float output with `precision: 'f16'` against the same engine in 'f32' (and
 * against the PyTorch golden): PSNR on the 0..1 scale (peak 1, as crate/gpu/tests/f16.rs),
 * max |diff|, and how many values are NaN or infinite. One interpolator at a time, f32 first.
 * Returns the f16 interpolator's counters (`stats.precision` says which f16 form ran).
 */
async function f16Psnr({ caseName = 'i2_crop_s0.5', ...options } = {}) {
  const golden = await goldenCase(caseName);
  const testing = await testingHooks;
  const run = async (precision) => {
    const interp = await lib.createInterpolator({ ...options, precision });
    try {
      const t0 = performance.now();
      const rgb = await testing.interpolateRgb(interp, golden.a, golden.b, golden.t, { scale: golden.scale });
      return { rgb, ms: performance.now() - t0, stats: await testing.stats(interp), backend: interp.backend };
    } finally {
      interp.dispose();
    }
  };
  const compare = (got, want) => {
    let se = 0;
    let max = 0;
    let nonFinite = 0;
    for (let i = 0; i < got.length; i++) {
      if (!Number.isFinite(got[i])) {
        nonFinite++;
        continue;
      }
      const d = got[i] - want[i];
      se += d * d;
      max = Math.max(max, Math.abs(d));
    }
    return { psnr: 10 * Math.log10(1 / (se / got.length)), maxDiff: max, nonFinite };
  };
  const f32 = await run('f32');
  const f16 = await run('f16');
  if (f16.rgb.length !== f32.rgb.length || f16.rgb.length !== golden.output.length)
    throw new Error(`lengths: f16 ${f16.rgb.length}, f32 ${f32.rgb.length}, golden ${golden.output.length}`);
  return {
    backend: f16.backend,
    stats: f16.stats,
    f32Stats: f32.stats,
    ms: { f32: f32.ms, f16: f16.ms },
    vsF32: compare(f16.rgb, f32.rgb),
    vsGolden: compare(f16.rgb, golden.output),
  };
}

/** The same pixels as ImageData, ImageBitmap or VideoFrame (caller closes the latter two). */
async function toInput(image, kind, timestamp) {
  if (kind === 'imagedata') return image;
  if (kind === 'imagebitmap')
    return createImageBitmap(image, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  if (kind === 'videoframe') {
    return new VideoFrame(image.data, {
      format: 'RGBA',
      codedWidth: image.width,
      codedHeight: image.height,
      timestamp,
      colorSpace: { primaries: 'bt709', transfer: 'iec61966-2-1', matrix: 'rgb', fullRange: true },
    });
  }
  throw new Error(`unknown input kind ${kind}`);
}

/** Reads an API result (ImageData or VideoFrame) as ImageData, without closing it. */
async function toImageData(out) {
  if (out instanceof ImageData) return out;
  const options = { format: 'RGBA', colorSpace: 'srgb' };
  const bytes = new Uint8ClampedArray(out.allocationSize(options));
  await out.copyTo(bytes, options);
  return new ImageData(bytes, out.displayWidth, out.displayHeight);
}

function closeIfFrame(x) {
  if (x && typeof x.close === 'function') x.close();
}

/** `{ name, message }` of what `fn` throws or rejects with, or null if it succeeds. */
async function errorOf(fn) {
  try {
    const value = await fn();
    closeIfFrame(value);
    if (value && typeof value.dispose === 'function') value.dispose();
    return null;
  } catch (e) {
    return {
      name: e?.name ?? typeof e,
      message: e?.message ?? String(e),
      code: e?.code,
      isError: e instanceof Error,
      isTypeError: e instanceof TypeError,
    };
  }
}

function maxAbsDiff(x, y) {
  if (x.length !== y.length) return Infinity;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

/**
 * Runs `interpolateVideo` on the file at `url` and returns the result as base64 (for ffprobe on
 * the Node side), the summary and what the progress callback saw. `abortAt`: abort once this
 * many output frames are done. `options.interpolator === 'page'` uses window.videoInterp.
 */
async function runVideo(url, options = {}, { abortAt = null, previews = false } = {}) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const input = await response.blob();
  const controller = new AbortController();
  const stages = [];
  let last = null;
  let summary = null;
  const seen = [];
  const opts = { ...options };
  if (opts.interpolator === 'page') opts.interpolator = window.videoInterp;
  if (opts.interpolator === 'gpu') opts.interpolator = window.gpuInterp;
  const t0 = performance.now();
  let blob;
  try {
    blob = await lib.interpolateVideo(input, opts, {
      signal: controller.signal,
      ...(previews
        ? {
            onPreview: ({ time, image }) => {
              seen.push({ time, width: image.width, height: image.height });
              image.close();
            },
          }
        : {}),
      onProgress: (p) => {
        if (stages[stages.length - 1] !== p.stage) stages.push(p.stage);
        last = p;
        if (p.summary) summary = p.summary;
        if (abortAt !== null && p.framesDone >= abortAt && p.stage === 'interpolating') controller.abort();
      },
    });
  } catch (e) {
    return {
      error: { name: e?.name, message: e?.message ?? String(e), isTypeError: e instanceof TypeError },
      stages,
      last,
      ms: performance.now() - t0,
    };
  }
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { base64: btoa(binary), type: blob.type, summary, stages, last, previews: seen, ms: performance.now() - t0 };
}

window.harness = {
  lib,
  decodePng,
  crop,
  goldenCase,
  compareWithGolden,
  compareFlow,
  parity,
  floatParity,
  f16Psnr,
  toInput,
  toImageData,
  closeIfFrame,
  errorOf,
  maxAbsDiff,
  runVideo,
};
void testingHooks.then((testing) => {
  window.testing = testing;
  window.harnessReady = true;
});
