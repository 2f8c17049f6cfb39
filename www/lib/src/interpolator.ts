// The interpolator: `createInterpolator()`, `Interpolator` and `FrameSequence`, on the page.
// All heavy work happens in a module worker (worker/worker.ts) that holds the wasm
// module and the model; this side validates arguments (so mistakes fail fast, with TypeErrors,
// before any pixels are copied), copies pixels out of the caller's images, and wraps results.

import { WorkerClient } from './client.js';
import { checkGpuTarget, type GpuTextureSource, type GpuTextureTarget, writeGpuTarget } from './gpu-texture.js';
import { DEFAULT_STALL_TIMEOUT_MS, loadModel } from './model.js';
import { MODEL_BYTES, MODEL_FILE, MODEL_SHA256 } from './model-info.js';
import {
  closeInput,
  describe,
  type FrameSource,
  gpuInput,
  isVideoFrame,
  readPixels,
  type Size,
  sourceSize,
  toImageData,
  toVideoFrame,
  transferOf,
} from './pixels.js';
import { codedError } from './shared/errors.js';
import { SCALE_RANGE, T_RANGE } from './shared/limits.js';
import type {
  BitmapResult,
  ClosedResult,
  FlowResult,
  FrameInput,
  InitResult,
  PixelsResult,
  RawImage,
} from './shared/protocol.js';
import type { AdapterInfo, BackendChoice, BackendName, CpuBuild, Quality, ScaleChoice } from './shared/types.js';

export interface CreateInterpolatorOptions {
  /** 'auto' (default): WebGPU when an adapter is available, else the CPU (WebAssembly). */
  backend?: BackendChoice | undefined;
  /**
   * How WebGPU stores activations: 'f32' (default, the reference mode) or 'f16' (half the
   * memory traffic, arithmetic still f32; at least 48 dB PSNR against 'f32' on the test
   * goldens). 'f16' works on every adapter: with WGSL's `f16` type where the adapter has
   * `shader-f16`, else with the f16 values packed two to a 32-bit word (`pack2x16float`, e.g.
   * on SwiftShader), which costs an unpack per read; the engine picks the form per adapter.
   * Ignored on the CPU.
   */
  precision?: 'f32' | 'f16' | undefined;
  /** Model file (burnpack, as made by scripts/setup.sh). Default: the model in this package. */
  modelUrl?: string | URL | undefined;
  /**
   * Expected sha256 of the model, hex. Default: the packaged model's hash when `modelUrl` is not
   * given; with a custom `modelUrl` and no hash, nothing is verified and nothing is cached.
   */
  modelSha256?: string | undefined;
  /** Download progress in bytes; `total` is the expected size (0 when unknown). */
  onProgress?: ((loaded: number, total: number) => void) | undefined;
  /** Keep verified models in the Cache API ('inbetween-models'). Default: true. */
  cache?: boolean | undefined;
  /**
   * The WebAssembly module (`inbetween/wasm`). Default: found by the worker next to its own
   * code, which works unbundled and with bundlers that follow `new URL(…, import.meta.url)`
   * (Vite, webpack). Bundlers that do not (esbuild) pass the URL they emitted it at. Relative
   * URLs resolve against the page.
   */
  wasmUrl?: string | URL | undefined;
  /** Cancels the model download and start-up; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /**
   * The download fails when the server sends nothing for this many milliseconds (default
   * 30 000). A slow download that keeps moving never times out.
   */
  stallTimeoutMs?: number | undefined;
}

export interface InterpolateOptions {
  /**
   * Flow resolution factor in [0.25, 4], default 1 (RIFE's own output). 'auto': chosen for the
   * pair from the motion RIFE's coarsest block sees and the frame size (issue 12): 1 for most
   * footage up to 1080p, 0.5 for fast motion from 480 lines up and for 4K. It costs one block
   * more, and a second encoding of both frames when it picks a smaller scale.
   */
  scale?: ScaleChoice | undefined;
  /**
   * 'fast' (default): RIFE once. 'best': also the mirrored pair, the two averaged: +1.2 dB on the
   * quality bench (+2 dB on ordinary footage) for about 2x the time.
   */
  quality?: Quality | undefined;
  /**
   * Keep still regions (burnt-in captions, logos, scores) from the inputs instead of what RIFE's
   * warps drag in from the motion around them (issue 12's static guard). Default false: RIFE's
   * own output. `interpolateVideo` and the extension turn it on.
   */
  staticGuard?: boolean | undefined;
}

/**
 * `interpolate`'s options for output that stays on the GPU (WebGPU only): give `canvas` or
 * `output`. The call then resolves, with nothing, once the frame is drawn (submitted); no pixel
 * is read back.
 */
export interface InterpolateDrawOptions extends InterpolateOptions {
  /**
   * A canvas the frame is drawn into, resized to the frames. It is handed to the worker on first
   * use, like `sequence({ canvas })`'s (an HTMLCanvasElement with `transferControlToOffscreen()`,
   * so it must have no context and the page cannot draw on it afterwards; an OffscreenCanvas
   * without a context is transferred), and stays there for every later call with it.
   */
  canvas?: HTMLCanvasElement | OffscreenCanvas | undefined;
  /**
   * A texture of the caller's own device that the frame is written into: the worker draws it
   * into a canvas of its own, whose image (in Chrome a GPU image) is copied into the texture
   * with `copyExternalImageToTexture` on `output.device`'s queue.
   */
  output?: GpuTextureTarget | undefined;
}

export interface SequenceOptions extends InterpolateOptions {
  /**
   * WebGPU only: a canvas that `FrameSequence.draw(t)` draws in-betweens into on the GPU, with
   * no readback. An HTMLCanvasElement is handed to the worker with `transferControlToOffscreen()`
   * (so it must have no context yet, and the page cannot draw on it afterwards); an
   * OffscreenCanvas (without a context) is transferred. The canvas is resized to the frames.
   */
  canvas?: HTMLCanvasElement | OffscreenCanvas | null | undefined;
}

export interface FlowOutput {
  /** The interpolated frame. */
  image: ImageData;
  /** Flow in pixels, planar [4][height][width]: to frame a (x, y), then to frame b (x, y). */
  flow: Float32Array;
  /** Weight of warped frame a in the blend, [height][width], in [0, 1] (1 − it for frame b). */
  mask: Float32Array;
  width: number;
  height: number;
}

/** Creates an interpolator: downloads (or reads from cache) and verifies the model, starts the
 * worker and loads the model onto WebGPU or the CPU. */
export async function createInterpolator(options: CreateInterpolatorOptions = {}): Promise<Interpolator> {
  // Importing the package anywhere is safe (server-side rendering imports it in Node); running
  // it needs a browser's Worker and WebAssembly, so say so instead of failing somewhere deeper.
  if (typeof Worker !== 'function' || typeof WebAssembly !== 'object') {
    throw new Error(
      'inbetween runs in a browser: createInterpolator() needs Worker and WebAssembly, which this ' +
        'environment lacks (server-side rendering?). Call it from code that runs in the page.',
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const backend = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'cpu') {
    throw new TypeError(`backend must be 'auto', 'webgpu' or 'cpu', got ${describe(backend)}`);
  }
  const precision = options.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'f16') {
    throw new TypeError(`precision must be 'f32' or 'f16', got ${describe(precision)}`);
  }
  const { modelUrl, modelSha256, onProgress } = options;
  if (modelUrl !== undefined && typeof modelUrl !== 'string' && !(modelUrl instanceof URL)) {
    throw new TypeError(`modelUrl must be a string or URL, got ${describe(modelUrl)}`);
  }
  if (modelSha256 !== undefined && (typeof modelSha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(modelSha256))) {
    throw new TypeError(`modelSha256 must be 64 hex digits, got ${describe(modelSha256)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function, got ${describe(onProgress)}`);
  }
  if (options.cache !== undefined && typeof options.cache !== 'boolean') {
    throw new TypeError(`cache must be a boolean, got ${describe(options.cache)}`);
  }
  const { wasmUrl } = options;
  if (wasmUrl !== undefined && typeof wasmUrl !== 'string' && !(wasmUrl instanceof URL)) {
    throw new TypeError(`wasmUrl must be a string or URL, got ${describe(wasmUrl)}`);
  }
  // Resolved here: the worker's own base URL is not the page's.
  const wasm = wasmUrl === undefined ? null : new URL(wasmUrl, globalThis.location?.href).href;
  const { signal, stallTimeoutMs = DEFAULT_STALL_TIMEOUT_MS } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (typeof stallTimeoutMs !== 'number' || !(stallTimeoutMs > 0) || !Number.isFinite(stallTimeoutMs)) {
    throw new TypeError(`stallTimeoutMs must be a positive number of milliseconds, got ${describe(stallTimeoutMs)}`);
  }
  signal?.throwIfAborted();

  // Relative URLs are relative to the page, like fetch's; the packaged model is relative to this
  // module, so the package works wherever it is served from unbundled.
  const packaged = modelUrl === undefined;
  const url = packaged ? packagedModelUrl() : new URL(modelUrl, globalThis.location?.href);
  const sha256 = modelSha256?.toLowerCase() ?? (packaged ? MODEL_SHA256 : null);

  const model = await loadModel({
    url,
    sha256,
    expectedBytes: packaged ? MODEL_BYTES : 0,
    onProgress,
    cache: options.cache ?? true,
    notFoundHint: packaged
      ? ` (bundlers do not copy the model into the app: serve ${MODEL_FILE} from your site or a CDN ` +
        'and pass { modelUrl, modelSha256: MODEL_SHA256 }; see "Using it with a bundler" in the README)'
      : '',
    signal,
    stallTimeoutMs,
  });
  signal?.throwIfAborted();

  const client = new WorkerClient(spawnWorker());
  let init: InitResult;
  // An abort while the worker starts ends the worker too: nothing keeps running for a caller
  // that has gone.
  const onAbort = () => client.terminate(new Error('createInterpolator was aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    init = await client.call<InitResult>({ type: 'init', model, backend, precision, wasmUrl: wasm }, [model]);
  } catch (e) {
    client.terminate(new Error('the interpolator failed to start'));
    if (signal?.aborted) throw signal.reason;
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  constructing = true;
  try {
    return new Interpolator(client, init);
  } finally {
    constructing = false;
  }
}

let constructing = false;

/** @internal The worker client of a live interpolator (it throws once the interpolator is
 * disposed). Not part of the API: index.ts does not export it. */
export let clientOf: (interp: Interpolator) => WorkerClient;

/** A new worker of the package (worker/worker.ts), not yet initialised. */
export function spawnWorker(): Worker {
  // Exactly this expression: it is the one form Vite and webpack recognise as a worker, so they
  // bundle worker.js and everything it imports (the wasm-bindgen glue, the .wasm, the video job,
  // mediabunny) instead of copying it as a lone file. Built elsewhere and passed in, the URL
  // would be an opaque asset to them.
  return new Worker(new URL('./worker/worker.js', import.meta.url), { type: 'module' });
}

/**
 * The model inside this package, next to dist/. Hidden from bundlers on purpose: written as
 * `new URL('../model/…', import.meta.url)`, they would copy (and fingerprint) the 11 MB file into
 * every app's build. So the path is assembled at run time (Vite and esbuild then leave it alone)
 * and webpack, which would otherwise make a context module of it, is told to ignore it.
 * Unbundled it resolves; bundled it does not, and the fetch error says to pass `modelUrl`.
 */
function packagedModelUrl(): URL {
  const path = ['..', 'model', MODEL_FILE].join('/');
  return new URL(/* webpackIgnore: true */ path, import.meta.url);
}

/** RIFE on one backend. Create with `createInterpolator()`; call `dispose()` when done. */
export class Interpolator {
  /** The backend in use. */
  readonly backend: BackendName;
  /** The WebGPU adapter in use, or null on the CPU. */
  readonly adapterInfo: AdapterInfo | null;
  /** With backend 'auto': why WebGPU was not used although an adapter existed, else null. */
  readonly fallbackReason: string | null;
  /**
   * Which WebAssembly build runs: the threaded one in cross-origin-isolated pages (then
   * `threads` is the CPU path's rayon threads; 0 on WebGPU), else the single-thread one.
   */
  readonly cpuBuild: CpuBuild | null;
  readonly #client: WorkerClient;
  #disposed = false;
  /** `interpolate(…, { canvas })`'s canvases, each handed to the worker once. */
  readonly #outputs = new WeakMap<HTMLCanvasElement | OffscreenCanvas, OutputTarget>();
  /** The worker's own canvas for `interpolate(…, { output })`, made on first use. */
  #own: OutputTarget | null = null;
  #nextTarget = 1;
  /** Frees the worker's side of a canvas the page has let go of. */
  readonly #collected = new FinalizationRegistry<number>((target) => {
    if (!this.closed) this.#client.call<ClosedResult>({ type: 'outputClose', target }).catch(() => {});
  });

  /**
   * True once this interpolator can do no more work: disposed, its GPU device lost, or its
   * worker crashed. Every call then rejects; create a new interpolator (it gets a new worker,
   * wasm instance and GPU device).
   */
  get closed(): boolean {
    return this.#disposed || this.#client.dead;
  }

  static {
    // The one way in to an interpolator's worker from outside this class, for the package's
    // own modules (video.ts, testing.ts); index.ts does not re-export it.
    clientOf = (interp) => {
      if (interp.#disposed) throw codedError('the Interpolator was disposed', 'disposed');
      return interp.#client;
    };
  }

  /** @internal Use `createInterpolator()`. */
  constructor(client: WorkerClient, init: InitResult) {
    if (!constructing) throw new TypeError('use createInterpolator() to make an Interpolator');
    this.#client = client;
    this.backend = init.backend;
    this.adapterInfo = init.adapterInfo;
    this.fallbackReason = init.fallbackReason;
    this.cpuBuild = init.cpu ?? null;
  }

  /**
   * The frame at time `t` (0 = a, 1 = b). Returns a VideoFrame when both inputs are VideoFrames
   * (timestamp interpolated; the caller closes it), else an ImageData. The inputs are not modified
   * or closed. With `{ canvas }` or `{ output }` (WebGPU only) the frame is drawn into that
   * canvas or texture on the GPU instead, nothing is read back, and the call resolves with
   * nothing once it is submitted.
   */
  interpolate(
    a: FrameSource,
    b: FrameSource,
    t: number,
    options: InterpolateDrawOptions & ({ canvas: HTMLCanvasElement | OffscreenCanvas } | { output: GpuTextureTarget }),
  ): Promise<undefined>;
  interpolate(a: VideoFrame, b: VideoFrame, t: number, options?: PixelOptions): Promise<VideoFrame>;
  interpolate(a: StillSource, b: FrameSource, t: number, options?: PixelOptions): Promise<ImageData>;
  interpolate(a: FrameSource, b: StillSource, t: number, options?: PixelOptions): Promise<ImageData>;
  interpolate(a: FrameSource, b: FrameSource, t: number, options?: PixelOptions): Promise<ImageData | VideoFrame>;
  // Options whose canvas or output may or may not be set: either result.
  interpolate(
    a: FrameSource,
    b: FrameSource,
    t: number,
    options?: InterpolateDrawOptions,
  ): Promise<ImageData | VideoFrame | undefined>;
  async interpolate(
    a: FrameSource,
    b: FrameSource,
    t: number,
    options?: InterpolateOptions | InterpolateDrawOptions,
  ): Promise<ImageData | VideoFrame | undefined> {
    const { size, ...pair } = this.#checkPair(a, b, options);
    checkTime(t, 't');
    const draw = this.#drawTarget(options, size);
    if (draw) {
      await this.#interpolateToTarget(a, b, t, pair, draw);
      return undefined;
    }
    const [ra, rb] = await this.#inputPair(a, b);
    const { pixels } = await sendInputs([ra, rb], () =>
      this.#client.call<PixelsResult>({ type: 'interpolate', a: ra, b: rb, ...pair, t }, [
        ...transferOf(ra),
        ...transferOf(rb),
      ]),
    );
    return wrap(pixels, size, a, b, t, 0);
  }

  /**
   * Several frames of one pair (each input is encoded once). Returns one result per `ts` entry,
   * VideoFrames when both inputs are VideoFrames, else ImageData.
   */
  interpolateMany(
    a: VideoFrame,
    b: VideoFrame,
    ts: ArrayLike<number>,
    options?: InterpolateOptions,
  ): Promise<VideoFrame[]>;
  interpolateMany(
    a: StillSource,
    b: FrameSource,
    ts: ArrayLike<number>,
    options?: InterpolateOptions,
  ): Promise<ImageData[]>;
  interpolateMany(
    a: FrameSource,
    b: StillSource,
    ts: ArrayLike<number>,
    options?: InterpolateOptions,
  ): Promise<ImageData[]>;
  interpolateMany(
    a: FrameSource,
    b: FrameSource,
    ts: ArrayLike<number>,
    options?: InterpolateOptions,
  ): Promise<(ImageData | VideoFrame)[]>;
  async interpolateMany(
    a: FrameSource,
    b: FrameSource,
    ts: ArrayLike<number>,
    options?: InterpolateOptions,
  ): Promise<(ImageData | VideoFrame)[]> {
    const { size, ...pair } = this.#checkPair(a, b, options);
    if (!isArrayLike(ts)) throw new TypeError(`ts must be an array or Float32Array of numbers, got ${describe(ts)}`);
    const times = Array.from(ts);
    times.forEach((t, i) => checkTime(t, `ts[${i}]`));
    if (times.length === 0) return [];
    const [ra, rb] = await this.#inputPair(a, b);
    const { pixels } = await sendInputs([ra, rb], () =>
      this.#client.call<PixelsResult>({ type: 'interpolateMany', a: ra, b: rb, ...pair, ts: new Float32Array(times) }, [
        ...transferOf(ra),
        ...transferOf(rb),
      ]),
    );
    const frameBytes = size.width * size.height * 4;
    return times.map((t, i) => wrap(pixels, size, a, b, t, i * frameBytes));
  }

  /**
   * The frame with a time per pixel: `map` holds width·height values in [0, 1], row by row (a
   * top-to-bottom ramp undoes a rolling shutter). Always returns ImageData: a frame with many
   * times has no single timestamp to give a VideoFrame.
   */
  async interpolateMap(
    a: FrameSource,
    b: FrameSource,
    map: Float32Array,
    options?: InterpolateOptions,
  ): Promise<ImageData> {
    const { size, ...pair } = this.#checkPair(a, b, options);
    if (!(map instanceof Float32Array)) throw new TypeError(`map must be a Float32Array, got ${describe(map)}`);
    const expected = size.width * size.height;
    if (map.length !== expected) {
      throw new TypeError(`map has ${map.length} values, expected ${expected} (${size.width}x${size.height})`);
    }
    for (let i = 0; i < map.length; i++) {
      const v = map[i] as number;
      if (!(v >= 0 && v <= 1)) throw new TypeError(`map[${i}] must be a number in [0, 1], got ${v}`);
    }
    const [ra, rb] = await readPair(a, b);
    // Copy: the caller keeps their map, and the copy's buffer can be transferred.
    const copy = map.slice();
    const { pixels } = await this.#client.call<PixelsResult>(
      { type: 'interpolateMap', a: ra, b: rb, ...pair, map: copy },
      [ra.pixels, rb.pixels, copy.buffer],
    );
    return toImageData(pixels, size.width, size.height);
  }

  /** The frame at time `t` plus the optical flow and blend mask that made it. */
  async interpolateWithFlow(
    a: FrameSource,
    b: FrameSource,
    t: number,
    options?: InterpolateOptions,
  ): Promise<FlowOutput> {
    const { size: _size, ...pair } = this.#checkPair(a, b, options);
    checkTime(t, 't');
    const [ra, rb] = await readPair(a, b);
    const out = await this.#client.call<FlowResult>({ type: 'interpolateWithFlow', a: ra, b: rb, ...pair, t }, [
      ra.pixels,
      rb.pixels,
    ]);
    return {
      image: toImageData(out.pixels, out.width, out.height),
      flow: new Float32Array(out.flow),
      mask: new Float32Array(out.mask),
      width: out.width,
      height: out.height,
    };
  }

  /** Both frames as the worker takes them: on WebGPU, VideoFrames, ImageBitmaps and GPU
   * textures as images (copied to the GPU there, never read back here), else RGBA bytes. */
  async #inputPair(a: FrameSource, b: FrameSource): Promise<[FrameInput, FrameInput]> {
    if (this.backend !== 'webgpu') return readPair(a, b);
    // One after the other, so that a failure of the second closes the first (a bitmap made of a
    // texture is the package's own, and nobody else would close it).
    const ra = await gpuInput(a);
    try {
      return [ra, await gpuInput(b)];
    } catch (e) {
      closeInput(ra);
      throw e;
    }
  }

  /** Where `interpolate`'s options say to draw (checked: TypeErrors), or null for pixels. */
  #drawTarget(options: unknown, size: Size): DrawTarget | null {
    const o = (options ?? {}) as InterpolateDrawOptions;
    const { canvas, output } = o;
    if (canvas === undefined && output === undefined) return null;
    if (canvas !== undefined && output !== undefined) {
      throw new TypeError('give interpolate either canvas or output, not both');
    }
    if (this.backend !== 'webgpu') {
      const what = canvas !== undefined ? 'canvas' : 'GPUTexture';
      throw new TypeError(`${what} output needs the WebGPU backend; this interpolator runs on '${this.backend}'`);
    }
    if (canvas !== undefined) {
      if (!isCanvas(canvas)) {
        throw new TypeError(`canvas must be an HTMLCanvasElement or OffscreenCanvas, got ${describe(canvas)}`);
      }
      return { canvas };
    }
    return { output: checkGpuTarget(output, size) };
  }

  /** `interpolate` into a canvas or a caller's texture: nothing is read back. */
  async #interpolateToTarget(
    a: FrameSource,
    b: FrameSource,
    t: number,
    pair: PairOptions,
    draw: DrawTarget,
  ): Promise<void> {
    const target = 'canvas' in draw ? this.#canvasTarget(draw.canvas) : this.#ownTarget();
    // Attached before any input is made, so a canvas the worker cannot use leaves nothing open.
    await target.ready;
    const [ra, rb] = await this.#inputPair(a, b);
    const { bitmap } = await sendInputs([ra, rb], () =>
      this.#client.call<BitmapResult>({ type: 'interpolateToCanvas', a: ra, b: rb, ...pair, t, target: target.id }, [
        ...transferOf(ra),
        ...transferOf(rb),
      ]),
    );
    if ('output' in draw) {
      if (!bitmap) throw new Error('internal error: the worker sent no image for the texture');
      await writeGpuTarget(bitmap, draw.output);
    } else bitmap?.close();
  }

  /** The worker's output canvas for the caller's `canvas`: handed over on first use, then the
   * same one for every call (an element can be transferred only once). */
  #canvasTarget(canvas: HTMLCanvasElement | OffscreenCanvas): OutputTarget {
    const known = this.#outputs.get(canvas);
    if (known) return known;
    let offscreen: OffscreenCanvas;
    try {
      offscreen =
        typeof HTMLCanvasElement !== 'undefined' && canvas instanceof HTMLCanvasElement
          ? canvas.transferControlToOffscreen()
          : (canvas as OffscreenCanvas);
    } catch (e) {
      throw new TypeError(canvasRefusal(e));
    }
    const target = this.#attach(offscreen);
    this.#outputs.set(canvas, target);
    // A target that failed is forgotten: the next call with this canvas tries again (and says
    // why it cannot, for an element already transferred).
    target.ready.catch(() => this.#outputs.delete(canvas));
    this.#collected.register(canvas, target.id);
    return target;
  }

  /** The worker's own canvas, whose frames come back as bitmaps (for `output` textures). */
  #ownTarget(): OutputTarget {
    if (!this.#own) {
      const target = this.#attach(null);
      this.#own = target;
      target.ready.catch(() => {
        if (this.#own === target) this.#own = null;
      });
    }
    return this.#own;
  }

  #attach(canvas: OffscreenCanvas | null): OutputTarget {
    const id = this.#nextTarget++;
    const ready = this.#client
      .call<ClosedResult>({ type: 'outputCanvas', target: id, canvas }, canvas ? [canvas] : [])
      .then(
        () => {},
        (e: unknown) => {
          // postMessage refuses a canvas that has a context (or was transferred already).
          throw e instanceof DOMException ? new TypeError(canvasRefusal(e)) : e;
        },
      );
    // Reported by each call that uses the target, not as an unhandled rejection.
    ready.catch(() => {});
    return { id, ready };
  }

  /**
   * A sequence of frames (a video as it plays, a photo burst): `push` each frame in order and
   * get the in-betweens of it and the frame before. Each frame is prepared (encoded) once and
   * kept by handle for the next pair, on the GPU engine as a GPU frame, with no byte
   * comparison. All frames must have the size of the first. `close()` frees the kept frame.
   */
  sequence(options?: SequenceOptions): FrameSequence {
    if (this.#disposed) throw codedError('the Interpolator was disposed', 'disposed');
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    const pair = pairOptions(options);
    const canvas = options?.canvas ?? null;
    if (canvas !== null) {
      if (!isCanvas(canvas))
        throw new TypeError(`canvas must be an HTMLCanvasElement or OffscreenCanvas, got ${describe(canvas)}`);
      if (this.backend !== 'webgpu') {
        throw new TypeError(`canvas output needs the WebGPU backend; this interpolator runs on '${this.backend}'`);
      }
    }
    constructingSequence = true;
    try {
      return new FrameSequence(this.#client, pair, () => this.#disposed, this.backend === 'webgpu', canvas);
    } finally {
      constructingSequence = false;
    }
  }

  /** Stops the worker and frees the model (GPU memory included). Pending calls reject. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#client.terminate(codedError('the Interpolator was disposed', 'disposed'));
  }

  /** Validates what every call shares; throws TypeError before any work starts. */
  #checkPair(a: unknown, b: unknown, options: unknown): { size: Size } & PairOptions {
    if (this.#disposed) throw codedError('the Interpolator was disposed', 'disposed');
    const sa = sourceSize(a, 'frame a');
    const sb = sourceSize(b, 'frame b');
    if (sa.width !== sb.width || sa.height !== sb.height) {
      throw new TypeError(`the two frames differ in size: ${sa.width}x${sa.height} and ${sb.width}x${sb.height}`);
    }
    if (sa.width === 0 || sa.height === 0) throw new TypeError(`the frames are empty (${sa.width}x${sa.height})`);
    return { size: sa, ...pairOptions(options) };
  }
}

let constructingSequence = false;
let nextSequenceId = 1;

/** Frames pushed one after another; made by `Interpolator.sequence()`. */
export class FrameSequence {
  readonly #client: WorkerClient;
  readonly #pair: PairOptions;
  readonly #disposed: () => boolean;
  readonly #id = nextSequenceId++;
  #size: Size | null = null;
  /** The previous frame's timestamp when it was a VideoFrame (the caller may close it). */
  #prevTimestamp: number | null = null;
  #closed = false;
  /** Pushes run in call order: each pairs with the frame pushed before it. */
  #last: Promise<unknown> = Promise.resolve();

  /** Frames go to the worker as images (WebGPU), not bytes. */
  readonly #gpu: boolean;
  /** Whether a canvas was attached (`draw` needs one). */
  readonly #hasCanvas: boolean;

  /** @internal Use `Interpolator.sequence()`. */
  constructor(
    client: WorkerClient,
    pair: PairOptions,
    disposed: () => boolean,
    gpu = false,
    canvas: HTMLCanvasElement | OffscreenCanvas | null = null,
  ) {
    if (!constructingSequence) throw new TypeError('use Interpolator.sequence() to make a FrameSequence');
    this.#client = client;
    this.#pair = pair;
    this.#disposed = disposed;
    this.#gpu = gpu;
    this.#hasCanvas = canvas !== null;
    if (canvas !== null) {
      const offscreen =
        typeof HTMLCanvasElement !== 'undefined' && canvas instanceof HTMLCanvasElement
          ? canvas.transferControlToOffscreen()
          : (canvas as OffscreenCanvas);
      // Queued before any push, so it is attached when the first draw comes.
      this.#last = this.#client.call<ClosedResult>({ type: 'sequenceCanvas', seq: this.#id, canvas: offscreen }, [
        offscreen,
      ]);
    }
  }

  /**
   * Draws the in-between of the last two pushed frames at `t` into the sequence's canvas
   * (`sequence({ canvas })`), on the GPU: nothing is read back. Resolves once it is submitted;
   * the canvas shows it from the next frame the browser composites.
   */
  draw(t = 0.5): Promise<void> {
    if (this.#closed) throw codedError('the FrameSequence was closed', 'disposed');
    if (this.#disposed()) throw codedError('the Interpolator was disposed', 'disposed');
    if (!this.#hasCanvas) throw new Error('this sequence has no canvas: make it with sequence({ canvas })');
    checkTime(t, 't');
    const run = this.#last
      .catch(() => {})
      .then(async () => {
        await this.#client.call<ClosedResult>({
          type: 'sequenceDraw',
          seq: this.#id,
          staticGuard: this.#pair.staticGuard,
          quality: this.#pair.quality,
          t,
        });
      });
    this.#last = run;
    return run;
  }

  /**
   * Adds the next frame and resolves to the in-betweens of the previous frame and this one at
   * each of `ts` (default [0.5]); the first frame gives none. VideoFrames in give VideoFrames out
   * (timestamps interpolated; close them), else ImageData. `frame` is not modified or closed.
   */
  push(frame: FrameSource, ts: ArrayLike<number> = [0.5]): Promise<(ImageData | VideoFrame)[]> {
    if (this.#closed) throw codedError('the FrameSequence was closed', 'disposed');
    if (this.#disposed()) throw codedError('the Interpolator was disposed', 'disposed');
    const size = sourceSize(frame, 'frame');
    if (size.width === 0 || size.height === 0) throw new TypeError(`the frame is empty (${size.width}x${size.height})`);
    if (this.#size && (this.#size.width !== size.width || this.#size.height !== size.height)) {
      throw new TypeError(
        `this sequence's frames are ${this.#size.width}x${this.#size.height}, got ${size.width}x${size.height}: start a new sequence`,
      );
    }
    if (!isArrayLike(ts)) throw new TypeError(`ts must be an array or Float32Array of numbers, got ${describe(ts)}`);
    const times = Array.from(ts);
    times.forEach((t, i) => checkTime(t, `ts[${i}]`));
    this.#size = size;
    const run = this.#last
      .catch(() => {})
      .then(async () => {
        const raw = this.#gpu ? await gpuInput(frame) : await readPixels(frame);
        const { pixels } = await sendInputs([raw], () =>
          this.#client.call<PixelsResult>(
            {
              type: 'sequencePush',
              seq: this.#id,
              image: raw,
              ...this.#pair,
              ts: new Float32Array(times),
            },
            transferOf(raw),
          ),
        );
        const prev = this.#prevTimestamp;
        const timestamp = isVideoFrame(frame) ? frame.timestamp : null;
        this.#prevTimestamp = timestamp;
        if (pixels.byteLength === 0) return [];
        const frameBytes = size.width * size.height * 4;
        return times.map((t, i) =>
          prev !== null && timestamp !== null
            ? toVideoFrame(pixels, size.width, size.height, Math.round(prev + (timestamp - prev) * t), i * frameBytes)
            : toImageData(pixels, size.width, size.height, i * frameBytes),
        );
      });
    this.#last = run;
    return run;
  }

  /** Frees the kept frame. Later pushes throw; pushes already made still resolve. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#disposed()) return;
    // After the pending pushes; a dead worker has freed everything already.
    void this.#last
      .catch(() => {})
      .then(() => this.#client.call<ClosedResult>({ type: 'sequenceClose', seq: this.#id }))
      .catch(() => {});
  }
}

/** `interpolate`'s options when the result is pixels: any InterpolateOptions (which have no
 * canvas or output), so that options typed InterpolateDrawOptions pick the overload whose result
 * may be undefined. */
type PixelOptions = InterpolateOptions & { canvas?: undefined; output?: undefined };

/** A frame that gives ImageData out (only two VideoFrames give a VideoFrame). */
type StillSource = ImageData | ImageBitmap | GpuTextureSource;

/** Where `interpolate(…, { canvas | output })` draws. */
type DrawTarget = { canvas: HTMLCanvasElement | OffscreenCanvas } | { output: GpuTextureTarget };

/** An output canvas in the worker: its number, and the attach request's outcome. */
interface OutputTarget {
  id: number;
  ready: Promise<void>;
}

function isCanvas(x: unknown): x is HTMLCanvasElement | OffscreenCanvas {
  return (
    (typeof OffscreenCanvas !== 'undefined' && x instanceof OffscreenCanvas) ||
    (typeof HTMLCanvasElement !== 'undefined' && x instanceof HTMLCanvasElement)
  );
}

function canvasRefusal(e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  return (
    `the canvas cannot be handed to the worker (${why}): it must have no rendering context, ` +
    'and a canvas serves one interpolator or sequence'
  );
}

/** What every pair request carries (InterpolateOptions, checked, with their defaults). */
interface PairOptions {
  scale: ScaleChoice;
  staticGuard: boolean;
  quality: Quality;
}

/** Checks `options` (undefined or an InterpolateOptions) and fills in the defaults. */
function pairOptions(options: unknown): PairOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const o = (options ?? {}) as InterpolateOptions;
  const scale = o.scale ?? 1;
  if (scale !== 'auto' && (typeof scale !== 'number' || !(scale >= SCALE_RANGE[0] && scale <= SCALE_RANGE[1]))) {
    throw new TypeError(
      `scale must be a number in [${SCALE_RANGE[0]}, ${SCALE_RANGE[1]}] or 'auto', got ${describe(scale)}`,
    );
  }
  const staticGuard = o.staticGuard ?? false;
  if (typeof staticGuard !== 'boolean')
    throw new TypeError(`staticGuard must be a boolean, got ${describe(staticGuard)}`);
  const quality = o.quality ?? 'fast';
  if (quality !== 'fast' && quality !== 'best') {
    throw new TypeError(`quality must be 'fast' or 'best', got ${describe(quality)}`);
  }
  return { scale, staticGuard, quality };
}

function checkTime(t: unknown, what: string): asserts t is number {
  // `!(t >= 0 && t <= 1)` also rejects NaN.
  if (typeof t !== 'number' || !(t >= T_RANGE[0] && t <= T_RANGE[1])) {
    throw new TypeError(`${what} must be a number in [${T_RANGE[0]}, ${T_RANGE[1]}], got ${describe(t)}`);
  }
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/** Runs `send` and then closes the page's copies of `inputs`: a no-op for those the message
 * transferred (a transferred VideoFrame or ImageBitmap is closed here by the transfer), and the
 * release of those it never sent (a dead worker rejects before posting). */
async function sendInputs<T>(inputs: FrameInput[], send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } finally {
    inputs.forEach(closeInput);
  }
}

function readPair(a: FrameSource, b: FrameSource): Promise<[RawImage, RawImage]> {
  return Promise.all([readPixels(a), readPixels(b)]);
}

/** One output frame out of `pixels` at byte `offset`: a VideoFrame for two VideoFrames. */
function wrap(
  pixels: ArrayBuffer,
  size: Size,
  a: FrameSource,
  b: FrameSource,
  t: number,
  offset: number,
): ImageData | VideoFrame {
  if (isVideoFrame(a) && isVideoFrame(b)) {
    // Timestamps are integers in µs; interpolate linearly, like the picture.
    const timestamp = Math.round(a.timestamp + (b.timestamp - a.timestamp) * t);
    return toVideoFrame(pixels, size.width, size.height, timestamp, offset);
  }
  return toImageData(pixels, size.width, size.height, offset);
}
