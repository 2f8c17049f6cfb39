// Whole-video interpolation on the page: `interpolateVideo(file) → Blob` and `probeVideo`
// check their arguments here; the work itself (demux, decode, scene analysis, RIFE, encode,
// mux) runs in a worker (worker/video-job.ts), so pixels never cross to the page. The data types
// they return are in shared/types.ts.

import { abortReason, type CallOptions, WorkerClient } from './client.js';
import { clientOf, createInterpolator, Interpolator, spawnWorker } from './interpolator.js';
import { describe } from './pixels.js';
import { CODEC_PREFERENCE, CODECS, CONTAINERS, quoted, SCALE_RANGE } from './shared/limits.js';
import type { VideoResult } from './shared/protocol.js';
import type {
  BackendChoice,
  Quality,
  ScaleChoice,
  VideoCodecChoice,
  VideoContainer,
  VideoInfo,
  VideoJobOptions,
  VideoPreview,
  VideoProgress,
} from './shared/types.js';

export interface VideoOptions {
  /** Frames out per frame in: 2 (default), 4, 8... an integer in [1, 16] (1 re-encodes, with cut and duplicate handling). Not with `fps`. */
  factor?: number | undefined;
  /** Target frame rate instead of a factor, e.g. 60 or 60000 / 1001, in (0, 480]. */
  fps?: number | undefined;
  /**
   * Slow motion: the output plays this many times slower, in [1, 16] (default 1). With `fps: 240`
   * and `slowdown: 4`, 60 fps footage becomes 4x slow motion at 60 fps. Audio is left out when
   * this is not 1 (it would no longer match the picture).
   */
  slowdown?: number | undefined;
  /**
   * RIFE's flow scale, in [0.25, 4], or 'auto' (default): chosen for each pair from the motion
   * RIFE's coarsest block sees and the frame size (1 for most footage up to 1080p, 0.5 for fast
   * motion from 480 lines up and for 4K, 0.25 above 4K). The summary's `scales` counts the pairs
   * run at each.
   */
  scale?: ScaleChoice | undefined;
  /** 'fast' (default) or 'best': each in-between also from the mirrored pair, averaged (about 2x the time). */
  quality?: Quality | undefined;
  /**
   * Scene-cut threshold in [0, 1] (default 0.2, as Practical-RIFE's video script): a pair of frames whose structural similarity
   * (SSIM of small grey thumbnails) is below it is a cut, and frames between them repeat the
   * nearest source frame instead of blending across the cut. 0 turns detection off.
   */
  sceneThreshold?: number | undefined;
  /**
   * Drop repeated frames of a pulldown or twos/threes cadence (24 fps material stored at 25 or 30,
   * animation held on twos) and fill each one's slot with an in-between, so motion does not stop
   * in it. Every other source frame keeps its time and its pixels. Default true.
   */
  dedupe?: boolean | undefined;
  /**
   * Keep burnt-in captions, logos and scores still (issue 12's static guard). Default true;
   * false gives RIFE's own output.
   */
  staticGuard?: boolean | undefined;
  /** Downscale so the output is at most this many pixels high (keeps the aspect). Default: source size. */
  maxHeight?: number | undefined;
  container?: VideoContainer | undefined;
  codec?: VideoCodecChoice | undefined;
  /** Video bitrate in bits per second. Default: a high quality for the resolution and codec. */
  bitrate?: number | undefined;
  /** Reuse this interpolator (it stays open). Default: make one with `backend` and dispose it after. */
  interpolator?: Interpolator | undefined;
  /** Backend for the interpolator made when `interpolator` is not given. Default 'auto'. */
  backend?: BackendChoice | undefined;
  /** Model URL for the interpolator made when `interpolator` is not given. */
  modelUrl?: string | URL | undefined;
  modelSha256?: string | undefined;
  /** WebAssembly module URL for the interpolator made when `interpolator` is not given (see createInterpolator). */
  wasmUrl?: string | URL | undefined;
  /**
   * Write the file to this stream as it is made, instead of returning a Blob (the promise then
   * resolves with null). Memory stays bounded however long the video is. A
   * `FileSystemWritableFileStream` (from `showSaveFilePicker()`) takes the chunks as they are;
   * any other WritableStream receives `{ type: 'write', data: Uint8Array, position: number }`
   * and must write `data` at byte `position` (almost all writes append; a few go back to patch
   * headers). The stream is closed after a whole file and aborted on any failure or cancel, so
   * a file stream never keeps a partial result; the promise resolves once it is closed (the file
   * committed). It is locked while the job writes to it.
   */
  output?: WritableStream | undefined;
}

export interface VideoCallbacks {
  onProgress?: ((progress: VideoProgress) => void) | undefined;
  /**
   * About once a second while interpolating, the newest in-between frame, e.g. to compare it
   * with the source at `time` before the whole file is done.
   */
  onPreview?: ((preview: VideoPreview) => void) | undefined;
  /** Abort at any moment: the promise rejects with an AbortError DOMException; nothing leaks. */
  signal?: AbortSignal | undefined;
}

/**
 * Reads a video's size, duration, average frame rate and codecs without decoding it. Rejects
 * with an Error naming the problem for files this browser cannot read or decode.
 */
export async function probeVideo(input: Blob): Promise<VideoInfo> {
  if (!(input instanceof Blob)) throw new TypeError(`input must be a Blob or File, got ${describe(input)}`);
  // In a worker of its own, where the demuxer lives: the page never loads worker code, and the
  // worker reads the headers without loading the wasm module or a model. It ends with the probe.
  const client = new WorkerClient(spawnWorker());
  try {
    return await client.call<VideoInfo>({ type: 'probe', input });
  } finally {
    client.terminate(new Error('the probe is over'));
  }
}

/**
 * Interpolates a whole video file and returns the new file (MP4 or WebM). Everything runs in
 * the interpolator's worker; the input is read from the Blob as needed, never uploaded.
 *
 * Rejects with a TypeError for bad options (before any work), an AbortError DOMException when
 * `signal` aborts, and an Error naming the problem for files that cannot be read, decoded or
 * encoded.
 */
export function interpolateVideo(
  input: Blob,
  options: VideoOptions & { output: WritableStream },
  callbacks?: VideoCallbacks,
): Promise<null>;
export function interpolateVideo(input: Blob, options?: VideoOptions, callbacks?: VideoCallbacks): Promise<Blob>;
export async function interpolateVideo(
  input: Blob,
  options: VideoOptions = {},
  callbacks: VideoCallbacks = {},
): Promise<Blob | null> {
  if (!(input instanceof Blob)) throw new TypeError(`input must be a Blob or File, got ${describe(input)}`);
  if (typeof callbacks !== 'object' || callbacks === null)
    throw new TypeError(`callbacks must be an object, got ${describe(callbacks)}`);
  const { onProgress, onPreview, signal } = callbacks;
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new TypeError(`onProgress must be a function, got ${describe(onProgress)}`);
  if (onPreview !== undefined && typeof onPreview !== 'function')
    throw new TypeError(`onPreview must be a function, got ${describe(onPreview)}`);
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
  const job = { ...checkVideoOptions(options), preview: onPreview !== undefined };
  const output = options.output ?? null;
  if (output !== null && !(output instanceof WritableStream)) {
    throw new TypeError(
      `output must be a WritableStream (e.g. from showSaveFilePicker().createWritable()), got ${describe(output)}`,
    );
  }
  if (output?.locked) throw new TypeError('output is locked: it is already being written by someone else');
  if (signal?.aborted) throw abortReason(signal);

  let interpolator = options.interpolator;
  const own = interpolator === undefined;
  if (own) {
    onProgress?.({ stage: 'loading', framesDone: 0, framesTotal: 0, fps: 0, etaSeconds: null });
    interpolator = await createInterpolator({
      backend: options.backend,
      modelUrl: options.modelUrl,
      modelSha256: options.modelSha256,
      wasmUrl: options.wasmUrl,
      signal,
    });
  }
  try {
    if (signal?.aborted) throw abortReason(signal);
    return await videoJob(interpolator as Interpolator, input, job, { onProgress, onPreview, signal }, output);
  } finally {
    // Our own interpolator goes with the job (on abort too: terminating the worker stops it).
    if (own) interpolator?.dispose();
  }
}

/** Runs a whole-video job in the interpolator's worker. */
async function videoJob(
  interp: Interpolator,
  input: Blob,
  options: VideoJobOptions,
  call: CallOptions,
  output: WritableStream | null,
): Promise<Blob | null> {
  const client = clientOf(interp);
  if (!output) {
    const { blob } = await client.call<VideoResult>({ type: 'video', input, options, output: null }, [], call);
    return blob;
  }
  // The caller's stream stays here (a FileSystemWritableFileStream cannot be transferred):
  // the worker gets the writable end of an identity stream, and its readable end is piped
  // into the caller's stream. The pipe carries backpressure, closes the caller's stream after
  // the worker closes its end, and aborts it when the worker aborts (failure or cancel).
  const relay = new TransformStream<unknown, unknown>();
  // On any failure this side aborts the pipe too, which aborts the caller's stream: a worker
  // that was terminated (a cancelled job's own interpolator is disposed at once) never gets to
  // abort its end, and the caller's stream would stay locked and open.
  const stop = new AbortController();
  const piped = relay.readable.pipeTo(output, { signal: stop.signal });
  try {
    await client.call<VideoResult>({ type: 'video', input, options, output: relay.writable }, [relay.writable], call);
  } catch (e) {
    stop.abort(e);
    piped.catch(() => {}); // the job's own error is the one to report
    throw e;
  }
  // Resolve only once the caller's stream is closed: a file stream has then committed the file.
  await piped;
  return null;
}

function checkVideoOptions(options: unknown): Omit<VideoJobOptions, 'preview'> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  const o = options as VideoOptions;
  const num = (v: unknown, name: string, lo: number, hi: number, loOpen = false): number => {
    if (typeof v !== 'number' || !(loOpen ? v > lo : v >= lo) || !(v <= hi)) {
      throw new TypeError(`${name} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${describe(v)}`);
    }
    return v;
  };
  if (o.factor !== undefined && o.fps !== undefined) throw new TypeError('give either factor or fps, not both');
  const factor = o.factor === undefined ? null : num(o.factor, 'factor', 1, 16);
  if (factor !== null && !Number.isInteger(factor)) throw new TypeError(`factor must be an integer, got ${factor}`);
  const fps = o.fps === undefined ? null : num(o.fps, 'fps', 0, 480, true);
  const slowdown = o.slowdown === undefined ? 1 : num(o.slowdown, 'slowdown', 1, 16);
  const scale =
    o.scale === undefined || o.scale === 'auto' ? 'auto' : num(o.scale, 'scale', SCALE_RANGE[0], SCALE_RANGE[1]);
  const sceneThreshold = o.sceneThreshold === undefined ? 0.2 : num(o.sceneThreshold, 'sceneThreshold', 0, 1);
  if (o.dedupe !== undefined && typeof o.dedupe !== 'boolean')
    throw new TypeError(`dedupe must be a boolean, got ${describe(o.dedupe)}`);
  if (o.quality !== undefined && o.quality !== 'fast' && o.quality !== 'best')
    throw new TypeError(`quality must be 'fast' or 'best', got ${describe(o.quality)}`);
  if (o.staticGuard !== undefined && typeof o.staticGuard !== 'boolean')
    throw new TypeError(`staticGuard must be a boolean, got ${describe(o.staticGuard)}`);
  const maxHeight = o.maxHeight === undefined ? null : num(o.maxHeight, 'maxHeight', 2, 8640);
  const container: VideoContainer = o.container ?? 'auto';
  const containers = ['auto', ...CONTAINERS];
  if (!containers.includes(container))
    throw new TypeError(`container must be ${quoted(containers)}, got ${describe(container)}`);
  const codec: VideoCodecChoice = o.codec ?? 'auto';
  const codecs = ['auto', ...CODECS];
  if (!codecs.includes(codec)) throw new TypeError(`codec must be ${quoted(codecs)}, got ${describe(codec)}`);
  if (codec !== 'auto' && container !== 'auto' && !CODEC_PREFERENCE[container].includes(codec)) {
    throw new TypeError(`codec '${codec}' cannot be stored in ${container}`);
  }
  const bitrate = o.bitrate === undefined ? null : num(o.bitrate, 'bitrate', 10_000, 500_000_000);
  if (o.interpolator !== undefined && !(o.interpolator instanceof Interpolator)) {
    throw new TypeError(
      `interpolator must be an Interpolator from createInterpolator(), got ${describe(o.interpolator)}`,
    );
  }
  return {
    factor: factor ?? (fps === null ? 2 : null),
    fps,
    slowdown,
    scale,
    quality: o.quality ?? 'fast',
    sceneThreshold,
    dedupe: o.dedupe ?? true,
    staticGuard: o.staticGuard ?? true,
    maxHeight: maxHeight === null ? null : Math.round(maxHeight),
    container,
    codec,
    bitrate,
  };
}
