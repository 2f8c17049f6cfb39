// Shared by the browser test files: parity bounds, the f32 model's location and hash, and a
// logger that puts timings into the test output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './browser.mjs';

const manifest = JSON.parse(readFileSync(path.join(REPO, 'models/manifest.json'), 'utf8'));
const entry = (file) => manifest.files.find((f) => f.file === file);

/** The f32 model, served from the repo's models/ (not packaged): the goldens were made in f32. */
export const F32_MODEL = { modelUrl: '/models/rife-4.25.bpk', modelSha256: entry('rife-4.25.bpk').sha256 };
export const F16_SHA256 = entry('rife-4.25-f16.bpk').sha256;
/** Its size in bytes, from the same manifest (the file is converted on each machine). */
export const F16_BYTES = entry('rife-4.25-f16.bpk').bytes;

/*
 * Parity bounds, in 8-bit steps, for |ours − 255·clamp(golden, 0, 1)| over R, G, B:
 *
 * - f32 model: max ≤ 1.0. Our bytes are round(clamp(y)·255), so rounding alone costs up to 0.5;
 *   the other 0.5 step (≈ 2e-3 on the 0..1 scale) is for float differences between backends.
 *   The native parity tests bound the float output at 1e-3 (measured 8e-5), so 2e-3 leaves room
 *   for SwiftShader/WebGPU's own arithmetic while still failing on any real bug (those move
 *   pixels by many steps). PSNR ≥ 50 dB: rounding alone gives ≈ 58.9 dB (error variance 1/12).
 *
 * - f16 model (the packaged one): its weights are rounded to half precision, which moves the
 *   picture itself (the native test allows up to 2e-2 against f32 on the I0 pair). On this case
 *   it measured 1.108 steps max and 58.93 dB (2026-11-28, Chromium 156, both on the CPU path and
 *   on SwiftShader WebGPU), so max ≤ 2.0 steps (0.5 rounding + ≈6e-3 of drift) and PSNR ≥ 50 dB
 *   keep a margin while still catching a wrong layout, colour order or padding (≥ 10 steps).
 */
export const BOUND_F32 = { maxDiff: 1.0, psnr: 50 };
export const BOUND_F16 = { maxDiff: 2.0, psnr: 50 };

export function assertParity(result, bound, label) {
  const where = result.worst
    ? ` (worst at x=${result.worst.x} y=${result.worst.y} channel ${result.worst.channel}: got ${result.worst.got}, want ${result.worst.want.toFixed(3)})`
    : '';
  assert.ok(
    result.maxDiff <= bound.maxDiff,
    `${label}: max |diff| ${result.maxDiff.toFixed(3)} > ${bound.maxDiff} steps${where}`,
  );
  assert.ok(result.psnr >= bound.psnr, `${label}: PSNR ${result.psnr.toFixed(2)} dB < ${bound.psnr} dB`);
}

export function describeParity(r) {
  const runs = r.runMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ');
  return (
    `backend ${r.backend}, create ${(r.createMs / 1000).toFixed(2)} s, interpolate ${runs}; ` +
    `max |diff| ${r.maxDiff.toFixed(3)} steps, mean ${r.meanDiff.toFixed(4)}, PSNR ${r.psnr.toFixed(2)} dB`
  );
}
