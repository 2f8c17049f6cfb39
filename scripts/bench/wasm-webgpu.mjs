// Times the wasm build (www/lib/pkg/, wasm-bindgen --target web) on Deno's WebGPU (wgpu
// underneath, so a real GPU where Vulkan finds one) and on the wasm CPU backend, in one process.
// No browser needed: Deno exposes navigator.gpu. Prints the adapter and one JSON object on stdout;
// progress goes to stderr.
//
//   deno run --allow-read --allow-env scripts/bench/wasm-webgpu.mjs \
//     [--pkg www/lib/pkg] [--old-pkg DIR] [--model www/lib/model/rife-4.25-f16.bpk] \
//     [--sizes 640x360,1280x720,1920x1080] [--cpu-sizes 640x360] [--iters 5] [--cpu-iters 3] \
//     [--video-frames 6] [--scale 1,0.5] [--precision f32,f16] [--backends webgpu,cpu]
//
// --pkg is this build: WebGPU runs our WGSL engine (crate/gpu), in each --precision (f16 is WGSL
// f16 where the adapter has shader-f16, else the packed form; an error is recorded and the run
// goes on). --old-pkg,
// when given, is a build of the old burn-wgpu package (e.g. commit aecd586's www/lib/pkg), run
// on WebGPU in the same process right after, in f32 (it has no precision option), so the two
// engines are timed under the same load; `old_over_new` gives the ratios of `video` (s per new
// in-between frame).
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
    sizes: { type: 'string', default: '640x360,1280x720,1920x1080' },
    'old-pkg': { type: 'string' },
    precision: { type: 'string', default: 'f32,f16' },
    'cpu-sizes': { type: 'string', default: '640x360' },
    iters: { type: 'string', default: '5' },
    'cpu-iters': { type: 'string', default: '3' },
    'video-frames': { type: 'string', default: '6' },
    'cpu-video-frames': { type: 'string', default: '3' },
    scale: { type: 'string', default: '1,0.5' },
    backends: { type: 'string', default: 'webgpu,cpu' },
  },
});

const log = (s) => console.error(`[bench-wasm] ${s}`);
const parseSizes = (s) =>
  s
    .split(',')
    .filter(Boolean)
    .map((x) => {
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
  const cx = w * 0.3 + k * w * 0.02,
    cy = h * 0.5 + k * h * 0.01,
    r = Math.min(w, h) * 0.2;
  const bx = w * 0.7 - k * w * 0.015;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      let R = (x * 255) / w,
        G = (y * 255) / h,
        B = 128 + 60 * Math.sin((x + y) * 0.05);
      const dx = x - cx,
        dy = y - cy;
      if (dx * dx + dy * dy < r * r) {
        const c = (Math.floor(dx / 8) + Math.floor(dy / 8)) & 1 ? 230 : 30;
        R = c;
        G = 255 - c;
        B = c / 2;
      }
      if (Math.abs(x - bx) < w * 0.03) {
        R = 250;
        G = 220;
        B = 20;
      }
      px[i] = R;
      px[i + 1] = G;
      px[i + 2] = B;
      px[i + 3] = 255;
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
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? a.isFallbackAdapter,
    features: [...a.features].sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  };
}

async function benchSize(engine, w, h, scale, iters, videoFrames) {
  const frames = [frame(w, h, 0), frame(w, h, 1)];
  const pair = [],
    prep = [];
  for (let i = 0; i <= iters; i++) {
    const t0 = performance.now();
    const a = engine.prepare(frames[0], w, h, scale);
    const b = engine.prepare(frames[1], w, h, scale);
    const t1 = performance.now();
    const out = await engine.interpolate(a, b, 0.5);
    const t2 = performance.now();
    a.free();
    b.free();
    if (out.length !== w * h * 4) throw new Error(`output has ${out.length} bytes, expected ${w * h * 4}`);
    log(
      `  ${w}x${h} pair ${i ? `#${i}` : 'warm-up'}: ${((t2 - t0) / 1e3).toFixed(4)} s (prepare x2 ${((t1 - t0) / 1e3).toFixed(4)} s)`,
    );
    if (i) {
      pair.push((t2 - t0) / 1e3);
      prep.push((t1 - t0) / 1e3);
    }
  }
  // Steady stream: each new frame is prepared once and paired with the previous one.
  const video = [];
  const d0 = engine.stats ? engine.stats().dispatches : null;
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
    size: `${w}x${h}`,
    scale,
    iters,
    pair_s: r4(median(pair)),
    pair_min_s: r4(Math.min(...pair)),
    prepare2_s: r4(median(prep)),
    video_s: video.length ? r4(median(video)) : null,
    video_frames: video.length,
    // The WGSL engine's compute dispatches per new frame of the stream (69; null on the old
    // build, which has no counter). The first stream frame's encode is included, hence + 4/n.
    dispatches_per_video_frame:
      d0 === null || !video.length ? null : r4((engine.stats().dispatches - d0) / video.length),
  };
}

const result = { deno: Deno.version, adapter: await adapterInfo(), runs: [], errors: [] };
console.log(`adapter: ${JSON.stringify(result.adapter)}`);

const t0 = performance.now();
const model = await Deno.readFile(opts.model);
async function load(dir) {
  const glue = await import(new URL(`file://${Deno.realPathSync(dir)}/inbetween_wasm.js`).href);
  await glue.default({ module_or_path: await Deno.readFile(`${dir}/inbetween_wasm_bg.wasm`) });
  return glue.Engine;
}
const builds = [{ name: 'wgsl', Engine: await load(opts.pkg) }];
if (opts['old-pkg']) builds.push({ name: 'burn-wgpu', Engine: await load(opts['old-pkg']) });
result.init_s = r4((performance.now() - t0) / 1e3);
log(`wasm init + model read: ${result.init_s} s (model ${model.length} bytes)`);

const scales = opts.scale.split(',').filter(Boolean).map(Number);
const precisions = opts.precision.split(',').filter(Boolean);
for (const build of builds) {
  for (const backend of opts.backends.split(',').filter(Boolean)) {
    const cpu = backend === 'cpu';
    // The old build is here for its WebGPU path; its CPU path is the same burn flex as ours.
    if (cpu && build.name !== 'wgsl') continue;
    const sizes = parseSizes(cpu ? opts['cpu-sizes'] : opts.sizes);
    const iters = Number(cpu ? opts['cpu-iters'] : opts.iters);
    const vframes = Number(cpu ? opts['cpu-video-frames'] : opts['video-frames']);
    for (const precision of cpu || build.name !== 'wgsl' ? ['f32'] : precisions) {
      let engine;
      const label = `${build.name} ${backend} ${precision}`;
      try {
        const c0 = performance.now();
        engine =
          build.name === 'wgsl'
            ? await build.Engine.create(model, backend, precision)
            : await build.Engine.create(model, backend);
        const createS = r4((performance.now() - c0) / 1e3);
        log(`${label}: Engine.create ${createS} s (engine.backend=${engine.backend})`);
        result.runs.push({
          build: build.name,
          backend,
          precision,
          engine_backend: engine.backend,
          create_s: createS,
          sizes: [],
        });
      } catch (e) {
        log(`${label}: Engine.create failed: ${e?.stack ?? e}`);
        result.errors.push({ build: build.name, backend, precision, stage: 'create', error: String(e?.message ?? e) });
        continue;
      }
      const run = result.runs[result.runs.length - 1];
      for (const scale of scales) {
        for (const [w, h] of sizes) {
          try {
            const r = await benchSize(engine, w, h, scale, iters, vframes);
            log(`${label} ${r.size} scale ${scale}: pair ${r.pair_s} s, video ${r.video_s} s/frame`);
            run.sizes.push(r);
          } catch (e) {
            log(`${label} ${w}x${h} scale ${scale} failed: ${e?.stack ?? e}`);
            result.errors.push({
              build: build.name,
              backend,
              precision,
              size: `${w}x${h}`,
              scale,
              error: String(e?.message ?? e),
            });
          }
        }
      }
      engine.free();
    }
  }
}

// Same-run ratios: the old burn-wgpu path's time per new frame over the WGSL engine's (f32).
const key = (s) => `${s.size}@${s.scale}`;
const find = (b, backend, p) => result.runs.find((r) => r.build === b && r.backend === backend && r.precision === p);
const newF32 = find('wgsl', 'webgpu', 'f32');
const old = find('burn-wgpu', 'webgpu', 'f32');
if (newF32 && old) {
  const o = Object.fromEntries(old.sizes.map((s) => [key(s), s]));
  result.old_over_new = Object.fromEntries(
    newF32.sizes.filter((s) => o[key(s)] && s.video_s).map((s) => [key(s), r4(o[key(s)].video_s / s.video_s)]),
  );
}
// Same-run ratio where both backends measured a size.
const cpuRun = find('wgsl', 'cpu', 'f32');
if (newF32 && cpuRun) {
  const g = Object.fromEntries(newF32.sizes.map((s) => [key(s), s]));
  result.cpu_over_webgpu = Object.fromEntries(
    cpuRun.sizes.filter((s) => g[key(s)]).map((s) => [key(s), r4(s.pair_s / g[key(s)].pair_s)]),
  );
}
console.log(JSON.stringify(result, null, 2));
Deno.exit(result.errors.length ? 1 : 0);
