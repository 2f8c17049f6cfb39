// Before/after playback: two <video>s stacked in one box, the "after" one clipped to the right
// of a split the user drags. The source ("before") is the clock; the result follows it, so the
// pair stays in step even though the two files have different frame rates. While the result is
// being made, the right-hand side shows the newest in-between frame (the library's onPreview)
// against the source at the same moment, under a veil until the first one arrives.

import { $, formatTime } from './ui.js';

export class Compare {
  readonly before = $<HTMLVideoElement>('before');
  readonly after = $<HTMLVideoElement>('after');
  readonly #stage = $('compare-stage');
  readonly #pending = $('after-pending');
  readonly #preview = $<HTMLCanvasElement>('after-preview');
  readonly #play = $<HTMLButtonElement>('play');
  readonly #seek = $<HTMLInputElement>('seek');
  readonly #time = $('time');
  readonly #split = $<HTMLInputElement>('split');
  readonly #audio = $<HTMLInputElement>('audio');
  /** Result time per source second: the slow-motion factor (1 normally). */
  #stretch = 1;
  #hasResult = false;

  constructor() {
    this.#split.addEventListener('input', () => this.#setSplit(Number(this.#split.value)));
    // Dragging on the picture moves the split too (pointer capture keeps the drag going
    // when the pointer leaves the box); the range input is the keyboard way.
    this.#stage.addEventListener('pointerdown', (ev) => {
      this.#stage.setPointerCapture(ev.pointerId);
      this.#dragTo(ev);
    });
    this.#stage.addEventListener('pointermove', (ev) => {
      if (this.#stage.hasPointerCapture(ev.pointerId)) this.#dragTo(ev);
    });
    this.#play.addEventListener('click', () => this.toggle());
    this.#seek.addEventListener('input', () => {
      const d = this.before.duration;
      if (Number.isFinite(d)) this.seek(Number(this.#seek.value) * d);
    });
    this.#audio.addEventListener('change', () => this.#applyAudio());
    this.before.addEventListener('ended', () => {
      this.after.pause();
      this.#play.textContent = 'Play';
    });
    this.before.addEventListener('loadedmetadata', () => {
      // Match the box to the video so neither side is letterboxed differently.
      const { videoWidth: w, videoHeight: h } = this.before;
      if (w > 0 && h > 0) this.#stage.style.aspectRatio = `${w} / ${h}`;
    });
    const tick = (): void => {
      this.#sync();
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  /** A new source: the result side goes back to "pending". */
  setSource(url: string): void {
    this.pause();
    this.before.src = url;
    this.clearResult();
  }

  clearResult(): void {
    if (this.after.src.startsWith('blob:')) URL.revokeObjectURL(this.after.src);
    this.after.removeAttribute('src');
    this.after.load();
    this.#hasResult = false;
    this.#pending.hidden = false;
    this.#hidePreview();
    this.#applyAudio();
  }

  /**
   * While the result is being made: show its newest frame on the "after" side, and, unless the
   * user is playing the source, move the source to the same moment so the split compares like
   * with like. Takes ownership of `image` (closes it).
   */
  showPreview(image: ImageBitmap, time: number): void {
    try {
      if (this.#hasResult) return;
      this.#preview.width = image.width;
      this.#preview.height = image.height;
      this.#preview.getContext('2d')?.drawImage(image, 0, 0);
    } finally {
      image.close();
    }
    this.#preview.hidden = false;
    this.#pending.classList.add('over-preview');
    if (this.before.paused) this.before.currentTime = time;
  }

  #hidePreview(): void {
    this.#preview.hidden = true;
    this.#pending.classList.remove('over-preview');
  }

  setPendingText(text: string): void {
    this.#pending.textContent = text;
  }

  /** The finished video. `stretch` is its slow-motion factor (its duration / the source's). */
  setResult(url: string, stretch: number): void {
    this.after.src = url;
    this.#stretch = stretch;
    this.#hasResult = true;
    this.#pending.hidden = true;
    this.#hidePreview();
    this.#applyAudio();
    this.seek(this.before.currentTime);
  }

  /** The playhead, in source seconds. */
  get currentTime(): number {
    return this.before.currentTime;
  }

  toggle(): void {
    if (this.before.paused) void this.play();
    else this.pause();
  }

  async play(): Promise<void> {
    this.#play.textContent = 'Pause';
    // Slow motion: the source is slowed down to the result's pace, so both show the same moment.
    this.before.playbackRate = 1 / this.#stretch;
    try {
      await Promise.all([this.before.play(), this.#hasResult ? this.after.play() : Promise.resolve()]);
    } catch {
      // play() rejects when a pause() or a new source interrupts it; nothing to report.
    }
  }

  pause(): void {
    this.before.pause();
    this.after.pause();
    this.#play.textContent = 'Play';
  }

  seek(seconds: number): void {
    this.before.currentTime = seconds;
    if (this.#hasResult) this.after.currentTime = seconds * this.#stretch;
  }

  #setSplit(percent: number): void {
    this.#split.value = String(percent);
    this.#stage.style.setProperty('--split', `${percent}%`);
  }

  #dragTo(ev: PointerEvent): void {
    const box = this.#stage.getBoundingClientRect();
    this.#setSplit(Math.round(Math.min(100, Math.max(0, ((ev.clientX - box.left) / box.width) * 100))));
  }

  /** Only one side may make sound: the result when it has audio (same track), else the source. */
  #applyAudio(): void {
    const on = this.#audio.checked;
    this.after.muted = !(on && this.#hasResult);
    this.before.muted = !(on && !this.#hasResult);
  }

  /** Each animation frame: move the seek bar, and pull the result back if it drifted. */
  #sync(): void {
    const t = this.before.currentTime;
    const d = this.before.duration;
    if (Number.isFinite(d) && d > 0 && document.activeElement !== this.#seek) this.#seek.value = String(t / d);
    this.#time.textContent = formatTime(t);
    if (!this.#hasResult || this.after.readyState < 2) return;
    const want = t * this.#stretch;
    // Two decoders never tick exactly together; correct only visible drift (two frames at 30 fps)
    // so the result does not stutter from constant re-seeking.
    if (Math.abs(this.after.currentTime - want) > 0.07) this.after.currentTime = want;
    if (this.before.paused !== this.after.paused) {
      if (this.before.paused) this.after.pause();
      else void this.after.play().catch(() => {});
    }
  }
}
