// What the overlay shows when: the frames it holds (source frames and in-betweens, by media time),
// the video's clock, and how far behind that clock the overlay runs.
//
// The in-between of frames N and N+1 can only be made once N+1 has been decoded, so the overlay
// runs `delayMs` behind the video's own clock. The delay is measured (the latest any in-between
// arrived relative to when it was due) plus a display frame, and bounded by `maxDelayMs` (150 ms
// by default: picture trailing sound by less than that is hard to notice; ITU-R BT.1359 puts
// detectability at about 125 ms for late video). The video keeps playing underneath, with its own
// audio, untouched.
import type { Stats } from './stats.js';
import { median, pushLimited } from './util.js';

/** Consecutive frames further apart than this (media seconds) are not interpolated: a seek, a
 * stall or a slideshow, where an in-between would be a morph of unrelated pictures. */
export const MAX_GAP_S = 0.5;

/** A canvas an in-between was drawn into on the GPU (the overlay's, for the in-process engine),
 * given back once the in-between leaves the queue and the screen. */
export interface GpuSlot {
  release(): void;
}

/** A presentable frame: a source frame at overlay resolution, or an in-between at working
 * resolution (at `t` between the source frames at media times m0 and m1): its pixels (from the
 * engine frame) or the WebGPU canvas it was drawn into (the in-process engine). */
export type Entry =
  | { mt: number; kind: 'source'; bitmap: ImageBitmap | null }
  | {
      mt: number;
      kind: 'interp';
      image: ImageData | null;
      slot: GpuSlot | null;
      m0: number;
      m1: number;
      t: number;
    };

/** What to show now: an entry (at `target`, the delayed clock), 'hold' what is on screen, or
 * nothing (hide the overlay: the video shows through). */
export type Pick = { entry: Entry; target: number } | 'hold' | null;

export interface Presented {
  mt: number;
  kind: Entry['kind'];
  generation: number;
  at: number;
  /** How long after its moment on the (delayed) clock it went up: under one display frame. */
  lateMs: number;
  delayMs: number;
}

export class Pacer {
  /** The video's last presented frame: its media time and when it was (to be) on screen. */
  clock: { mt: number; at: number } | null = null;
  /** The source's frame spacing (media seconds), measured on every presented frame. */
  private readonly intervals: number[] = [];
  /** Sorted by media time. */
  readonly entries: Entry[] = [];
  shown: Entry | null = null;
  delayMs = 0;
  /** What the measurements ask for; `delayMs` follows it (see next). */
  private wantDelayMs = 0;
  private lastPresent = 0;
  /** How late recent in-betweens arrived, ms. */
  private needs: number[] = [];
  readonly presentTimes: number[] = [];
  readonly presentLog: Presented[] = [];

  constructor(private readonly stats: Stats) {}

  /** The video presented a frame. */
  observe(meta: VideoFrameCallbackMetadata): void {
    const prevMt = this.clock?.mt;
    if (prevMt !== undefined && meta.mediaTime > prevMt && meta.mediaTime - prevMt <= MAX_GAP_S) {
      pushLimited(this.intervals, meta.mediaTime - prevMt, 30);
    }
    this.clock = { mt: meta.mediaTime, at: meta.expectedDisplayTime };
  }

  /** The median source frame interval, media seconds (0 before two frames). */
  interval(): number {
    return median(this.intervals);
  }

  sourceFps(): number {
    const m = this.interval();
    return m > 0 ? 1 / m : 0;
  }

  /** An in-between came `need` ms after it was due (only counted once the level is warm). */
  noteNeed(need: number): void {
    pushLimited(this.needs, need, 20);
  }

  /** The worst recent lateness (-Infinity for none). */
  worstNeed(): number {
    return Math.max(...this.needs);
  }

  forgetNeeds(): void {
    this.needs = [];
  }

  /** The delay to aim for after a pair whose in-betweens came `need` ms late: a one display-frame
   * margin (16.7 ms at 60 Hz) over the worst recent case, within `maxDelayMs`. */
  aim(need: number, maxDelayMs: number): void {
    const worst = this.needs.length ? this.worstNeed() : need;
    this.wantDelayMs = Math.min(maxDelayMs, Math.max(0, worst) + 17);
  }

  add(entry: Entry): void {
    // Behind what is on screen already: too late to be shown (see next).
    if (this.shown && entry.mt <= this.shown.mt) {
      this.release(entry);
      return;
    }
    const e = this.entries;
    let i = e.length;
    while (i > 0 && (e[i - 1] as Entry).mt > entry.mt) i--;
    e.splice(i, 0, entry);
    // Bound the memory whatever happens to presentation (a hidden tab presents nothing).
    if (e.length > 48) this.drop(e.length - 48);
  }

  /** Takes the source frame at `mt` out (the engine found it a repeat), unless it is on screen. */
  remove(mt: number): void {
    const at = this.entries.findIndex((e) => e.kind === 'source' && e.mt === mt);
    if (at >= 0 && this.entries[at] !== this.shown) this.release(this.entries.splice(at, 1)[0]);
  }

  /** Removes the `n` oldest entries, closing their bitmaps (GPU memory, freed now, not at GC). */
  private drop(n: number): void {
    for (const entry of this.entries.splice(0, n)) {
      if (entry !== this.shown) this.release(entry);
    }
  }

  /** Frees an entry's bitmap (GPU memory) now rather than at garbage collection, or gives its
   * canvas back. */
  private release(entry: Entry | null | undefined): void {
    if (entry?.kind === 'interp' && entry.slot) {
      entry.slot.release();
      entry.slot = null;
      return;
    }
    if (entry?.kind !== 'source' || !entry.bitmap) return;
    entry.bitmap.close();
    entry.bitmap = null;
    this.stats.bitmapsClosed++;
  }

  /** Forgets every entry, the one on screen included. */
  flush(): void {
    this.drop(this.entries.length);
    this.release(this.shown);
    this.shown = null;
  }

  /** What to show at `now` (a display frame's time), the video playing at `rate`. */
  next(now: number, rate: number): Pick {
    const c = this.clock;
    if (!c) return null;
    // A longer delay applies at once (the frame on screen is held until the clock catches up);
    // a shorter one is approached at 10% of real time, so the overlay catches up by playing
    // 1.1x fast for a moment instead of skipping frames.
    const elapsed = this.lastPresent ? Math.min(100, now - this.lastPresent) : 0;
    this.lastPresent = now;
    this.delayMs =
      this.wantDelayMs >= this.delayMs ? this.wantDelayMs : Math.max(this.wantDelayMs, this.delayMs - 0.1 * elapsed);
    // The video's clock now, extrapolated from its last presented frame, minus our delay.
    const target = c.mt + ((now - c.at) / 1000) * rate - (this.delayMs / 1000) * rate;
    const e = this.entries;
    let pick = -1;
    for (let i = 0; i < e.length && (e[i] as Entry).mt <= target + 1e-4; i++) pick = i;
    // Never step back in time. When the delay grows (a slow pair raised it), the target falls
    // behind what is on screen: hold that frame until the clock catches up, rather than show
    // older ones again. Entries that end up behind it (a late in-between) can never be shown.
    const onScreen = this.shown;
    if (onScreen && (pick < 0 || (e[pick] as Entry).mt < onScreen.mt)) {
      const at = e.indexOf(onScreen);
      if (at > 0) this.drop(at);
      return 'hold';
    }
    if (pick < 0) return null;
    if (pick > 0) this.drop(pick);
    const entry = e[0] as Entry;
    // Stale: nothing newer arrived for a while (the pipeline stalled): show the video itself.
    const interval = this.interval() || 0.1;
    if (target - entry.mt > 2 * interval + 0.05) return null;
    return { entry, target };
  }

  /** `entry`, picked by next() at `target`, went up at `now`. */
  presented(entry: Entry, now: number, target: number, rate: number, generation: number): void {
    // The previous one left the queue when this one was picked: its bitmap can go now.
    if (this.shown && !this.entries.includes(this.shown)) this.release(this.shown);
    this.shown = entry;
    this.stats.presented++;
    if (entry.kind === 'interp') this.stats.presentedInterp++;
    this.presentTimes.push(now);
    // How long after its moment on the (delayed) clock each frame went up, for the tests and for
    // anyone debugging judder: it should be under one display frame.
    pushLimited(
      this.presentLog,
      {
        mt: entry.mt,
        kind: entry.kind,
        generation,
        at: now,
        lateMs: ((target - entry.mt) / rate) * 1000,
        delayMs: this.delayMs,
      },
      32,
    );
  }
}
