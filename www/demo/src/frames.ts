// Two consecutive source frames at a time in a video file, decoded with mediabunny (the
// package's copy) rather than grabbed from the <video> element: seeking a <video> lands on
// "some frame near t", while the demuxer gives exactly the frame shown at t and the next one.

import { ALL_FORMATS, BlobSource, CanvasSink, Input } from './vendor/mediabunny.js';

export interface FramePair {
  a: ImageData;
  b: ImageData;
  /** Presentation times of a and b, seconds. */
  timeA: number;
  timeB: number;
}

/**
 * The frame on screen at `time` and the one after it (or the last two frames near the end),
 * scaled to at most `maxHeight` pixels high (0: source size) so RIFE stays quick on the CPU.
 */
export async function grabFramePair(file: Blob, time: number, maxHeight: number): Promise<FramePair> {
  const input = new Input({ source: new BlobSource(file), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new Error('the file has no video track');
    if (!(await track.canDecode())) throw new Error(`this browser cannot decode ${track.codec ?? 'this'} video`);
    // Even sizes: some decoders and encoders dislike odd ones, and nothing is lost visibly.
    const height = maxHeight > 0 && track.displayHeight > maxHeight ? maxHeight - (maxHeight % 2) : track.displayHeight;
    const sink = new CanvasSink(track, { height, poolSize: 0 });
    let frames = await readTwo(sink, time);
    if (frames.length < 2) {
      // At the very end there is no next frame: step back far enough to get two.
      const first = await track.getFirstTimestamp();
      frames = await readTwo(sink, Math.max(first, time - 1));
    }
    if (frames.length < 2) throw new Error('the video has fewer than two frames');
    const [a, b] = frames as [Grabbed, Grabbed];
    return { a: a.image, b: b.image, timeA: a.time, timeB: b.time };
  } finally {
    input.dispose();
  }
}

interface Grabbed {
  image: ImageData;
  time: number;
}

async function readTwo(sink: CanvasSink, time: number): Promise<Grabbed[]> {
  const out: Grabbed[] = [];
  // Leaving the loop early returns the generator, which closes its decoder.
  for await (const wrapped of sink.canvases(time)) {
    const { canvas } = wrapped;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new Error('this browser gave no 2D canvas context');
    out.push({ image: ctx.getImageData(0, 0, canvas.width, canvas.height), time: wrapped.timestamp });
    if (out.length === 2) break;
  }
  return out;
}
