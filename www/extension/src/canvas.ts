// A 2D context that is never null: TypeScript's getContext may return null (another context type
// already taken), which for the extension's own fresh canvases would be a bug, not a state.
export function context2d(
  canvas: OffscreenCanvas,
  options?: CanvasRenderingContext2DSettings,
): OffscreenCanvasRenderingContext2D;
export function context2d(
  canvas: HTMLCanvasElement,
  options?: CanvasRenderingContext2DSettings,
): CanvasRenderingContext2D;
export function context2d(canvas: OffscreenCanvas | HTMLCanvasElement, options?: CanvasRenderingContext2DSettings) {
  const ctx = canvas.getContext('2d', options) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx) throw new Error('no 2D canvas context');
  return ctx;
}

/** Sets a canvas's size, only when it changes (setting it clears the canvas, even to the same size). */
export function resize(canvas: OffscreenCanvas | HTMLCanvasElement, width: number, height: number): void {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
}
