// Planning a video's output frames from the source frames' timestamps and similarities: which
// source frames are key frames (duplicates dropped), when each one "happened" (motion times),
// and, for every output frame, which pair it falls in and at what time t.
//
// Pure functions on numbers, with no browser API, so the rules can be tested without a video.
// Times are in seconds, as mediabunny gives them.

/** What the analysis pass measured for one decoded source frame. */
export interface SourceFrame {
  /** Presentation time (s). */
  timestamp: number;
  /** Duration (s); 0 when the container does not say. */
  duration: number;
  /** SSIM of this frame's thumbnail against the previous frame's, in [-1, 1]; NaN for the first. */
  similarity: number;
  /** Largest absolute difference between the two thumbnails, in 8-bit levels; NaN for the first. */
  maxDiff: number;
}

export interface PlanOptions {
  /** Output frames per source interval (integer ≥ 1), or null when `fps` is used. */
  factor: number | null;
  /** Output frame rate, or null when `factor` is used. */
  fps: number | null;
  /** SSIM below which a pair is a scene cut; 0 turns detection off. */
  sceneThreshold: number;
  dedupe: boolean;
}

/** How one output frame is made. */
export type OutputKind = 'a' | 'b' | 'mix';

export interface OutputFrame {
  /** Presentation time (s) on the source's clock, before any slow-motion stretch. */
  time: number;
  duration: number;
  /** Index into `Plan.keys` of the pair's first frame. */
  pair: number;
  /** Time within the pair, in [0, 1]; meaningful for 'mix' only. */
  t: number;
  /** 'a'/'b': output the pair's first/second frame as is (at a cut, or when t is 0 or 1). */
  kind: OutputKind;
}

export interface Plan {
  /** Source frame indices used as key frames, ascending (dropped duplicates are absent). */
  keys: number[];
  /** Motion time of each key frame (s): its timestamp, re-timed when duplicates were dropped. */
  motion: number[];
  /** cut[j]: a scene cut lies between key j and key j + 1. */
  cut: boolean[];
  outputs: OutputFrame[];
  /** Source frames dropped as duplicates. */
  duplicates: number;
  /** Scene cuts between key frames. */
  cuts: number;
}

/**
 * A frame is a duplicate of the previous one when their thumbnails differ by at most this many
 * 8-bit levels anywhere. Thumbnails average blocks of pixels, so codec noise on a repeated frame
 * stays small (3.9 levels measured on an H.264 crf 16 pulldown clip at 128x72, where each thumbnail
 * pixel averages only 4x2 pixels), while real motion over an edge moves some block average by
 * tens of levels. Motion over flat areas may pass as a duplicate; interpolating across it
 * looks the same.
 */
export const DUPLICATE_MAX_DIFF = 6;

/** Output frames whose t is this close to 0 or 1 are the source frame itself, not a RIFE call. */
const T_EPSILON = 1e-3;

/** End of the source: the last frame's timestamp plus its duration (or the typical spacing). */
export function sourceEnd(frames: readonly SourceFrame[]): number {
  const last = frames[frames.length - 1];
  if (!last) return 0;
  return last.timestamp + lastDuration(frames);
}

function lastDuration(frames: readonly SourceFrame[]): number {
  const last = frames[frames.length - 1] as SourceFrame;
  if (last.duration > 0) return last.duration;
  const prev = frames[frames.length - 2];
  // A single frame of unknown duration (a one-frame file) still needs a length, or its output
  // frames would share a timestamp: show it for one frame at 30 fps.
  return prev && last.timestamp > prev.timestamp ? last.timestamp - prev.timestamp : 1 / 30;
}

/** The typical frame spacing (median of the gaps), or 0 for a single frame. */
export function typicalSpacing(frames: readonly SourceFrame[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    gaps.push((frames[i] as SourceFrame).timestamp - (frames[i - 1] as SourceFrame).timestamp);
  }
  if (gaps.length === 0) return frames[0]?.duration ?? 0;
  gaps.sort((x, y) => x - y);
  return gaps[gaps.length >> 1] as number;
}

export function plan(frames: readonly SourceFrame[], options: PlanOptions): Plan {
  if (frames.length === 0) throw new Error('no video frames to plan from');

  // 1. Key frames. A duplicate is dropped only when it is isolated (the next frame moves again):
  //    that is the signature of pulldown (24→25, 24→30) and of animation drawn on twos. A run of
  //    several identical frames is a still scene, and its frames keep their times, so the motion
  //    that follows it starts on time.
  const isDup = frames.map((f, i) => i > 0 && options.dedupe && f.maxDiff <= DUPLICATE_MAX_DIFF);
  const keys: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    const dropped = isDup[i] && !isDup[i + 1] && !isDup[i - 1];
    if (!dropped) keys.push(i);
  }
  const duplicates = frames.length - keys.length;

  // 2. Cuts between consecutive key frames. Key j+1's similarity was measured against the frame
  //    just before it: key j itself, or a dropped duplicate of key j, which looks the same. So it
  //    is the similarity of the pair either way.
  const cut = keys.slice(0, -1).map((_, j) => {
    const next = frames[keys[j + 1] as number] as SourceFrame;
    return options.sceneThreshold > 0 && next.similarity < options.sceneThreshold;
  });

  // 3. Motion times. Without duplicates they are the timestamps. With them, a dropped frame
  //    leaves a gap twice as long as its neighbours, in which the picture moved only one step;
  //    spreading the gaps over about a second of key frames (a moving average of the spacing)
  //    makes the motion even again. Each shot is evened out on its own, with its first and last
  //    key frames kept at their timestamps: a cut stays exactly where it was, and the drift
  //    against the audio is bounded by about one frame.
  const stamps = keys.map((i) => (frames[i] as SourceFrame).timestamp);
  let motion = stamps;
  if (duplicates > 0) {
    const radius = Math.max(1, Math.round(0.5 / Math.max(typicalSpacing(frames), 1e-3)));
    motion = [];
    let start = 0;
    for (let j = 0; j < stamps.length; j++) {
      if (j === stamps.length - 1 || cut[j]) {
        motion.push(...evenOut(stamps.slice(start, j + 1), radius));
        start = j + 1;
      }
    }
  }

  // 4. Output times on the source clock.
  const end = sourceEnd(frames);
  const times: { time: number; duration: number }[] = [];
  if (options.factor !== null) {
    // Each source interval, duplicates included, is split into `factor` equal parts, so a
    // variable-frame-rate source stays variable, with every original timestamp kept.
    const n = options.factor;
    for (let i = 0; i < frames.length; i++) {
      const start = (frames[i] as SourceFrame).timestamp;
      const stop = i + 1 < frames.length ? (frames[i + 1] as SourceFrame).timestamp : end;
      const step = (stop - start) / n;
      for (let k = 0; k < n; k++) times.push({ time: start + k * step, duration: step });
    }
  } else {
    // A constant-rate grid from the first frame to the end of the last one.
    const fps = options.fps as number;
    const start = (frames[0] as SourceFrame).timestamp;
    const count = Math.max(1, Math.round((end - start) * fps));
    for (let k = 0; k < count; k++) times.push({ time: start + k / fps, duration: 1 / fps });
  }

  // 5. Each output time's pair and t. Output times only increase, so walk the pairs once.
  const outputs: OutputFrame[] = [];
  let j = 0;
  for (const { time, duration } of times) {
    while (j + 1 < motion.length && (motion[j + 1] as number) <= time + 1e-9) j++;
    const m0 = motion[j] as number;
    const m1 = motion[j + 1];
    if (m1 === undefined || time <= m0) {
      // Before the first key frame or after the last: hold it.
      outputs.push({ time, duration, pair: j, t: 0, kind: 'a' });
      continue;
    }
    const t = (time - m0) / (m1 - m0);
    let kind: OutputKind = 'mix';
    if (cut[j]) kind = t < 0.5 ? 'a' : 'b';
    else if (t < T_EPSILON) kind = 'a';
    else if (t > 1 - T_EPSILON) kind = 'b';
    outputs.push({ time, duration, pair: j, t, kind });
  }

  return { keys, motion, cut, outputs, duplicates, cuts: cut.filter(Boolean).length };
}

/**
 * Times with the same first and last value whose spacing is the moving average (over
 * `2 * radius + 1` gaps) of the spacing of `stamps`.
 */
export function evenOut(stamps: readonly number[], radius: number): number[] {
  const n = stamps.length;
  if (n < 3) return stamps.slice();
  const gaps = stamps.slice(1).map((s, i) => s - (stamps[i] as number));
  const smooth = gaps.map((_, i) => {
    const lo = Math.max(0, i - radius);
    const hi = Math.min(gaps.length - 1, i + radius);
    let sum = 0;
    for (let k = lo; k <= hi; k++) sum += gaps[k] as number;
    return sum / (hi - lo + 1);
  });
  const out = [stamps[0] as number];
  for (const g of smooth) out.push((out[out.length - 1] as number) + g);
  // Rescale so the last time is exact (the average does not preserve the sum at the edges).
  const first = stamps[0] as number;
  const span = (stamps[n - 1] as number) - first;
  const got = (out[n - 1] as number) - first;
  return out.map((m) => (got > 0 ? first + ((m - first) * span) / got : m));
}
