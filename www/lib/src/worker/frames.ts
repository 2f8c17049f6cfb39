// Prepared frames, kept by handle: the worker's side of `sequence()`, and what every pair request
// and the video job run on. A frame is prepared (padded, uploaded, encoded) once when it enters
// a chain and freed when it leaves; the next pair reuses it by its handle, so nothing is ever
// recognised again by comparing bytes.

import type { Engine, Frame } from '../../pkg/inbetween_wasm.js';
import type { FrameInput } from '../shared/protocol.js';

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
}

/**
 * Frames pushed one after another at one scale; the last two are kept (the pair the next call
 * interpolates), each prepared at most once. `close()` frees what is held.
 */
export class FrameChain {
  readonly #engine: Engine;
  readonly scale: number;
  #before: Slot | null = null;
  #last: Slot | null = null;
  /** The frame the last push moved out, freed at the next change: `pop` puts it back. */
  #retired: Slot | null = null;
  width = 0;
  height = 0;

  constructor(engine: Engine, scale: number) {
    this.#engine = engine;
    this.scale = scale;
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
    const slot: Slot = { input, frame: null };
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

  /** The last two frames, prepared (each once, on first use). */
  pair(): [Frame, Frame] {
    if (!this.#before || !this.#last) throw new Error('internal error: a pair needs two pushed frames');
    return [this.#ready(this.#before), this.#ready(this.#last)];
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
      slot.frame = prepare(this.#engine, slot.input as FrameInput, this.scale);
      slot.input = null;
    }
    return slot.frame;
  }

  #free(slot: Slot | null): void {
    if (!slot) return;
    slot.frame?.free();
    slot.frame = null;
    // An image never prepared (lazy pushes take bytes only, so this is a safeguard) is closed.
    if (slot.input) discard(slot.input);
    slot.input = null;
  }
}
