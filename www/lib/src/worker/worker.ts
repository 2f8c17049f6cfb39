// The worker that owns the wasm module and the model. It runs off the page's main thread
// because a CPU-fallback interpolation takes seconds of blocking compute, and because the WebGPU
// engine's readback (mapAsync) is awaited from here without janking the page.
//
// Requests are served one at a time (see `queue`): the wasm `Engine` is a single RefCell-backed
// handle, and running two forwards at once would only compete for the same device and double the
// peak memory.

import { codedError, codeOf } from '../shared/errors.js';
import { type Canvas, cpuBuild, Engine, type Frame, loadWasm } from './wasm-variant.js';
import type {
  BitmapResult,
  ClosedResult,
  ErrorPayload,
  FloatResult,
  FlowResult,
  FrameInput,
  InitResult,
  LostResult,
  MemoryResult,
  PixelsResult,
  Request,
  Response,
  VideoResult,
} from '../shared/protocol.js';
import type { AdapterInfo, BackendChoice, BackendName, ScaleChoice, VideoInfo } from '../shared/types.js';
import { counts, discard, FrameChain } from './frames.js';
import { PagedSink } from './paged-sink.js';
import { probeVideo, runVideoJob } from './video-job.js';

// This file is compiled against the DOM lib (see tsconfig), so spell out the part of the
// dedicated-worker global scope that it uses.
interface WorkerScope {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: Response, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

/** Holds the Web Lock the page named for as long as this worker lives, and says so: the page
 * then waits for the lock, which the browser hands over only when this worker is gone. */
function holdLifeLock(lock: string): void {
  void navigator.locks.request(lock, () => {
    scope.postMessage({ alive: true });
    return new Promise<never>(() => {});
  });
}

let engine: Engine | null = null;
/** The wasm module's memory, for the memory test hook. */
let wasmMemory: WebAssembly.Memory | null = null;
/** The instance's raw exports (for `trapForTesting`). */
let wasmExports: { __wbindgen_malloc: (size: number, align: number) => number } | null = null;
let backendName: BackendName = 'cpu';
let queue: Promise<void> = Promise.resolve();
/** Ids of 'video' requests the page gave up on; their jobs stop at the next frame. */
const cancelled = new Set<number>();

scope.onmessage = (event) => {
  const request = event.data;
  // Cancels jump the queue: the job they target is what occupies it.
  if (request.type === 'cancel') {
    cancelled.add(request.target);
    return;
  }
  if (request.type === 'watch') {
    holdLifeLock(request.lock);
    return;
  }
  if (request.type === 'liveMemoryForTesting') {
    scope.postMessage({ id: request.id, ok: true, result: memoryNow() });
    return;
  }
  if (request.type === 'loseDeviceForTesting') {
    // Out of the queue too: a driver reset does not wait for the job in progress, so tests can
    // lose the device in the middle of a video. (Destroying the device is synchronous and safe
    // between the job's awaits.)
    void serve(request);
    return;
  }
  queue = queue.then(() => serve(request)).finally(() => cancelled.delete(request.id));
};

async function serve(request: Request): Promise<void> {
  let response: Response;
  let transfer: Transferable[] = [];
  try {
    const [result, buffers] = await handle(request);
    response = { id: request.id, ok: true, result };
    transfer = buffers;
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A trap unwinds through Rust without running destructors or releasing RefCell borrows:
      // the instance cannot be trusted again. Answer this request with what happened, refuse
      // every later one, and let the page retire the worker (which frees its memory).
      crashed = crashMessage(e, request);
    }
    // A lost GPU device stays lost for this engine (it holds one device for its life): the
    // page retires the worker, so its next interpolator gets a fresh device.
    const lost = codeOf(e) === 'device-lost';
    response = {
      id: request.id,
      ok: false,
      error: crashed
        ? { name: 'Error', message: crashed, code: 'engine-crashed', fatal: true }
        : { ...toPayload(e), fatal: lost },
    };
  }
  try {
    scope.postMessage(response, transfer);
  } catch (e) {
    // Only a bug could make the response uncloneable; still answer, so the caller never hangs.
    scope.postMessage({ id: request.id, ok: false, error: toPayload(e) }, []);
  }
}

type Handled = [
  (
    | InitResult
    | PixelsResult
    | FlowResult
    | FloatResult
    | ClosedResult
    | BitmapResult
    | LostResult
    | VideoResult
    | MemoryResult
    | VideoInfo
  ),
  Transferable[],
];

/** Set once the wasm instance trapped: the message every later request fails with. */
let crashed: string | null = null;

function crashMessage(e: WebAssembly.RuntimeError, request: Request): string {
  const size = 'a' in request ? ` on ${request.a.width}x${request.a.height} frames at scale ${request.scale}` : '';
  return (
    `the inbetween engine crashed (WebAssembly ${e.message})${size}, most likely out of memory; ` +
    'this interpolator cannot be used again: create a new one, with smaller frames or a lower scale'
  );
}

async function handle(request: Request): Promise<Handled> {
  if (crashed) throw codedError(crashed, 'engine-crashed');
  // Issue 12's static guard: each request that makes frames says whether it wants it; a video
  // job carries it in its options (on unless turned off).
  if (engine && 'staticGuard' in request) engine.setStaticGuard(request.staticGuard);
  if (engine && 'quality' in request) engine.setQuality(request.quality === 'best');
  if (engine && request.type === 'video') {
    engine.setStaticGuard(request.options.staticGuard);
    engine.setQuality(request.options.quality === 'best');
  }
  switch (request.type) {
    case 'init': {
      const result = await createEngine(request.model, request.backend, request.precision, request.wasmUrl);
      backendName = result.backend;
      result.cpu = cpuBuild();
      return [result, []];
    }
    case 'probe':
      return [await probeVideo(request.input), []];
    case 'cancel':
      throw new Error('internal error: cancel requests are served in onmessage, never queued');
    case 'video': {
      if (!engine) throw new Error('the inbetween engine is not initialised');
      const id = request.id;
      const blob = await runVideoJob(request.input, request.options, {
        engine,
        backend: backendName,
        cancelled: () => cancelled.has(id),
        progress: (progress) => scope.postMessage({ id, progress }),
        preview: (time, image) => scope.postMessage({ id, preview: { time, image } }, [image]),
        output: request.output,
      });
      return [{ blob }, []];
    }
    case 'interpolate':
      return withPair(request.a, request.b, request.scale, async (e, a, b) =>
        pixelsResult(await e.interpolate(a, b, request.t)),
      );
    case 'interpolateMany':
      return withPair(request.a, request.b, request.scale, async (e, a, b) =>
        pixelsResult(await e.interpolateMany(a, b, request.ts)),
      );
    case 'interpolateMap':
      return withPair(request.a, request.b, request.scale, async (e, a, b) =>
        pixelsResult(await e.interpolateMap(a, b, request.map)),
      );
    case 'memoryForTesting':
      return [memoryNow(), []];
    case 'sequencePush':
      return sequencePush(request.seq, request.image, request.scale, request.ts);
    case 'sequenceCanvas': {
      if (!engine) throw new Error('the inbetween engine is not initialised');
      canvases.get(request.seq)?.free();
      canvases.set(request.seq, engine.attachCanvas(request.canvas));
      const result: ClosedResult = { closed: false };
      return [result, []];
    }
    case 'sequenceDraw': {
      if (!engine) throw new Error('the inbetween engine is not initialised');
      const canvas = canvases.get(request.seq);
      const chain = sequences.get(request.seq);
      if (!canvas) throw new Error('this sequence has no canvas');
      if (!chain || chain.length < 2) throw new Error('draw needs two pushed frames');
      engine.interpolateToCanvas(...(await chain.pair()), request.t, canvas);
      const result: ClosedResult = { closed: false };
      return [result, []];
    }
    case 'sequenceClose': {
      const chain = sequences.get(request.seq);
      chain?.close();
      sequences.delete(request.seq);
      canvases.get(request.seq)?.free();
      canvases.delete(request.seq);
      const result: ClosedResult = { closed: chain !== undefined };
      return [result, []];
    }
    case 'outputCanvas': {
      if (!engine) throw new Error('the inbetween engine is not initialised');
      outputs.get(request.target)?.canvas.free();
      outputs.delete(request.target);
      // The worker's own canvas starts at 1x1: the engine sizes it to each frame it draws.
      const offscreen = request.canvas ?? new OffscreenCanvas(1, 1);
      outputs.set(request.target, {
        canvas: engine.attachCanvas(offscreen),
        offscreen,
        own: request.canvas === null,
      });
      const result: ClosedResult = { closed: false };
      return [result, []];
    }
    case 'outputClose': {
      const output = outputs.get(request.target);
      output?.canvas.free();
      outputs.delete(request.target);
      const result: ClosedResult = { closed: output !== undefined };
      return [result, []];
    }
    case 'interpolateToCanvas': {
      const output = outputs.get(request.target);
      if (!output) {
        discard(request.a);
        discard(request.b);
        throw new Error('internal error: no output canvas attached for this call');
      }
      return withPair(request.a, request.b, request.scale, async (e, a, b) => {
        e.interpolateToCanvas(a, b, request.t, output.canvas);
        // The worker's own canvas: its image goes to the page (a GPU image in Chrome, nothing
        // read back), which copies it into the caller's texture on the caller's device.
        const bitmap = output.own ? output.offscreen.transferToImageBitmap() : null;
        const result: BitmapResult = { bitmap };
        return [result, bitmap ? [bitmap] : []];
      });
    }
    case 'rgbForTesting':
      return withPair(request.a, request.b, request.scale, async (e, a, b) => {
        const result: FloatResult = { rgb: ownBuffer(await e.interpolateRgb(a, b, request.t)) };
        return [result, [result.rgb]];
      });
    case 'watch':
    case 'liveMemoryForTesting':
      throw new Error(`internal error: '${request.type}' requests are served in onmessage, never queued`);
    case 'trapForTesting': {
      // A real trap of this instance, on the path a real out-of-memory takes: the allocator is
      // asked for 4 GiB - 16 bytes, more than wasm32 can address, and Rust aborts (`unreachable`).
      if (!wasmExports) throw new Error('the inbetween engine is not initialised');
      wasmExports.__wbindgen_malloc(0xffff_fff0, 1);
      throw new Error('internal error: the allocator returned 4 GiB');
    }
    case 'loseDeviceForTesting': {
      if (!engine) throw new Error('the inbetween engine is not initialised');
      return [{ lost: engine.loseDeviceForTesting() }, []];
    }
    case 'interpolateWithFlow':
      return withPair(request.a, request.b, request.scale, async (e, a, b) => {
        const out = await e.interpolateWithFlow(a, b, request.t);
        try {
          // Each getter returns a fresh copy out of wasm memory, so the buffers are ours to move.
          const result: FlowResult = {
            pixels: ownBuffer(out.frame),
            flow: ownBuffer(out.flow),
            mask: ownBuffer(out.mask),
            width: out.width,
            height: out.height,
          };
          return [result, [result.pixels, result.flow, result.mask]];
        } finally {
          out.free();
        }
      });
  }
}

function memoryNow(): MemoryResult {
  let counters: Pick<MemoryResult, 'engine' | 'precision' | 'dispatches' | 'submissions'> = {
    engine: null,
    precision: null,
    dispatches: 0,
    submissions: 0,
  };
  if (engine) {
    const stats = engine.stats();
    try {
      counters = {
        engine: stats.engine as 'wgsl' | 'cpu',
        precision: stats.precision as 'f32' | 'f16' | 'f16-packed',
        dispatches: stats.dispatches,
        submissions: stats.submissions,
      };
    } finally {
      stats.free();
    }
  }
  return {
    wasmBytes: wasmMemory?.buffer.byteLength ?? 0,
    prepares: counts.prepares,
    imagesIn: counts.imagesIn,
    imagesOpen: counts.imagesIn - counts.imagesClosed,
    outputBytes: PagedSink.heldBytes,
    outputCanvases: outputs.size,
    ...counters,
    cpu: cpuBuild(),
  };
}

function pixelsResult(pixels: Uint8Array): Handled {
  const result: PixelsResult = { pixels: ownBuffer(pixels) };
  return [result, [result.pixels]];
}

/** Prepares both frames of a one-off pair (in a chain of its own, freed after), runs `f`. Each
 * call prepares its two frames: callers that walk through frames keep them by handle with
 * `sequence()`, where each frame is prepared once. */
async function withPair(
  a: FrameInput,
  b: FrameInput,
  scale: ScaleChoice,
  f: (e: Engine, a: Frame, b: Frame) => Promise<Handled>,
): Promise<Handled> {
  if (!engine) throw new Error('the inbetween engine is not initialised');
  const e = engine;
  const chain = new FrameChain(e, scale);
  try {
    try {
      chain.push(a);
    } catch (err) {
      discard(b);
      throw err;
    }
    chain.push(b);
    const [fa, fb] = await chain.pair();
    return await f(e, fa, fb);
  } finally {
    chain.close();
  }
}

/** Each open sequence's frames, by handle (the last two with a canvas, for `draw`; else the
 * last one, which the next push pairs with). */
const sequences = new Map<number, FrameChain>();
/** The canvases attached to sequences ('sequenceCanvas'). */
const canvases = new Map<number, Canvas>();
/** Output canvases of `interpolate(…, { canvas | output })`, by target ('outputCanvas'); `own`:
 * made here, and its frames are sent back as bitmaps. */
const outputs = new Map<number, { canvas: Canvas; offscreen: OffscreenCanvas; own: boolean }>();

/** Prepares `image` once, interpolates the sequence's previous frame with it at each of `ts`, and
 * keeps it in place of the previous one. On a failure the new frame is freed and the sequence is
 * as it was, so the caller may push again. */
async function sequencePush(seq: number, image: FrameInput, scale: ScaleChoice, ts: Float32Array): Promise<Handled> {
  if (!engine) throw new Error('the inbetween engine is not initialised');
  const e = engine;
  let chain = sequences.get(seq);
  if (
    chain &&
    chain.length > 0 &&
    (chain.width !== image.width || chain.height !== image.height || chain.scale !== scale)
  ) {
    // The page checks this first; a second check here keeps a bad request from pairing frames
    // the engine would refuse anyway.
    discard(image);
    throw new Error(
      `internal error: sequence ${seq} holds ${chain.width}x${chain.height} frames at scale ${chain.scale}`,
    );
  }
  if (!chain) {
    chain = new FrameChain(e, scale);
    sequences.set(seq, chain);
  }
  chain.push(image);
  try {
    const pixels =
      chain.length === 2 && ts.length > 0 ? await e.interpolateMany(...(await chain.pair()), ts) : new Uint8Array(0);
    // With a canvas the previous frame stays too, for `draw`; else it is freed now.
    if (!canvases.has(seq)) chain.dropBefore();
    return pixelsResult(pixels);
  } catch (err) {
    chain.pop();
    throw err;
  }
}

async function createEngine(
  model: ArrayBuffer,
  backend: BackendChoice,
  precision: 'f32' | 'f16',
  wasmUrl: string | null,
): Promise<InitResult> {
  if (engine) throw new Error('the inbetween engine is already initialised');
  // The threaded or the single-thread build, chosen and loaded in wasm-variant.ts (which also
  // holds the `new URL(…, import.meta.url)` expressions bundlers follow to emit the .wasm).
  try {
    const { exports } = await loadWasm(wasmUrl);
    wasmMemory = exports.memory;
    wasmExports = exports;
  } catch (e) {
    throw codedError(`could not load the WebAssembly module: ${messageOf(e)}`, 'worker-died');
  }
  const bytes = new Uint8Array(model);

  if (backend === 'cpu') {
    engine = await Engine.create(bytes, 'cpu');
    return { backend: 'cpu', adapterInfo: null, fallbackReason: null };
  }

  // Ask for an adapter ourselves (wgpu asks again inside Engine.create): it tells us whether
  // WebGPU is usable before we pay for a model upload, and gives the adapter's description.
  const probe = await probeWebGpu();
  if (!probe.adapter) {
    if (backend === 'webgpu') {
      throw codedError(`backend 'webgpu' was requested but WebGPU is not available: ${probe.reason}`, 'gpu');
    }
    engine = await Engine.create(bytes, 'cpu');
    return { backend: 'cpu', adapterInfo: null, fallbackReason: null };
  }

  // A software adapter (SwiftShader, WARP, lavapipe) runs RIFE far slower than the wasm CPU
  // path (for a 160x96 frame, measured with www/bench: about 1.2 s on the WGSL engine, 2.3 s on
  // burn's wgpu before it, against 0.16 s): 'auto' takes the CPU then, and says why. Forcing
  // 'webgpu' still uses it.
  if (backend === 'auto' && probe.adapter.isFallbackAdapter) {
    engine = await Engine.create(bytes, 'cpu');
    return {
      backend: 'cpu',
      adapterInfo: null,
      fallbackReason: `the only WebGPU adapter is a software fallback (${probe.adapter.vendor} ${probe.adapter.architecture}); the CPU path is faster`,
    };
  }

  try {
    // Our WGSL engine (crate/gpu) on wgpu's WebGPU backend; it requests its own adapter.
    engine = await Engine.create(bytes, 'webgpu', precision);
    return { backend: 'webgpu', adapterInfo: probe.adapter, fallbackReason: null };
  } catch (e) {
    // A bad model fails the same way on every backend: report it instead of retrying.
    if (backend === 'webgpu' || isModelError(e)) throw e;
    engine = await Engine.create(bytes, 'cpu');
    return { backend: 'cpu', adapterInfo: null, fallbackReason: `WebGPU device creation failed: ${messageOf(e)}` };
  }
}

async function probeWebGpu(): Promise<{ adapter: AdapterInfo | null; reason: string }> {
  // `navigator.gpu` is absent outside secure contexts and in browsers without WebGPU.
  const gpu = (navigator as Partial<Navigator>).gpu;
  if (!gpu)
    return { adapter: null, reason: 'navigator.gpu is missing (no WebGPU in this browser, or not a secure context)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { adapter: null, reason: `navigator.gpu.requestAdapter() failed: ${messageOf(e)}` };
  }
  if (!adapter) {
    return {
      adapter: null,
      reason: 'navigator.gpu.requestAdapter() returned no adapter (WebGPU disabled or blocked, or no usable GPU)',
    };
  }
  const info = adapter.info;
  // `isFallbackAdapter` moved from GPUAdapter to GPUAdapterInfo; browsers may have either.
  const legacy = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacy),
    },
    reason: '',
  };
}

function isModelError(e: unknown): boolean {
  return codeOf(e) === 'bad-model';
}

/** The typed array's own ArrayBuffer when it spans all of it (wasm-bindgen returns fresh
 * copies), else a copy: only a whole buffer can be transferred. */
function ownBuffer(view: Uint8Array | Float32Array): ArrayBuffer {
  const { buffer } = view;
  if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength) {
    return buffer;
  }
  return view.slice().buffer as ArrayBuffer;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function toPayload(e: unknown): ErrorPayload {
  return { name: e instanceof Error ? e.name : 'Error', message: messageOf(e), code: codeOf(e) };
}
