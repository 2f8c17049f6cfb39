// Prepared frames, kept by handle: the worker's side of `sequence()`, and what every pair request
// and the video job run on. A frame is prepared (padded, uploaded, encoded) once when it enters
// a chain and freed when it leaves; the next pair reuses it by its handle, so nothing is ever
// recognised again by comparing bytes.

import type { Engine, Frame } from '../../pkg/inbetween_wasm.js';
import type { FrameInput } from '../shared/protocol.js';
import type { ScaleChoice } from '../shared/types.js';
import { autoScale, sizeScale } from './wasm-variant.js';

/** What the worker has prepared so far (the stats test hook shows the reuse at work). */
export const counts = {
  /** Frames prepared (encoded). */
  prepares: 0,
  /** Images (VideoFrame, ImageBitmap) the page transferred here, and those closed again: every
   * one must be closed, or a decoder stalls for want of frames. */
  imagesIn: 0,
  imagesClosed: 0,
};

/** Whether the image is really closed now (its own state, not our bookkeeping): a closed
 * VideoFrame has no format and a zero size; a closed ImageBitmap has a zero size. */
function isClosed(image: VideoFrame | ImageBitmap): boolean {
  return typeof VideoFrame !== 'undefined' && image instanceof VideoFrame
    ? image.format === null && image.codedWidth === 0
    : (image as ImageBitmap).width === 0;
}

/** Closes an image the page sent that will not be prepared (an earlier frame failed). */
export function discard(input: FrameInput): void {
  if (!('image' in input)) return;
  counts.imagesIn++;
  input.image.close();
  if (isClosed(input.image)) counts.imagesClosed++;
}

function prepare(e: Engine, input: FrameInput, scale: number): Frame {
  let frame: Frame;
  if ('image' in input) {
    // An image the page transferred to us (WebGPU only): copied on the GPU into the frame
    // (copyExternalImageToTexture), never read back. The copy is queued once prepareImage
    // returns, so the image is closed at once, whatever happened.
    counts.imagesIn++;
    try {
      frame = e.prepareImage(input.image, input.kind, scale);
    } finally {
      input.image.close();
      if (isClosed(input.image)) counts.imagesClosed++;
    }
  } else {
    // `prepare` copies the pixels into wasm memory and throws (with the Rust message) on bad input.
    frame = e.prepare(new Uint8Array(input.pixels), input.width, input.height, scale);
  }
  counts.prepares++;
  return frame;
}

interface Slot {
  /** The frame as it came, until it is prepared (lazy pushes only). */
  input: FrameInput | null;
  frame: Frame | null;
  /** With scale 'auto': the frame made again at the smaller scale a pair chose (kept, since
   * the next pair often chooses it too). */
  alt: Frame | null;
}

/**
 * Frames pushed one after another at one scale; the last two are kept (the pair the next call
 * interpolates), each prepared at most once. `close()` frees what is held.
 *
 * With scale 'auto' (issue 12), frames are prepared at their size's scale (`sizeScale`), and
 * each pair is measured once (`coarseMotion`, RIFE's first block) and run at the scale
 * `autoScale` picks from it: the frames are made again at a smaller scale from their own
 * pixels (`rescaled`, on the GPU without a readback) when the motion is large.
 */
export class FrameChain {
  readonly #engine: Engine;
  readonly scale: ScaleChoice;
  #before: Slot | null = null;
  #last: Slot | null = null;
  /** The frame the last push moved out, freed at the next change: `pop` puts it back. */
  #retired: Slot | null = null;
  /** The scale 'auto' chose for the pair (before, last), so each pair is measured once. */
  #chosen: { before: Slot; last: Slot; scale: number } | null = null;
  width = 0;
  height = 0;
  /** The scale the last pair ran at (for the summary of a video); 0 before any pair. */
  lastScale = 0;

  constructor(engine: Engine, scale: ScaleChoice) {
    this.#engine = engine;
    this.scale = scale;
  }

  /** The scale frames are prepared at: the fixed one, or the size's own for 'auto'. */
  #prepareScale(input: FrameInput): number {
    return this.scale === 'auto' ? sizeScale(input.width, input.height) : this.scale;
  }

  /** Frames held: 0, 1 or 2. */
  get length(): number {
    return (this.#before ? 1 : 0) + (this.#last ? 1 : 0);
  }

  /**
   * Adds the next frame. `lazy` (bytes only): prepare it when a pair first needs it, so a frame
   * that is only passed through (a video's cut, factor 1) is never encoded. Images are always
   * prepared at once, since they are closed then. An eager preparation that fails throws and
   * leaves the chain as it was.
   */
  push(input: FrameInput, lazy = false): void {
    const slot: Slot = { input, frame: null, alt: null };
    if (!lazy || 'image' in input) this.#ready(slot);
    this.#free(this.#retired);
    this.#retired = this.#before;
    this.#before = this.#last;
    this.#last = slot;
    this.width = input.width;
    this.height = input.height;
  }

  /** Takes back the last push (its pair failed): frees it, and the chain is as before it. */
  pop(): void {
    this.#free(this.#last);
    this.#last = this.#before;
    this.#before = this.#retired;
    this.#retired = null;
  }

  /** The last two frames, prepared (each once, on first use), at the scale the pair runs at. */
  async pair(): Promise<[Frame, Frame]> {
    const before = this.#before;
    const last = this.#last;
    if (!before || !last) throw new Error('internal error: a pair needs two pushed frames');
    const a = this.#ready(before);
    const b = this.#ready(last);
    if (this.scale !== 'auto') {
      this.lastScale = this.scale;
      return [a, b];
    }
    if (this.#chosen?.before !== before || this.#chosen.last !== last) {
      // Below 480 lines no motion changes the choice: nothing is measured (Rust's choose_scale).
      const [w, h] = [a.width, a.height];
      const fixed = autoScale(w, h, 0) === autoScale(w, h, Number.POSITIVE_INFINITY);
      const motion = fixed ? 0 : await this.#engine.coarseMotion(a, b);
      this.#chosen = { before, last, scale: autoScale(w, h, motion) };
    }
    const scale = this.#chosen.scale;
    this.lastScale = scale;
    return [this.#at(before, scale), this.#at(last, scale)];
  }

  /** The slot's frame at `scale`: as prepared, or made again from its pixels once. */
  #at(slot: Slot, scale: number): Frame {
    const frame = slot.frame as Frame;
    if (frame.scale === scale) return frame;
    if (slot.alt?.scale !== scale) {
      slot.alt?.free();
      slot.alt = null;
      slot.alt = this.#engine.rescaled(frame, scale);
      counts.prepares++;
    }
    return slot.alt;
  }

  /** Frees the frame before the last: a sequence without a canvas pairs only with the last. */
  dropBefore(): void {
    this.#free(this.#retired);
    this.#free(this.#before);
    this.#retired = null;
    this.#before = null;
  }

  close(): void {
    this.dropBefore();
    this.#free(this.#last);
    this.#last = null;
  }

  #ready(slot: Slot): Frame {
    if (!slot.frame) {
      const input = slot.input as FrameInput;
      slot.frame = prepare(this.#engine, input, this.#prepareScale(input));
      slot.input = null;
    }
    return slot.frame;
  }

  #free(slot: Slot | null): void {
    if (!slot) return;
    slot.frame?.free();
    slot.frame = null;
    slot.alt?.free();
    slot.alt = null;
    if (this.#chosen && (this.#chosen.before === slot || this.#chosen.last === slot)) this.#chosen = null;
    // An image never prepared (lazy pushes take bytes only, so this is a safeguard) is closed.
    if (slot.input) discard(slot.input);
    slot.input = null;
  }
}
