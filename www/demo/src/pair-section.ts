// The photo-pair section: two photos of nearly the same scene → the in-between moments (the
// FILM use case), played as a loop or a boomerang, exported as WebM (encodeFrames) or GIF
// (gifenc).

import { encodeFrames } from '../../lib/dist/index.js';
import { interpolator } from './engine.js';
import { $, drawImageData, errorMessage, nextFrame, setDownload, wireDropZone } from './ui.js';
import { applyPalette, GIFEncoder, quantize } from './vendor/gifenc.js';

/** Largest working height: RIFE's cost grows with the pixel count, and a GIF gets huge anyway. */
const MAX_HEIGHT = { cpu: 360, webgpu: 720 } as const;
/** In-betweens per interpolateMany call: each call encodes the two photos once, and the
 * progress text moves between calls. */
const CHUNK = 4;

export class PairSection {
  readonly #status = $('pair-status');
  readonly #error = $('pair-error');
  readonly #start = $<HTMLButtonElement>('pair-start');
  readonly #canvas = $<HTMLCanvasElement>('pair-canvas');
  readonly #playButton = $<HTMLButtonElement>('pair-play');
  readonly #download = $<HTMLAnchorElement>('pair-download');
  #files: File[] = [];
  /** The two photos at working size, once decoded (the time-map section uses them too). */
  #pair: { a: ImageData; b: ImageData } | null = null;
  #sequence: ImageData[] = [];
  #fps = 12;
  #timer: number | null = null;
  #shown = 0;

  constructor() {
    wireDropZone($('pair-drop'), $<HTMLInputElement>('pair-files'), (files) => this.#addFiles(files));
    $('pair-sample').addEventListener('click', () => void this.#loadSample());
    $<HTMLFormElement>('pair-options').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.#run();
    });
    this.#playButton.addEventListener('click', () => (this.#timer === null ? this.#play() : this.#stop()));
    $('pair-webm').addEventListener('click', () => void this.#export('webm'));
    $('pair-gif').addEventListener('click', () => void this.#export('gif'));
  }

  /** The decoded pair, decoding the chosen photos if needed; null when there are not two. */
  async pair(): Promise<{ a: ImageData; b: ImageData } | null> {
    if (this.#pair === null && this.#files.length === 2) this.#pair = await this.#decode();
    return this.#pair;
  }

  /** Keeps the last two images chosen: two at once, or one and then another. */
  #addFiles(files: File[]): void {
    this.#error.textContent = '';
    const images = files.filter((f) => f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|avif|bmp)$/i.test(f.name));
    if (images.length === 0) {
      this.#error.textContent = `Not an image: ${files.map((f) => f.name).join(', ')}`;
      return;
    }
    this.#files = [...this.#files, ...images].slice(-2);
    this.#pair = null;
    const thumbs = $('pair-thumbs');
    for (const img of thumbs.querySelectorAll('img')) URL.revokeObjectURL(img.src);
    thumbs.replaceChildren(
      ...this.#files.map((f, i) => {
        const img = document.createElement('img');
        img.src = URL.createObjectURL(f);
        img.alt = `Photo ${i === 0 ? 'A' : 'B'}: ${f.name}`;
        return img;
      }),
    );
    this.#start.disabled = this.#files.length !== 2;
    this.#status.textContent =
      this.#files.length === 2
        ? `${this.#files[0]?.name} → ${this.#files[1]?.name}`
        : 'One photo chosen; add the second.';
  }

  /** RIFE's own demo frames (committed under tests/golden/images), when the repo root is served. */
  async #loadSample(): Promise<void> {
    try {
      const names = ['I0_0.png', 'I0_1.png'];
      const files = await Promise.all(
        names.map(async (name) => {
          const res = await fetch(new URL(`../../tests/golden/images/${name}`, location.href));
          if (!res.ok) throw new Error(`${name}: HTTP ${res.status} (serve the repository root to use the demo pair)`);
          return new File([await res.blob()], name, { type: 'image/png' });
        }),
      );
      this.#files = [];
      this.#addFiles(files);
    } catch (e) {
      this.#error.textContent = errorMessage(e);
    }
  }

  /** Both photos as ImageData at the working size; a clear error when their sizes differ. */
  async #decode(): Promise<{ a: ImageData; b: ImageData }> {
    const interp = await interpolator();
    const [fa, fb] = this.#files as [File, File];
    const bitmaps = await Promise.all(
      [fa, fb].map(async (f) => {
        try {
          return await createImageBitmap(f, { imageOrientation: 'from-image' });
        } catch {
          throw new Error(`${f.name} is not an image this browser can decode`);
        }
      }),
    );
    const [ba, bb] = bitmaps as [ImageBitmap, ImageBitmap];
    try {
      if (ba.width !== bb.width || ba.height !== bb.height) {
        throw new Error(
          `The photos differ in size: ${fa.name} is ${ba.width}x${ba.height}, ${fb.name} is ` +
            `${bb.width}x${bb.height}. Use two photos of the same size (two shots of one scene).`,
        );
      }
      const cap = MAX_HEIGHT[interp.backend];
      const height = Math.min(ba.height, cap);
      const width = Math.round((ba.width * height) / ba.height);
      return { a: toImageData(ba, width, height), b: toImageData(bb, width, height) };
    } finally {
      ba.close();
      bb.close();
    }
  }

  async #run(): Promise<void> {
    this.#error.textContent = '';
    this.#stop();
    this.#start.disabled = true;
    const section = $('pair');
    section.dataset.state = 'running';
    try {
      const interp = await interpolator();
      this.#pair = await this.#decode();
      const { a, b } = this.#pair;
      const count = clampInt($<HTMLInputElement>('pair-count').value, 1, 31, 7);
      this.#fps = clampInt($<HTMLInputElement>('pair-fps').value, 1, 60, 12);
      const ts = Array.from({ length: count }, (_, i) => (i + 1) / (count + 1));
      const mids: ImageData[] = [];
      for (let i = 0; i < ts.length; i += CHUNK) {
        this.#status.textContent = `Making in-betweens at ${a.width}x${a.height}: ${mids.length} / ${count}…`;
        await nextFrame();
        mids.push(...(await interp.interpolateMany(a, b, ts.slice(i, i + CHUNK))));
      }
      // Loop: A, in-betweens, B, then back to A. Boomerang: A → B → A without repeating the ends.
      const boomerang = $<HTMLSelectElement>('pair-mode').value === 'boomerang';
      this.#sequence = boomerang ? [a, ...mids, b, ...mids.slice().reverse()] : [a, ...mids, b];
      this.#status.textContent =
        `${this.#sequence.length} frames at ${a.width}x${a.height}, ` +
        `${boomerang ? 'boomerang' : 'loop'}, ${this.#fps} fps.`;
      $('pair-result').hidden = false;
      this.#download.hidden = true;
      this.#shown = 0;
      this.#play();
      section.dataset.state = 'done';
    } catch (e) {
      this.#error.textContent = errorMessage(e);
      section.dataset.state = 'error';
    } finally {
      this.#start.disabled = this.#files.length !== 2;
    }
  }

  #play(): void {
    if (this.#sequence.length === 0) return;
    this.#stop();
    const draw = (): void => {
      drawImageData(this.#canvas, this.#sequence[this.#shown % this.#sequence.length] as ImageData);
      this.#shown++;
    };
    draw();
    this.#timer = window.setInterval(draw, 1000 / this.#fps);
    this.#playButton.textContent = 'Pause';
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#playButton.textContent = 'Play';
  }

  async #export(kind: 'webm' | 'gif'): Promise<void> {
    if (this.#sequence.length === 0) return;
    this.#error.textContent = '';
    const section = $('pair');
    section.dataset.export = 'working';
    this.#status.textContent = `Encoding ${kind.toUpperCase()}…`;
    await nextFrame();
    try {
      const blob =
        kind === 'webm'
          ? await encodeFrames(this.#sequence, { fps: this.#fps, container: 'webm' })
          : encodeGif(this.#sequence, this.#fps);
      setDownload(this.#download, blob, `inbetween-pair.${kind}`, `Download the ${kind === 'webm' ? 'WebM' : 'GIF'}`);
      this.#status.textContent = `${kind === 'webm' ? 'WebM' : 'GIF'} ready: ${this.#sequence.length} frames at ${this.#fps} fps, looping.`;
      section.dataset.export = 'done';
    } catch (e) {
      this.#error.textContent = `${kind.toUpperCase()} export: ${errorMessage(e)}`;
      section.dataset.export = 'error';
    }
  }
}

/** An animated GIF that loops forever: one 256-colour palette per frame (gifenc's quantizer). */
function encodeGif(frames: ImageData[], fps: number): Blob {
  const gif = GIFEncoder();
  // GIF delays are in hundredths of a second; gifenc takes milliseconds and rounds.
  const delay = Math.round(1000 / fps);
  for (const frame of frames) {
    const palette = quantize(frame.data, 256);
    const index = applyPalette(frame.data, palette);
    gif.writeFrame(index, frame.width, frame.height, { palette, delay, repeat: 0 });
  }
  gif.finish();
  return new Blob([gif.bytes().slice()], { type: 'image/gif' });
}

function toImageData(bitmap: ImageBitmap, width: number, height: number): ImageData {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gave no 2D canvas context');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

function clampInt(value: string, min: number, max: number, fallback: number): number {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
