// Type-checked (not run) by tests/browser/bundlers.test.mjs against the installed tarball: the
// `types` in the package's `exports` must give an app these signatures, under both module
// resolutions apps use.
import {
  createInterpolator,
  type GpuTextureSource,
  type GpuTextureTarget,
  type InterpolateDrawOptions,
  interpolateVideo,
  type Interpolator,
  MODEL_SHA256,
} from 'inbetween';

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

/** Frames that stay on the GPU: a caller's texture in, a canvas or a texture out (no pixels). */
export async function checkGpu(
  interpolator: Interpolator,
  device: GPUDevice,
  texture: GPUTexture,
  canvas: HTMLCanvasElement,
  frame: VideoFrame,
  options: InterpolateDrawOptions,
): Promise<[ImageData, ImageData[], ImageData | VideoFrame | undefined]> {
  const source: GpuTextureSource = { texture, device };
  const target: GpuTextureTarget = { texture, device };
  const fromTexture: ImageData = await interpolator.interpolate(source, frame, 0.5);
  const many: ImageData[] = await interpolator.interpolateMany(source, source, [0.25, 0.5]);
  const drawn: undefined = await interpolator.interpolate(source, source, 0.5, { canvas });
  const written: undefined = await interpolator.interpolate(frame, frame, 0.5, { output: target, scale: 0.5 });
  // @ts-expect-error: drawing gives no pixels
  const notPixels: ImageData = await interpolator.interpolate(frame, frame, 0.5, { canvas });
  // @ts-expect-error: with options that may draw, the result may be undefined
  const maybe: ImageData | VideoFrame = await interpolator.interpolate(frame, frame, 0.5, options);
  void [drawn, written, notPixels, maybe];
  return [fromTexture, many, await interpolator.interpolate(frame, frame, 0.5, options)];
}
