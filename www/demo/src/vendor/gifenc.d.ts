// Types for the parts of gifenc 1.0.3 (MIT, by Matt DesLauriers) the demo uses. scripts/build-demo.mjs
// copies its ES module build, unmodified, to dist/vendor/gifenc.js with its licence.
export type Palette = number[][];
export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: { format?: 'rgb565' | 'rgb444' | 'rgba4444' }): Palette;
export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: 'rgb565' | 'rgb444' | 'rgba4444'): Uint8Array;
export interface GifEncoder {
  writeFrame(index: Uint8Array, width: number, height: number, options?: { palette?: Palette; delay?: number; repeat?: number }): void;
  finish(): void;
  bytes(): Uint8Array;
}
export function GIFEncoder(options?: { auto?: boolean; initialCapacity?: number }): GifEncoder;
