// Test hooks, not part of the API: the one internal entry (`inbetween/testing` in this repo's
// tests, www/lib/dist/testing.js). The published package and the extension's shipped build
// leave this file out (package.json `files`, scripts/build-extension.mjs), and the public
// `Interpolator` has none of these.

import { clientOf, type Interpolator } from './interpolator.js';
import { readPixels } from './pixels.js';
import { SCALE_RANGE } from './shared/limits.js';
import type { FloatResult, LostResult, MemoryResult } from './shared/protocol.js';

/**
 * The frame at `t` as planar f32 RGB [3][h][w], neither clamped nor rounded, so parity tests can
 * hold the engine to 1e-3 of the PyTorch goldens.
 */
export async function interpolateRgb(
  interp: Interpolator,
  a: ImageData,
  b: ImageData,
  t: number,
  options?: { scale?: number; staticGuard?: boolean },
): Promise<Float32Array> {
  const client = clientOf(interp);
  const scale = options?.scale ?? 1;
  if (!(scale >= SCALE_RANGE[0] && scale <= SCALE_RANGE[1]))
    throw new TypeError(`scale must be in [${SCALE_RANGE[0]}, ${SCALE_RANGE[1]}]`);
  const [ra, rb] = await Promise.all([readPixels(a), readPixels(b)]);
  const { rgb } = await client.call<FloatResult>(
    { type: 'rgbForTesting', a: ra, b: rb, scale, staticGuard: options?.staticGuard ?? false, quality: 'fast', t },
    [ra.pixels, rb.pixels],
  );
  return new Float32Array(rgb);
}

/**
 * Destroys the WebGPU device as a driver reset would, so tests can check that a lost device
 * rejects later calls with a clear Error. Resolves to whether there was a GPU device to lose.
 */
export async function loseDevice(interp: Interpolator): Promise<boolean> {
  const { lost } = await clientOf(interp).call<LostResult>({ type: 'loseDeviceForTesting' });
  return lost;
}

/**
 * Makes the worker's wasm instance trap for real (an allocation wasm32 cannot make, the path a
 * real out-of-memory takes), so tests can check that the call rejects with a clear Error, the
 * interpolator closes, and a new one works. Rejects.
 */
export async function trap(interp: Interpolator): Promise<never> {
  await clientOf(interp).call({ type: 'trapForTesting' });
  throw new Error('internal error: the trap did not happen');
}

/** Wasm memory size, the number of frames prepared, and the engine's counters (GPU dispatches
 * and command buffers so far). */
export async function stats(interp: Interpolator): Promise<MemoryResult> {
  return clientOf(interp).call<MemoryResult>({ type: 'memoryForTesting' });
}

/** The size of the worker's wasm memory in bytes (it only ever grows, so a leak of frames or
 * tensors shows up as growth across jobs). */
export async function memory(interp: Interpolator): Promise<number> {
  return (await stats(interp)).wasmBytes;
}

/** `stats` now, answered at once even while a job runs. */
export async function liveMemory(interp: Interpolator): Promise<MemoryResult> {
  return clientOf(interp).call<MemoryResult>({ type: 'liveMemoryForTesting' });
}
