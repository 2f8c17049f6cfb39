// Benchmark of the npm package in a real browser: model load, interpolator start, and per frame
// size, scale and precision: a pair (interpolate(a, b, 0.5), both frames new each call) and a
// new in-between frame of a video (the frames alternate, so each call brings one new frame and
// reuses the previous one, as a player stepping through a video does). Query parameters (all
// optional):
//   backend     auto | webgpu | cpu            (default auto)
//   sizes       comma-separated WxH            (default 640x360,1280x720)
//   iters       timed calls after the first    (default 5)
//   scale       RIFE's flow scales, [0.25, 4], comma-separated (default 1)
//   precision   WebGPU storage, f32 | f16, comma-separated     (default f32)
//   lib         URL of the package's dist/index.js (default this repo's build): lets one run
//               time another build, e.g. the old burn-wgpu package, next to this one
// The result (JSON) lands in <pre id="result"> and window.benchResult; a failure in
// <pre id="error"> and window.benchError. scripts/bench-browser.mjs drives this page.

const IMAGES = ['/tests/golden/images/I0_0.png', '/tests/golden/images/I0_1.png'];

const statusLine = document.getElementById('status');
function status(text) {
  statusLine.textContent = text;
  console.log(`[bench] ${text}`); // the node script relays these as progress
}

const list = (q, name, fallback) => (q.get(name) ?? fallback).split(',').map((s) => s.trim());

function parseParams() {
  const q = new URLSearchParams(location.search);
  const backend = q.get('backend') ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backend))
    throw new Error(`backend must be auto, webgpu or cpu, got ${backend}`);
  const sizes = list(q, 'sizes', '640x360,1280x720').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s);
    if (!m || +m[1] < 1 || +m[2] < 1) throw new Error(`a size must look like 640x360, got '${s}'`);
    return { width: +m[1], height: +m[2] };
  });
  const iters = Number(q.get('iters') ?? '5');
  if (!Number.isInteger(iters) || iters < 1) throw new Error(`iters must be an integer >= 1, got ${q.get('iters')}`);
  // Checked against the range below, after the library is loaded (it would only complain at the
  // first call, after the model load).
  const scales = list(q, 'scale', '1').map(Number);
  const precisions = list(q, 'precision', 'f32');
  for (const p of precisions) if (p !== 'f32' && p !== 'f16') throw new Error(`precision must be f32 or f16, got ${p}`);
  const lib = q.get('lib') ?? '../lib/dist/index.js';
  return { backend, sizes, iters, scales, precisions, lib };
}

/** The committed photo pair, decoded once; each size is drawn from these. */
async function loadPhotos() {
  return Promise.all(
    IMAGES.map(async (url) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (serve the repo root)`);
      return createImageBitmap(await response.blob());
    }),
  );
}

/** A photo resized to width×height: real image content (textures, edges, actual motion between
 * the two frames), so the timings are those of a realistic frame, not of a flat test pattern. */
function frameAt(photo, { width, height }) {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(photo, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

const round = (ms) => Math.round(ms * 10) / 10;

function summary(runs) {
  const sorted = [...runs].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return {
    medianMs: round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2),
    minMs: round(sorted[0]),
    meanMs: round(runs.reduce((s, x) => s + x, 0) / runs.length),
  };
}

/** The package's test hooks (dist/testing.js next to the entry), or null for builds from before
 * they moved there (those have them on the Interpolator, or not at all). */
let testing = null;

/** The engine's dispatch counter, where this build has one (the old package does not). */
async function dispatches(interp) {
  const stats = testing ? await testing.stats(interp) : await interp._statsForTesting?.();
  return typeof stats?.dispatches === 'number' ? stats.dispatches : null;
}

async function benchOne(lib, { backend, precision, sizes, scales, iters, photos }) {
  // createInterpolator() = download + sha256 check of the model, then worker + wasm start and
  // weights onto the backend. The last progress tick marks the end of the download, which splits
  // the two. A fresh browser profile has an empty model cache, so this is a real (local) download.
  status(`creating the interpolator (backend ${backend}, ${precision})…`);
  const t0 = performance.now();
  let downloaded = t0;
  const interp = await lib.createInterpolator({
    backend,
    // Passed only when not the default, so that a build without the option still runs f32.
    ...(precision === 'f32' ? {} : { precision }),
    onProgress: (loaded, total) => {
      if (loaded >= total) downloaded = performance.now();
    },
  });
  const created = performance.now();
  try {
    const results = [];
    for (const scale of scales) {
      for (const size of sizes) {
        const label = `${size.width}x${size.height} scale ${scale}`;
        const [a, b] = photos.map((p) => frameAt(p, size));
        // Each call is timed end to end as a user sees it: pixels copied to the worker, the
        // forward pass, and the result read back (on WebGPU that waits for the GPU to finish).
        const time = async (x, y) => {
          const start = performance.now();
          const out = await interp.interpolate(x, y, 0.5, { scale });
          const ms = performance.now() - start;
          if (out.width !== size.width || out.height !== size.height)
            throw new Error(`${label}: got a ${out.width}x${out.height} frame`);
          return ms;
        };
        // The first call at a size is reported apart: it creates the size's buffers and bind
        // groups (and, on the first size, compiles the pipelines), which later calls reuse.
        status(`${label}: first call…`);
        const firstMs = await time(a, b);
        // Pairs: (a, b) every time; the worker keeps the previous call's b, which is never this
        // call's a, so both frames are prepared (encoded) each call.
        const pair = [];
        for (let i = 0; i < iters; i++) {
          status(`${label}: pair ${i + 1}/${iters} (first took ${round(firstMs)} ms)…`);
          pair.push(await time(a, b));
        }
        // Video steps: (b, a), (a, b), …: each call's first frame is the previous call's second,
        // so only one frame is new, as in a video. The first step sets this up and is not timed.
        await time(b, a);
        const d0 = await dispatches(interp);
        const video = [];
        for (let i = 0; i < iters; i++) {
          status(`${label}: video step ${i + 1}/${iters}…`);
          video.push(i % 2 === 0 ? await time(a, b) : await time(b, a));
        }
        const d1 = await dispatches(interp);
        results.push({
          size: `${size.width}x${size.height}`,
          scale,
          firstMs: round(firstMs),
          pair: summary(pair),
          newFrame: summary(video),
          dispatchesPerNewFrame: d0 === null || d1 === null ? null : (d1 - d0) / iters,
          iters,
        });
      }
    }
    const stats = testing ? await testing.stats(interp) : await interp._statsForTesting?.();
    return {
      backend: interp.backend,
      engine: stats?.engine ?? 'burn (no engine counter in this build)',
      // A build without the option (the old burn-wgpu package) runs f32 whatever was asked.
      precision:
        stats?.precision ??
        (precision === 'f32' ? 'f32' : `f32 (this build has no precision option; asked ${precision})`),
      adapterInfo: interp.adapterInfo,
      // The wasm build that ran (threaded or not, rayon threads, simd128); absent in old builds.
      cpu: stats?.cpu ?? null,
      crossOriginIsolated: self.crossOriginIsolated === true,
      ...(interp.fallbackReason ? { fallbackReason: interp.fallbackReason } : {}),
      modelLoadMs: round(downloaded - t0),
      initMs: round(created - downloaded),
      results,
    };
  } finally {
    interp.dispose();
  }
}

async function run() {
  const { backend, sizes, iters, scales, precisions, lib: libUrl } = parseParams();
  const libHref = new URL(libUrl, location.href).href;
  const lib = await import(libHref);
  testing = await import(new URL('testing.js', libHref).href).catch(() => null);
  for (const scale of scales) {
    if (!(scale >= lib.SCALE_RANGE[0] && scale <= lib.SCALE_RANGE[1]))
      throw new Error(`scale must be in [${lib.SCALE_RANGE}], got ${scale}`);
  }
  const photos = await loadPhotos();
  try {
    const runs = [];
    for (const precision of precisions) {
      try {
        runs.push(await benchOne(lib, { backend, precision, sizes, scales, iters, photos }));
      } catch (e) {
        // An f16 run that fails (it runs packed without shader-f16, so it should not): say so
        // and go on with the other precisions.
        if (precision === 'f32') throw e;
        runs.push({ precision, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return { userAgent: navigator.userAgent, lib: libUrl, runs };
  } finally {
    photos.forEach((p) => p.close());
  }
}

try {
  const result = await run();
  document.getElementById('result').textContent = JSON.stringify(result, null, 2);
  status('done');
  window.benchResult = result;
} catch (e) {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  document.getElementById('error').textContent = message;
  status('failed');
  window.benchError = message;
}
