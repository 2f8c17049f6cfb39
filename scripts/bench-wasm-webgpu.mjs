// Times the wasm build (www/lib/pkg/, wasm-bindgen --target web) on Deno's WebGPU (wgpu
// underneath, so a real GPU where Vulkan finds one) and on the wasm CPU backend, in one process.
// No browser needed: Deno exposes navigator.gpu. Prints the adapter and one JSON object on stdout;
// progress goes to stderr.
//
//   deno run --allow-read --allow-env scripts/bench-wasm-webgpu.mjs \
//     [--pkg www/lib/pkg] [--model www/lib/model/rife-4.25-f16.bpk] \
//     [--sizes 640x360,1280x720,1920x1088] [--cpu-sizes 640x360] [--iters 5] [--cpu-iters 3] \
//     [--video-frames 6] [--scale 1] [--backends webgpu,cpu]
//
// Per size and backend: `pair` = prepare(A) + prepare(B) + await interpolate(A, B, 0.5) (the
// RGBA readback included), median of --iters after one warm-up; `video` = the steady per-frame
// cost of a stream (one prepare + one interpolate per new frame), median over --video-frames.
// Frames are a synthetic moving pattern (timing only; the output is not checked beyond its size).
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    pkg: { type: 'string', default: 'www/lib/pkg' },
    model: { type: 'string', default: 'www/lib/model/rife-4.25-f16.bpk' },
    sizes: { type: 'string', default: '640x360,1280x720,1920x1088' },
    'cpu-sizes': { type: 'string', default: '640x360' },
    iters: { type: 'string', default: '5' },
    'cpu-iters': { type: 'string', default: '3' },
    'video-frames': { type: 'string', default: '6' },
    'cpu-video-frames': { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    backends: { type: 'string', default: 'webgpu,cpu' },
  },
});

const log = (s) => console.error(`[bench-wasm] ${s}`);
const parseSizes = (s) => s.split(',').filter(Boolean).map((x) => {
  const m = /^(\d+)x(\d+)$/.exec(x.trim());
  if (!m) throw new Error(`bad size '${x}', expected WxH`);
  return [Number(m[1]), Number(m[2])];
});
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const r4 = (x) => Math.round(x * 1e4) / 1e4;

// A smooth background plus a textured disc and a bar that move between frames, so the flow
// network sees real motion.
function frame(w, h, k) {
  const px = new Uint8Array(w * h * 4);
  const cx = w * 0.3 + k * w * 0.02, cy = h * 0.5 + k * h * 0.01, r = Math.min(w, h) * 0.2;
  const bx = w * 0.7 - k * w * 0.015;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      let R = (x * 255) / w, G = (y * 255) / h, B = 128 + 60 * Math.sin((x + y) * 0.05);
      const dx = x - cx, dy = y - cy;
      if (dx * dx + dy * dy < r * r) {
        const c = ((Math.floor(dx / 8) + Math.floor(dy / 8)) & 1) ? 230 : 30;
        R = c; G = 255 - c; B = c / 2;
      }
      if (Math.abs(x - bx) < w * 0.03) { R = 250; G = 220; B = 20; }
      px[i] = R; px[i + 1] = G; px[i + 2] = B; px[i + 3] = 255;
    }
  }
  return px;
}

async function adapterInfo() {
  if (!('gpu' in navigator) || !navigator.gpu) return { error: 'navigator.gpu is missing' };
  const a = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return { error: 'requestAdapter() returned null' };
  const info = a.info ?? {};
  const l = a.limits;
  return {
    vendor: info.vendor, architecture: info.architecture, device: info.device,
    description: info.description, isFallbackAdapter: info.isFallbackAdapter ?? a.isFallbackAdapter,
    features: [...a.features].sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  };
}

async function benchSize(engine, w, h, scale, iters, videoFrames) {
  const frames = [frame(w, h, 0), frame(w, h, 1)];
  const pair = [], prep = [];
  for (let i = 0; i <= iters; i++) {
    const t0 = performance.now();
    const a = engine.prepare(frames[0], w, h, scale);
    const b = engine.prepare(frames[1], w, h, scale);
    const t1 = performance.now();
    const out = await engine.interpolate(a, b, 0.5);
    const t2 = performance.now();
    a.free(); b.free();
    if (out.length !== w * h * 4) throw new Error(`output has ${out.length} bytes, expected ${w * h * 4}`);
    log(`  ${w}x${h} pair ${i ? `#${i}` : 'warm-up'}: ${((t2 - t0) / 1e3).toFixed(4)} s (prepare x2 ${((t1 - t0) / 1e3).toFixed(4)} s)`);
    if (i) { pair.push((t2 - t0) / 1e3); prep.push((t1 - t0) / 1e3); }
  }
  // Steady stream: each new frame is prepared once and paired with the previous one.
  const video = [];
  if (videoFrames > 0) {
    const vf = [];
    for (let k = 0; k <= videoFrames; k++) vf.push(k < 2 ? frames[k] : frame(w, h, k));
    let prev = engine.prepare(vf[0], w, h, scale);
    for (let k = 1; k <= videoFrames; k++) {
      const t0 = performance.now();
      const cur = engine.prepare(vf[k], w, h, scale);
      const out = await engine.interpolate(prev, cur, 0.5);
      const dt = (performance.now() - t0) / 1e3;
      if (out.length !== w * h * 4) throw new Error('bad output size');
      prev.free();
      prev = cur;
      video.push(dt);
    }
    prev.free();
    log(`  ${w}x${h} video per frame: ${video.map((x) => x.toFixed(4)).join(' ')}`);
  }
  return {
    size: `${w}x${h}`, iters,
    pair_s: r4(median(pair)), pair_min_s: r4(Math.min(...pair)), prepare2_s: r4(median(prep)),
    video_s: video.length ? r4(median(video)) : null, video_frames: video.length,
  };
}

const result = { deno: Deno.version, adapter: await adapterInfo(), runs: [], errors: [] };
console.log(`adapter: ${JSON.stringify(result.adapter)}`);

const t0 = performance.now();
const { default: init, Engine } = await import(new URL(`file://${Deno.realPathSync(opts.pkg)}/inbetween_wasm.js`).href);
await init({ module_or_path: await Deno.readFile(`${opts.pkg}/inbetween_wasm_bg.wasm`) });
const model = await Deno.readFile(opts.model);
result.init_s = r4((performance.now() - t0) / 1e3);
log(`wasm init + model read: ${result.init_s} s (model ${model.length} bytes)`);

const scale = Number(opts.scale);
for (const backend of opts.backends.split(',').filter(Boolean)) {
  const cpu = backend === 'cpu';
  const sizes = parseSizes(cpu ? opts['cpu-sizes'] : opts.sizes);
  const iters = Number(cpu ? opts['cpu-iters'] : opts.iters);
  const vframes = Number(cpu ? opts['cpu-video-frames'] : opts['video-frames']);
  let engine;
  try {
    const c0 = performance.now();
    engine = await Engine.create(model, backend);
    const createS = r4((performance.now() - c0) / 1e3);
    log(`${backend}: Engine.create ${createS} s (engine.backend=${engine.backend})`);
    result.runs.push({ backend, engine_backend: engine.backend, create_s: createS, sizes: [] });
  } catch (e) {
    log(`${backend}: Engine.create failed: ${e?.stack ?? e}`);
    result.errors.push({ backend, stage: 'create', error: String(e?.message ?? e) });
    continue;
  }
  const run = result.runs[result.runs.length - 1];
  for (const [w, h] of sizes) {
    try {
      const r = await benchSize(engine, w, h, scale, iters, vframes);
      log(`${backend} ${r.size}: pair ${r.pair_s} s, video ${r.video_s} s/frame`);
      run.sizes.push(r);
    } catch (e) {
      log(`${backend} ${w}x${h} failed: ${e?.stack ?? e}`);
      result.errors.push({ backend, size: `${w}x${h}`, error: String(e?.message ?? e) });
    }
  }
  engine.free();
}

// Same-run ratio where both backends measured a size.
const by = Object.fromEntries(result.runs.map((r) => [r.backend, Object.fromEntries(r.sizes.map((s) => [s.size, s]))]));
if (by.webgpu && by.cpu) {
  result.cpu_over_webgpu = Object.fromEntries(Object.keys(by.cpu).filter((s) => by.webgpu[s])
    .map((s) => [s, r4(by.cpu[s].pair_s / by.webgpu[s].pair_s)]));
}
console.log(JSON.stringify(result, null, 2));
Deno.exit(result.errors.length ? 1 : 0);
