// Messages between the page-side `Interpolator` and its worker. Every request carries an `id`;
// the worker answers each with exactly one `Response` of the same id. Pixel and float buffers
// travel as transferred ArrayBuffers (moved, not copied).

import type { ErrorCode } from './errors.js';
import type {
  AdapterInfo,
  BackendChoice,
  BackendName,
  CpuBuild,
  Quality,
  ScaleChoice,
  VideoInfo,
  VideoJobOptions,
  VideoPreview,
  VideoProgress,
} from './types.js';

/** An 8-bit RGBA image; `pixels.byteLength === width * height * 4`. */
export interface RawImage {
  pixels: ArrayBuffer;
  width: number;
  height: number;
}

/** A frame that goes to the worker as an image, not as bytes (the WebGPU backend only): the
 * worker copies it straight into a GPU frame (`copyExternalImageToTexture`) and closes it. It is
 * the page's own copy (a `VideoFrame.clone()` or a new ImageBitmap), transferred, never the
 * caller's frame. */
export interface GpuImage {
  image: VideoFrame | ImageBitmap;
  kind: 'VideoFrame' | 'ImageBitmap';
  width: number;
  height: number;
}

/** A frame as it travels to the worker. */
export type FrameInput = RawImage | GpuImage;

/** Frames `a` and `b`, with the options every interpolating request takes. */
export interface Pair {
  a: FrameInput;
  b: FrameInput;
  scale: ScaleChoice;
  staticGuard: boolean;
  quality: Quality;
}

/** One in-between of a pair, at `t`. */
export type PairAt = Pair & { t: number };

export type Request =
  /** `wasmUrl`: where to load the wasm from (absolute), or null for the worker's own default. */
  | {
      id: number;
      type: 'init';
      model: ArrayBuffer;
      backend: BackendChoice;
      precision: 'f32' | 'f16';
      wasmUrl: string | null;
    }
  | ({ id: number; type: 'interpolate' } & PairAt)
  | ({ id: number; type: 'interpolateMany'; ts: Float32Array } & Pair)
  | ({ id: number; type: 'interpolateMap'; map: Float32Array } & Pair)
  | ({ id: number; type: 'interpolateWithFlow' } & PairAt)
  | { id: number; type: 'loseDeviceForTesting' }
  | { id: number; type: 'trapForTesting' }
  /** The next frame of sequence `seq`: prepared once, interpolated with the previous one at each
   * of `ts` (nothing for the first frame), then kept, by handle, as the next pair's first frame. */
  | {
      id: number;
      type: 'sequencePush';
      seq: number;
      image: FrameInput;
      scale: ScaleChoice;
      staticGuard: boolean;
      quality: Quality;
      ts: Float32Array;
    }
  /** Draws sequence `seq`'s in-between of its last two frames at `t` into the canvas attached by
   * 'sequenceCanvas', with no readback (answered as ClosedResult, `closed: false`). */
  | { id: number; type: 'sequenceDraw'; seq: number; staticGuard: boolean; quality: Quality; t: number }
  /** Attaches a transferred OffscreenCanvas to sequence `seq` for 'sequenceDraw'. */
  | { id: number; type: 'sequenceCanvas'; seq: number; canvas: OffscreenCanvas }
  /** Frees sequence `seq`'s kept frame. */
  | { id: number; type: 'sequenceClose'; seq: number }
  /** Attaches output canvas `target` for 'interpolateToCanvas': a transferred OffscreenCanvas
   * (the caller's canvas), or null for one the worker makes itself, whose frames go back to the
   * page as ImageBitmaps (for a caller's GPUTexture). */
  | { id: number; type: 'outputCanvas'; target: number; canvas: OffscreenCanvas | null }
  /** Frees output canvas `target` (its canvas was collected on the page). */
  | { id: number; type: 'outputClose'; target: number }
  /** The frame of `a` and `b` at `t` drawn into output canvas `target` on the GPU, with no
   * readback (answered as BitmapResult: with the worker's own canvas, its image, transferred). */
  | ({ id: number; type: 'interpolateToCanvas'; target: number } & PairAt)
  /** Test hook: the frame as planar f32 RGB [3][h][w], unclamped (answered as FloatResult). */
  | ({ id: number; type: 'rgbForTesting' } & PairAt)
  | { id: number; type: 'memoryForTesting' }
  /** The first message: take the Web Lock `lock` for the worker's life (client.ts #watch). */
  | { id: number; type: 'watch'; lock: string }
  /** Served at once, not queued (so it can be sampled while a video job runs). */
  | { id: number; type: 'liveMemoryForTesting' }
  /** `output`, when set, is transferred: the worker writes the file to it and answers blob: null. */
  | { id: number; type: 'video'; input: Blob; options: VideoJobOptions; output: WritableStream | null }
  /** Reads a video's headers (answered as VideoInfo); needs no engine, so `probeVideo` runs it
   * in a worker of its own that never loads the model. */
  | { id: number; type: 'probe'; input: Blob }
  /** Served at once, not queued: marks request `target` (a 'video' job) as cancelled. */
  | { id: number; type: 'cancel'; target: number };

export interface InitResult {
  backend: BackendName;
  adapterInfo: AdapterInfo | null;
  /** Why 'auto' did not end up on WebGPU although an adapter existed (null otherwise). */
  fallbackReason: string | null;
  /** The WebAssembly build running (filled in by the worker after start-up). */
  cpu?: CpuBuild | null;
}

/** RGBA bytes of one frame or of several frames back to back. */
export interface PixelsResult {
  pixels: ArrayBuffer;
}

export interface FlowResult {
  pixels: ArrayBuffer;
  /** Float32, planar [4][height][width]. */
  flow: ArrayBuffer;
  /** Float32, [height][width]. */
  mask: ArrayBuffer;
  width: number;
  height: number;
}

/** Error as sent over postMessage (Error objects lose their class there, so send the parts). */
export interface ErrorPayload {
  name: string;
  message: string;
  /** What kind of error it is (errors.ts), when the package knows. */
  code?: ErrorCode | undefined;
  /**
   * The wasm instance trapped (out of memory, or a bug reaching `unreachable`): its memory and
   * handles are in an unknown state, so the page must retire this worker. Later calls fail.
   */
  fatal?: boolean | undefined;
}

/** Answer to 'sequenceClose'. */
export interface ClosedResult {
  closed: boolean;
}

/** Answer to 'interpolateToCanvas': the drawn frame as an ImageBitmap (a GPU image in Chrome,
 * not read back) when the target is the worker's own canvas, else null. */
export interface BitmapResult {
  bitmap: ImageBitmap | null;
}

/** Answer to 'rgbForTesting'. */
export interface FloatResult {
  /** Float32, planar [3][height][width]. */
  rgb: ArrayBuffer;
}

/** Answer to `loseDeviceForTesting`. */
export interface LostResult {
  lost: boolean;
}

/** Answer to 'memoryForTesting': the size of the wasm module's linear memory, and how many
 * frames the worker has prepared (encoded) so far. */
export interface MemoryResult {
  wasmBytes: number;
  /** The wasm build that runs (wasm-variant.ts): threaded or not, rayon threads, simd128. */
  cpu: CpuBuild | null;
  prepares: number;
  /** Images (VideoFrame/ImageBitmap) the page sent to the GPU path so far, and how many of them
   * the worker has not closed (0 unless one leaked). */
  imagesIn: number;
  imagesOpen: number;
  /** Output canvases of `interpolate(…, { canvas | output })` attached right now (each holds a
   * surface on the worker's device until its page canvas is collected, or the worker ends). */
  outputCanvases: number;
  /** Bytes of encoded output the worker holds in memory right now (paged-sink.ts). */
  outputBytes: number;
  /** 'wgsl' (our WGSL kernels on WebGPU), 'cpu', or null before init. */
  engine: 'wgsl' | 'cpu' | null;
  /** GPU activation storage: 'f32', 'f16' (WGSL `f16`, the adapter's `shader-f16`) or
   * 'f16-packed' (the same f16 values two to a u32 through `pack2x16float`, where the adapter
   * lacks `shader-f16`); 'f32' on the CPU, null before init. */
  precision: 'f32' | 'f16' | 'f16-packed' | null;
  /** GPU compute dispatches recorded so far (0 on the CPU): at most 70 per new in-between
   * frame of a video. */
  dispatches: number;
  /** Compute command buffers submitted so far (0 on the CPU): one per interpolated frame. */
  submissions: number;
}

/** Answer to 'video'. */
export interface VideoResult {
  /** The file, or null when it was written to the request's `output` stream. */
  blob: Blob | null;
}

export type Response =
  | {
      id: number;
      ok: true;
      result:
        | InitResult
        | PixelsResult
        | FlowResult
        | FloatResult
        | ClosedResult
        | BitmapResult
        | LostResult
        | VideoResult
        | MemoryResult
        | VideoInfo;
    }
  | { id: number; ok: false; error: ErrorPayload }
  /** Not an answer: the worker holds its life lock (client.ts #watch) and can be watched. */
  | { alive: true }
  /** Not an answer: a progress report of a running 'video' job; the answer comes later. */
  | { id: number; progress: VideoProgress }
  /** Not an answer: a preview frame of a running 'video' job (the bitmap is transferred). */
  | { id: number; preview: VideoPreview };
