// Taking frames from a <video>: each frame it presents (requestVideoFrameCallback), read with
// `new VideoFrame(video)` into two copies and closed at once, and the sizes the copies are made at.
//
// Two copies of each source frame: RGBA bytes at the working size for RIFE (a CPU-side canvas,
// read back every frame), and an ImageBitmap at the overlay's size for showing it (a GPU canvas:
// no readback). Only the in-betweens are shown at the working resolution, so when adaptation
// lowers it, half the frames on screen stay as sharp as the video's own.
import { analysisSize, CadenceGuard, ChangeMeter, greyOf } from '../../../lib/src/shared/duplicates.js';
import { context2d, resize } from '../canvas.js';
import type { BlockRing, BlockStatDevice, Measured } from './block-stat.js';
import { isObject } from '../messages.js';
import { SAY } from './notices.js';
import type { Stats } from './stats.js';
import type { Rect } from './util.js';

export interface Size {
  width: number;
  height: number;
}

/** A frame taken: the bytes for the engine, the bitmap for the overlay. */
export interface Grabbed {
  image: ImageData;
  bitmap: ImageBitmap;
}

/** A frame taken for the in-process engine: on a GPU canvas at the working size (the engine copies
 * it from there at once, on the GPU), whether it repeats the frame before (the repeat detector's
 * answer, which comes once its statistic is measured), the display bitmap. */
export interface GrabbedOnGpu {
  source: OffscreenCanvas;
  repeat: Promise<boolean>;
  bitmap: ImageBitmap;
}

export class Capture {
  private readonly readCanvas = new OffscreenCanvas(1, 1);
  private readonly readCtx = context2d(this.readCanvas, { willReadFrequently: true, colorSpace: 'srgb' });
  private readonly showCanvas = new OffscreenCanvas(1, 1);
  private readonly showCtx = context2d(this.showCanvas, { colorSpace: 'srgb' });
  /** The in-process engine's copy (GPU-backed: never read back here). */
  private readonly workCanvas = new OffscreenCanvas(1, 1);
  private readonly workCtx = context2d(this.workCanvas, { colorSpace: 'srgb' });
  /** The repeat detector's small copy, read back: only where its GPU statistic (block-stat.ts)
   * cannot run. */
  private readonly greyCanvas = new OffscreenCanvas(1, 1);
  private readonly greyCtx = context2d(this.greyCanvas, { willReadFrequently: true, colorSpace: 'srgb' });
  private rvfc: number;
  private closed = false;

  /** Calls `onFrame` for every frame `video` presents, until close(). */
  constructor(
    private readonly video: HTMLVideoElement,
    private readonly stats: Stats,
    private readonly onFrame: (meta: VideoFrameCallbackMetadata) => void,
  ) {
    this.rvfc = video.requestVideoFrameCallback(this.presented);
  }

  private readonly presented = (_now: number, meta: VideoFrameCallbackMetadata): void => {
    if (this.closed) return;
    this.rvfc = this.video.requestVideoFrameCallback(this.presented);
    this.onFrame(meta);
  };

  /** The video's current frame as a VideoFrame (counted as opened: the caller closes it), or
   * 'tainted' when its pixels may not be read. */
  private open(mediaTime: number): VideoFrame | 'tainted' {
    let frame: VideoFrame;
    try {
      frame = new VideoFrame(this.video, { timestamp: Math.round(mediaTime * 1e6) });
    } catch (e) {
      if (isSecurityError(e)) return 'tainted';
      throw e;
    }
    this.stats.opened++;
    return frame;
  }

  /** The frame on screen, at `work` size (bytes) and `shown` size (bitmap); 'tainted' when its
   * pixels may not be read (the source became a cross-origin one mid-session). */
  grab(mediaTime: number, work: Size, shown: Size): Grabbed | 'tainted' {
    const frame = this.open(mediaTime);
    if (frame === 'tainted') return frame;
    try {
      resize(this.readCanvas, work.width, work.height);
      this.readCtx.drawImage(frame, 0, 0, work.width, work.height);
      resize(this.showCanvas, shown.width, shown.height);
      this.showCtx.drawImage(frame, 0, 0, shown.width, shown.height);
    } finally {
      // Closed at once, before anything asynchronous: an open VideoFrame holds one of the
      // decoder's output buffers, and holding several stalls the video itself.
      frame.close();
      this.stats.closed++;
    }
    const image = this.readCtx.getImageData(0, 0, work.width, work.height, { colorSpace: 'srgb' });
    // A copy (the canvas gets a fresh buffer), so the bitmap owes nothing to the decoder.
    const bitmap = this.showCanvas.transferToImageBitmap();
    this.stats.bitmaps++;
    return { image, bitmap };
  }

  /** The frame on screen for the in-process engine (GrabbedOnGpu), measured by `repeats` for the
   * repeat detector; 'tainted' as grab(). The source canvas is drawn over by the next call:
   * prepare it at once. */
  grabOnGpu(mediaTime: number, work: Size, shown: Size, repeats: Repeats): GrabbedOnGpu | 'tainted' {
    const frame = this.open(mediaTime);
    if (frame === 'tainted') return frame;
    let repeat: Promise<boolean> | null = null;
    try {
      resize(this.workCanvas, work.width, work.height);
      this.workCtx.drawImage(frame, 0, 0, work.width, work.height);
      resize(this.showCanvas, shown.width, shown.height);
      this.showCtx.drawImage(frame, 0, 0, shown.width, shown.height);
      // On the GPU (submitted before the frame is closed), else drawn small and read back.
      repeat = repeats.measure(frame, work);
      if (!repeat) {
        const small = analysisSize(work.width, work.height);
        resize(this.greyCanvas, small.width, small.height);
        // Averaged, as the engine frame scales its copy for the detector.
        this.greyCtx.imageSmoothingQuality = 'high';
        this.greyCtx.drawImage(frame, 0, 0, small.width, small.height);
      }
    } finally {
      frame.close();
      this.stats.closed++;
    }
    if (!repeat) {
      const small = analysisSize(work.width, work.height);
      const grey = greyOf(this.greyCtx.getImageData(0, 0, small.width, small.height, { colorSpace: 'srgb' }).data);
      this.stats.greyReadbacks++;
      repeat = Promise.resolve(repeats.push(grey, work));
    }
    const bitmap = this.showCanvas.transferToImageBitmap();
    this.stats.bitmaps++;
    return { source: this.workCanvas, repeat, bitmap };
  }

  close(): void {
    this.closed = true;
    this.video.cancelVideoFrameCallback(this.rvfc);
  }
}

/** By name: what VideoFrame throws for a tainted video is a DOMException, whichever world made it. */
function isSecurityError(e: unknown): boolean {
  return isObject(e) && e.name === 'SecurityError';
}

/** Why `v` must be left alone (DRM, or pixels we may not read), or null. */
export function unreadable(v: HTMLVideoElement): string | null {
  if (v.mediaKeys) return SAY.drm;
  try {
    new VideoFrame(v).close();
  } catch (e) {
    if (isSecurityError(e)) return SAY.crossOrigin;
    // No frame yet (InvalidStateError) and the like: it may be readable later.
  }
  return null;
}

/** The working size: the video's own, capped by the level (`maxHeight`), the user's cap and what
 * is on screen. */
export function workSize(video: HTMLVideoElement, picture: Rect | null, maxHeight: number, userCap: unknown): Size {
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  const shownHeight = (picture?.height ?? vh) * (devicePixelRatio || 1);
  const cap = Number(userCap) > 0 ? Number(userCap) : Infinity;
  const h = Math.min(vh, maxHeight, cap, Math.max(shownHeight, 64));
  const s = h / vh;
  // Even sizes: they scale cleanly, and RIFE pads to 128 anyway.
  const even = (x: number) => Math.max(2, 2 * Math.round(x / 2));
  return s >= 1 ? { width: vw, height: vh } : { width: even(vw * s), height: even(vh * s) };
}

/** The overlay's canvas size: the picture's size on screen in device pixels, but never more than
 * the video's own resolution (the browser scales the canvas up like the video). */
export function overlaySize(video: HTMLVideoElement, picture: Rect | null): Size {
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  const dpr = devicePixelRatio || 1;
  const h = Math.min(vh, Math.max(16, Math.round((picture?.height ?? vh) * dpr)));
  if (h >= vh) return { width: vw, height: vh };
  return { width: Math.max(2, Math.round((vw * h) / vh)), height: h };
}

/**
 * The package's live repeat detector (duplicates.ts, as the engine frame runs it) for one video,
 * restarted when the working size changes or the session flushes. It measures every frame the
 * in-process path captures, in order (the detector was designed on consecutive frames), and on
 * the GPU where it can (block-stat.ts: the block means are read back, never the frame); else, or
 * once that device is lost, from greys the capture reads back (`push`).
 */
export class Repeats {
  private key = '';
  private meter: ChangeMeter | null = null;
  private guard = new CadenceGuard();
  private ring: BlockRing | null = null;
  /** The measurement before the newest: decisions are made in capture order. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Bumped by reset(): measurements queued before it are not pushed. */
  private epoch = 0;
  /** Why the GPU statistic does not serve ('' while it does). */
  private why: string;

  constructor(
    private readonly stat: BlockStatDevice | null,
    why = '',
  ) {
    this.why = stat ? '' : why || 'no GPU statistic';
  }

  /** Which statistic the detector runs on now, and why not the GPU one (for the debug stats). */
  get source(): { statistic: 'gpu' | 'readback'; note: string } {
    return { statistic: this.onGpu ? 'gpu' : 'readback', note: this.why };
  }

  private get onGpu(): boolean {
    if (this.why === '' && this.stat && !this.stat.alive) this.fallBack(this.stat.lostWhy ?? 'lost');
    return this.why === '' && this.stat !== null;
  }

  /** On the GPU statistic: queues `frame`'s measurement (the frame may be closed once this
   * returns), resolving whether it repeats the frame before. Null when that statistic does not
   * serve: then push() the frame's grey instead. */
  measure(frame: VideoFrame, work: Size): Promise<boolean> | null {
    if (!this.onGpu) return null;
    const meter = this.meterFor(work);
    const small = analysisSize(work.width, work.height);
    if (this.ring && (this.ring.size.width !== small.width || this.ring.size.height !== small.height)) {
      this.ring.destroy();
      this.ring = null;
    }
    let measured: Promise<Measured>;
    try {
      this.ring ??= (this.stat as BlockStatDevice).ring(small);
      measured = this.ring.push(frame);
    } catch (e) {
      this.fallBack(`the GPU statistic failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    const epoch = this.epoch;
    const guard = this.guard;
    const decision = this.tail
      .then(() => measured)
      .then(
        (m) => (epoch === this.epoch && meter === this.meter ? guard.push(meter.pushMeasured(m)) : false),
        async (e: unknown) => {
          // Lost device (a readback in flight rejects, often before `device.lost` resolves: wait
          // a moment for it, so the note says why): this frame counts as no repeat, the next
          // ones are read back.
          const stat = this.stat as BlockStatDevice;
          await Promise.race([stat.device.lost, new Promise((r) => setTimeout(r, 100))]);
          const why = stat.lostWhy ?? `the GPU statistic failed: ${e instanceof Error ? e.message : String(e)}`;
          if (epoch === this.epoch) this.fallBack(why);
          return false;
        },
      )
      .catch((e: unknown) => {
        // The detector itself threw (block means of the wrong size, say): say so, go on without it.
        this.fallBack(`the GPU statistic's result was refused: ${e instanceof Error ? e.message : String(e)}`);
        return false;
      });
    this.tail = decision;
    return decision;
  }

  /** The readback path: whether the frame whose grey this is (at analysisSize of `work`) repeats
   * the one before. */
  push(grey: Float32Array, work: Size): boolean {
    return this.guard.push(this.meterFor(work).push(grey));
  }

  /** The meter for `work`, a fresh one (and a fresh guard) when the size changed. */
  private meterFor(work: Size): ChangeMeter {
    const small = analysisSize(work.width, work.height);
    const key = `${work.width}x${work.height}`;
    if (!this.meter || key !== this.key) {
      this.key = key;
      this.meter = new ChangeMeter(small.width, small.height);
      this.guard = new CadenceGuard();
      this.ring?.restart();
    }
    return this.meter;
  }

  /** After a seek, pause or a new level: the next frame starts a new stream. */
  reset(): void {
    this.epoch++;
    this.meter = null;
    this.key = '';
    this.ring?.restart();
  }

  /** From GPU to readback for good: a fresh stream, the ring freed. */
  private fallBack(why: string): void {
    if (this.why !== '') return;
    this.why = why;
    this.reset();
    this.ring?.destroy();
    this.ring = null;
  }

  dispose(): void {
    this.epoch++;
    this.ring?.destroy();
    this.ring = null;
  }
}
