// Getting 8-bit RGBA out of the image types the API accepts, and making the output types.
// The caller's objects are only read: never transferred, closed or modified. Intermediate
// objects made here are closed here.

import { type GpuTextureSource, gpuTextureBitmap, gpuTextureSize, looksLikeGpuTexture } from './gpu-texture.js';
import type { FrameInput, RawImage } from './shared/protocol.js';

/**
 * An input frame: pixels are read as sRGB RGBA; alpha is ignored by the model. A
 * `GpuTextureSource` is a caller's own GPUTexture (gpu-texture.ts).
 */
export type FrameSource = ImageData | ImageBitmap | VideoFrame | GpuTextureSource;

export interface Size {
  width: number;
  height: number;
}

// VideoFrame and ImageBitmap are missing in some runtimes (VideoFrame arrived later than the
// rest), so test for the constructors before `instanceof`.
export function isVideoFrame(x: unknown): x is VideoFrame {
  return typeof VideoFrame !== 'undefined' && x instanceof VideoFrame;
}

function isImageBitmap(x: unknown): x is ImageBitmap {
  return typeof ImageBitmap !== 'undefined' && x instanceof ImageBitmap;
}

function isImageData(x: unknown): x is ImageData {
  return typeof ImageData !== 'undefined' && x instanceof ImageData;
}

/** The size of `src`, or a TypeError if it is not an accepted, usable image. */
export function sourceSize(src: unknown, label: string): Size {
  if (isImageData(src)) {
    // ImageData may be float16 ('rgba-float16' pixel format) in newer browsers.
    if (!(src.data instanceof Uint8ClampedArray)) {
      throw new TypeError(`${label} is an ImageData with a non-8-bit pixel format; use 'rgba-unorm8'`);
    }
    return { width: src.width, height: src.height };
  }
  if (isImageBitmap(src)) {
    // A closed (or transferred) ImageBitmap reports 0x0.
    if (src.width === 0 || src.height === 0) throw new TypeError(`${label} is a closed or empty ImageBitmap`);
    return { width: src.width, height: src.height };
  }
  if (isVideoFrame(src)) {
    // A closed VideoFrame has no format and a 0x0 display size.
    if (src.format === null && src.displayWidth === 0) throw new TypeError(`${label} is a closed VideoFrame`);
    return { width: src.displayWidth, height: src.displayHeight };
  }
  if (looksLikeGpuTexture(src)) return gpuTextureSize(src, label);
  throw new TypeError(
    `${label} must be an ImageData, ImageBitmap, VideoFrame or { texture: GPUTexture, device: GPUDevice }, got ${describe(src)}`,
  );
}

/**
 * What the worker gets for `src` on the WebGPU backend: VideoFrames and ImageBitmaps go as
 * images (a clone or a copy of the caller's, transferred, then closed by the worker after it
 * copied them into a GPU frame), so their pixels never come back to the CPU; ImageData is
 * already bytes. The caller's frame is not closed or detached.
 */
export async function gpuInput(src: FrameSource): Promise<FrameInput> {
  if (isVideoFrame(src)) {
    const rect = src.visibleRect;
    // Non-square pixels (display size != visible size) need scaling, which the byte path's
    // canvas does; copyExternalImageToTexture copies at the visible size.
    if (rect && rect.width === src.displayWidth && rect.height === src.displayHeight) {
      return { image: src.clone(), kind: 'VideoFrame', width: src.displayWidth, height: src.displayHeight };
    }
    return readPixels(src);
  }
  if (isImageBitmap(src)) {
    // A copy, so that transferring it leaves the caller's bitmap usable.
    return { image: await createImageBitmap(src), kind: 'ImageBitmap', width: src.width, height: src.height };
  }
  if (looksLikeGpuTexture(src)) {
    // A bitmap of the texture made on the caller's device (gpu-texture.ts): ours to transfer.
    const image = await gpuTextureBitmap(src, 'frame');
    return { image, kind: 'ImageBitmap', width: image.width, height: image.height };
  }
  return readPixels(src);
}

/** The transferables of a frame on its way to the worker. */
export function transferOf(input: FrameInput): Transferable[] {
  return 'image' in input ? [input.image] : [input.pixels];
}

/** Closes the page's copy of a frame that was not sent (the send failed before the transfer). */
export function closeInput(input: FrameInput): void {
  if ('image' in input) input.image.close();
}

/** A fresh RGBA copy of `src` (its buffer can be transferred to the worker). */
export async function readPixels(src: FrameSource): Promise<RawImage> {
  if (isImageData(src)) {
    // Copy rather than transfer: the caller keeps a working ImageData.
    return { pixels: new Uint8Array(src.data).buffer, width: src.width, height: src.height };
  }
  if (isVideoFrame(src)) {
    return (await copyVideoFrame(src)) ?? drawAndRead(src, src.displayWidth, src.displayHeight);
  }
  if (looksLikeGpuTexture(src)) {
    // The CPU backend (and the calls that send bytes): the texture's bitmap, read back here.
    const bitmap = await gpuTextureBitmap(src, 'frame');
    try {
      return drawAndRead(bitmap, bitmap.width, bitmap.height);
    } finally {
      bitmap.close();
    }
  }
  return drawAndRead(src, src.width, src.height);
}

/**
 * `VideoFrame.copyTo` with conversion to RGBA: no canvas, no premultiplication. Returns null
 * when the browser cannot convert (older WebCodecs only copy the native format) or when the
 * display size differs from the visible rectangle (non-square pixels need scaling, which the
 * canvas path does).
 */
async function copyVideoFrame(frame: VideoFrame): Promise<RawImage | null> {
  const rect = frame.visibleRect;
  const width = frame.displayWidth;
  const height = frame.displayHeight;
  if (!rect || rect.width !== width || rect.height !== height) return null;
  const options: VideoFrameCopyToOptions = { format: 'RGBA', colorSpace: 'srgb' };
  let buffer: Uint8Array;
  let layout: PlaneLayout[];
  try {
    buffer = new Uint8Array(frame.allocationSize(options));
    layout = await frame.copyTo(buffer, options);
  } catch {
    return null;
  }
  const plane = layout[0];
  if (!plane) return null;
  const row = width * 4;
  if (plane.offset === 0 && plane.stride === row && buffer.byteLength === row * height) {
    return { pixels: buffer.buffer as ArrayBuffer, width, height };
  }
  // Rows may be padded: repack them tightly.
  const tight = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    const start = plane.offset + y * plane.stride;
    tight.set(buffer.subarray(start, start + row), y * row);
  }
  return { pixels: tight.buffer, width, height };
}

/** Draws onto an sRGB OffscreenCanvas and reads it back (ImageBitmap, or VideoFrame fallback). */
function drawAndRead(src: CanvasImageSource, width: number, height: number): RawImage {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { colorSpace: 'srgb', willReadFrequently: true });
  if (!ctx) throw new Error('could not create a 2D OffscreenCanvas context to read the frame');
  ctx.drawImage(src, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return { pixels: data.data.buffer as ArrayBuffer, width, height };
}

/** RGBA bytes (alpha already 255) → ImageData, without copying. */
export function toImageData(pixels: ArrayBuffer, width: number, height: number, offset = 0): ImageData {
  return new ImageData(new Uint8ClampedArray(pixels, offset, width * height * 4), width, height);
}

/** RGBA bytes → a new VideoFrame at `timestamp` (µs). The caller of the API owns (and closes) it. */
export function toVideoFrame(
  pixels: ArrayBuffer,
  width: number,
  height: number,
  timestamp: number,
  offset = 0,
): VideoFrame {
  return new VideoFrame(new Uint8Array(pixels, offset, width * height * 4), {
    format: 'RGBA',
    codedWidth: width,
    codedHeight: height,
    timestamp,
    // The pixels are sRGB: say so, so encoders and canvases do not guess.
    colorSpace: { primaries: 'bt709', transfer: 'iec61966-2-1', matrix: 'rgb', fullRange: true },
  });
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'number') return String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
