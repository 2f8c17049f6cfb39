// The video section: pick a file, choose options, run `interpolateVideo`, show progress, offer
// the result, compare before/after, and draw RIFE's flow and mask at the playhead.

import {
  flowToImageData,
  interpolateVideo,
  maskToImageData,
  probeVideo,
  type VideoInfo,
  type VideoOptions,
  type VideoProgress,
  type VideoSummary,
} from '../../lib/dist/index.js';
import { Compare } from './compare.js';
import { CPU_MAX_HEIGHT, interpolator } from './engine.js';
import { grabFramePair } from './frames.js';
import {
  $,
  drawImageData,
  errorMessage,
  formatBytes,
  formatDuration,
  formatTime,
  isAbort,
  setDownload,
  wireDropZone,
} from './ui.js';

type State = 'empty' | 'ready' | 'running' | 'done' | 'cancelled' | 'error';

export class VideoSection {
  readonly compare = new Compare();
  readonly #section = $('video');
  readonly #info = $('video-info');
  readonly #form = $<HTMLFormElement>('video-options');
  readonly #start = $<HTMLButtonElement>('video-start');
  readonly #cancel = $<HTMLButtonElement>('video-cancel');
  readonly #progress = $('video-progress');
  readonly #bar = $<HTMLProgressElement>('video-bar');
  readonly #progressText = $('video-progress-text');
  readonly #error = $('video-error');
  readonly #result = $('video-result');
  readonly #download = $<HTMLAnchorElement>('video-download');
  readonly #summary = $('video-summary');
  #file: File | null = null;
  #probe: VideoInfo | null = null;
  #abort: AbortController | null = null;

  constructor() {
    wireDropZone($('video-drop'), $<HTMLInputElement>('video-file'), (files) => void this.#setFile(files[0] as File));
    const scene = $<HTMLInputElement>('opt-scene');
    scene.addEventListener('input', () => {
      $('opt-scene-value').textContent = Number(scene.value).toFixed(2);
    });
    this.#form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.#run();
    });
    this.#cancel.addEventListener('click', () => this.#abort?.abort());
    // The File System Access API (Chromium desktop): offer to write the result to disk as it is
    // made. Elsewhere the result is a Blob, which the browser keeps in its blob store.
    $('opt-save-wrap').hidden = !('showSaveFilePicker' in window);
    $('flow-show').addEventListener('click', () => void this.#showFlow());
    // On the CPU path, default to a small output so a first try finishes in reasonable time.
    void interpolator().then(
      (interp) => {
        if (interp.backend === 'cpu') $<HTMLSelectElement>('opt-height').value = String(CPU_MAX_HEIGHT);
      },
      () => {},
    );
  }

  /** The chosen file, for the time-map section. */
  get file(): File | null {
    return this.#file;
  }

  /** True while interpolateVideo runs (the shared interpolator is busy until it ends). */
  get busy(): boolean {
    return this.#section.dataset.state === 'running';
  }

  /** Output height cap from the options (0: source size). */
  get maxHeight(): number {
    return Number($<HTMLSelectElement>('opt-height').value);
  }

  get scale(): number | 'auto' {
    const v = $<HTMLSelectElement>('opt-scale').value;
    return v === 'auto' ? 'auto' : Number(v);
  }

  #setState(state: State): void {
    this.#section.dataset.state = state;
    const running = state === 'running';
    this.#start.disabled = running || this.#file === null || (state === 'error' && this.#probe === null);
    this.#cancel.disabled = !running;
    for (const el of this.#form.querySelectorAll<HTMLSelectElement | HTMLInputElement>('select, input'))
      el.disabled = running;
  }

  async #setFile(file: File): Promise<void> {
    if (this.#section.dataset.state === 'running') this.#abort?.abort();
    this.#file = file;
    this.#probe = null;
    this.#error.textContent = '';
    this.#result.hidden = true;
    this.#progress.hidden = true;
    this.#info.textContent = `${file.name} (${formatBytes(file.size)}): reading…`;
    $('compare').hidden = false;
    $('flow-view').hidden = true;
    this.compare.setSource(URL.createObjectURL(file));
    this.compare.setPendingText('Press Interpolate: the result appears on this side when it is ready.');
    this.#setState('ready');
    try {
      const p = await probeVideo(file);
      if (this.#file !== file) return; // another file was chosen meanwhile
      this.#probe = p;
      const audio = p.audioCodec ? `, ${p.audioCodec} audio` : ', no audio';
      this.#info.textContent =
        `${file.name}: ${p.width}x${p.height}, ${round(p.fps)} fps, ` +
        `${formatTime(p.duration)}, ${p.codec} in ${p.container}${audio} (${formatBytes(file.size)})`;
    } catch (e) {
      if (this.#file !== file) return;
      this.#info.textContent = `${file.name} (${formatBytes(file.size)})`;
      this.#error.textContent = `This file cannot be used: ${errorMessage(e)}`;
      $('compare').hidden = true;
      this.#setState('error');
    }
  }

  #options(): VideoOptions {
    const rate = $<HTMLSelectElement>('opt-rate').value;
    const o: VideoOptions = {
      scale: this.scale,
      sceneThreshold: Number($<HTMLInputElement>('opt-scene').value),
      dedupe: $<HTMLInputElement>('opt-dedupe').checked,
      container: $<HTMLSelectElement>('opt-container').value as VideoOptions['container'],
      codec: $<HTMLSelectElement>('opt-codec').value as VideoOptions['codec'],
    };
    if (rate.startsWith('x')) o.factor = Number(rate.slice(1));
    else if (rate === 'slowmo') {
      o.fps = 240;
      o.slowdown = 4;
    } else o.fps = Number(rate.slice(3));
    if (this.maxHeight > 0) o.maxHeight = this.maxHeight;
    return o;
  }

  async #run(): Promise<void> {
    const file = this.#file;
    if (!file) return;
    this.#error.textContent = '';
    this.#result.hidden = true;
    this.#lastSummary = undefined;
    this.compare.clearResult();
    this.compare.setPendingText('Working… the result appears here when it is ready.');
    const abort = new AbortController();
    this.#abort = abort;
    this.#setState('running');
    this.#progress.hidden = false;
    this.#bar.removeAttribute('value'); // indeterminate until the frame count is known
    this.#progressText.textContent = 'Starting…';
    const options = this.#options();
    let saved: FileSystemFileHandle | null = null;
    try {
      // Asked first, while the click still counts as a user gesture (the picker needs one).
      if ($<HTMLInputElement>('opt-save').checked && 'showSaveFilePicker' in window) {
        saved = await pickOutputFile(file, options);
        if (!saved) {
          this.#setState('ready');
          this.#progress.hidden = true;
          this.compare.setPendingText('');
          return;
        }
        options.output = await saved.createWritable();
      }
      options.interpolator = await interpolator();
      const started = performance.now();
      const blob = await interpolateVideo(file, options, {
        signal: abort.signal,
        onProgress: (p) => this.#onProgress(p),
        onPreview: ({ image, time }) => {
          if (this.#abort === abort) this.compare.showPreview(image, time);
          else image.close();
        },
      });
      if (abort.signal.aborted) return;
      const result = blob ?? (await (saved as FileSystemFileHandle).getFile());
      this.#finish(file, result, options, (performance.now() - started) / 1000, saved?.name ?? null);
    } catch (e) {
      // A file stream that never reached the job (it failed before) must not stay open.
      if (options.output && !options.output.locked) void options.output.abort().catch(() => {});
      if (this.#abort !== abort) return; // superseded by a new file
      if (isAbort(e) || abort.signal.aborted) {
        this.compare.setPendingText('Cancelled. Press Interpolate to start again.');
        this.#setState('cancelled');
        this.#status('Cancelled. Nothing was kept; press Interpolate to start again.');
      } else {
        this.#progress.hidden = true;
        this.#error.textContent = errorMessage(e);
        this.compare.setPendingText('No result: see the message above.');
        this.#setState('error');
      }
    } finally {
      if (this.#abort === abort) this.#abort = null;
    }
  }

  #status(text: string): void {
    this.#summary.textContent = '';
    this.#result.hidden = true;
    this.#progressText.textContent = text;
    this.#progress.hidden = false;
    this.#bar.value = 0;
  }

  #onProgress(p: VideoProgress): void {
    if (p.summary) this.#lastSummary = p.summary;
    const stage = {
      loading: 'Loading',
      analysing: 'Finding cuts and duplicates',
      interpolating: 'Interpolating',
      finishing: 'Finishing the file',
      done: 'Done',
    }[p.stage];
    if (p.framesTotal > 0) {
      this.#bar.max = p.framesTotal;
      this.#bar.value = p.framesDone;
    }
    const parts = [stage];
    if (p.framesTotal > 0) parts.push(`${p.framesDone} / ${p.framesTotal} frames`);
    if (p.fps > 0) parts.push(`${p.fps.toFixed(1)} frames/s`);
    if (p.etaSeconds !== null && p.stage === 'interpolating') parts.push(`${formatDuration(p.etaSeconds)} left`);
    this.#progressText.textContent = parts.join(' · ');
    if (p.framesTotal > 0) {
      this.compare.setPendingText(`Working… ${Math.floor((100 * p.framesDone) / p.framesTotal)} %`);
    }
  }

  #finish(file: File, blob: Blob, options: VideoOptions, seconds: number, savedAs: string | null): void {
    setDownload(
      this.#download,
      blob,
      outputName(file, options, blob.type.includes('mp4') ? 'mp4' : 'webm'),
      'Download the result',
    );
    // Written to disk already: the link would only make a second copy.
    this.#download.hidden = savedAs !== null;
    this.#summary.textContent = (savedAs ? `Saved as ${savedAs}. ` : '') + this.#describe(this.#lastSummary, seconds);
    this.#result.hidden = false;
    this.#progress.hidden = true;
    this.compare.setResult(URL.createObjectURL(blob), options.slowdown ?? 1);
    this.#setState('done');
  }

  #lastSummary: VideoSummary | undefined;

  #describe(s: VideoSummary | undefined, seconds: number): string {
    if (!s) return `Done in ${formatDuration(seconds)}.`;
    const audio = {
      copied: 'audio copied',
      transcoded: 'audio re-encoded',
      none: 'no audio',
      dropped: 'audio left out (slow motion)',
    }[s.audio];
    const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
    // Where the frames came from, as the library counts them: source frames passed through,
    // repeats dropped (and their slots filled by in-betweens), and RIFE's frames.
    const source =
      `${plural(s.sourceFrames, 'source frame')}: ${s.kept} kept as they were, ` +
      `${plural(s.dropped, 'repeat')} dropped${s.replaced > 0 ? ` (${s.replaced} replaced by in-betweens)` : ''}`;
    // 'auto' chooses per pair: say what the pairs ran at, finest first ("scale 1 ×230, 0.5 ×12").
    const scales = Object.entries(s.scales)
      .sort(([x], [y]) => Number(y) - Number(x))
      .map(([scale, n]) => `${scale} ×${n}`)
      .join(', ');
    const scale = s.scale === 'auto' ? `scale auto (${scales || 'no pairs'})` : `scale ${s.scale}`;
    return (
      `${s.frames} frames, ${s.width}x${s.height}, ${formatTime(s.duration)}, ${CODEC_NAMES[s.codec]} in ${s.container === 'mp4' ? 'MP4' : 'WebM'}, ` +
      `${audio}; ${source}; ${s.interpolated} made by RIFE; ${plural(s.cuts, 'cut')}; ${s.backend}, ${scale}; ` +
      `done in ${formatDuration(seconds)}.`
    );
  }

  /** RIFE's flow and mask between the source frame under the playhead and the next one. */
  async #showFlow(): Promise<void> {
    const file = this.#file;
    if (!file) return;
    const view = $('flow-view');
    const status = $('flow-status');
    view.hidden = false;
    // One interpolator serves the page, and its worker does one thing at a time.
    status.textContent = this.busy
      ? 'Waiting for the video to finish (RIFE is busy with it), then running RIFE on two frames…'
      : 'Decoding two frames and running RIFE…';
    view.dataset.state = 'working';
    try {
      const interp = await interpolator();
      const cap = this.maxHeight > 0 ? this.maxHeight : interp.backend === 'cpu' ? CPU_MAX_HEIGHT : 0;
      const pair = await grabFramePair(file, this.compare.currentTime, cap);
      const scale = this.scale === 'auto' ? 1 : this.scale;
      const out = await interp.interpolateWithFlow(pair.a, pair.b, 0.5, { scale });
      drawImageData($<HTMLCanvasElement>('flow-frame'), out.image);
      drawImageData(
        $<HTMLCanvasElement>('flow-canvas'),
        flowToImageData(out.flow, out.width, out.height, { which: 'b' }),
      );
      drawImageData($<HTMLCanvasElement>('mask-canvas'), maskToImageData(out.mask, out.width, out.height));
      drawLegend($<HTMLCanvasElement>('flow-legend'));
      let max = 0;
      const n = out.width * out.height;
      for (let i = 0; i < n; i++)
        max = Math.max(max, Math.hypot(out.flow[2 * n + i] as number, out.flow[3 * n + i] as number));
      status.textContent =
        `Between the frames at ${formatTime(pair.timeA)} and ${formatTime(pair.timeB)} ` +
        `(${out.width}x${out.height}); largest motion ${max.toFixed(1)} px, drawn fully saturated.`;
      view.dataset.state = 'done';
    } catch (e) {
      status.textContent = '';
      this.#error.textContent = `Flow view: ${errorMessage(e)}`;
      view.dataset.state = 'error';
    }
  }
}

/** The colour wheel as a legend: the flow image of a field whose vectors point away from the centre. */
function drawLegend(canvas: HTMLCanvasElement): void {
  const size = canvas.width;
  const n = size * size;
  const flow = new Float32Array(4 * n);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      flow[2 * n + y * size + x] = x - c;
      flow[3 * n + y * size + x] = y - c;
    }
  }
  const img = flowToImageData(flow, size, size, { which: 'b', maxMagnitude: c });
  for (let i = 0; i < n; i++) {
    const x = (i % size) - c;
    const y = Math.floor(i / size) - c;
    if (Math.hypot(x, y) > c) img.data[i * 4 + 3] = 0;
  }
  drawImageData(canvas, img);
}

const CODEC_NAMES: Record<VideoSummary['codec'], string> = { avc: 'H.264', vp9: 'VP9', av1: 'AV1', vp8: 'VP8' };

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/0+$/, '');
}

/** The result's file name: the input's, with the rate and the container's extension. */
function outputName(file: File, options: VideoOptions, ext: 'mp4' | 'webm'): string {
  const base = file.name.replace(/\.[^.]+$/, '') || 'video';
  const rate = options.factor ? `x${options.factor}` : `${options.fps}fps`;
  return `${base}-${rate}.${ext}`;
}

/**
 * Asks where to save the result; null when the user cancels the picker. The container must be
 * known before the file is named, so 'auto' is settled here the way the library settles it
 * (MP4 and MOV stay MP4, the rest WebM).
 */
async function pickOutputFile(file: File, options: VideoOptions): Promise<FileSystemFileHandle | null> {
  if (options.container === undefined || options.container === 'auto') {
    options.container = /\.(mp4|m4v|mov)$/i.test(file.name) || /mp4|quicktime/.test(file.type) ? 'mp4' : 'webm';
    if (options.container === 'webm' && options.codec === 'avc') options.container = 'mp4';
    if (options.container === 'mp4' && options.codec === 'vp8') options.container = 'webm';
  }
  const ext = options.container;
  const picker = (window as unknown as { showSaveFilePicker(o: unknown): Promise<FileSystemFileHandle> })
    .showSaveFilePicker;
  try {
    return await picker.call(window, {
      suggestedName: outputName(file, options, ext),
      types: [
        {
          description: ext === 'mp4' ? 'MP4 video' : 'WebM video',
          accept: { [ext === 'mp4' ? 'video/mp4' : 'video/webm']: [`.${ext}`] },
        },
      ],
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return null;
    throw e;
  }
}
