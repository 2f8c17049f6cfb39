// Planning a video's output frames from the source frames' timestamps and similarities: which
// source frames are key frames (duplicates dropped), and, for every output frame, which pair it
// falls in and at what time t; plus the honest account of what happened to each source frame.
//
// Pure functions on numbers, with no browser API, so the rules can be tested without a video.
// Times are in seconds, as mediabunny gives them.

import { type Change, findRepeats } from '../shared/duplicates.js';

/** What the analysis pass measured for one decoded source frame. */
export interface SourceFrame {
  /** Presentation time (s). */
  timestamp: number;
  /** Duration (s); 0 when the container does not say. */
  duration: number;
  /** SSIM of this frame's thumbnail against the previous frame's, in [-1, 1]; NaN for the first. */
  similarity: number;
  /** How it differs from the previous frame (duplicates.ts `compare`); null for the first. */
  change: Change | null;
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
  /**
   * Motion time of each key frame (s): its own timestamp. A dropped duplicate is not re-timed
   * around: its key frames keep their times, and only the interval it sat in (from the key before
   * it to the key after it) is filled with in-betweens, so a wrong drop costs one frame, never a
   * second of them.
   */
  motion: number[];
  /** cut[j]: a scene cut lies between key j and key j + 1. */
  cut: boolean[];
  outputs: OutputFrame[];
  /** Source frames in the input. */
  sourceFrames: number;
  /** Source frames that appear in the output unchanged (as decoded). */
  kept: number;
  /** Source frames dropped as duplicates. */
  dropped: number;
  /** Source frames whose own time in the output shows a synthesized frame instead of them. */
  replaced: number;
  /** Output frames RIFE makes ('mix'). */
  interpolated: number;
  /** Scene cuts between key frames. */
  cuts: number;
}

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

  // 1. Key frames: every frame but the repeats of a pulldown or twos/threes cadence (duplicates.ts
  //    says which, and why a still scene or an isolated quiet frame is not one).
  const isDup = options.dedupe ? findRepeats(frames.map((f) => f.change)) : frames.map(() => false);
  const keys: number[] = [];
  for (let i = 0; i < frames.length; i++) if (!isDup[i]) keys.push(i);
  const dropped = frames.length - keys.length;

  // 2. Cuts between consecutive key frames. Key j+1's similarity was measured against the frame
  //    just before it: key j itself, or a dropped duplicate of key j, which looks the same. So it
  //    is the similarity of the pair either way.
  const cut = keys.slice(0, -1).map((_, j) => {
    const next = frames[keys[j + 1] as number] as SourceFrame;
    return options.sceneThreshold > 0 && next.similarity < options.sceneThreshold;
  });

  // 3. Motion times: each key frame's own timestamp. Where a repeat was dropped, the pair around
  //    it spans its slot too (two intervals for pulldown or twos, three for threes), so the
  //    picture moves through the slot instead of stopping in it; the key frames themselves keep
  //    their times and their pixels.
  const motion = keys.map((i) => (frames[i] as SourceFrame).timestamp);

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

  // 6. The account. A key frame is kept when some output frame is a copy of it; a source frame is
  //    replaced when the output frame at its own timestamp is an in-between instead (a dropped
  //    repeat's slot).
  const copied = new Set<number>();
  for (const o of outputs) {
    if (o.kind === 'a') copied.add(keys[o.pair] as number);
    else if (o.kind === 'b') copied.add(keys[o.pair + 1] as number);
  }
  let replaced = 0;
  let k = 0;
  for (let i = 0; i < frames.length; i++) {
    const ts = (frames[i] as SourceFrame).timestamp;
    while (k < outputs.length && (outputs[k] as OutputFrame).time < ts - 1e-6) k++;
    const o = outputs[k];
    if (!o || Math.abs(o.time - ts) > 1e-6) continue;
    if (o.kind === 'mix') replaced++;
  }
  return {
    keys,
    motion,
    cut,
    outputs,
    sourceFrames: frames.length,
    kept: copied.size,
    dropped,
    replaced,
    interpolated: outputs.filter((o) => o.kind === 'mix').length,
    cuts: cut.filter(Boolean).length,
  };
}
