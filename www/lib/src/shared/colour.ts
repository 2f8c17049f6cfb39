// Colour exactness for the video job: YUV ↔ RGB done here, by the matrix and range the input
// names, instead of by the browser.
//
// Why not let the browser convert (VideoFrame.copyTo 'RGBA', or drawing onto a canvas)?
// - Chromium fills an untagged stream's colour space with BT.709 at every size, where players
//   and ffmpeg read untagged SD as BT.601 (mpv: BT.709 only from 1280 wide or above 576 lines).
//   The frame's own `colorSpace` cannot tell the two apart; the track's tags (mediabunny reads
//   them from the container and the bitstream) can.
// - The output was always BT.709 limited range, whatever the input was, so a BT.601 or full-range
//   input changed its numbers twice, in two converters that disagree. Measured on
//   tests/browser/colour.test.mjs, the mean colour of SMPTE bars came back 11–33 steps off.
//
// So: the decoded planes are converted here with the input's matrix and range, the source frames
// pass to the encoder as the decoded YUV itself (not a round trip through RGB), the in-betweens
// are converted back with the same matrix and range, and the output is tagged with the input's
// colour space (resolved), so every player shows it as we read it.
//
// Chroma: each sample is spread over its 2x2 luma block going up, and a 2x2 block is averaged
// going down, so down(up(x)) = x: an in-between of two equal frames is those frames, to the
// code (rounding through 8-bit RGB aside). Bilinear upsampling is nearer ffmpeg's picture at
// sharp colour edges (within 4 steps instead of ~110 on SMPTE bars), but its down(up(x)) is a
// [1/8, 3/4, 1/8] blur: in-betweens then differ from the untouched source frames around them at
// every colour edge, a shimmer at the output rate. With replication the in-between of a frame and
// its repeat is 0.19 levels from it on the video test's pulldown clip, all of it 8-bit RGB
// clipping this pattern's saturated edges.

import { ENCODE_AS } from './limits.js';

/** The Y'CbCr matrices we convert: luma weights of R and B (ITU-R BT.709, BT.601, BT.2020). */
const MATRIX: Record<string, readonly [number, number]> = {
  bt709: [0.2126, 0.0722],
  bt470bg: [0.299, 0.114],
  smpte170m: [0.299, 0.114],
  'bt2020-ncl': [0.2627, 0.0593],
};

/** A YUV colour space we can convert exactly: its weights, range, and the tag to write. */
export interface YuvSpace {
  kr: number;
  kb: number;
  fullRange: boolean;
  /** Complete (every field set), as the output is tagged. */
  tag: VideoColorSpaceInit;
}

/**
 * The colour space of a track, with the gaps filled the way players fill them: no matrix means
 * BT.709 from 1280 wide or above 576 lines (HD), else BT.601; no range means limited (the H.264,
 * VP9 and AV1 default). Null when it is not one we convert exactly (HDR transfer, an RGB or
 * unknown matrix): the browser's conversion is used then.
 */
export function resolveSpace(
  tags: VideoColorSpaceInit | null | undefined,
  width: number,
  height: number,
): YuvSpace | null {
  const hd = width >= 1280 || height > 576;
  const transfer: string = tags?.transfer ?? (hd ? 'bt709' : 'smpte170m');
  if (transfer === 'pq' || transfer === 'hlg' || transfer === 'linear') return null;
  const matrix = tags?.matrix ?? (hd ? 'bt709' : 'smpte170m');
  const weights = MATRIX[matrix];
  if (!weights) return null;
  const primaries = tags?.primaries ?? (hd ? 'bt709' : height === 576 ? 'bt470bg' : 'smpte170m');
  const fullRange = tags?.fullRange ?? false;
  return {
    kr: weights[0],
    kb: weights[1],
    fullRange,
    tag: { primaries, transfer: transfer as VideoTransferCharacteristics, matrix, fullRange },
  };
}

/** What RGB pictures (ImageData, canvases) are encoded as: `ENCODE_AS` (limits.ts), HD's format. */
export const BT709_LIMITED = resolveSpace(ENCODE_AS, 1920, 1080) as YuvSpace;

/** Pixel formats read here (8-bit 4:2:0); others go through the browser's conversion. */
export function canRead(format: VideoPixelFormat | string | null): boolean {
  return format === 'I420' || format === 'I420A' || format === 'NV12';
}

/** What `readI420` needs of a decoded frame (a mediabunny VideoSample has it). */
export interface Planar {
  readonly format: VideoPixelFormat | string | null;
  readonly visibleRect: { left: number; top: number; width: number; height: number };
  allocationSize(options?: VideoFrameCopyToOptions): number;
  copyTo(destination: AllowSharedBufferSource, options?: VideoFrameCopyToOptions): Promise<PlaneLayout[]>;
}

/** Tight I420 planes of a frame's visible rectangle: Y (w·h), then U and V (⌈w/2⌉·⌈h/2⌉ each). */
export async function readI420(frame: Planar): Promise<Uint8Array> {
  const { left, top, width: w, height: h } = frame.visibleRect;
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const options = { rect: { x: left, y: top, width: w, height: h } };
  const raw = new Uint8Array(frame.allocationSize(options));
  const layout = await frame.copyTo(raw, options);
  const out = new Uint8Array(w * h + 2 * cw * ch);
  const plane = (i: number) => layout[i] as PlaneLayout;
  const copyPlane = (p: PlaneLayout, rowBytes: number, rows: number, dst: number) => {
    for (let y = 0; y < rows; y++)
      out.set(raw.subarray(p.offset + y * p.stride, p.offset + y * p.stride + rowBytes), dst + y * rowBytes);
  };
  copyPlane(plane(0), w, h, 0);
  if (frame.format === 'NV12') {
    // Interleaved UV → two planes.
    const uv = plane(1);
    const u = w * h;
    const v = u + cw * ch;
    for (let y = 0; y < ch; y++) {
      const row = uv.offset + y * uv.stride;
      for (let x = 0; x < cw; x++) {
        out[u + y * cw + x] = raw[row + 2 * x] as number;
        out[v + y * cw + x] = raw[row + 2 * x + 1] as number;
      }
    }
  } else {
    copyPlane(plane(1), cw, ch, w * h);
    copyPlane(plane(2), cw, ch, w * h + cw * ch);
  }
  return out;
}

/** Range scaling: Y' = yOff + yScale·E'y, C = 128 + cScale·E'c, with E' in [0, 1] / [-½, ½]. */
function range(fullRange: boolean) {
  return fullRange ? { yOff: 0, yScale: 255, cScale: 255 } : { yOff: 16, yScale: 219, cScale: 224 };
}

const clamp255 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0);

/** Tight I420 (w x h) → RGBA (alpha 255); each chroma sample covers its 2x2 luma block. */
export function i420ToRgba(yuv: Uint8Array, w: number, h: number, space: YuvSpace): Uint8ClampedArray<ArrayBuffer> {
  const { kr, kb } = space;
  const kg = 1 - kr - kb;
  const { yOff, yScale, cScale } = range(space.fullRange);
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const uBase = w * h;
  const vBase = uBase + cw * ch;
  // E'r = E'y + 2(1−kr)·E'cr, E'b = E'y + 2(1−kb)·E'cb, E'g = (E'y − kr·E'r − kb·E'b) / kg,
  // in 8-bit units: R = (Y − yOff)·ys + (V − 128)·rv, and so on.
  const ys = 255 / yScale;
  const rv = (2 * (1 - kr) * 255) / cScale;
  const bu = (2 * (1 - kb) * 255) / cScale;
  const gu = (-kb * 2 * (1 - kb) * 255) / cScale / kg;
  const gv = (-kr * 2 * (1 - kr) * 255) / cScale / kg;
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const c = (y >> 1) * cw;
    let o = y * w * 4;
    for (let x = 0; x < w; x++, o += 4) {
      const u = (yuv[uBase + c + (x >> 1)] as number) - 128;
      const v = (yuv[vBase + c + (x >> 1)] as number) - 128;
      const luma = ((yuv[y * w + x] as number) - yOff) * ys;
      out[o] = clamp255(luma + rv * v);
      out[o + 1] = clamp255(luma + gu * u + gv * v);
      out[o + 2] = clamp255(luma + bu * u);
      out[o + 3] = 255;
    }
  }
  return out;
}

/** RGBA (w x h) → tight I420 in `space`, chroma averaged over each 2x2 block. */
export function rgbaToI420(
  rgba: Uint8Array | Uint8ClampedArray,
  w: number,
  h: number,
  space: YuvSpace,
): Uint8Array<ArrayBuffer> {
  const { kr, kb } = space;
  const kg = 1 - kr - kb;
  const { yOff, yScale, cScale } = range(space.fullRange);
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const out = new Uint8Array(w * h + 2 * cw * ch);
  const uBase = w * h;
  const vBase = uBase + cw * ch;
  const ys = yScale / 255;
  // E'cb = (E'b − E'y) / 2(1−kb), E'cr = (E'r − E'y) / 2(1−kr).
  const cbs = cScale / 255 / (2 * (1 - kb));
  const crs = cScale / 255 / (2 * (1 - kr));
  for (let cy = 0; cy < ch; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let su = 0;
      let sv = 0;
      let n = 0;
      for (let dy = 0; dy < 2; dy++) {
        const y = 2 * cy + dy;
        if (y >= h) continue;
        for (let dx = 0; dx < 2; dx++) {
          const x = 2 * cx + dx;
          if (x >= w) continue;
          const o = (y * w + x) * 4;
          const r = rgba[o] as number;
          const g = rgba[o + 1] as number;
          const b = rgba[o + 2] as number;
          const luma = kr * r + kg * g + kb * b;
          out[y * w + x] = clamp255(yOff + luma * ys);
          su += (b - luma) * cbs;
          sv += (r - luma) * crs;
          n++;
        }
      }
      out[uBase + cy * cw + cx] = clamp255(128 + su / n);
      out[vBase + cy * cw + cx] = clamp255(128 + sv / n);
    }
  }
  return out;
}
