// The user's settings (chrome.storage.local; the README lists them).

/** 'auto' (up to the display's refresh rate) or a fixed factor. */
export type Factor = 'auto' | number;

export const DEFAULTS = Object.freeze({
  /** 'auto' (up to the display's refresh rate) or a fixed factor 2, 3 or 4. */
  factor: 'auto' as Factor,
  /** How far the overlay may trail the video's own clock (and so its sound), in ms. */
  maxDelayMs: 150,
  /** Use a software WebGPU adapter (SwiftShader). Far too slow for real time: tests only. */
  allowSoftwareAdapter: false,
  /** A cap on the working resolution (lines), on top of the adaptation's; 0: none. For weak
   * GPUs and batteries. */
  maxWorkHeight: 0,
  /** Issue 12's static guard: burnt-in captions, logos and scores stay still. */
  staticGuard: true,
  /** Where RIFE runs: 'auto' in content.js's own isolated world where the page lets WebAssembly
   * compile (frames stay on the GPU, content/local.ts), else in the engine frame; 'frame' always
   * in the engine frame (RGBA buffers cross to it). */
  engine: 'auto',
  /** Hold the video's sound back by the overlay's delay (audio.ts), where that is safe. */
  audioDelay: true,
});

/** The settings as stored. Users set them by hand from the service worker's console (the README
 * says how), so any of them may hold anything: each reader converts, with the default's meaning
 * for what does not convert. */
export type Settings = { -readonly [K in keyof typeof DEFAULTS]: unknown };

export async function loadSettings(): Promise<Settings> {
  const keys = Object.keys(DEFAULTS) as (keyof Settings)[];
  return { ...DEFAULTS, ...(await chrome.storage.local.get<Partial<Settings>>(keys)) };
}

/** How far the overlay may trail the video, in ms. */
export function maxDelay(settings: Settings): number {
  const v = Number(settings.maxDelayMs);
  return Number.isFinite(v) && v > 0 ? v : DEFAULTS.maxDelayMs;
}

/** Whether to delay the sound with the picture (on unless set to false). */
export function audioDelay(settings: Settings): boolean {
  return settings.audioDelay !== false;
}
