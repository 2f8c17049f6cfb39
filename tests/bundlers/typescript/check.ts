// Type-checked (not run) by tests/browser/bundlers.test.mjs against the installed tarball: the
// `types` in the package's `exports` must give an app these signatures, under both module
// resolutions apps use.
import { createInterpolator, interpolateVideo, type Interpolator, MODEL_SHA256 } from 'inbetween';

export async function check(a: ImageData, b: ImageData, file: Blob): Promise<[ImageData, Blob]> {
  const interpolator: Interpolator = await createInterpolator({
    modelUrl: '/rife-4.25-f16.bpk',
    modelSha256: MODEL_SHA256,
    wasmUrl: new URL('/inbetween_wasm_bg.wasm', location.href),
  });
  const middle: ImageData = await interpolator.interpolate(a, b, 0.5, { scale: 1 });
  interpolator.dispose();
  const video: Blob = await interpolateVideo(file, { factor: 2 });
  return [middle, video];
}
