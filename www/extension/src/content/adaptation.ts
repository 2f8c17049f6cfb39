// Keeping up: when pairs arrive too late or are dropped because the engine is still busy, step
// down a ladder of cheaper settings (lower flow scale, lower working resolution, factor 2), and
// pause interpolation (overlay hidden, the video shows through) when even the cheapest is too
// slow. When everything is comfortably fast, step back up.
import type { Stats } from './stats.js';
import { ema } from './util.js';

/** The ladder, best first. `maxHeight` caps the working resolution (never above the video's own,
 * nor above what the overlay shows on screen); `scale` is RIFE's flow scale. */
export const LEVELS = Object.freeze([
  { maxHeight: 720, scale: 1 },
  { maxHeight: 720, scale: 0.5 },
  { maxHeight: 540, scale: 0.5 },
  { maxHeight: 360, scale: 0.5 },
] as const);
export type Level = (typeof LEVELS)[number];

/** Settle time after starting or changing level before judging speed: the first runs at a new
 * size compile shaders and allocate, and take many times longer than the rest. */
const WARMUP_MS = 2500;
const WARMUP_PAIRS = 2;
/** …but an engine that completes no pair at all within this long is simply too slow. */
const WARMUP_MAX_MS = 8000;
export const MAX_FACTOR = 8;

/** In-betweens per pair + 1: the user's `setting`, or for 'auto' the display's refresh rate over
 * the video's frame rate (at its playback rate), within what adaptation allows (`cap`). */
export function factorFor(setting: unknown, srcFps: () => number, hz: () => number, cap: number): number {
  let k: number;
  if (setting === 'auto') {
    const fps = srcFps();
    const rate = hz();
    if (!fps || !rate) return 2;
    k = Math.floor(rate / fps + 0.25);
    // The video already runs at (about) the display's rate: nothing to add.
    if (k < 2) return 1;
  } else {
    k = Number(setting) || 2;
  }
  return Math.max(2, Math.min(k, cap, MAX_FACTOR));
}

/** What the adaptation reads from, and does to, its video. */
export interface Adapted {
  /** Interpolating (not off, paused or failed). */
  running(): boolean;
  /** The source's frame interval on screen (at its playback rate), ms; 0 before it is known. */
  intervalMs(): number;
  /** The main thread's cost per captured frame, ms. */
  captureMs(): number;
  /** The worst recent lateness of an in-between, ms (-Infinity for none). */
  worstNeed(): number;
  maxDelay(): number;
  factor(): number;
  /** A new level: forget its lateness and what is in flight (made for the old one). */
  changed(): void;
  /** Even the cheapest level is too slow: stop interpolating, saying why. */
  pause(why: string): void;
}

/** Where a pair's time came from: the GPU's timestamps (the in-process engine, where the
 * adapter has `timestamp-query`), or the wall clock from the first submit to the last result. */
export type PairTimeSource = 'gpu' | 'wall';

/** One pair's time, as measured. */
export interface PairTime {
  ms: number;
  source: PairTimeSource;
  /** Its wall time, for comparison (the same as `ms` when that is the source). */
  wallMs: number;
}

/** "… ms per pair", saying when it is the GPU's time (the notices and the panel). */
export function pairText(ms: number, source: PairTimeSource): string {
  return `${Math.round(ms)} ms${source === 'gpu' ? ' of GPU time' : ''} per pair`;
}

export class Adaptation {
  level = 0;
  factorCap = MAX_FACTOR;
  /** The engine's time per pair at this level (its own measurement), ms. */
  pairMs = 0;
  /** The last pair's time and where it came from (the ladder reads `pairMs`). */
  lastPair: PairTime = { ms: 0, source: 'wall', wallMs: 0 };
  private since = performance.now();
  /** Pairs completed at this level. */
  private pairs = 0;
  /** Per-pair outcomes of the last 3 s. */
  private outcomes: { at: number; ok: boolean }[] = [];

  constructor(
    private readonly video: Adapted,
    private readonly stats: Stats,
  ) {}

  get settings(): Level {
    return LEVELS[this.level] as Level;
  }

  /** Below the best setting. */
  get reduced(): boolean {
    return this.level > 0 || this.factorCap < MAX_FACTOR;
  }

  /** A pair came back after `time.ms` of the engine's time; true once past the level's warm-up
   * pairs. GPU time, where there is one, is what the work costs the GPU: the wall time also
   * counts the waits between in-betweens and whatever else the page's thread was doing. */
  pairDone(time: PairTime): boolean {
    this.pairs++;
    this.lastPair = time;
    this.pairMs = this.pairs <= WARMUP_PAIRS ? time.ms : ema(this.pairMs, time.ms, 0.2);
    return this.pairs > WARMUP_PAIRS;
  }

  /** A pair was on time (ok), late, or dropped. */
  outcome(ok: boolean, why: '' | 'late' | 'dropped'): void {
    if (!ok && why === 'dropped') this.stats.dropped++;
    const now = performance.now();
    this.outcomes.push({ at: now, ok });
    while (this.outcomes.length && (this.outcomes[0] as { at: number }).at < now - 3000) this.outcomes.shift();
    this.adapt(now);
  }

  private adapt(now: number): void {
    const age = now - this.since;
    if (!this.video.running() || age < WARMUP_MS || (this.pairs < WARMUP_PAIRS && age < WARMUP_MAX_MS)) return;
    const recent = this.outcomes.filter((o) => o.at >= this.since + WARMUP_MS);
    if (recent.length < 4) return;
    const okShare = recent.filter((o) => o.ok).length / recent.length;
    const intervalMs = this.video.intervalMs();
    const captureMs = this.video.captureMs();
    // Main-thread cost counts too: capture is ours, on the page's thread.
    const mainThreadHeavy = intervalMs > 0 && captureMs > 0.3 * intervalMs;
    if (okShare < 0.75 || mainThreadHeavy) {
      const speed =
        this.pairs > 0 ? pairText(this.pairMs, this.lastPair.source) : `no pair done in ${Math.round(age / 1000)} s`;
      this.stepDown(
        okShare < 0.75
          ? `${speed} for a ${Math.round(intervalMs)} ms frame interval`
          : `reading a frame takes ${Math.round(captureMs)} ms`,
      );
      return;
    }
    const comfortable =
      okShare === 1 &&
      recent.length >= 8 &&
      now - this.since > 8000 &&
      this.pairMs < 0.4 * intervalMs &&
      this.video.worstNeed() < 0.5 * this.video.maxDelay();
    if (comfortable && this.reduced) this.stepUp();
  }

  private stepDown(why: string): void {
    if (this.level < LEVELS.length - 1) this.setLevel(this.level + 1, this.factorCap);
    else if (this.video.factor() > 2) this.setLevel(this.level, 2);
    // Even the cheapest setting cannot keep up: stop interpolating and let the video show.
    else this.video.pause(`too slow on this GPU (${why}); click on/off to try again`);
  }

  private stepUp(): void {
    if (this.factorCap < MAX_FACTOR) this.setLevel(this.level, MAX_FACTOR);
    else this.setLevel(this.level - 1, this.factorCap);
  }

  setLevel(level: number, cap: number): void {
    this.level = level;
    this.factorCap = cap;
    this.since = performance.now();
    this.pairs = 0;
    this.outcomes = [];
    this.video.changed();
  }
}
