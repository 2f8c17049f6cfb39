// The in-process engine: the package's wasm GPU engine run in content.js's own isolated world, next
// to the video, where the page's CSP lets WebAssembly compile (issue 10, item 1). Frames then never
// leave the GPU: each is drawn from `new VideoFrame(video)` onto a GPU canvas at the working size
// and copied from there into the engine (`prepareImage`, copyExternalImageToTexture), and each
// in-between is computed on the GPU and, once done, drawn by the engine straight into a WebGPU
// canvas of the overlay (`interpolateOnGpu`, `presentLast`), with no readback. The engine frame (transport.ts) stays the path for
// pages whose CSP forbids WebAssembly.
//
// Measured in Chromium 156 (scripts/bench/isolated-world.mjs): in the isolated world a WebGPU
// device, `new VideoFrame(video)` and WebGPU canvases work on every page, but WebAssembly obeys
// the *page's* CSP (without `'wasm-unsafe-eval'` in its script-src, compiling throws), and an
// extension-URL worker is refused. So the engine runs on content.js's own thread (its work is on
// the GPU; the thread only records and submits it), and only where `wasmCompiles()` says so.
//
// The wasm glue is bundled into content.js (a content script cannot import a module that is not
// web-accessible); the module and the model bytes come from the engine frame, over its
// authenticated port ('files'), so nothing more of the extension is web-accessible.
import initWasm, { type Canvas, Engine, type Frame } from '../../../lib/pkg/inbetween_wasm.js';
import { EngineCallError } from '../messages.js';

/** Whether this page lets the isolated world compile WebAssembly: the smallest module (its 8-byte
 * header), compiled synchronously, a few microseconds. */
export function wasmCompiles(): boolean {
  try {
    new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    return true;
  } catch {
    return false;
  }
}

/** What the adapter says of itself (GPUAdapter.info's fields the notices and tests read). */
export interface LocalAdapter {
  vendor: string;
  architecture: string;
  isFallbackAdapter: boolean;
  /** It has `timestamp-query`: the engine then times each in-between on the GPU (gpuTime()). */
  timestampQuery: boolean;
}

/** A frame or a canvas of an engine: what a Session holds and frees. */
export interface EngineHandle {
  free(): void;
}

/** What a Session asks of a GPU engine next to the video: this one, or the remote-recorded one
 * (remote.ts) where the page forbids WebAssembly. */
export interface GpuEngine {
  readonly adapter: LocalAdapter;
  readonly alive: boolean;
  prepare(source: OffscreenCanvas, scale: number): EngineHandle;
  attach(canvas: OffscreenCanvas): EngineHandle;
  interpolate(a: EngineHandle, b: EngineHandle, t: number): void;
  /** The last interpolate()'s GPU time in ms, where it is measured; else undefined (the session
   * then times the pair by the wall clock). Never rejects. */
  gpuTime(): Promise<number | undefined>;
  /** Resolves (if it returns a promise) once the frame is drawn. */
  present(canvas: EngineHandle): void | Promise<void>;
  done(): Promise<void>;
  dispose(): void;
}

/** The engine in this isolated world. One per run, shared by its videos. */
export class LocalEngine implements GpuEngine {
  private disposed = false;

  private constructor(
    /** The wasm handle (the test hooks reach its device-loss hook through it). */
    readonly wasm: Engine,
    readonly adapter: LocalAdapter,
  ) {}

  /**
   * Loads the wasm module and the model (bytes from the engine frame) and makes the engine on a
   * WebGPU device of its own. Throws EngineCallError 'no-webgpu' / 'software-webgpu' (as the
   * engine frame's init does) when there is no usable GPU.
   */
  static async create(
    files: { wasm: ArrayBuffer; model: ArrayBuffer },
    allowSoftwareAdapter: boolean,
    staticGuard: boolean,
  ): Promise<LocalEngine> {
    const { info: adapter } = await checkAdapter(allowSoftwareAdapter);
    await initWasm({ module_or_path: files.wasm });
    // f32 activations, as the engine frame's interpolator (the package's default).
    const engine = await Engine.create(new Uint8Array(files.model), 'webgpu', 'f32');
    engine.setStaticGuard(staticGuard);
    return new LocalEngine(engine, adapter);
  }

  /** `source` (a GPU canvas holding the frame at the working size) prepared at flow `scale`: copied
   * on the GPU now; the canvas may be drawn over as soon as this returns. */
  prepare(source: OffscreenCanvas, scale: number): Frame {
    return this.wasm.prepareImage(source, 'OffscreenCanvas', scale);
  }

  /** A WebGPU canvas the engine draws into (an overlay's, transferred with transferControlToOffscreen). */
  attach(canvas: OffscreenCanvas): Canvas {
    return this.wasm.attachCanvas(canvas);
  }

  /** The in-between of `a` and `b` at `t`, computed on the GPU (submitted, not done) and kept
   * there for present(). Not drawn into a canvas yet: a canvas presented with work still
   * running holds up the browser's compositor, and with it the whole page, until that work is
   * done (measured on SwiftShader: the video's own frames fell to 1 a second). */
  interpolate(a: Frame, b: Frame, t: number): void {
    this.wasm.interpolateOnGpu(a, b, t);
  }

  /** The last interpolate()'s GPU time, ms, once its two timestamps are read back (a 16-byte
   * map the engine scheduled with it, so asking costs nothing on the GPU); undefined where the
   * device has no `timestamp-query` or that one was not timed. Never rejects. */
  gpuTime(): Promise<number | undefined> {
    return this.wasm.lastGpuTime() as Promise<number | undefined>;
  }

  /** Draws the last interpolate()'s frame into `canvas` (a copy on the GPU) and presents it. */
  present(canvas: Canvas): void {
    this.wasm.presentLast(canvas);
  }

  /** Resolves when the GPU has finished everything submitted so far. */
  async done(): Promise<void> {
    await this.wasm.workDone();
  }

  get alive(): boolean {
    return !this.disposed;
  }

  /** Frees the engine, its device and the model. Frames and canvases are freed by their owners. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.wasm.free();
  }
}

/** The adapter, checked as the engine frame checks it (engine/handle.ts's init). */
export async function checkAdapter(
  allowSoftwareAdapter: boolean,
): Promise<{ adapter: GPUAdapter; info: LocalAdapter }> {
  const gpu = navigator.gpu;
  if (!gpu) throw new EngineCallError('this browser has no WebGPU (navigator.gpu is missing)', 'no-webgpu');
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    throw new EngineCallError('WebGPU has no adapter here (disabled, blocked, or no usable GPU)', 'no-webgpu');
  }
  const info: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string } = adapter.info ?? {};
  const software = Boolean(info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  if (software && !allowSoftwareAdapter) {
    throw new EngineCallError(
      `the only WebGPU adapter is a software one (${info.vendor || '?'} ${info.architecture || ''}), far too slow for real time`,
      'software-webgpu',
    );
  }
  return {
    adapter,
    info: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      isFallbackAdapter: software,
      timestampQuery: adapter.features.has('timestamp-query'),
    },
  };
}
