// content.js's test hooks: `__inbetween.debug`, for tests/browser/extension.test.mjs and the
// bench. Only the test build has them: content.ts and session.ts reach this module from
// `TEST_HOOKS:` statements, which scripts/build-extension.mjs drops from the shipped build, and
// this module with them. It lives in the extension's isolated world, out of the page's reach.
import {
  analysisSize,
  blockMeans,
  changeOfBlocks,
  comparedBacks,
  compare,
  greyOf,
} from '../../../lib/src/shared/duplicates.js';
import { BlockStatDevice } from './block-stat.js';
import { routerFor } from './audio.js';
import { clearNotices, noticeTexts } from './notices.js';
import type { Entry } from './pacing.js';
import type { GpuEngine, LocalEngine } from './local.js';
import type { RemoteEngine } from './remote.js';
import type { EngineClient } from './transport.js';
import { median, withTimeout } from './util.js';

/** What the hooks read (content.ts's run state). */
export interface Inspected {
  active: boolean;
  clicks: number;
  starting: Promise<void> | null;
  adapter: unknown;
  engine: EngineClient | null;
  local: GpuEngine | null;
  stat: BlockStatDevice | null;
  path: 'local' | 'remote' | 'frame' | null;
  sessions: Map<unknown, { snapshot(withPixels: boolean): unknown; mark(on: boolean): void }>;
}

type Kind = Entry['kind'];
/** Who waits for the next frame of a kind to reach the overlay. */
const waiters: { kind: Kind; resolve: (snapshot: unknown) => void }[] = [];

/** A frame of `kind` was just drawn: answer whoever waits for one, with `snapshot()`. */
export function resolveWaiters(kind: Kind, snapshot: () => unknown): void {
  const waiting = waiters.filter((w) => w.kind === kind);
  if (!waiting.length) return;
  const snap = snapshot();
  for (const w of waiting) {
    waiters.splice(waiters.indexOf(w), 1);
    w.resolve(snap);
  }
}

function engineOf(state: Inspected): EngineClient {
  // The remote-recorded engine talks to its frame through a client of its own.
  const client = state.engine ?? (state.local && 'client' in state.local ? (state.local as RemoteEngine).client : null);
  if (!client) throw new Error('inbetween is not running');
  return client;
}

/** Round trips of a width x height RGBA frame to the engine frame and back, median ms. */
async function echo(engine: EngineClient, width: number, height: number, n: number): Promise<number> {
  const times: number[] = [];
  const pixels = new Uint8Array(width * height * 4).fill(7).buffer;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await engine.call({ type: 'echo', pixels });
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function debugHooks(state: Inspected) {
  return {
    active: () => state.active,
    clicks: () => state.clicks,
    starting: () => state.starting !== null,
    adapter: () => state.adapter,
    /** Which engine runs: 'local' (in this isolated world, local.ts), 'remote' (recorded in the
     * engine frame, played here: remote.ts) or 'frame' (engine.html). */
    path: () => state.path,
    notices: () => noticeTexts(),
    sessions: (withPixels = false) => [...state.sessions.values()].map((s) => s.snapshot(withPixels)),
    /** The overlay right after the next frame of `kind` ('interp': an in-between, 'source') was
     * drawn on it, with its pixels read back from it. */
    next: (kind: Kind, timeoutMs: number) =>
      withTimeout(
        new Promise((resolve) => waiters.push({ kind, resolve })),
        timeoutMs,
        `no ${kind} frame reached the overlay in time`,
      ),
    dismissNotices: () => clearNotices(),
    /** Destroys the engine's GPU device, as a driver reset would. */
    loseDevice: async () => {
      const local = state.local;
      if (!local) return engineOf(state).call({ type: 'loseDeviceForTesting' });
      if ('wasm' in local) return { lost: (local as LocalEngine).wasm.loseDeviceForTesting() };
      // The remote-recorded engine's device is content.js's own.
      (local as RemoteEngine).device.destroy();
      return { lost: true };
    },
    /** Prepares `n` frames at once on the in-process or remote engine and frees them: whether the
     * engine took them all (the caps). */
    hold: async (n: number) => {
      const local = state.local;
      if (!local) throw new Error('no in-process or remote engine runs');
      const canvas = new OffscreenCanvas(16, 16);
      (canvas.getContext('2d') as OffscreenCanvasRenderingContext2D).fillRect(0, 0, 16, 16);
      const frames: { free(): void }[] = [];
      try {
        for (let i = 0; i < n; i++) frames.push(local.prepare(canvas, 1));
        await local.done();
        return { ok: true, held: frames.length };
      } catch (e) {
        return { ok: false, held: frames.length, code: (e as { code?: unknown }).code, message: String(e) };
      } finally {
        for (const f of frames) f.free();
      }
    },
    /** The remote-recorded engine's replay counts (null on other paths). */
    remoteStats: () => (state.local && 'stats' in state.local ? (state.local as RemoteEngine).stats : null),
    /** A request straight to the engine frame (messages.ts's protocol), malformed ones included. */
    engineCall: (request: unknown) => engineOf(state).post(request),
    /** Round trips of a width x height RGBA frame to the engine frame and back (copied there, as
     * a frame request is, and transferred back), in ms: the price of running the engine in a frame. */
    echo: (width: number, height: number, n = 20) => echo(engineOf(state), width, height, n),
    /** The per-frame hand-over to the engine, in ms (median of `n`), on the path this run uses:
     * for the engine frame the round trip of a width x height RGBA frame (`echo`); in process, a
     * frame of the page's first video taken at width x height onto the GPU as a session takes
     * it (`new VideoFrame`, drawn on a GPU canvas, copied into the engine, closed) until the GPU
     * has done the copy. */
    handover: async (width: number, height: number, n = 20) => {
      const local = state.local;
      const video = document.querySelector('video');
      if (!video) throw new Error('no video on the page');
      if (!local) {
        // As capture.ts's grab: the frame read back at width x height, then the round trip.
        const reader = new OffscreenCanvas(width, height).getContext('2d', {
          willReadFrequently: true,
          colorSpace: 'srgb',
        }) as OffscreenCanvasRenderingContext2D;
        const reads: number[] = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const frame = new VideoFrame(video);
          reader.drawImage(frame, 0, 0, width, height);
          frame.close();
          reader.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
          reads.push(performance.now() - t0);
        }
        const trip = await echo(engineOf(state), width, height, n);
        return { path: 'frame', readMs: median(reads), echoMs: trip, ms: median(reads) + trip };
      }
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { colorSpace: 'srgb' }) as OffscreenCanvasRenderingContext2D;
      const times: number[] = [];
      const mainThread: number[] = [];
      // Whatever a session submitted first (an interpolation) is not the hand-over's.
      await local.done();
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const frame = new VideoFrame(video);
        ctx.drawImage(frame, 0, 0, width, height);
        frame.close();
        const prepared = local.prepare(canvas, 1);
        mainThread.push(performance.now() - t0);
        await local.done();
        times.push(performance.now() - t0);
        prepared.free();
      }
      // The repeat detector's grey copy (capture.ts), the one frame read back on this path.
      const small = analysisSize(width, height);
      const grey = new OffscreenCanvas(small.width, small.height).getContext('2d', {
        willReadFrequently: true,
        colorSpace: 'srgb',
      }) as OffscreenCanvasRenderingContext2D;
      const greyTimes: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const frame = new VideoFrame(video);
        grey.drawImage(frame, 0, 0, small.width, small.height);
        frame.close();
        grey.getImageData(0, 0, small.width, small.height, { colorSpace: 'srgb' });
        greyTimes.push(performance.now() - t0);
      }
      // `mainThreadMs`: the page's thread (the copy is queued); `ms`: until the GPU has done it.
      return {
        path: state.path,
        mainThreadMs: median(mainThread),
        ms: median(times),
        greyMs: median(greyTimes),
        grey: `${small.width}x${small.height}`,
      };
    },
    /** Destroys the repeat detector's GPU statistic device (block-stat.ts), as a driver reset would. */
    loseStatDevice: () => {
      if (!state.stat) return false;
      state.stat.device.destroy();
      return true;
    },
    /** The repeat detector's GPU statistic against the CPU's, on the page's first video: seeks it to
     * each of `times` (s), measures that frame on the GPU (a BlockRing at the analysis size of
     * the video's own size) and on the CPU (duplicates.ts `blockMeans` on greys made from the
     * frame read back at full size and area-averaged here as the kernel does), for every
     * comparison ChangeMeter makes; and the `top` of the old readback path (a 'high'-smoothed
     * 2D canvas copy at the analysis size). */
    statisticCheck: (times: number[]) => statisticCheck(times),
    /** Per-frame cost of the repeat detector's statistic at the analysis size of width x height
     * (median of `n` frames of the page's first video): the readback path (VideoFrame → 2D
     * canvas → getImageData → grey) and the GPU one (VideoFrame → external texture → block
     * means of four comparisons, until they are read back), and that one's main-thread part. */
    statisticCost: (width: number, height: number, n = 20) => statisticCost(width, height, n),
    /** The page's first video's sound before and after the delay (audio.ts), recorded for
     * `ms`, and the delay between them measured by cross-correlation: the last 50 ms of what
     * leaves the delay, found in what went in, within 250 ms of the DelayNode's value then. */
    soundLag: (ms = 3000) => soundLag(ms),
    /** Paints the controls' background a flat magenta (or back), so a screenshot shows where
     * they are drawn, and whether above everything else. */
    mark: (on: boolean) => {
      for (const s of state.sessions.values()) s.mark(on);
    },
  };
}

function firstVideo(): HTMLVideoElement {
  const video = document.querySelector('video');
  if (!video) throw new Error('no video on the page');
  return video;
}

async function seek(video: HTMLVideoElement, at: number): Promise<void> {
  const presented = new Promise((resolve) => video.requestVideoFrameCallback(resolve));
  video.currentTime = at;
  await new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true }));
  await Promise.race([presented, new Promise((r) => setTimeout(r, 1000))]);
}

/** The grey of `rgba` (width x height) area-averaged to dw x dh: each source pixel weighted by its
 * overlap with the destination pixel's footprint (block_change.wgsl's `grey_at`, in f64). */
function areaGrey(rgba: Uint8ClampedArray, width: number, height: number, dw: number, dh: number): Float32Array {
  const g = greyOf(rgba);
  const out = new Float32Array(dw * dh);
  const rx = width / dw;
  const ry = height / dh;
  for (let y = 0; y < dh; y++) {
    const y0 = y * ry;
    const y1 = Math.min(y0 + ry, height);
    for (let x = 0; x < dw; x++) {
      const x0 = x * rx;
      const x1 = Math.min(x0 + rx, width);
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1) && sy < height; sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1) && sx < width; sx++) {
          const wx = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += (g[sy * width + sx] as number) * wx * wy;
          area += wx * wy;
        }
      }
      out[y * dw + x] = sum / area;
    }
  }
  return out;
}

async function statisticCheck(times: number[]) {
  const video = firstVideo();
  video.pause();
  const { width, height } = { width: video.videoWidth, height: video.videoHeight };
  const small = analysisSize(width, height);
  const stat = await BlockStatDevice.create();
  if (typeof stat === 'string') throw new Error(stat);
  const ring = stat.ring(small);
  const full = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  const old = new OffscreenCanvas(small.width, small.height).getContext('2d', {
    willReadFrequently: true,
    colorSpace: 'srgb',
  });
  if (!full || !old) throw new Error('no 2D canvas');
  old.imageSmoothingQuality = 'high';
  const cpu: Float32Array[] = [];
  const olds: Float32Array[] = [];
  const frames = [];
  try {
    for (const at of times) {
      await seek(video, at);
      const frame = new VideoFrame(video);
      let measured: ReturnType<typeof ring.push>;
      try {
        measured = ring.push(frame);
        full.drawImage(frame, 0, 0, width, height);
        old.drawImage(frame, 0, 0, small.width, small.height);
      } finally {
        frame.close();
      }
      const grey = areaGrey(full.getImageData(0, 0, width, height).data, width, height, small.width, small.height);
      const oldGrey = greyOf(old.getImageData(0, 0, small.width, small.height).data);
      const gpu = await measured;
      const comparisons = [];
      for (const back of comparedBacks()) {
        const from = cpu[cpu.length - back];
        const g = gpu(back);
        if (!from || !g) {
          if (from || g) throw new Error(`back ${back}: the GPU and the CPU disagree on whether it exists`);
          continue;
        }
        const oldFrom = olds[olds.length - back] as Float32Array;
        comparisons.push({
          back,
          gpu: Array.from(g),
          cpu: Array.from(blockMeans(from, grey, small.width, small.height).blocks),
          topGpu: changeOfBlocks(g, small.width, small.height).top,
          topCpu: compare(from, grey, small.width, small.height).top,
          topOld: compare(oldFrom, oldGrey, small.width, small.height).top,
        });
      }
      frames.push({ at, comparisons });
      cpu.push(grey);
      olds.push(oldGrey);
    }
  } finally {
    ring.destroy();
    stat.destroy();
  }
  return { size: `${width}x${height}`, analysis: `${small.width}x${small.height}`, frames };
}

async function statisticCost(width: number, height: number, n: number) {
  const video = firstVideo();
  const small = analysisSize(width, height);
  const grey = new OffscreenCanvas(small.width, small.height).getContext('2d', {
    willReadFrequently: true,
    colorSpace: 'srgb',
  }) as OffscreenCanvasRenderingContext2D;
  grey.imageSmoothingQuality = 'high';
  const readback: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const frame = new VideoFrame(video);
    grey.drawImage(frame, 0, 0, small.width, small.height);
    frame.close();
    greyOf(grey.getImageData(0, 0, small.width, small.height, { colorSpace: 'srgb' }).data);
    readback.push(performance.now() - t0);
  }
  const stat = await BlockStatDevice.create();
  if (typeof stat === 'string') throw new Error(stat);
  const ring = stat.ring(small);
  const gpu: number[] = [];
  const mainThread: number[] = [];
  try {
    // Warm: the pipeline's first dispatch, and a full ring (every comparison made).
    for (let i = 0; i < 6; i++) {
      const frame = new VideoFrame(video);
      const m = ring.push(frame);
      frame.close();
      await m;
    }
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const frame = new VideoFrame(video);
      const m = ring.push(frame);
      frame.close();
      mainThread.push(performance.now() - t0);
      await m;
      gpu.push(performance.now() - t0);
    }
  } finally {
    ring.destroy();
    stat.destroy();
  }
  return {
    video: `${video.videoWidth}x${video.videoHeight}`,
    analysis: `${small.width}x${small.height}`,
    readbackMs: median(readback),
    gpuMs: median(gpu),
    gpuMainThreadMs: median(mainThread),
  };
}

/** See `soundLag` in the hooks above. */
async function soundLag(ms: number) {
  const video = document.querySelector('video');
  if (!video) throw new Error('no video on the page');
  const router = await routerFor(video);
  if (typeof router === 'string') return { routed: false, why: router };
  const ctx = router.context;
  const { input, output } = router.taps;
  const rec: Float32Array[][] = [[], []];
  const silent = ctx.createGain();
  silent.gain.value = 0;
  silent.connect(ctx.destination);
  // One processor with the two taps as its two channels (a ChannelMerger), so the recordings are
  // aligned sample for sample (two processors may start on different render quanta). Each tap
  // is mixed down to mono by the merger's inputs (channelCount 1).
  const merger = ctx.createChannelMerger(2);
  const sp = ctx.createScriptProcessor(4096, 2, 1);
  sp.onaudioprocess = (e) => {
    for (const i of [0, 1]) (rec[i] as Float32Array[]).push(new Float32Array(e.inputBuffer.getChannelData(i)));
  };
  input.connect(merger, 0, 0);
  output.connect(merger, 0, 1);
  merger.connect(sp).connect(silent);
  await new Promise((r) => setTimeout(r, ms));
  const delayMs = router.delayMs;
  input.disconnect(merger);
  output.disconnect(merger);
  merger.disconnect();
  sp.disconnect();
  silent.disconnect();
  const join = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let k = 0;
    for (const p of parts) {
      out.set(p, k);
      k += p.length;
    }
    return out;
  };
  const a = join(rec[0] as Float32Array[]);
  const b = join(rec[1] as Float32Array[]);
  const n = Math.min(a.length, b.length);
  const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / Math.max(1, x.length));
  const sr = ctx.sampleRate;
  const win = Math.round(0.05 * sr);
  const end = n;
  const d = Math.round((delayMs / 1000) * sr);
  const span = Math.round(0.25 * sr);
  let best = -Infinity;
  let lag = -1;
  for (let l = Math.max(0, d - span); l <= d + span && end - win - l >= 0; l++) {
    let sum = 0;
    for (let i = end - win; i < end; i++) sum += (a[i - l] as number) * (b[i] as number);
    if (sum > best) {
      best = sum;
      lag = l;
    }
  }
  return {
    routed: true,
    sampleRate: sr,
    seconds: n / sr,
    rmsIn: rms(a.subarray(0, n)),
    rmsOut: rms(b.subarray(0, n)),
    delayMs,
    targetMs: router.targetMs,
    lagMs: lag < 0 ? null : (lag / sr) * 1000,
  };
}
