// One video: its frames taken (capture.ts), sent to the engine in pairs and the in-betweens
// received (here), shown against its clock (pacing.ts) on its overlay (overlay.ts), at a level
// the adaptation (adaptation.ts) keeps affordable.
import { codeOf, isObject } from '../messages.js';
import { type AudioRouter, routerFor } from './audio.js';
import { Adaptation, factorFor, LEVELS, type Level, MAX_FACTOR, type PairTime } from './adaptation.js';
import { Capture, overlaySize, Repeats, workSize } from './capture.js';
import type { BlockStatDevice } from './block-stat.js';
import type { EngineHandle, GpuEngine } from './local.js';
import { brief, notice, SAY } from './notices.js';
import { type Mode, Overlay, type Slot } from './overlay.js';
import { type Entry, MAX_GAP_S, Pacer } from './pacing.js';
import { audioDelay, type Factor, maxDelay, type Settings } from './settings.js';
import { newStats } from './stats.js';
import { resolveWaiters } from './test-hooks.js';
import type { EngineClient } from './transport.js';
import { ema, rectOf } from './util.js';

/** What a session needs from the run it belongs to (content.ts). */
export interface SessionHost {
  readonly settings: Settings;
  /** The engine frame; null once stopped, or when the in-process engine runs instead. */
  readonly engine: EngineClient | null;
  /** The in-process engine (local.ts), where this page lets WebAssembly compile; else null. */
  readonly local: GpuEngine | null;
  /** The repeat detector's GPU statistic (block-stat.ts) on the in-process path, or null... */
  readonly stat: BlockStatDevice | null;
  /** ...and then why not. */
  readonly statWhy: string;
  readonly active: boolean;
  /** The display's refresh rate, Hz. */
  displayHz(): number;
  /** The session closed itself: its video left the page, or (`refuse`) its pixels became unreadable. */
  ended(video: HTMLVideoElement, refuse: boolean): void;
  /** The user picked a factor on this video's control: every video follows. */
  setFactor(value: Factor): void;
  /** Stops everything (the engine failed, or the user clicked ✕). */
  stop(): void;
}

/** A captured source frame on its way to the engine. */
interface Captured {
  seq: number;
  mt: number;
  /** When it is on screen (the video's own clock, performance.now() time). */
  due: number;
  /** The pixels, for the engine frame; null on the in-process path. */
  image: ImageData | null;
  /** On the in-process path: the frame, prepared on the GPU (freed by whoever drops it). */
  frame: EngineHandle | null;
  /** On the in-process path: whether it repeats the frame captured before it (the detector's
   * answer, once its statistic is measured). */
  repeat: Promise<boolean> | null;
  /** The flow scale it was prepared at. */
  scale: number;
  width: number;
  height: number;
  level: number;
  generation: number;
  /** The frame it pairs with, when it follows one at its size. */
  prev: { seq: number; mt: number } | null;
}

/** Frees `rec`'s prepared frame, once: whoever frees it next finds none. */
function freeFrame(rec: Captured | null): void {
  rec?.frame?.free();
  if (rec) rec.frame = null;
}

export class Session {
  private on = true;
  private mode: Mode = 'running';
  private why = '';
  private closed = false;
  /** Bumped by flush(): results made before it are dropped. */
  private generation = 0;
  private seq = 0;
  private last: Captured | null = null;
  /** The seq of the frame the engine holds as the next pair's first. */
  private anchorSeq = -1;
  /** The in-process path's pair start: the frame the engine frame would hold (its `held`). */
  private anchor: Captured | null = null;
  private readonly repeats: Repeats;
  private inFlight = false;
  /** The newest frame captured while the engine was busy. */
  private pending: Captured | null = null;
  /** Media time of the picture before a repeated frame the engine skipped, until the next pair. */
  private repeatFrom: number | null = null;
  private captureMs = 0;
  private readonly captureTimes: number[] = [];
  private panelUpdated = 0;
  private readonly stats = newStats();
  private readonly pacer = new Pacer(this.stats);
  private readonly adaptation: Adaptation;
  private readonly overlay: Overlay;
  private readonly capture: Capture;
  private readonly events = ['seeking', 'pause', 'ratechange', 'emptied', 'loadedmetadata', 'ended'];
  private readonly flushBound = () => this.flush();
  /** The video's sound, held back with the picture (audio.ts); null where it is not. */
  private sound: AudioRouter | null = null;
  /** Why the sound is not delayed ('' while it is, or while that is being set up). */
  private soundWhy = '';

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly stream: number,
    private readonly host: SessionHost,
  ) {
    this.adaptation = new Adaptation(
      {
        running: () => this.mode === 'running',
        intervalMs: () => (this.pacer.interval() * 1000) / (this.video.playbackRate || 1),
        captureMs: () => this.captureMs,
        worstNeed: () => this.pacer.worstNeed(),
        maxDelay: () => maxDelay(this.host.settings),
        factor: () => this.factor(),
        changed: () => {
          this.pacer.forgetNeeds();
          this.flush();
        },
        pause: (why) => {
          this.mode = 'paused';
          this.why = why;
          this.flush();
          this.updatePanel(true);
        },
      },
      this.stats,
    );
    this.overlay = new Overlay(String(host.settings.factor), {
      toggle: () => this.setOn(!this.on),
      factor: (value) => host.setFactor(value),
      close: () => host.stop(),
    });
    this.repeats = new Repeats(host.stat, host.statWhy);
    this.capture = new Capture(video, this.stats, (meta) => this.onVideoFrame(meta));
    for (const e of this.events) video.addEventListener(e, this.flushBound);
    if (audioDelay(host.settings)) {
      routerFor(video).then(
        (r) => {
          if (typeof r === 'string') this.soundWhy = r;
          else if (!this.closed) this.sound = r;
        },
        (e) => {
          this.soundWhy = brief(e);
        },
      );
    } else this.soundWhy = 'off in the settings (audioDelay)';
  }

  // --- capture and interpolation ---

  private onVideoFrame(meta: VideoFrameCallbackMetadata): void {
    try {
      // The source's frame spacing (media time), for the factor and the adaptation: measured on
      // every presented frame, captured or not.
      this.pacer.observe(meta);
      if (!this.on || this.mode !== 'running' || this.video.paused || this.video.seeking) return;
      // Nothing to add (the video already runs at the display's rate): no work at all.
      if (this.factor() < 2) return;
      this.take(meta);
    } catch (e) {
      this.fail(e);
    }
  }

  private take(meta: VideoFrameCallbackMetadata): void {
    const start = performance.now();
    const { width, height } = this.workSize();
    const local = this.host.local;
    const level = this.adaptation.level;
    const scale = (LEVELS[level] as Level).scale;
    const work = { width, height };
    const shown = overlaySize(this.video, this.overlay.pictureRect);
    const grabbed = local
      ? this.capture.grabOnGpu(meta.mediaTime, work, shown, this.repeats)
      : this.capture.grab(meta.mediaTime, work, shown);
    if (grabbed === 'tainted') {
      // The source changed to a cross-origin one mid-session.
      this.close();
      this.host.ended(this.video, true);
      return;
    }
    // In process: onto the engine's own texture now, on the GPU (the canvas is drawn over by the
    // next frame). The engine frame's path sends the bytes instead.
    const frame = local && 'source' in grabbed ? local.prepare(grabbed.source, scale) : null;
    this.captureMs = ema(this.captureMs, performance.now() - start, 0.2);
    this.stats.captured++;
    this.captureTimes.push(performance.now());

    const rec: Captured = {
      seq: ++this.seq,
      mt: meta.mediaTime,
      due: meta.expectedDisplayTime,
      image: 'image' in grabbed ? grabbed.image : null,
      frame,
      repeat: 'repeat' in grabbed ? grabbed.repeat : null,
      scale,
      width,
      height,
      level,
      generation: this.generation,
      prev: null,
    };
    const prev = this.last;
    this.last = rec;
    if (prev && rec.mt > prev.mt && rec.mt - prev.mt <= MAX_GAP_S && prev.width === width && prev.height === height) {
      rec.prev = { seq: prev.seq, mt: prev.mt };
      this.stats.pairs++;
    }
    this.pacer.add({ mt: rec.mt, kind: 'source', bitmap: grabbed.bitmap });

    if (this.inFlight) {
      // The engine is still busy: keep only the newest frame. A frame replaced here is lost, and
      // with it its pair and the next one: the adaptation hears about both.
      if (this.pending?.prev) this.adaptation.outcome(false, 'dropped');
      freeFrame(this.pending);
      this.pending = rec;
      return;
    }
    this.dispatch(rec);
  }

  /** To whichever engine this run has. */
  private dispatch(rec: Captured): void {
    const local = this.host.local;
    if (local) this.sendLocal(rec, local);
    else this.send(rec);
  }

  /** The in-betweens of `rec`'s pair: k per source interval (k·spans in all, after repeats),
   * with `rec.prev` moved back to the picture before a repeat. Empty when not pairable. */
  private times(rec: Captured, pairable: boolean): number[] {
    const k = this.factor();
    let spans = 1;
    if (pairable && rec.prev && this.repeatFrom !== null) {
      rec.prev = { seq: rec.prev.seq, mt: this.repeatFrom };
      spans = Math.max(
        1,
        Math.round((rec.mt - this.repeatFrom) / Math.max(1e-3, this.pacer.interval() || rec.mt - this.repeatFrom)),
      );
    }
    this.repeatFrom = null;
    return pairable ? Array.from({ length: k * spans - 1 }, (_, i) => (i + 1) / (k * spans)) : [];
  }

  /**
   * The in-process path (local.ts): what the engine frame does with a frame request (handle.ts's
   * `frame`), here, on frames already on the GPU. The in-betweens are computed one at a time
   * and, each once the GPU is done with it, copied into a WebGPU canvas of the overlay (one
   * each), shown from there at their moments. The pair's time is the GPU's: the sum of its
   * in-betweens' GPU times (timestamps, read back as 16 bytes each) where the adapter has
   * `timestamp-query`, else the wall time from the first submit to the last one done.
   */
  private sendLocal(rec: Captured, local: GpuEngine): void {
    // The repeat detector's answer first (on the GPU statistic, a readback of a few KB still in
    // flight): the engine counts as busy meanwhile, so frames keep their order.
    this.inFlight = true;
    (rec.repeat ?? Promise.resolve(false))
      .catch(() => false)
      .then((repeat) => {
        this.inFlight = false;
        if (this.closed || rec.generation !== this.generation || this.mode !== 'running') {
          rec.frame?.free();
          rec.frame = null;
          this.next();
          return;
        }
        try {
          this.sendDecided(rec, local, repeat);
        } catch (e) {
          this.fail(e);
        }
      });
  }

  private sendDecided(rec: Captured, local: GpuEngine, repeat: boolean): void {
    const k = this.factor();
    const anchor = this.anchor;
    const follows =
      anchor !== null &&
      rec.prev !== null &&
      rec.prev.seq === anchor.seq &&
      anchor.width === rec.width &&
      anchor.height === rec.height;
    const pairable = follows && k >= 2;
    if (rec.prev && !pairable && k >= 2) {
      this.adaptation.outcome(false, 'dropped');
      // That may have stepped the level down, which flushes (and frees the pair start).
      if (rec.generation !== this.generation) {
        freeFrame(rec);
        this.next();
        return;
      }
    }
    const ts = this.times(rec, pairable);
    const frame = rec.frame as EngineHandle;
    if (repeat && follows) {
      // A repeat (pulldown, twos): the picture before it stays the pair start, under this seq;
      // its picture is shown by the next pair's in-betweens instead.
      frame.free();
      rec.frame = null;
      anchor.seq = rec.seq;
      this.anchorSeq = rec.seq;
      if (rec.prev && rec.generation === this.generation) {
        this.repeatFrom = rec.prev.mt;
        this.stats.repeats++;
        this.pacer.remove(rec.mt);
      }
      this.next();
      return;
    }
    // A new pair start (no pair: nothing follows, a new scale, or no in-betweens asked).
    this.anchor = rec;
    this.anchorSeq = rec.seq;
    if (!follows || anchor.scale !== rec.scale || ts.length === 0) {
      freeFrame(anchor);
      this.next();
      return;
    }
    const slots: Slot[] = [];
    for (const _ of ts) {
      const slot = this.overlay.slot((canvas) => local.attach(canvas));
      if (!slot) break;
      slots.push(slot);
    }
    const first = anchor.frame as EngineHandle;
    if (slots.length < ts.length) {
      // Every canvas holds an in-between still to be shown (the display is far behind): drop.
      for (const slot of slots) slot.release();
      first.free();
      anchor.frame = null;
      this.adaptation.outcome(false, 'dropped');
      this.next();
      return;
    }
    const start = performance.now();
    const gone = () => this.closed || rec.generation !== this.generation;
    this.inFlight = true;
    // One in-between at a time: computed, waited for, then copied into its canvas (so that no
    // canvas is presented with the interpolation still running, see local.ts).
    const run = async (): Promise<{ time: PairTime; at: number } | null> => {
      const gpu: Promise<number | undefined>[] = [];
      for (const [i, t] of ts.entries()) {
        local.interpolate(first, frame, t);
        // Asked now, for this one: its timestamps come back about when it is done.
        gpu.push(local.gpuTime());
        await local.done();
        if (gone()) return null;
        await local.present((slots[i] as Slot).target);
      }
      const at = performance.now();
      const wallMs = at - start;
      const times = await Promise.all(gpu);
      // Every in-between timed, or the wall clock for the pair: a sum with gaps would flatter it.
      const timed = times.every((ms) => typeof ms === 'number' && Number.isFinite(ms) && ms > 0);
      const time: PairTime = timed
        ? { ms: (times as number[]).reduce((a, b) => a + b, 0), source: 'gpu', wallMs }
        : { ms: wallMs, source: 'wall', wallMs };
      return { time, at };
    };
    run()
      .then(
        (done) => {
          if (!done || gone()) {
            for (const slot of slots) slot.release();
            return;
          }
          const prev = rec.prev as { mt: number };
          ts.forEach((t, i) => {
            const slot = slots[i] as Slot;
            this.pacer.add({
              mt: prev.mt + t * (rec.mt - prev.mt),
              kind: 'interp',
              image: null,
              slot,
              m0: prev.mt,
              m1: rec.mt,
              t,
            });
          });
          this.timing(rec, ts, done.time, done.at);
        },
        (e: unknown) => {
          for (const slot of slots) slot.release();
          this.engineFailed(e);
        },
      )
      .finally(() => {
        // The pair start is no longer needed (WebGPU keeps what queued work uses until it is done).
        first.free();
        if (anchor.frame === first) anchor.frame = null;
        this.inFlight = false;
        this.next();
      });
  }

  /** After a pair: the frame that waited while the engine was busy, if it still may go. */
  private next(): void {
    if (this.closed || this.inFlight) return;
    const next = this.pending;
    this.pending = null;
    if (next && next.generation === this.generation && this.mode === 'running') this.dispatch(next);
    else freeFrame(next);
  }

  /** The engine failed (a lost GPU device, say): it cannot recover in place. Stop everything, so
   * the page is as it was, and say so; a click starts afresh. */
  private engineFailed(e: unknown): void {
    if (this.closed || !this.host.active) return;
    // By the error's code (the package's, which the engine passes on; the wasm's own on the
    // in-process path), not its text.
    const code = codeOf(e) ?? (isObject(e) && typeof e.code === 'string' ? e.code : undefined);
    notice(SAY.failed(code === 'device-lost' ? SAY.deviceLost : brief(e)));
    this.host.stop();
  }

  private send(rec: Captured): void {
    const k = this.factor();
    const pairable = rec.prev !== null && rec.prev.seq === this.anchorSeq && k >= 2;
    if (rec.prev && !pairable && k >= 2) this.adaptation.outcome(false, 'dropped');
    // After a repeated frame (pulldown, twos) the engine pairs this frame with the picture
    // before the repeat: the in-betweens span the repeat's slot too, k per source interval.
    const ts = this.times(rec, pairable);
    const scale = rec.scale;
    const engine = this.host.engine;
    if (!engine) return; // stopped: every session is closed with it
    this.inFlight = true;
    // No transfer: the image stays here too, as the overlay's copy of the source frame.
    engine
      .call({
        type: 'frame',
        stream: this.stream,
        seq: rec.seq,
        prevSeq: rec.prev?.seq ?? -1,
        image: { pixels: (rec.image as ImageData).data.buffer as ArrayBuffer, width: rec.width, height: rec.height },
        ts,
        scale,
        staticGuard: this.host.settings.staticGuard !== false,
      })
      .then(
        (result) => {
          if (this.closed) return;
          this.anchorSeq = rec.seq;
          if (result.repeat && rec.prev && rec.generation === this.generation) {
            // The engine found this frame a repeat: its picture is shown by the next pair's
            // in-betweens instead (a frozen step here would be the stutter to remove).
            this.repeatFrom = rec.prev.mt;
            this.stats.repeats++;
            this.pacer.remove(rec.mt);
            return;
          }
          if (!result.frames || rec.generation !== this.generation) return;
          // The engine frame's time is its wall time for the pair (engine/handle.ts): the package
          // it runs keeps its GPU work behind a worker that reports no timestamps.
          this.received(rec, ts, result.frames, result.count, { ms: result.ms, source: 'wall', wallMs: result.ms });
        },
        (e: unknown) => {
          // The engine's queue is full (LIMITS in messages.ts; only with many videos at once):
          // this pair is lost, as when the engine is busy here.
          if (codeOf(e) === 'busy') {
            if (!this.closed && rec.prev) this.adaptation.outcome(false, 'dropped');
            return;
          }
          this.engineFailed(e);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.next();
      });
  }

  private received(rec: Captured, ts: number[], frames: ArrayBuffer, count: number, time: PairTime): void {
    const prev = rec.prev as { mt: number };
    const bytes = rec.width * rec.height * 4;
    const m0 = prev.mt;
    const m1 = rec.mt;
    for (let i = 0; i < count; i++) {
      const t = ts[i] as number;
      const image = new ImageData(new Uint8ClampedArray(frames, i * bytes, bytes), rec.width, rec.height);
      this.pacer.add({ mt: m0 + t * (m1 - m0), kind: 'interp', image, slot: null, m0, m1, t });
    }
    this.timing(rec, ts, time);
  }

  /** A pair's in-betweens were ready at `at`, after `time` of the engine's time: how late, for
   * the delay and the adaptation. */
  private timing(rec: Captured, ts: number[], time: PairTime, at = performance.now()): void {
    const prev = rec.prev as { mt: number };
    const m0 = prev.mt;
    const m1 = rec.mt;
    this.stats.interpolated++;
    const warm = this.adaptation.pairDone(time);
    // When the first in-between of this pair was due on the video's own clock, and how late it
    // came: the overlay's delay must cover that.
    const rate = this.video.playbackRate || 1;
    const dueMs = rec.due - ((m1 - m0) * (1 - (ts[0] as number)) * 1000) / rate;
    const need = at - dueMs;
    if (warm) this.pacer.noteNeed(need);
    const ok = need <= maxDelay(this.host.settings);
    if (!ok) this.stats.late++;
    if (warm) this.adaptation.outcome(ok, ok ? '' : 'late');
    this.pacer.aim(need, maxDelay(this.host.settings));
  }

  /** In-betweens per pair + 1 (adaptation.ts). */
  private factor(): number {
    return factorFor(
      this.host.settings.factor,
      () => this.pacer.sourceFps() * (this.video.playbackRate || 1),
      () => this.host.displayHz(),
      this.adaptation.factorCap,
    );
  }

  private workSize() {
    return workSize(
      this.video,
      this.overlay.pictureRect,
      this.adaptation.settings.maxHeight,
      this.host.settings.maxWorkHeight,
    );
  }

  /** The user picked a factor (on any video's control). */
  factorChanged(value: Factor): void {
    this.overlay.setFactor(String(value));
    this.adaptation.setLevel(this.adaptation.level, MAX_FACTOR);
  }

  /** Forget frames and pairs in progress: after a seek, pause, rate or source change, or a new
   * level. Results already on their way are dropped by their generation. */
  private flush(): void {
    this.generation++;
    this.pacer.flush();
    this.last = null;
    freeFrame(this.pending);
    this.pending = null;
    freeFrame(this.anchor);
    this.anchor = null;
    this.repeats.reset();
    this.anchorSeq = -1;
    this.repeatFrom = null;
    this.overlay.hide();
    this.host.engine?.call({ type: 'forget', stream: this.stream }).catch(() => {});
  }

  fail(e: unknown): void {
    // A lost device is every video's end, wherever it surfaced (the remote-recorded engine's
    // `prepare` is where it shows first): stop the run, saying so.
    if (codeOf(e) === 'device-lost') {
      this.engineFailed(e);
      return;
    }
    // The panel says it briefly; the console keeps the whole of it, for a bug report.
    console.warn('inbetween: this video stopped', e);
    this.mode = 'error';
    this.why = brief(e);
    this.flush();
    this.updatePanel(true);
  }

  // --- presentation ---

  present(now: number): void {
    try {
      this.show(now);
    } finally {
      // The sound follows the picture's delay while the overlay is up, and the video's own
      // (none) while the video shows through.
      this.sound?.follow(this.overlay.visible ? this.pacer.delayMs : 0);
    }
  }

  private show(now: number): void {
    if (!this.video.isConnected) {
      this.close();
      this.host.ended(this.video, false);
      return;
    }
    this.overlay.place(this.video);
    const v = this.video;
    if (
      !this.on ||
      this.mode !== 'running' ||
      v.paused ||
      v.seeking ||
      v.ended ||
      !this.pacer.clock ||
      this.factor() < 2
    ) {
      this.overlay.hide();
      this.updatePanel();
      return;
    }
    const rate = v.playbackRate || 1;
    const pick = this.pacer.next(now, rate);
    if (pick === 'hold') {
      this.updatePanel();
      return;
    }
    if (pick === null) {
      this.overlay.hide();
      this.updatePanel();
      return;
    }
    const { entry, target } = pick;
    if (entry !== this.pacer.shown) {
      this.overlay.draw(entry, overlaySize(this.video, this.overlay.pictureRect));
      this.pacer.presented(entry, now, target, rate, this.generation);
    }
    this.overlay.show();
    this.updatePanel();
    TEST_HOOKS: resolveWaiters(entry.kind, () => this.snapshot(true));
  }

  // --- the on-page control ---

  private setOn(on: boolean): void {
    this.on = on;
    this.overlay.setOn(on);
    // Turning it on again is also the way out of 'paused' and 'error': start over from the
    // best level (the reason it was slow may be gone).
    if (on) {
      this.mode = 'running';
      this.why = '';
      this.adaptation.setLevel(0, MAX_FACTOR);
    } else {
      this.flush();
    }
    this.updatePanel(true);
  }

  private updatePanel(force = false): void {
    const now = performance.now();
    if (!force && now - this.panelUpdated < 250) return;
    this.panelUpdated = now;
    const presentTimes = this.pacer.presentTimes;
    while (presentTimes.length && (presentTimes[0] as number) < now - 1000) presentTimes.shift();
    while (this.captureTimes.length && (this.captureTimes[0] as number) < now - 1000) this.captureTimes.shift();
    const shownFps = this.overlay.visible ? presentTimes.length : 0;
    this.overlay.setPanel(`${shownFps} ← ${this.captureTimes.length} fps`, {
      on: this.on,
      mode: this.mode,
      why: this.why,
      videoPaused: this.video.paused,
      factor: this.factor(),
      work: this.workSize(),
      scale: this.adaptation.settings.scale,
      pairMs: this.adaptation.pairMs,
      pairTimeSource: this.adaptation.lastPair.source,
      delayMs: this.pacer.delayMs,
      soundDelayed: this.sound !== null,
      reduced: this.adaptation.reduced,
    });
  }

  /** After a fullscreen change: back above the new fullscreen element. */
  restack(): void {
    this.overlay.restack();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The routing stays (it cannot be undone, audio.ts), without a delay.
    this.sound?.follow(0);
    this.sound = null;
    this.capture.close();
    for (const e of this.events) this.video.removeEventListener(e, this.flushBound);
    this.host.engine?.call({ type: 'forget', stream: this.stream }).catch(() => {});
    this.pacer.flush();
    freeFrame(this.pending);
    this.pending = null;
    freeFrame(this.anchor);
    this.anchor = null;
    this.repeats.dispose();
    this.overlay.remove();
  }

  /** Paints the control magenta (test hooks: a screenshot finds it). */
  mark(on: boolean): void {
    this.overlay.mark(on);
  }

  /** For the tests (reachable only from this extension's isolated world). */
  snapshot(withPixels: boolean) {
    this.updatePanel(true);
    const s: Entry | null = this.pacer.shown;
    const shown =
      this.overlay.visible && s
        ? s.kind === 'interp'
          ? { kind: s.kind, mt: s.mt, m0: s.m0, m1: s.m1, t: s.t }
          : { kind: s.kind, mt: s.mt, m0: undefined, m1: undefined, t: undefined }
        : null;
    const { panel, fps, hostRect, canvasRect, popoverOpen, panelRect, onTop, canvasSize, onGpuCanvas } =
      this.overlay.layout();
    return {
      mode: this.mode,
      why: this.why,
      on: this.on,
      level: this.adaptation.level,
      scale: this.adaptation.settings.scale,
      factor: this.factor(),
      delayMs: this.pacer.delayMs,
      sound: {
        delayed: this.sound !== null,
        why: this.soundWhy,
        delayMs: this.sound?.delayMs ?? 0,
        targetMs: this.sound?.targetMs ?? 0,
      },
      pairMs: this.adaptation.pairMs,
      /** What fed pairMs last: 'gpu' (timestamps) or 'wall' (adaptation.ts), with that pair's own
       * time and its wall time. */
      pairTimeSource: this.adaptation.lastPair.source,
      lastPair: { ...this.adaptation.lastPair },
      captureMs: this.captureMs,
      stats: { ...this.stats },
      /** The repeat detector's statistic: in process 'gpu', or 'readback' and why; else the engine
       * frame's (its own detector, on the bytes it is sent). */
      repeatStatistic: this.host.local ? this.repeats.source : { statistic: 'engine frame', note: '' },
      shown,
      panel,
      fps,
      hostRect,
      canvasRect,
      videoRect: rectOf(this.video.getBoundingClientRect()),
      popoverOpen,
      panelRect,
      onTop,
      canvasSize,
      onGpuCanvas,
      presentLog: this.pacer.presentLog.slice(),
      ...(withPixels && shown ? { pixels: this.overlay.pixels() } : {}),
    };
  }
}

export type Snapshot = ReturnType<Session['snapshot']>;
