// One video's counters, for the tests and for anyone debugging: every VideoFrame opened is closed,
// every bitmap made is closed, and where the pairs went.
export interface Stats {
  captured: number;
  pairs: number;
  interpolated: number;
  dropped: number;
  repeats: number;
  late: number;
  /** VideoFrames opened and closed (equal at every await). */
  opened: number;
  closed: number;
  /** Display bitmaps made and closed. */
  bitmaps: number;
  bitmapsClosed: number;
  presented: number;
  presentedInterp: number;
  /** Frames read back (getImageData) for the repeat detector: 0 while its GPU statistic serves. */
  greyReadbacks: number;
}

export function newStats(): Stats {
  return {
    captured: 0,
    pairs: 0,
    interpolated: 0,
    dropped: 0,
    repeats: 0,
    late: 0,
    opened: 0,
    closed: 0,
    bitmaps: 0,
    bitmapsClosed: 0,
    presented: 0,
    presentedInterp: 0,
    greyReadbacks: 0,
  };
}
