// Duplicate (repeated) frame detection: which source frames repeat the picture before them, as
// pulldown (24 fps material stored at 25 or 30) and animation on twos or threes do.
//
// What a repeat looks like after an encoder, measured on a labelled set (www/lib/DUPLICATES.md):
// not an identical frame. x264 codes a repeat as a P or B frame whose error differs from its
// neighbour's (a few levels in textured blocks), and a B-frame repeat can even borrow some of the
// next picture's motion. And real slow motion after an encoder can be *more* identical than a
// repeat (a nearly still frame is coded as all skips). So no threshold on one pair separates them.
// What does:
// 1. Size: pairs are compared at a real resolution (up to 640x360; a 32x32 thumbnail averages
//    slow motion away) by the mean absolute grey difference of the most-changed quarter of
//    16x16 blocks, so motion in part of the frame (a face) counts at its own strength.
// 2. A dip: a repeat is far quieter than the pairs on either side of it, which move. Slow
//    motion, a static camera's noise or a still scene is about as quiet as its neighbours.
// 3. A bridge: across a repeat the picture goes on moving, so the frame before the hold and the
//    frame after it differ by about two steps of motion. A motion that only turns round (a
//    sway's end point, which also gives one quiet pair between moving ones) comes back to where
//    it was, so the frames either side of it are alike.
// 4. A cadence: holds recur (pulldown every 5 or 25 frames, twos every 2); an isolated quiet
//    pair in live footage is left alone.
// Pure functions on numbers, no browser API: the video job (pass 1, in the worker) and the
// extension's engine frame run the same code, and the tests run it in node.

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
    grey[i] =
      0.299 * (rgba[4 * i] as number) + 0.587 * (rgba[4 * i + 1] as number) + 0.114 * (rgba[4 * i + 2] as number);
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
   * averaged with a still background. The detector's measure.
   */
  top: number;
  /**
   * `across[len - 1]`: for this frame j, when frames j - len .. j - 1 look like a hold (see
   * `holdAt`), the `top` change between frame j and the frame before the hold's picture (frame
   * j - len - 2), i.e. across the hold. Absent when not measured (then the bridge test is skipped).
   */
  across?: (number | undefined)[];
}

/**
 * The change between two grey frames of the same size. Blocks tile the frame from the top left;
 * a partial block at the right or bottom edge counts over the pixels it has.
 */
export function compare(a: Float32Array, b: Float32Array, width: number, height: number): Change {
  const { blocks, total } = blockMeans(a, b, width, height);
  return summarise(blocks, total / (width * height));
}

/**
 * `compare`'s per-block numbers, before it sorts them: the mean absolute grey difference of each
 * 16x16 block, row-major over `blockGrid(width, height)`, and the sum over all pixels.
 */
export function blockMeans(
  a: Float32Array,
  b: Float32Array,
  width: number,
  height: number,
): { blocks: Float64Array; total: number } {
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
  return { blocks, total };
}

/** How many 16x16 blocks tile a width x height frame: across, down. */
export function blockGrid(width: number, height: number): { across: number; down: number } {
  return { across: Math.ceil(width / BLOCK), down: Math.ceil(height / BLOCK) };
}

/**
 * The change from per-block mean absolute grey differences measured elsewhere (the extension's
 * GPU pass, shaders/block_change.wgsl: the same numbers `compare` computes before it sorts them),
 * row-major over `blockGrid(width, height)`.
 */
export function changeOfBlocks(means: ArrayLike<number>, width: number, height: number): Change {
  const { across, down } = blockGrid(width, height);
  if (means.length !== across * down) {
    throw new RangeError(`changeOfBlocks: ${means.length} block means for ${width}x${height} (${across}x${down})`);
  }
  const blocks = new Float64Array(across * down);
  let total = 0;
  for (let by = 0; by < down; by++) {
    const h = Math.min(BLOCK, height - by * BLOCK);
    for (let bx = 0; bx < across; bx++) {
      const w = Math.min(BLOCK, width - bx * BLOCK);
      const m = means[by * across + bx] as number;
      blocks[by * across + bx] = m;
      total += m * w * h;
    }
  }
  return summarise(blocks, total / (width * height));
}

/** `mean`, and the peak and top quarter of the block means (sorted here, in place). */
function summarise(blocks: Float64Array, mean: number): Change {
  blocks.sort();
  const quarter = Math.max(1, Math.round(blocks.length / 4));
  let top = 0;
  for (let k = blocks.length - quarter; k < blocks.length; k++) top += blocks[k] as number;
  return { mean, peak: blocks[blocks.length - 1] as number, top: top / quarter };
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
  /** Across the hold the picture has moved on: at least this share of the smaller neighbour's change. */
  bridge: 1,
  /** A hold repeats a picture at most this many times (pulldown and twos once, threes twice). */
  maxHold: 3,
  /** A hold counts only when another one lies within this many frames: a cadence recurs. */
  period: 30,
} as const;

export type RepeatRule = { readonly [K in keyof typeof REPEAT_RULE]: number };

/**
 * Whether frames i .. i + len - 1 look like a hold by their own changes and their neighbours':
 * each changed by at most `quiet` and at most `dip` times the smaller change of the pairs just
 * outside (frame i - 1 against i - 2, frame i + len against i + len - 1), which move by at least
 * `move`. At the ends of the video only the one outside pair there is counts. Returns that
 * smaller outside change, or null.
 */
export function holdAt(
  top: readonly (number | null)[],
  i: number,
  len: number,
  rule: RepeatRule = REPEAT_RULE,
): number | null {
  const n = top.length;
  if (i < 1 || i + len > n) return null;
  const before = i >= 2 ? (top[i - 1] ?? null) : null;
  const after = i + len < n ? (top[i + len] ?? null) : null;
  if (before === null && after === null) return null;
  const lo = Math.min(before ?? Number.POSITIVE_INFINITY, after ?? Number.POSITIVE_INFINITY);
  let hi = 0;
  for (let k = i; k < i + len; k++) hi = Math.max(hi, top[k] ?? Number.POSITIVE_INFINITY);
  return lo >= rule.move && hi <= rule.quiet && hi <= rule.dip * lo ? lo : null;
}

/** A run of repeated frames: frames `start` .. `end - 1` repeat frame `start - 1`. */
interface Hold {
  start: number;
  end: number;
}

/**
 * Which frames repeat the frame before them and can be dropped: `changes[i]` is frame i against
 * frame i - 1 (null for the first frame). Frames i .. j - 1 are dropped as a hold when
 * - there are at most `maxHold` of them and they pass `holdAt` (quiet, a dip, moving neighbours);
 * - the picture moved on across them: frame j differs from frame i - 2 by at least `bridge` times
 *   the smaller neighbouring change (`across`, where measured);
 * - another hold starts within `period` frames (a cadence recurs).
 */
export function findRepeats(changes: readonly (Change | null)[], rule: RepeatRule = REPEAT_RULE): boolean[] {
  const n = changes.length;
  const top = changes.map((c) => c?.top ?? null);
  const holds: Hold[] = [];
  for (let i = 1; i < n; ) {
    let hold: Hold | null = null;
    for (let len = 1; len <= rule.maxHold && hold === null; len++) {
      const lo = holdAt(top, i, len, rule);
      if (lo === null) continue;
      const across = changes[i + len]?.across?.[len - 1];
      if (across !== undefined && across < rule.bridge * lo) continue;
      hold = { start: i, end: i + len };
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

/**
 * Which earlier frames `ChangeMeter` compares a new frame with, as "frames back" (1: the previous
 * one): the previous frame, and for each hold length `len` up to `maxHold` the frame before the
 * held picture (`len + 2` back), for `across`. A meter fed measured block means
 * (`pushMeasured`) must be able to give these.
 */
export function comparedBacks(rule: RepeatRule = REPEAT_RULE): number[] {
  return [1, ...Array.from({ length: rule.maxHold }, (_, i) => i + 3)];
}

/**
 * Measures a stream of grey frames (all `width` x `height`) one at a time, as decoding delivers
 * them: each frame's `Change` against the previous one, with `across` measured where a hold may
 * have just ended. Keeps the last `maxHold + 2` frames, no more. Or (`pushMeasured`) the same
 * from block means measured elsewhere, keeping no frames at all.
 */
export class ChangeMeter {
  readonly #width: number;
  readonly #height: number;
  readonly #rule: RepeatRule;
  readonly #recent: Float32Array[] = [];
  readonly #top: (number | null)[] = [];

  constructor(width: number, height: number, rule: RepeatRule = REPEAT_RULE) {
    this.#width = width;
    this.#height = height;
    this.#rule = rule;
  }

  /** Frame j (the j-th pushed, from 0): its change against frame j - 1, or null for the first. */
  push(grey: Float32Array): Change | null {
    const recent = this.#recent;
    const change = this.#measure((back) => {
      const from = recent[recent.length - back];
      return from ? compare(from, grey, this.#width, this.#height) : null;
    });
    recent.push(grey);
    if (recent.length > this.#rule.maxHold + 2) recent.shift();
    return change;
  }

  /**
   * As push(), for a frame whose block means were measured elsewhere: `means(back)` gives them
   * (row-major over `blockGrid`) against the frame `back` pushes before it, for each `back` of
   * `comparedBacks`, or null when the stream has no such frame yet. Only asked for what push()
   * would compare.
   */
  pushMeasured(means: (back: number) => ArrayLike<number> | null): Change | null {
    return this.#measure((back) => {
      const m = means(back);
      return m ? changeOfBlocks(m, this.#width, this.#height) : null;
    });
  }

  #measure(against: (back: number) => Change | null): Change | null {
    const change = against(1);
    this.#top.push(change?.top ?? null);
    if (change) {
      // A hold of `len` frames would end just before this one: measure across it, from the
      // frame before the held picture (len + 2 frames back) to this one.
      const j = this.#top.length - 1;
      for (let len = 1; len <= this.#rule.maxHold; len++) {
        if (holdAt(this.#top, j - len, len, this.#rule) === null) continue;
        const across = against(len + 2);
        if (across) (change.across ??= [])[len - 1] = across.top;
      }
    }
    return change;
  }
}

/**
 * The live form of `findRepeats`, for a player that must decide on each frame as it arrives (the
 * extension): whether the newest frame repeats the one before it. It cannot see the next frame,
 * so it asks less of the newest frame (`holdAt` with only the pair before it as a neighbour) and
 * more of the past: a hold that `findRepeats` confirmed in hindsight (both neighbours, the
 * bridge) must lie within `period` frames, i.e. the cadence is already established. A wrong
 * answer costs one interval interpolated across two.
 */
export class CadenceGuard {
  readonly #rule: RepeatRule;
  readonly #changes: (Change | null)[] = [];
  /** Stream index of `#changes[0]`. */
  #offset = 0;
  #confirmed = Number.NEGATIVE_INFINITY;

  constructor(rule: RepeatRule = REPEAT_RULE) {
    this.#rule = rule;
  }

  /** The newest frame's change against the previous frame (null for the first): is it a repeat? */
  push(change: Change | null): boolean {
    const rule = this.#rule;
    const changes = this.#changes;
    changes.push(change);
    const keep = 2 * rule.period + rule.maxHold + 2;
    if (changes.length > keep) {
      const drop = changes.length - keep;
      changes.splice(0, drop);
      this.#offset += drop;
    }
    const n = changes.length;
    // Holds confirmed by the whole rule, leaving out the newest frame (its next one is unknown).
    const found = findRepeats(changes.slice(0, n - 1), rule);
    for (let k = found.length - 1; k >= 0; k--) {
      if (found[k]) {
        this.#confirmed = Math.max(this.#confirmed, this.#offset + k);
        break;
      }
    }
    const newest = this.#offset + n - 1;
    if (newest - this.#confirmed > rule.period) return false;
    const top = changes.map((c) => c?.top ?? null);
    for (let len = 1; len <= rule.maxHold; len++) {
      if (holdAt(top, n - len, len, rule) !== null) return true;
    }
    return false;
  }
}
