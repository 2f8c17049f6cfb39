// Encoding a sequence of images (e.g. a photo pair's in-betweens) to a video file, with WebCodecs
// through mediabunny, on the calling thread: a short sequence the caller already holds in memory
// does not need the worker that `interpolateVideo` uses.

import { describe, isVideoFrame } from './pixels.js';
import { BT709_LIMITED, rgbaToI420 } from './shared/colour.js';
import type { VideoCodecChoice } from './shared/types.js';
import { CODEC_PREFERENCE, CODECS, CONTAINERS, quoted } from './shared/limits.js';
// Types only: the muxer itself (~180 kB gzipped) is imported on first use, so pages that never
// encode do not download it.
import type { Quality, VideoCodec, VideoSample, VideoSampleSource } from './vendor/mediabunny.js';

type Mediabunny = typeof import('./vendor/mediabunny.js');

export interface EncodeFramesOptions {
  /** Frames per second, in (0, 480]. */
  fps: number;
  /** 'webm' (default) or 'mp4'. */
  container?: 'webm' | 'mp4' | undefined;
  /** 'auto' (default) picks the first the browser can encode: WebM vp9, av1, vp8; MP4 avc, av1, vp9. */
  codec?: VideoCodecChoice | undefined;
  /** Bits per second. Default: mediabunny's "high" quality for the size and codec. */
  bitrate?: number | undefined;
}

/** One image of the sequence. Not modified or closed: the caller still owns it. */
export type SequenceFrame = ImageData | ImageBitmap | VideoFrame;

// Preference order: shared/limits.ts (the same as interpolateVideo's).
const PREFERENCE = CODEC_PREFERENCE as Record<'webm' | 'mp4', VideoCodec[]>;

/**
 * Encodes `frames` (all the same size) as a video at `fps`: frame i is shown from i/fps to
 * (i+1)/fps. Resolves to a Blob typed 'video/webm' or 'video/mp4'. Errors (an empty sequence,
 * a frame of another size, a codec the browser cannot encode) reject with a message that names
 * the problem; frames already taken from the iterable are not closed (they are the caller's).
 */
export async function encodeFrames(
  frames: Iterable<SequenceFrame> | AsyncIterable<SequenceFrame>,
  options: EncodeFramesOptions,
): Promise<Blob> {
  if (
    frames === null ||
    typeof frames !== 'object' ||
    (typeof (frames as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
      typeof (frames as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
  ) {
    throw new TypeError(`frames must be an iterable or async iterable of images, got ${describe(frames)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with fps, got ${describe(options)}`);
  }
  const { fps, bitrate } = options;
  if (typeof fps !== 'number' || !(fps > 0 && fps <= 480)) {
    throw new TypeError(`fps must be a number in (0, 480], got ${describe(fps)}`);
  }
  const container = options.container ?? 'webm';
  if (!(CONTAINERS as readonly string[]).includes(container)) {
    throw new TypeError(`container must be 'webm' or 'mp4', got ${describe(container)}`);
  }
  const codecChoice = options.codec ?? 'auto';
  const codecs = ['auto', ...CODECS];
  if (!codecs.includes(codecChoice as string)) {
    throw new TypeError(`codec must be ${quoted(codecs)}, got ${describe(codecChoice)}`);
  }
  if (container === 'mp4' && codecChoice === 'vp8') {
    throw new TypeError("codec 'vp8' cannot go in an MP4 file; use container 'webm'");
  }
  if (container === 'webm' && codecChoice === 'avc') {
    throw new TypeError("codec 'avc' (H.264) cannot go in a WebM file; use container 'mp4'");
  }
  if (bitrate !== undefined && (typeof bitrate !== 'number' || !(bitrate >= 1000) || !Number.isFinite(bitrate))) {
    throw new TypeError(`bitrate must be a number of bits per second >= 1000, got ${describe(bitrate)}`);
  }
  const mb: Mediabunny = await import('./vendor/mediabunny.js');
  const { BufferTarget, Mp4OutputFormat, Output, WebMOutputFormat } = mb;
  const quality = bitrate === undefined ? mb.QUALITY_HIGH : new mb.Quality({ bitrate });

  const format = container === 'webm' ? new WebMOutputFormat() : new Mp4OutputFormat();
  const target = new BufferTarget();
  const output = new Output({ format, target });
  let source: VideoSampleSource | null = null;
  let size: { width: number; height: number } | null = null;
  let index = 0;
  try {
    for await (const frame of frames as AsyncIterable<SequenceFrame>) {
      const here = frameSize(frame, index);
      if (size === null) {
        // The codec can only be chosen once the size is known (encoders have size limits).
        size = here;
        const codec = await pickCodec(mb, container, codecChoice, size, quality);
        source = new mb.VideoSampleSource({ codec, quality });
        // frameRate snaps timestamps to the grid, so 1/fps rounding never makes a gap or overlap.
        output.addVideoTrack(source, { frameRate: fps });
        await output.start();
      } else if (here.width !== size.width || here.height !== size.height) {
        throw new TypeError(
          `frame ${index} is ${here.width}x${here.height}, but frame 0 is ${size.width}x${size.height}; all frames must be the same size`,
        );
      }
      const sample = makeSample(mb, frame, index / fps, 1 / fps);
      try {
        // Awaiting add() respects the encoder's backpressure, so a long sequence is not queued whole.
        await (source as VideoSampleSource).add(sample);
      } finally {
        sample.close();
      }
      index++;
    }
    if (size === null) throw new TypeError('frames is empty: at least one frame is needed');
    await output.finalize();
  } catch (e) {
    // Free the encoder; the half-written file is dropped.
    if (output.state === 'started' || output.state === 'pending') await output.cancel().catch(() => {});
    throw e;
  }
  const buffer = target.buffer;
  if (buffer === null) throw new Error('the muxer produced no data');
  return new Blob([buffer], { type: container === 'webm' ? 'video/webm' : 'video/mp4' });
}

function frameSize(frame: unknown, index: number): { width: number; height: number } {
  if (typeof ImageData !== 'undefined' && frame instanceof ImageData) {
    if (!(frame.data instanceof Uint8ClampedArray))
      throw new TypeError(`frame ${index} is an ImageData with a non-8-bit pixel format`);
    return { width: frame.width, height: frame.height };
  }
  if (typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap) {
    if (frame.width === 0 || frame.height === 0) throw new TypeError(`frame ${index} is a closed or empty ImageBitmap`);
    return { width: frame.width, height: frame.height };
  }
  if (isVideoFrame(frame)) {
    if (frame.format === null && frame.displayWidth === 0) throw new TypeError(`frame ${index} is a closed VideoFrame`);
    return { width: frame.displayWidth, height: frame.displayHeight };
  }
  throw new TypeError(`frame ${index} must be an ImageData, ImageBitmap or VideoFrame, got ${describe(frame)}`);
}

/** A VideoSample this module owns (and closes), whatever the input type; the input is untouched. */
function makeSample(mb: Mediabunny, frame: SequenceFrame, timestamp: number, duration: number): VideoSample {
  if (isVideoFrame(frame)) {
    // A VideoSample closes the VideoFrame it wraps; wrap a clone so the caller's frame stays open.
    return new mb.VideoSample(frame.clone(), { timestamp, duration });
  }
  // RGB pictures are converted to YUV here, by the matrix the file is tagged with (colour.ts).
  // Handed an ImageBitmap, Chromium's encoder converted it by another matrix than the BT.709 it
  // tagged: colour bars came back 15.6 steps off (tests/browser/colour.test.mjs); ImageData was
  // within 2. One conversion for both.
  const { width, height } = frame;
  let rgba: Uint8ClampedArray;
  if (frame instanceof ImageData) {
    rgba = frame.data;
  } else {
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d', { colorSpace: 'srgb', willReadFrequently: true });
    if (!g) throw new Error('could not create a 2D OffscreenCanvas context to read the frame');
    g.drawImage(frame, 0, 0);
    rgba = g.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
  }
  return new mb.VideoSample(rgbaToI420(rgba, width, height, BT709_LIMITED), {
    format: 'I420',
    codedWidth: width,
    codedHeight: height,
    timestamp,
    duration,
    colorSpace: BT709_LIMITED.tag,
  });
}

async function pickCodec(
  mb: Mediabunny,
  container: 'webm' | 'mp4',
  choice: 'auto' | VideoCodec,
  size: { width: number; height: number },
  quality: Quality,
): Promise<VideoCodec> {
  if (choice !== 'auto') {
    if (!(await mb.canEncodeVideo(choice, { ...size, quality }))) {
      throw new Error(`this browser cannot encode ${choice} video at ${size.width}x${size.height}`);
    }
    return choice;
  }
  const codec = await mb.getFirstEncodableVideoCodec(PREFERENCE[container], { ...size, quality });
  if (codec === null) {
    throw new Error(
      `this browser cannot encode any of ${PREFERENCE[container].join(', ')} at ${size.width}x${size.height} for ${container.toUpperCase()}`,
    );
  }
  return codec;
}
