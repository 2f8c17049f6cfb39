// Small numeric and promise helpers of the content script.

/** An exponential moving average; the first sample starts it. */
export function ema(prev: number, x: number, a: number): number {
  return prev ? prev + a * (x - prev) : x;
}

/** The upper median (0 for none). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

/** Appends `x`, keeping the last `n`. */
export function pushLimited<T>(xs: T[], x: T, n: number): void {
  xs.push(x);
  if (xs.length > n) xs.shift();
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function rectOf(r: DOMRect): Rect {
  return { x: r.x, y: r.y, width: r.width, height: r.height };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
