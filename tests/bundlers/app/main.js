import { createInterpolator, interpolateVideo, MODEL_SHA256 } from 'inbetween';

// The model (11 MB) is not bundled: the app serves the package's copy itself (here from its
// public folder; a CDN works too). With the hash it is still verified and kept in the Cache API.
const model = { modelUrl: '/rife-4.25-f16.bpk', modelSha256: MODEL_SHA256 };

/** The frame halfway between two ImageData, ImageBitmap or VideoFrame. */
export async function middle(a, b, options) {
  const interpolator = await createInterpolator(model);
  try {
    return await interpolator.interpolate(a, b, 0.5, options);
  } finally {
    interpolator.dispose();
  }
}

/** The video file at twice its frame rate (MP4 or WebM, as it came). */
export function twiceAsSmooth(file, onProgress) {
  return interpolateVideo(file, { factor: 2, ...model }, { onProgress });
}
