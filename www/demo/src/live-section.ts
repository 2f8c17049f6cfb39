// The live section: the chosen video played smoothed in real time (the package's createPlayer),
// into a WebGPU canvas, with play/pause, seek and the player's own account of its frames.

import { createPlayer, type LivePlayer } from '../../lib/dist/index.js';
import { interpolator } from './engine.js';
import { $, errorMessage, formatTime } from './ui.js';
import type { VideoSection } from './video-section.js';

export class LiveSection {
  readonly #video: VideoSection;
  readonly #start = $<HTMLButtonElement>('live-start');
  readonly #stop = $<HTMLButtonElement>('live-stop');
  readonly #play = $<HTMLButtonElement>('live-play');
  readonly #seek = $<HTMLInputElement>('live-seek');
  readonly #error = $('live-error');
  #player: LivePlayer | null = null;
  #timer = 0;

  constructor(video: VideoSection) {
    this.#video = video;
    $<HTMLFormElement>('live-options').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.#open();
    });
    this.#stop.addEventListener('click', () => this.#close());
    this.#play.addEventListener('click', () => {
      const p = this.#player;
      if (!p) return;
      if (p.paused) void p.play();
      else p.pause();
    });
    this.#seek.addEventListener('input', () => {
      const p = this.#player;
      if (p) void p.seek(Number(this.#seek.value) * p.duration);
    });
    // The button follows the file and the backend: WebGPU only.
    setInterval(() => this.#refresh(), 500);
  }

  #refresh(): void {
    this.#start.disabled =
      this.#video.file === null || this.#video.busy || document.documentElement.dataset.engine !== 'webgpu';
    this.#start.title =
      document.documentElement.dataset.engine === 'webgpu' ? '' : 'Live playback needs WebGPU on a GPU';
  }

  async #open(): Promise<void> {
    const file = this.#video.file;
    if (!file) return;
    this.#close();
    this.#error.textContent = '';
    const stage = $('live-stage');
    // A new canvas each time: its control goes to the interpolator's worker.
    const canvas = document.createElement('canvas');
    canvas.setAttribute('aria-label', 'The video, smoothed, playing');
    stage.replaceChildren(canvas);
    $('live-view').hidden = false;
    const choice = $<HTMLSelectElement>('live-factor').value;
    try {
      const player = await createPlayer(file, {
        canvas,
        interpolator: await interpolator(),
        factor: choice === 'display' ? 'display' : Number(choice),
      });
      this.#player = player;
      this.#stop.disabled = false;
      await player.play();
      const started = performance.now();
      this.#timer = window.setInterval(() => {
        if (player.error) {
          this.#error.textContent = `Playback stopped: ${errorMessage(player.error)}`;
          this.#close();
          return;
        }
        const s = player.stats;
        const wall = (performance.now() - started) / 1000;
        this.#play.textContent = player.paused ? 'Play' : 'Pause';
        this.#seek.value = String(player.duration > 0 ? player.currentTime / player.duration : 0);
        $('live-time').textContent = formatTime(player.currentTime);
        $('live-stats').textContent =
          `${s.presented} frames shown (${s.interpolated} in-between, ` +
          `${(s.presented / Math.max(wall, 1e-3)).toFixed(1)} a second on average), ${s.late} refreshes late, ` +
          `${s.skipped} source frames skipped`;
      }, 250);
    } catch (e) {
      this.#error.textContent = `Cannot play this file live: ${errorMessage(e)}`;
      this.#close();
    }
  }

  #close(): void {
    clearInterval(this.#timer);
    this.#player?.close();
    this.#player = null;
    this.#stop.disabled = true;
  }
}
