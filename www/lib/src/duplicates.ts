// Duplicate (repeated) frame detection: which source frames repeat the picture before them, as
// pulldown (24 fps material shown at 25 or 30) and animation on twos or threes do.
//
// The test has two parts, both measured on a labelled set (www/lib/DUPLICATES.md):
// 1. Each consecutive pair is compared at a real resolution (up to 640x360, never a thumbnail:
//    a 32x32 thumbnail averages slow motion away) by the mean absolute grey difference of its
//    worst 16x16 block. A re-encoded repeat differs by codec noise, spread thin; real motion, even
//    slow, concentrates on edges and texture, so the worst block is where they separate.
// 2. A pair is a repeat only when it is both small in absolute terms *and* a dip against the pairs
//    around it: a repeat inside moving footage is far quieter than its neighbours, while slow
//    motion, a static camera's noise or a still scene is about as quiet as its neighbours. Pure
//    functions on numbers, with no browser API, so the same code serves the video job (pass 1
//    in the worker) and the extension's engine frame, and tests run it in node.

/** The analysis frame's largest size: half of 720p, a third of 1080p. Larger frames are scaled down. */
export const ANALYSIS_MAX_WIDTH = 640;
export const ANALYSIS_MAX_HEIGHT = 360;
/** Block side (analysis pixels) over which differences are averaged. */
export const BLOCK = 16;

/** The size a width x height frame is compared at: scaled down to fit 640x360, never up. */
export function analysisSize(width: number, height: number): { width: number; height: number } {
  const s = Math.min(1, ANALYSIS_MAX_WIDTH / width, ANALYSIS_MAX_HEIGHT / height);
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/** Grey (BT.601 luma weights, 8-bit scale) of RGBA pixels. */
export function greyOf(rgba: Uint8ClampedArray | Uint8Array): Float32Array {
  const grey = new Float32Array(rgba.length >> 2);
  for (let i = 0; i < grey.length; i++) {
    grey[i] = 0.299 * (rgba[4 * i] as number) + 0.587 * (rgba[4 * i + 1] as number) + 0.114 * (rgba[4 * i + 2] as number);
  }
  return grey;
}

/** How much one frame differs from the previous one. */
export interface Change {
  /** Mean absolute grey difference over the frame, in 8-bit levels. */
  mean: number;
  /** Mean absolute grey difference of the most-changed 16x16 block, in 8-bit levels. */
  peak: number;
  /**
   * Mean absolute grey difference over the most-changed quarter of the 16x16 blocks: motion
   * confined to part of the frame (a face, a hand) counts at its own strength instead of being
   * averaged with a still background.
   */
  top: number;
}

/**
 * The change between two grey frames of the same size. Blocks tile the frame from the top left;
 * a partial block at the right or bottom edge counts over the pixels it has.
 */
export function compare(a: Float32Array, b: Float32Array, width: number, height: number): Change {
  if (a.length !== width * height || b.length !== width * height) {
    throw new RangeError(`compare: frames of ${a.length} and ${b.length} values for ${width}x${height}`);
  }
  const bw = Math.ceil(width / BLOCK);
  const bh = Math.ceil(height / BLOCK);
  const sums = new Float64Array(bw * bh);
  let total = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const brow = ((y / BLOCK) | 0) * bw;
    for (let x = 0; x < width; x++) {
      const d = Math.abs((a[row + x] as number) - (b[row + x] as number));
      const k = brow + ((x / BLOCK) | 0);
      sums[k] = (sums[k] as number) + d;
      total += d;
    }
  }
  const blocks = new Float64Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    const h = Math.min(BLOCK, height - by * BLOCK);
    for (let bx = 0; bx < bw; bx++) {
      const w = Math.min(BLOCK, width - bx * BLOCK);
      blocks[by * bw + bx] = (sums[by * bw + bx] as number) / (w * h);
    }
  }
  blocks.sort();
  const quarter = Math.max(1, Math.round(blocks.length / 4));
  let top = 0;
  for (let k = blocks.length - quarter; k < blocks.length; k++) top += blocks[k] as number;
  return { mean: total / (width * height), peak: blocks[blocks.length - 1] as number, top: top / quarter };
}

/**
 * The rule's thresholds, chosen on the labelled set (www/lib/DUPLICATES.md has the measurements):
 * the loosest setting with no false positive on any slow-motion negative.
 */
export const REPEAT_RULE = {
  /** A repeat's change (`top`, levels) is at most this... */
  quiet: 4,
  /** ...and at most this share of the change of the pairs either side of its hold... */
  dip: 0.2,
  /** ...which must move by at least this much (`top`, levels): around a repeat the picture moves. */
  move: 1.5,
  /** A hold repeats a picture at most this many times (pulldown and twos once, threes twice). */
  maxHold: 3,
  /** A hold counts only when another one lies within this many frames: a cadence recurs. */
  period: 30,
} as const;

export type RepeatRule = { readonly [K in keyof typeof REPEAT_RULE]: number };

/** A run of repeated frames: frames `start` .. `end - 1` repeat frame `start - 1`. */
interface Hold {
  start: number;
  end: number;
}

/**
 * Which frames repeat the frame before them and can be dropped: `changes[i]` is frame i against
 * frame i - 1 (null for the first frame). Frames i .. j - 1 form a hold when
 * - there are at most `maxHold` of them,
 * - each changed by at most `quiet` and by at most `dip` times the smaller change of the pairs
 *   just outside the run (frame i - 1 against i - 2, frame j against j - 1), and those move by at
 *   least `move`: a still scene, static noise or a slowdown is as quiet as its neighbours;
 * - another hold starts within `period` frames: pulldown and drawn-on-twos cadences recur, while
 *   an isolated quiet frame in live footage (or an encoder that skipped a nearly still frame) is
 *   left alone.
 * At the first and last frames only the one neighbouring pair there is can be checked.
 */
export function findRepeats(changes: readonly (Change | null)[], rule: RepeatRule = REPEAT_RULE): boolean[] {
  const n = changes.length;
  const top = (i: number): number | null => (i >= 1 && i < n ? changes[i]?.top ?? null : null);
  const holds: Hold[] = [];
  for (let i = 1; i < n;) {
    let hold: Hold | null = null;
    for (let len = 1; len <= rule.maxHold && i + len <= n && hold === null; len++) {
      const bounds = [top(i - 1), top(i + len)].filter((v): v is number => v !== null);
      if (bounds.length === 0) continue;
      const lo = Math.min(...bounds);
      let hi = 0;
      for (let k = i; k < i + len; k++) hi = Math.max(hi, top(k) ?? Number.POSITIVE_INFINITY);
      if (lo >= rule.move && hi <= rule.quiet && hi <= rule.dip * lo) hold = { start: i, end: i + len };
    }
    if (hold) {
      holds.push(hold);
      i = hold.end;
    } else {
      i++;
    }
  }
  const out = new Array<boolean>(n).fill(false);
  for (const h of holds) {
    if (!holds.some((o) => o !== h && Math.abs(o.start - h.start) <= rule.period)) continue;
    for (let k = h.start; k < h.end; k++) out[k] = true;
  }
  return out;
}
