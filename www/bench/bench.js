// Benchmark of the npm package in a real browser: model load, interpolator start, and
// interpolate(a, b, 0.5) per frame size. Query parameters (all optional):
//   backend  auto | webgpu | cpu            (default auto)
//   sizes    comma-separated WxH            (default 640x360,1280x720)
//   iters    timed calls after the first    (default 5)
//   scale    RIFE's flow scale, [0.25, 4]   (default 1)
// The result (JSON) lands in <pre id="result"> and window.benchResult; a failure in
// <pre id="error"> and window.benchError. scripts/bench-browser.mjs drives this page.
import { createInterpolator, SCALE_RANGE } from '../lib/dist/index.js';

const IMAGES = ['/tests/golden/images/I0_0.png', '/tests/golden/images/I0_1.png'];

const statusLine = document.getElementById('status');
function status(text) {
  statusLine.textContent = text;
  console.log(`[bench] ${text}`); // the node script relays these as progress
}

function parseParams() {
  const q = new URLSearchParams(location.search);
  const backend = q.get('backend') ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new Error(`backend must be auto, webgpu or cpu, got ${backend}`);
  const sizes = (q.get('sizes') ?? '640x360,1280x720').split(',').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m || +m[1] < 1 || +m[2] < 1) throw new Error(`a size must look like 640x360, got '${s}'`);
    return { width: +m[1], height: +m[2] };
  });
  const iters = Number(q.get('iters') ?? '5');
  if (!Number.isInteger(iters) || iters < 1) throw new Error(`iters must be an integer >= 1, got ${q.get('iters')}`);
  // Checked here too (the library would only complain at the first call, after the model load).
  const scale = Number(q.get('scale') ?? '1');
  if (!(scale >= SCALE_RANGE[0] && scale <= SCALE_RANGE[1])) throw new Error(`scale must be in [${SCALE_RANGE}], got ${q.get('scale')}`);
  return { backend, sizes, iters, scale };
}

/** The committed photo pair, decoded once; each size is drawn from these. */
async function loadPhotos() {
  return Promise.all(IMAGES.map(async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (serve the repo root)`);
    return createImageBitmap(await response.blob());
  }));
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

async function run() {
  const { backend, sizes, iters, scale } = parseParams();

  // createInterpolator() = download + sha256 check of the model, then worker + wasm start and
  // weights onto the backend. The last progress tick marks the end of the download, which splits
  // the two. A fresh browser profile has an empty model cache, so this is a real (local) download.
  status(`creating the interpolator (backend ${backend})…`);
  const t0 = performance.now();
  let downloaded = t0;
  const interp = await createInterpolator({
    backend,
    onProgress: (loaded, total) => { if (loaded >= total) downloaded = performance.now(); },
  });
  const created = performance.now();

  try {
    const photos = await loadPhotos();
    const results = [];
    for (const size of sizes) {
      const label = `${size.width}x${size.height}`;
      const [a, b] = photos.map((p) => frameAt(p, size));
      // Each call is timed end to end as a user sees it: pixels copied to the worker, the forward
      // pass, and the result read back (on WebGPU that waits for the GPU to finish).
      const time = async () => {
        const start = performance.now();
        const out = await interp.interpolate(a, b, 0.5, { scale });
        const ms = performance.now() - start;
        if (out.width !== size.width || out.height !== size.height) throw new Error(`${label}: got a ${out.width}x${out.height} frame`);
        return ms;
      };
      // The first call at a size is reported apart: it compiles shaders / creates pipelines (and
      // allocates buffers) for that shape, which later calls reuse.
      status(`${label}: first call…`);
      const firstMs = await time();
      const runs = [];
      for (let i = 0; i < iters; i++) {
        status(`${label}: call ${i + 1}/${iters} (first took ${round(firstMs)} ms)…`);
        runs.push(await time());
      }
      const sorted = [...runs].sort((x, y) => x - y);
      const mid = sorted.length >> 1;
      results.push({
        size: label,
        firstMs: round(firstMs),
        medianMs: round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2),
        minMs: round(sorted[0]),
        meanMs: round(runs.reduce((s, x) => s + x, 0) / runs.length),
        iters,
      });
    }
    photos.forEach((p) => p.close());
    return {
      userAgent: navigator.userAgent,
      backend: interp.backend,
      adapterInfo: interp.adapterInfo,
      ...(interp.fallbackReason ? { fallbackReason: interp.fallbackReason } : {}),
      scale,
      modelLoadMs: round(downloaded - t0),
      initMs: round(created - downloaded),
      results,
    };
  } finally {
    interp.dispose();
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
