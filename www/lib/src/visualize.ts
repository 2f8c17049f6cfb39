// Drawing RIFE's flow and blend mask as pictures.
//
// The flow colours follow the Middlebury optical-flow benchmark's colour wheel (Baker, Scharstein,
// Lewis, Roth, Black and Szeliski, "A Database and Evaluation Methodology for Optical Flow",
// IJCV 2011), which most optical-flow papers and tools (FlowNet, PWC-Net, RAFT) print their flow
// with, so a reader who has seen one of those figures can read ours:
// - the hue is the direction: +x (right) is red, +y (down, image rows grow downward) is a yellowy
//   orange, −x (left) cyan, −y (up) blue-violet, with green between down and left and magenta
//   between up and right;
// - the saturation is the magnitude: no motion is white, `maxMagnitude` (default: the largest
//   vector in the field) is the fully saturated wheel colour;
// - vectors longer than `maxMagnitude` keep their hue but are darkened to 75 %, as the benchmark
//   marks out-of-range flow; non-finite vectors are black ("unknown" in the benchmark).
// The wheel is rebuilt here from the paper's segment lengths (15 red→yellow, 6 yellow→green,
// 4 green→cyan, 11 cyan→blue, 13 blue→magenta, 6 magenta→red: 55 colours, chosen by the
// authors so that equal angles look roughly equally different), not copied from any code.

import { describe } from './pixels.js';

export interface FlowImageOptions {
  /**
   * Which of RIFE's two flows to draw: 'b' (default), from the new frame into frame b, which
   * points the way things move (a car driving right is red); or 'a', into frame a, which points
   * back in time (the same car is cyan).
   */
  which?: 'a' | 'b' | undefined;
  /**
   * The magnitude in pixels drawn at full saturation, > 0. Default: the largest finite vector in
   * the field (1 when there is no motion). Give a fixed value to compare frames with each other.
   */
  maxMagnitude?: number | undefined;
}

/** The wheel's segments: [length, from RGB, to RGB]. */
const SEGMENTS: readonly [number, readonly [number, number, number], readonly [number, number, number]][] = [
  [15, [255, 0, 0], [255, 255, 0]], // red → yellow
  [6, [255, 255, 0], [0, 255, 0]], // yellow → green
  [4, [0, 255, 0], [0, 255, 255]], // green → cyan
  [11, [0, 255, 255], [0, 0, 255]], // cyan → blue
  [13, [0, 0, 255], [255, 0, 255]], // blue → magenta
  [6, [255, 0, 255], [255, 0, 0]], // magenta → red
];

/** The 55 wheel colours, RGB in [0, 1], built once. */
const WHEEL: Float32Array = (() => {
  const count = SEGMENTS.reduce((n, [len]) => n + len, 0);
  const wheel = new Float32Array(count * 3);
  let i = 0;
  for (const [len, from, to] of SEGMENTS) {
    for (let k = 0; k < len; k++, i++) {
      const f = k / len;
      for (let c = 0; c < 3; c++) wheel[i * 3 + c] = ((from[c] as number) * (1 - f) + (to[c] as number) * f) / 255;
    }
  }
  return wheel;
})();
const WHEEL_SIZE = WHEEL.length / 3;

function checkSize(width: unknown, height: unknown): void {
  if (typeof width !== 'number' || !Number.isInteger(width) || width <= 0) {
    throw new TypeError(`width must be a positive integer, got ${describe(width)}`);
  }
  if (typeof height !== 'number' || !Number.isInteger(height) || height <= 0) {
    throw new TypeError(`height must be a positive integer, got ${describe(height)}`);
  }
}

/**
 * RIFE's optical flow (as `interpolateWithFlow` returns it: planar [4][height][width], pixels)
 * as a colour picture, width x height, in the Middlebury colour-wheel convention (see above).
 */
export function flowToImageData(
  flow: Float32Array,
  width: number,
  height: number,
  options: FlowImageOptions = {},
): ImageData {
  if (!(flow instanceof Float32Array)) throw new TypeError(`flow must be a Float32Array, got ${describe(flow)}`);
  checkSize(width, height);
  const n = width * height;
  if (flow.length !== 4 * n) {
    throw new TypeError(
      `flow has ${flow.length} values, expected 4 x ${width} x ${height} = ${4 * n} (planar [4][height][width])`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const which = options.which ?? 'b';
  if (which !== 'a' && which !== 'b') throw new TypeError(`which must be 'a' or 'b', got ${describe(which)}`);
  const { maxMagnitude } = options;
  if (
    maxMagnitude !== undefined &&
    (typeof maxMagnitude !== 'number' || !(maxMagnitude > 0) || !Number.isFinite(maxMagnitude))
  ) {
    throw new TypeError(`maxMagnitude must be a finite number > 0, got ${describe(maxMagnitude)}`);
  }

  // Planes 0, 1: into frame a (x, y); planes 2, 3: into frame b.
  const fx = flow.subarray(which === 'a' ? 0 : 2 * n, which === 'a' ? n : 3 * n);
  const fy = flow.subarray(which === 'a' ? n : 3 * n, which === 'a' ? 2 * n : 4 * n);

  let max = maxMagnitude ?? 0;
  if (maxMagnitude === undefined) {
    for (let i = 0; i < n; i++) {
      const m = Math.hypot(fx[i] as number, fy[i] as number);
      if (m > max && Number.isFinite(m)) max = m;
    }
    if (max === 0) max = 1;
  }

  const out = new ImageData(width, height);
  const px = out.data;
  for (let i = 0; i < n; i++) {
    const u = fx[i] as number;
    const v = fy[i] as number;
    const o = i * 4;
    px[o + 3] = 255;
    if (!Number.isFinite(u) || !Number.isFinite(v)) continue; // black: unknown
    const rad = Math.hypot(u, v) / max;
    // Angle measured so that +x lands at the wheel's end (red, wrapping to its start), +y
    // (down) a quarter of the way round (orange-yellow), −x half way (cyan).
    const pos = ((Math.atan2(-v, -u) / Math.PI + 1) / 2) * (WHEEL_SIZE - 1);
    const k0 = Math.floor(pos);
    const k1 = (k0 + 1) % WHEEL_SIZE;
    const f = pos - k0;
    for (let c = 0; c < 3; c++) {
      const col = (WHEEL[k0 * 3 + c] as number) * (1 - f) + (WHEEL[k1 * 3 + c] as number) * f;
      // In range: from white (no motion) to the wheel colour. Out of range: darkened.
      const val = rad <= 1 ? 1 - rad * (1 - col) : col * 0.75;
      px[o + c] = Math.round(val * 255);
    }
  }
  return out;
}

/**
 * RIFE's blend mask (frame a's weight, [height][width] in [0, 1]) as a grey picture: white where
 * the new frame comes from frame a, black where it comes from frame b. Values outside [0, 1]
 * are clamped; NaN is drawn black.
 */
export function maskToImageData(mask: Float32Array, width: number, height: number): ImageData {
  if (!(mask instanceof Float32Array)) throw new TypeError(`mask must be a Float32Array, got ${describe(mask)}`);
  checkSize(width, height);
  const n = width * height;
  if (mask.length !== n) {
    throw new TypeError(`mask has ${mask.length} values, expected ${width} x ${height} = ${n} ([height][width])`);
  }
  const out = new ImageData(width, height);
  const px = out.data;
  for (let i = 0; i < n; i++) {
    // Uint8ClampedArray clamps and rounds; NaN becomes 0.
    const g = (mask[i] as number) * 255;
    const o = i * 4;
    px[o] = g;
    px[o + 1] = g;
    px[o + 2] = g;
    px[o + 3] = 255;
  }
  return out;
}
