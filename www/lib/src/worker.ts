// The worker that owns the wasm module and the model. It runs off the page's main thread
// because a CPU-fallback interpolation takes seconds of blocking compute, and because the WebGPU
// engine's readback (mapAsync) is awaited from here without janking the page.
//
// Requests are served one at a time (see `queue`): the wasm `Engine` is a single RefCell-backed
// handle, and running two forwards at once would only compete for the same device and double the
// peak memory.

import init, { type Canvas, Engine, type Frame } from '../pkg/inbetween_wasm.js';
import { PagedSink } from './paged-sink.js';
import { runVideoJob } from './video-job.js';
import type {
  AdapterInfo,
  BackendName,
  BackendChoice,
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
} from './protocol.js';

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
    const lost = messageOf(e).startsWith('the GPU device was lost');
    response = { id: request.id, ok: false, error: crashed ? { name: 'Error', message: crashed, fatal: true } : { ...toPayload(e), fatal: lost } };
  }
  try {
    scope.postMessage(response, transfer);
  } catch (e) {
    // Only a bug could make the response uncloneable; still answer, so the caller never hangs.
    scope.postMessage({ id: request.id, ok: false, error: toPayload(e) }, []);
  }
}

type Handled = [InitResult | PixelsResult | FlowResult | FloatResult | ClosedResult | LostResult | VideoResult | MemoryResult, Transferable[]];

/** Set once the wasm instance trapped: the message every later request fails with. */
let crashed: string | null = null;

function crashMessage(e: WebAssembly.RuntimeError, request: Request): string {
  const size = 'a' in request ? ` on ${request.a.width}x${request.a.height} frames at scale ${request.scale}` : '';
  return `the inbetween engine crashed (WebAssembly ${e.message})${size}, most likely out of memory; `
    + 'this interpolator cannot be used again: create a new one, with smaller frames or a lower scale';
}

async function handle(request: Request): Promise<Handled> {
  if (crashed) throw new Error(crashed);
  // Issue 12's static guard: each request that makes frames says whether it wants it; a video
  // job carries it in its options (on unless turned off).
  if (engine && 'staticGuard' in request) engine.setStaticGuard(request.staticGuard);
  if (engine && request.type === 'video') engine.setStaticGuard(request.options.staticGuard);
  switch (request.type) {
    case 'init': {
      const result = await createEngine(request.model, request.backend, request.precision, request.wasmUrl);
      backendName = result.backend;
      return [result, []];
    }
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
      return withFrames(request.a, request.b, request.scale, async (e, a, b) =>
        pixelsResult(await e.interpolate(a, b, request.t)),
      );
    case 'interpolateMany':
      return withFrames(request.a, request.b, request.scale, async (e, a, b) =>
        pixelsResult(await e.interpolateMany(a, b, request.ts)),
      );
    case 'interpolateMap':
      return withFrames(request.a, request.b, request.scale, async (e, a, b) =>
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
      const kept = sequences.get(request.seq);
      if (!canvas) throw new Error('this sequence has no canvas');
      if (!kept?.before) throw new Error('draw needs two pushed frames');
      engine.interpolateToCanvas(kept.before, kept.frame, request.t, canvas);
      const result: ClosedResult = { closed: false };
      return [result, []];
    }
    case 'sequenceClose': {
      const kept = sequences.get(request.seq);
      kept?.frame.free();
      kept?.before?.free();
      sequences.delete(request.seq);
      canvases.get(request.seq)?.free();
      canvases.delete(request.seq);
      const result: ClosedResult = { closed: kept !== undefined };
      return [result, []];
    }
    case 'rgbForTesting':
      return withFrames(request.a, request.b, request.scale, async (e, a, b) => {
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
      return withFrames(request.a, request.b, request.scale, async (e, a, b) => {
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
    engine: null, precision: null, dispatches: 0, submissions: 0,
  };
  if (engine) {
    const stats = engine.stats();
    try {
      counters = {
        engine: stats.engine as 'wgsl' | 'cpu',
        precision: stats.precision as 'f32' | 'f16',
        dispatches: stats.dispatches,
        submissions: stats.submissions,
      };
    } finally {
      stats.free();
    }
  }
  return { wasmBytes: wasmMemory?.buffer.byteLength ?? 0, prepares, imagesIn, imagesOpen: imagesIn - imagesClosed, outputBytes: PagedSink.heldBytes, ...counters };
}

function pixelsResult(pixels: Uint8Array): Handled {
  const result: PixelsResult = { pixels: ownBuffer(pixels) };
  return [result, [result.pixels]];
}

/**
 * The previous call's frame b, kept prepared. Callers that walk through a sequence (the
 * extension, a page stepping through a video) pass it again as the next call's frame a; finding
 * it here means RIFE's encoder runs once per frame instead of twice. It is matched by its bytes,
 * size and scale, so a caller who passes different pixels never gets a stale frame.
 */
let lastB: { pixels: ArrayBuffer; width: number; height: number; scale: number; frame: Frame } | null = null;
/** Frames prepared so far (test hook: shows the reuse above at work). */
let prepares = 0;
/** Images (VideoFrame, ImageBitmap) the page transferred here, and those closed again (test
 * hook: every one must be closed, or a decoder stalls for want of frames). */
let imagesIn = 0;
let imagesClosed = 0;

function sameBytes(x: ArrayBuffer, y: ArrayBuffer): boolean {
  if (x.byteLength !== y.byteLength) return false;
  // RGBA buffers are whole multiples of 4 bytes and start at offset 0: compare 32 bits at a time.
  const a = new Uint32Array(x);
  const b = new Uint32Array(y);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether the image is really closed now (its own state, not our bookkeeping): a closed
 * VideoFrame has no format and a zero size; a closed ImageBitmap has a zero size. */
function isClosed(image: VideoFrame | ImageBitmap): boolean {
  return typeof VideoFrame !== 'undefined' && image instanceof VideoFrame
    ? image.format === null && image.codedWidth === 0
    : (image as ImageBitmap).width === 0;
}

function prepare(e: Engine, img: FrameInput, scale: number): Frame {
  let frame: Frame;
  if ('image' in img) {
    // An image the page transferred to us (WebGPU only): copied on the GPU into the frame
    // (copyExternalImageToTexture), never read back. The copy is queued once prepareImage
    // returns, so the image is closed at once, whatever happened.
    imagesIn++;
    try {
      frame = e.prepareImage(img.image, img.kind, scale);
    } finally {
      img.image.close();
      if (isClosed(img.image)) imagesClosed++;
    }
  } else {
    // `prepare` copies the pixels into wasm memory and throws (with the Rust message) on bad input.
    frame = e.prepare(new Uint8Array(img.pixels), img.width, img.height, scale);
  }
  prepares++;
  return frame;
}

/** Prepares (pads + encodes) both frames, reusing the previous call's b when it is this call's
 * a, runs `f`, and frees what is not kept, whatever happens. */
async function withFrames(
  a: FrameInput,
  b: FrameInput,
  scale: number,
  f: (e: Engine, a: Frame, b: Frame) => Promise<Handled>,
): Promise<Handled> {
  if (!engine) throw new Error('the inbetween engine is not initialised');
  const e = engine;
  const cached = lastB;
  lastB = null;
  let fa: Frame;
  // Images (WebGPU) have no bytes here to compare: they are prepared every call; callers that
  // walk through frames get the reuse by handle from `sequence()`.
  if (cached && !('image' in a) && cached.width === a.width && cached.height === a.height && cached.scale === scale && sameBytes(cached.pixels, a.pixels)) {
    fa = cached.frame;
  } else {
    cached?.frame.free();
    try {
      fa = prepare(e, a, scale);
    } catch (err) {
      if ('image' in b) {
        imagesIn++;
        b.image.close();
        if (isClosed(b.image)) imagesClosed++;
      }
      throw err;
    }
  }
  let fb: Frame | undefined;
  let ok = false;
  try {
    fb = prepare(e, b, scale);
    const result = await f(e, fa, fb);
    ok = true;
    return result;
  } finally {
    fa.free();
    // Keep b for the next call only after a success (a failure may mean a lost device).
    if (ok && fb && !('image' in b)) lastB = { pixels: b.pixels, width: b.width, height: b.height, scale, frame: fb };
    else fb?.free();
  }
}

/** Each open sequence's last frame, prepared: the handle the next push pairs with; and, for a
 * sequence with a canvas, the frame before it (what `draw` interpolates from). */
const sequences = new Map<number, { frame: Frame; before: Frame | null; width: number; height: number; scale: number }>();
/** The canvases attached to sequences ('sequenceCanvas'). */
const canvases = new Map<number, Canvas>();

/** Prepares `image` once, interpolates the sequence's previous frame with it at each of `ts`, and
 * keeps it (by handle, no byte comparison) in place of the previous one. On a failure the new
 * frame is freed and the previous one stays, so the caller may push again. */
async function sequencePush(seq: number, image: FrameInput, scale: number, ts: Float32Array): Promise<Handled> {
  if (!engine) throw new Error('the inbetween engine is not initialised');
  const prev = sequences.get(seq);
  if (prev && (prev.width !== image.width || prev.height !== image.height || prev.scale !== scale)) {
    // The page checks this first; a second check here keeps a bad request from pairing frames
    // the engine would refuse anyway.
    throw new Error(`internal error: sequence ${seq} holds ${prev.width}x${prev.height} frames at scale ${prev.scale}`);
  }
  const frame = prepare(engine, image, scale);
  try {
    const pixels = prev && ts.length > 0 ? await engine.interpolateMany(prev.frame, frame, ts) : new Uint8Array(0);
    prev?.before?.free();
    // With a canvas the previous frame stays too, for `draw`; else it is freed now.
    let before: Frame | null = null;
    if (canvases.has(seq)) before = prev?.frame ?? null;
    else prev?.frame.free();
    sequences.set(seq, { frame, before, width: image.width, height: image.height, scale });
    return pixelsResult(pixels);
  } catch (e) {
    frame.free();
    throw e;
  }
}

async function createEngine(model: ArrayBuffer, backend: BackendChoice, precision: 'f32' | 'f16', wasmUrl: string | null): Promise<InitResult> {
  if (engine) throw new Error('the inbetween engine is already initialised');
  // The .wasm sits next to the glue. Resolved from this module, it works from any URL the
  // package is served at, and this literal `new URL(…, import.meta.url)` is what Vite and webpack
  // follow to emit the .wasm into an app's build. The glue has the same default inside, but
  // passing it here keeps the path in our code. A bundler that follows neither (esbuild) leaves
  // the app to pass `wasmUrl`.
  const url = wasmUrl ?? new URL('../pkg/inbetween_wasm_bg.wasm', import.meta.url);
  try {
    const exports = await init({ module_or_path: url });
    wasmMemory = exports.memory;
    wasmExports = exports;
  } catch (e) {
    throw new Error(`could not load the WebAssembly module from ${String(url)}: ${messageOf(e)}`);
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
      throw new Error(`backend 'webgpu' was requested but WebGPU is not available: ${probe.reason}`);
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
  if (!gpu) return { adapter: null, reason: 'navigator.gpu is missing (no WebGPU in this browser, or not a secure context)' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { adapter: null, reason: `navigator.gpu.requestAdapter() failed: ${messageOf(e)}` };
  }
  if (!adapter) {
    return { adapter: null, reason: 'navigator.gpu.requestAdapter() returned no adapter (WebGPU disabled or blocked, or no usable GPU)' };
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
  return messageOf(e).startsWith('model data is not a valid inbetween model');
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
  return { name: e instanceof Error ? e.name : 'Error', message: messageOf(e) };
}
