// The time-map section: `interpolateMap` with a time per pixel, on the photo pair or on two
// video frames. A top-to-bottom ramp is a rolling shutter (row y is read at time y/h), so things
// that move sideways lean; a radial map shows two moments at once, one in the middle and the
// other at the edges.

import { maskToImageData } from '../../lib/dist/index.js';
import { interpolator } from './engine.js';
import { grabFramePair } from './frames.js';
import type { PairSection } from './pair-section.js';
import { $, drawImageData, errorMessage, nextFrame } from './ui.js';
import type { VideoSection } from './video-section.js';

export type MapKind = 'ramp' | 'ramp-up' | 'radial' | 'radial-in';

/** The map, row by row, values in [0, 1]. */
export function makeTimeMap(kind: MapKind, width: number, height: number): Float32Array {
  const map = new Float32Array(width * height);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const corner = Math.hypot(cx, cy) || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let t: number;
      if (kind === 'ramp' || kind === 'ramp-up') {
        t = height > 1 ? y / (height - 1) : 0;
        if (kind === 'ramp-up') t = 1 - t;
      } else {
        t = Math.hypot(x - cx, y - cy) / corner;
        if (kind === 'radial-in') t = 1 - t;
      }
      map[y * width + x] = Math.min(1, Math.max(0, t));
    }
  }
  return map;
}

export class TimeMapSection {
  readonly #status = $('tm-status');
  readonly #error = $('tm-error');

  constructor(pair: PairSection, video: VideoSection) {
    $<HTMLFormElement>('timemap-options').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.#run(pair, video);
    });
  }

  async #run(pairSection: PairSection, video: VideoSection): Promise<void> {
    this.#error.textContent = '';
    const section = $('timemap');
    const button = $<HTMLButtonElement>('tm-start');
    button.disabled = true;
    section.dataset.state = 'running';
    try {
      const interp = await interpolator();
      const source = $<HTMLSelectElement>('tm-source').value;
      let frames: { a: ImageData; b: ImageData };
      if (source === 'video') {
        const file = video.file;
        if (!file) throw new Error('Choose a video first (above), then pick a moment with the playhead.');
        this.#status.textContent = 'Decoding two frames…';
        frames = await grabFramePair(
          file,
          video.compare.currentTime,
          video.maxHeight || (interp.backend === 'cpu' ? 360 : 0),
        );
      } else {
        const pair = await pairSection.pair();
        if (!pair) throw new Error('Choose two photos first (above), or press "Use RIFE\'s demo pair".');
        frames = pair;
      }
      const { a, b } = frames;
      const kind = $<HTMLSelectElement>('tm-kind').value as MapKind;
      const map = makeTimeMap(kind, a.width, a.height);
      drawImageData($<HTMLCanvasElement>('tm-map'), maskToImageData(map, a.width, a.height));
      $('tm-result').hidden = false;
      this.#status.textContent = video.busy
        ? `Waiting for the video to finish (RIFE is busy with it), then running RIFE at ${a.width}x${a.height}…`
        : `Running RIFE at ${a.width}x${a.height}…`;
      await nextFrame();
      const uniform = await interp.interpolate(a, b, 0.5);
      drawImageData($<HTMLCanvasElement>('tm-uniform'), uniform);
      const mapped = await interp.interpolateMap(a, b, map);
      drawImageData($<HTMLCanvasElement>('tm-output'), mapped);
      this.#status.textContent = `Done: ${a.width}x${a.height}, ${kind} map.`;
      section.dataset.state = 'done';
    } catch (e) {
      this.#status.textContent = '';
      this.#error.textContent = errorMessage(e);
      section.dataset.state = 'error';
    } finally {
      button.disabled = false;
    }
  }
}
