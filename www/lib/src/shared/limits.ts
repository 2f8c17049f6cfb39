// The one place for the values that both sides of the package, and its tests, check against:
// the valid `t` and `scale` ranges, the backend names, and the codecs and containers a video can
// be written as. The Rust core has the same ranges (`inbetween::T_RANGE`, `SCALE_RANGE`) and the
// wasm layer exports them (`limits()`); tests/unit/limits.test.mjs fails when the two disagree.
// This module imports nothing, so the page and the worker can both use it.

/** The interpolation time: 0 is frame a, 1 is frame b. */
export const T_RANGE: readonly [number, number] = [0, 1];

/** Smallest and largest `scale` (RIFE's `--scale`: flow is estimated at `1/scale` resolution). */
export const SCALE_RANGE: readonly [number, number] = [0.25, 4];

/** Backends a caller may ask for, and those an interpolator can end up on. */
export const BACKEND_CHOICES = ['auto', 'webgpu', 'cpu'] as const;
export const BACKENDS = ['webgpu', 'cpu'] as const;

/** Video codecs the package encodes, and the containers it writes. */
export const CODECS = ['avc', 'vp9', 'av1', 'vp8'] as const;
export const CONTAINERS = ['mp4', 'webm'] as const;

/**
 * Which codecs each container can hold, in the order 'auto' tries them: the most efficient codec
 * that decodes everywhere first. vp8 is last in WebM because it is much larger for the same
 * quality; MP4 prefers avc because every player has it. (So avc never goes in WebM, vp8 never in
 * MP4.)
 */
export const CODEC_PREFERENCE: Readonly<Record<(typeof CONTAINERS)[number], readonly (typeof CODECS)[number][]>> = {
  mp4: ['avc', 'av1', 'vp9'],
  webm: ['vp9', 'av1', 'vp8'],
};

/** `x` as a quoted list for error messages: 'a', 'b' or 'c'. */
export function quoted(values: readonly string[]): string {
  const q = values.map((v) => `'${v}'`);
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * The colour space the RGBA frames we encode are tagged with. Chromium's encoder converts RGBA to
 * YUV in the space the frame names: tagged as sRGB (matrix 'rgb', full range) it wrote full-range
 * YUV, which many players show with crushed or washed-out levels; tagged BT.709 limited range it
 * writes the standard HD format (yuv420p, tv range, bt709), 37 dB from Chromium's own decode of
 * the source on the test clip. BT.709's primaries are sRGB's, and players treat the two transfer
 * curves alike.
 */
export const ENCODE_AS: VideoColorSpaceInit = {
  primaries: 'bt709',
  transfer: 'bt709',
  matrix: 'bt709',
  fullRange: false,
};
