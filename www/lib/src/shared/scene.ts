// Frame similarity for scene-cut detection, on small grey thumbnails.
//
// Practical-RIFE's video script does the same kind of test (inference_video.py: SSIM of 32x32
// thumbnails, "< 0.2" treated as a scene change); the threshold is an option. Duplicates need a
// real resolution and the pattern over time, not a thumbnail: see duplicates.ts.

/** Thumbnail side in pixels. */
export const THUMB = 32;

/** Grey (BT.601 luma weights, 8-bit scale) of an RGBA THUMBxTHUMB image. */
export function toGrey(rgba: Uint8ClampedArray | Uint8Array): Float32Array {
  const grey = new Float32Array(THUMB * THUMB);
  for (let i = 0; i < grey.length; i++) {
    grey[i] =
      0.299 * (rgba[4 * i] as number) + 0.587 * (rgba[4 * i + 1] as number) + 0.114 * (rgba[4 * i + 2] as number);
  }
  return grey;
}

/** Window side and step of the SSIM: 8x8 windows every 4 pixels, 7x7 windows on a 32x32 image. */
const WIN = 8;
const STEP = 4;
// The usual SSIM constants for 8-bit data: (0.01·255)², (0.03·255)² (Wang et al. 2004).
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

/** Mean SSIM of two grey thumbnails over uniform 8x8 windows, in [-1, 1] (1 = identical). */
export function ssim(x: Float32Array, y: Float32Array): number {
  let total = 0;
  let count = 0;
  for (let wy = 0; wy + WIN <= THUMB; wy += STEP) {
    for (let wx = 0; wx + WIN <= THUMB; wx += STEP) {
      let sx = 0,
        sy = 0,
        sxx = 0,
        syy = 0,
        sxy = 0;
      for (let r = 0; r < WIN; r++) {
        const row = (wy + r) * THUMB + wx;
        for (let c = 0; c < WIN; c++) {
          const a = x[row + c] as number;
          const b = y[row + c] as number;
          sx += a;
          sy += b;
          sxx += a * a;
          syy += b * b;
          sxy += a * b;
        }
      }
      const n = WIN * WIN;
      const mx = sx / n,
        my = sy / n;
      const vx = sxx / n - mx * mx,
        vy = syy / n - my * my,
        cxy = sxy / n - mx * my;
      total += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}
