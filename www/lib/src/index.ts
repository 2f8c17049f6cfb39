// inbetween: RIFE 4.25 video frame interpolation in the browser.
//
// The package's entry: it only re-exports, by name, so the public API is this list. The page's
// modules sit beside this file (interpolator.ts, video.ts, encode.ts, visualize.ts, pixels.ts,
// client.ts, model.ts), the worker's in worker/, and what both sides share (the wire protocol,
// types, limits, error codes) in shared/. scripts/check-structure.mjs keeps it that way.

export {
  createInterpolator,
  type CreateInterpolatorOptions,
  type FlowOutput,
  FrameSequence,
  type InterpolateDrawOptions,
  type InterpolateOptions,
  Interpolator,
  type SequenceOptions,
} from './interpolator.js';
export { MODEL_BYTES, MODEL_FILE, MODEL_SHA256 } from './model-info.js';
export type { FrameSource } from './pixels.js';
export type { GpuTextureSource, GpuTextureTarget } from './gpu-texture.js';
export { SCALE_RANGE, T_RANGE } from './shared/limits.js';
export { ERROR_CODES, type ErrorCode } from './shared/errors.js';
export type {
  AdapterInfo,
  BackendChoice,
  BackendName,
  CpuBuild,
  Quality,
  ScaleChoice,
  VideoCodecChoice,
  VideoContainer,
  VideoInfo,
  VideoPreview,
  VideoProgress,
  VideoStage,
  VideoSummary,
} from './shared/types.js';
export { type FlowImageOptions, flowToImageData, maskToImageData } from './visualize.js';
export { interpolateVideo, probeVideo, type VideoCallbacks, type VideoOptions } from './video.js';
export { type EncodeFramesOptions, encodeFrames, type SequenceFrame } from './encode.js';
export { createPlayer, LivePlayer, type PlayerOptions, type PlayerStats, type PresentedFrame } from './player.js';
