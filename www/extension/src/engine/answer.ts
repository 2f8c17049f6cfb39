// What a request handler gives back: a result and what to transfer with it, or an EngineError;
// and the extension's own files that handlers read.
import { LIMITS, type ResultOf } from '../messages.js';

export type Handled = [ResultOf[keyof ResultOf], Transferable[]];

/** A failure with the engine's own code (messages.ts's EngineErrorCode). */
export class EngineError extends Error {
  constructor(
    readonly code: 'no-webgpu' | 'software-webgpu' | 'bad-request',
    message: string,
  ) {
    super(message);
  }
}

export const bad = (message: string) => new EngineError('bad-request', message);

/** A frame's size, checked against LIMITS (the frame request's and the remote engine's): its area. */
export function checkSize(width: unknown, height: unknown): number {
  if (
    typeof width !== 'number' ||
    typeof height !== 'number' ||
    !Number.isSafeInteger(width) ||
    !Number.isSafeInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > LIMITS.maxSide ||
    height > LIMITS.maxSide ||
    width * height > LIMITS.maxPixels
  ) {
    throw bad(
      `a frame is 1 to ${LIMITS.maxSide} pixels a side and at most ${LIMITS.maxPixels} pixels ` +
        `(got ${String(width).slice(0, 12)}x${String(height).slice(0, 12)})`,
    );
  }
  return width * height;
}

/** Where the package ships them inside the extension (scripts/build-extension.mjs lays them out). */
export const WASM_FILE = 'lib/pkg/inbetween_wasm_bg.wasm';
export const MODEL_FILE = 'lib/model/rife-4.25-f16.bpk';

/** One of the extension's own files, fetched from this frame's origin. */
export async function ownFile(file: string): Promise<ArrayBuffer> {
  const r = await fetch(new URL(file, location.href));
  if (!r.ok) throw new Error(`could not read the extension's ${file} (${r.status})`);
  return r.arrayBuffer();
}
