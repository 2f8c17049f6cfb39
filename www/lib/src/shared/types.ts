// The data types both sides of the package use: what the public API returns and what crosses
// to the worker. Types only; the values they are built from are in limits.ts.

import type { BACKEND_CHOICES, BACKENDS, CODECS, CONTAINERS } from './limits.js';

/** Backend requested by the caller. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Backend actually in use. */
export type BackendName = (typeof BACKENDS)[number];

/** What the WebGPU adapter says about itself (from `GPUAdapter.info`). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters such as SwiftShader: expect it to be very slow. */
  isFallbackAdapter: boolean;
}

/** A video codec the package can write. */
export type VideoCodec = (typeof CODECS)[number];
/** Output container. 'auto' keeps the input's family (MP4/MOV → MP4, WebM/MKV → WebM). */
export type VideoContainer = 'auto' | (typeof CONTAINERS)[number];
/** Output video codec. 'auto' picks the first the browser can encode: MP4 avc, av1; WebM vp9, av1, vp8. */
export type VideoCodecChoice = 'auto' | VideoCodec;

/**
 * RIFE's flow scale in [0.25, 4], or 'auto': chosen for each pair from the motion RIFE's coarsest
 * block sees and the frame size (1 for most footage up to 1080p, 0.5 for fast motion from 480
 * lines up and for 4K, 0.25 above 4K or for fast motion in 4K).
 */
export type ScaleChoice = number | 'auto';

/** 'fast': RIFE once. 'best': the mirrored pair too, the two averaged (about 2x the time). */
export type Quality = 'fast' | 'best';

export type VideoStage = 'loading' | 'analysing' | 'interpolating' | 'finishing' | 'done';

export interface VideoSummary {
  width: number;
  height: number;
  /** Output frames written. */
  frames: number;
  /** Output duration in seconds. */
  duration: number;
  container: (typeof CONTAINERS)[number];
  codec: VideoCodec;
  /** What happened to the first audio track. */
  audio: 'copied' | 'transcoded' | 'none' | 'dropped';
  /** Scene cuts found (pairs not interpolated across). */
  cuts: number;
  /** Source frames decoded from the input. */
  sourceFrames: number;
  /** Source frames passed through to the output unchanged. */
  kept: number;
  /** Source frames dropped as repeats of the frame before them (pulldown, twos/threes). */
  dropped: number;
  /** Source frames whose own time shows an in-between instead (each dropped repeat's slot, in factor mode). */
  replaced: number;
  /** The same as `dropped` (the name before 0.2). */
  duplicates: number;
  backend: BackendName;
  /** The scale asked for: a number, or 'auto' (then `scales` says what the pairs ran at). */
  scale: ScaleChoice;
  /** How many pairs ran at each scale, e.g. { '1': 230, '0.5': 12 }. */
  scales: Record<string, number>;
  /** Frames actually made by RIFE (the rest are source frames). */
  interpolated: number;
}

export interface VideoProgress {
  stage: VideoStage;
  /** Output frames done and expected (expected is known after 'analysing'; 0 before). */
  framesDone: number;
  framesTotal: number;
  /** Output frames per second of wall time, over the last few seconds. */
  fps: number;
  /** Seconds left, or null while unknown. */
  etaSeconds: number | null;
  /** Set on the last call ('done'). */
  summary?: VideoSummary | undefined;
}

/** A frame of the result while it is being made (see `VideoCallbacks.onPreview`). */
export interface VideoPreview {
  /** Its time on the source's clock, in seconds (before any slow-motion stretch). */
  time: number;
  /** The interpolated frame at the output size. Yours: close it when drawn. */
  image: ImageBitmap;
}

/** What `probeVideo` reads from a file's headers. */
export interface VideoInfo {
  width: number;
  height: number;
  /** Seconds. */
  duration: number;
  /** Average frame rate. */
  fps: number;
  codec: string;
  audioCodec: string | null;
  container: string;
}

/** Options after validation on the page side (video.ts); sent to the worker's video job; every field is set. */
/** Which WebAssembly build the worker runs (`Interpolator.cpuBuild`). */
export interface CpuBuild {
  /** 'threads' only in cross-origin-isolated pages (www/lib/README.md: enabling threads). */
  variant: 'single' | 'threads';
  /** rayon threads of the CPU path (0 on WebGPU, where the pool never starts). */
  threads: number;
  simd: boolean;
  atomics: boolean;
}

export interface VideoJobOptions {
  factor: number | null;
  fps: number | null;
  slowdown: number;
  scale: ScaleChoice;
  quality: Quality;
  sceneThreshold: number;
  dedupe: boolean;
  /** Issue 12's static-region guard (still captions and logos stay still). */
  staticGuard: boolean;
  maxHeight: number | null;
  container: VideoContainer;
  codec: VideoCodecChoice;
  bitrate: number | null;
  /** Send preview frames (about one a second). */
  preview: boolean;
}
