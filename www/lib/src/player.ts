// The live player (issue 10, item 5): a video file played smoothed in real time into a WebGPU
// canvas, with its audio, pause and seek, and no encode step.
//
// How it runs, on the page's thread:
// - mediabunny demuxes and WebCodecs decodes ahead (a few frames past the playhead).
// - The frames go, in order, into one `FrameSequence` that owns the canvas. Each is prepared
//   (RIFE's encoder) once, on the GPU, when the playhead reaches the pair it starts.
// - On every display refresh (requestAnimationFrame) the playhead's pair and its `t` are drawn:
//   `draw(t)` runs the in-between on the GPU and presents it, with nothing read back. A source
//   frame is `t = 0`: RIFE 4.25 at t = 0 is its first frame to 0.005 levels on average.
// - Repeats (pulldown, animation on twos and threes): a decoded frame that only repeats the one
//   before it, in a recurring cadence, is dropped (duplicates.ts's live rule, CadenceGuard), so
//   the pair spans its slot and the motion does not stop there.
// - Scene cuts: a pair whose thumbnails differ (SSIM, as the video job) shows its first frame
//   until the second's time, never a blend across the cut.
// - The clock is the player's own (performance.now), kept on the audio element's clock when the
//   file has audio (audio is the master, as in every player), or a clock the caller gives.
// - Late (the GPU slower than the video): a refresh that finds the previous draw still running is
//   skipped, and when the playhead has left the pair behind, the pairs in between are skipped
//   too, so the picture stays on time instead of falling behind it.

import { createInterpolator, type Interpolator } from './interpolator.js';
import { describe } from './pixels.js';
import { analysisSize, CadenceGuard, ChangeMeter, greyOf } from './shared/duplicates.js';
import { ssim, THUMB, toGrey } from './shared/scene.js';
import type { InputVideoTrack, VideoSample } from './vendor/mediabunny.js';

type Mediabunny = typeof import('./vendor/mediabunny.js');

export interface PlayerOptions {
  /** The WebGPU canvas the picture is drawn into (handed to the interpolator's worker). */
  canvas: HTMLCanvasElement | OffscreenCanvas;
  /** A WebGPU interpolator to use (it stays open); else one is made and disposed on close(). */
  interpolator?: Interpolator | undefined;
  /**
   * 'display' (default): every display refresh shows the picture at its own time, so a 24 fps
   * video plays at the display's rate. A number N (1–16): N frames per source frame (t in
   * steps of 1/N), as `interpolateVideo`'s factor.
   */
  factor?: number | 'display' | undefined;
  /** Flow scale (see `interpolate`); default 1, or 0.5 above 1080p. */
  scale?: number | undefined;
  /** Keep burnt-in captions and logos still (issue 12's static guard); default true, as video. */
  staticGuard?: boolean | undefined;
  /**
   * Scene cuts (default 0.2, as `interpolateVideo`; 0 = off): a pair whose 32x32 thumbnails'
   * SSIM is below it is a cut, and its first frame is shown until the second's time, never a
   * blend across the cut.
   */
  sceneThreshold?: number | undefined;
  /**
   * Drop repeated frames (default true): pulldown and animation on twos or threes, found as the
   * extension finds them (duplicates.ts), so the motion goes on through their slots.
   */
  dedupe?: boolean | undefined;
  /** Play the file's audio (default true). */
  audio?: boolean | undefined;
  /**
   * A clock to follow instead of the player's own: a function returning the media time in
   * seconds (e.g. another element's `currentTime`). play(), pause() and seek() then only move
   * the audio, which the caller usually leaves off.
   */
  clock?: (() => number) | undefined;
  /** Called after each presented frame. */
  onFrame?: ((frame: PresentedFrame) => void) | undefined;
}

/** One presented frame. */
export interface PresentedFrame {
  /** The media time it was drawn for (s). */
  time: number;
  /** The pair's source timestamps (s). */
  a: number;
  b: number;
  /** Its place in the pair: 0 is frame a itself. */
  t: number;
  /** The pair is a scene cut (so `t` is 0). */
  cut: boolean;
}

export interface PlayerStats {
  /** Frames drawn. */
  presented: number;
  /** Of those, in-betweens (t > 0). */
  interpolated: number;
  /** Display refreshes that found the previous draw still running. */
  late: number;
  /** Source frames never shown as a pair start, because the playhead had passed them. */
  skipped: number;
  /** Source frames dropped as repeats of the one before (`dedupe`). */
  repeats: number;
}

/** Plays `input` smoothed into `options.canvas`; see `LivePlayer`. */
export async function createPlayer(input: Blob, options: PlayerOptions): Promise<LivePlayer> {
  if (!(input instanceof Blob)) throw new TypeError(`input must be a Blob or File, got ${describe(input)}`);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object with a canvas, got ${describe(options)}`);
  const factor = options.factor ?? 'display';
  if (factor !== 'display' && !(Number.isInteger(factor) && factor >= 1 && factor <= 16)) {
    throw new TypeError(`factor must be 'display' or an integer in [1, 16], got ${describe(factor)}`);
  }
  const sceneThreshold = options.sceneThreshold ?? 0.2;
  if (typeof sceneThreshold !== 'number' || !(sceneThreshold >= 0 && sceneThreshold <= 1)) {
    throw new TypeError(`sceneThreshold must be a number in [0, 1], got ${describe(sceneThreshold)}`);
  }
  for (const key of ['staticGuard', 'dedupe', 'audio'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw new TypeError(`${key} must be a boolean, got ${describe(options[key])}`);
  }
  if (options.clock !== undefined && typeof options.clock !== 'function')
    throw new TypeError(`clock must be a function, got ${describe(options.clock)}`);
  if (options.onFrame !== undefined && typeof options.onFrame !== 'function')
    throw new TypeError(`onFrame must be a function, got ${describe(options.onFrame)}`);
  const own = options.interpolator === undefined;
  const interp = options.interpolator ?? (await createInterpolator({ backend: 'webgpu' }));
  try {
    if (interp.backend !== 'webgpu')
      throw new TypeError(`the live player needs the WebGPU backend; this interpolator runs on '${interp.backend}'`);
    const mb: Mediabunny = await import('./vendor/mediabunny.js');
    const demux = new mb.Input({ source: new mb.BlobSource(input), formats: mb.ALL_FORMATS });
    let seq: ReturnType<Interpolator['sequence']> | null = null;
    try {
      const track = await demux.getPrimaryVideoTrack();
      if (!track) throw new Error('the file has no video track');
      if (!(await track.canDecode()))
        throw new Error(`this browser cannot decode the file's video (${(await track.getCodec()) ?? 'unknown codec'})`);
      // The size the video is shown at: rotated (phones write a rotation into the container),
      // flipped or with non-square pixels, frames are made upright at it before the engine
      // sees them (#upright), as players show them.
      const width = await track.getDisplayWidth();
      const height = await track.getDisplayHeight();
      const scale = options.scale ?? (width * height > 1920 * 1088 ? 0.5 : 1);
      seq = interp.sequence({ canvas: options.canvas, scale, staticGuard: options.staticGuard ?? true });
      const duration = await demux.computeDuration();
      // The usual gap between frames: a seek decodes from one frame earlier, so that a time in
      // the last frame still has its pair.
      const rate = (await track.computePacketStats(50)).averagePacketRate;
      const spacing = rate > 0 ? 1 / rate : 0;
      const hasAudio =
        options.audio !== false && options.clock === undefined && (await demux.getPrimaryAudioTrack()) !== null;
      return new LivePlayer(
        { mb, demux, track, seq },
        {
          factor,
          duration,
          spacing,
          sceneThreshold,
          dedupe: options.dedupe !== false,
          size: analysisSize(width, height),
          audio: hasAudio ? input : null,
          clock: options.clock ?? null,
          onFrame: options.onFrame ?? null,
          dispose: own ? () => interp.dispose() : () => {},
        },
      );
    } catch (e) {
      seq?.close();
      demux.dispose();
      throw e;
    }
  } catch (e) {
    if (own) interp.dispose();
    throw e;
  }
}

interface Decoded {
  ts: number;
  frame: VideoFrame;
  /** Its 32x32 grey thumbnail (scene.ts), to find cuts. */
  thumb: Float32Array;
}

interface PlayerInternals {
  mb: Mediabunny;
  demux: import('./vendor/mediabunny.js').Input;
  track: InputVideoTrack;
  seq: ReturnType<Interpolator['sequence']>;
}

interface PlayerParts {
  factor: number | 'display';
  duration: number;
  spacing: number;
  sceneThreshold: number;
  dedupe: boolean;
  /** The size frames are compared at for repeats. */
  size: { width: number; height: number };
  audio: Blob | null;
  clock: (() => number) | null;
  onFrame: ((frame: PresentedFrame) => void) | null;
  dispose: () => void;
}

/** A playing (or paused) video; made by `createPlayer`. Starts paused at the first frame. */
export class LivePlayer {
  readonly duration: number;
  readonly stats: PlayerStats = { presented: 0, interpolated: 0, late: 0, skipped: 0, repeats: 0 };
  readonly #input: import('./vendor/mediabunny.js').Input;
  readonly #sink: import('./vendor/mediabunny.js').VideoSampleSink;
  readonly #seq: ReturnType<Interpolator['sequence']>;
  readonly #parts: PlayerParts;
  readonly #audio: HTMLAudioElement | null = null;
  #audioUrl: string | null = null;
  /** Decoded frames after the pair, in order. */
  #ahead: Decoded[] = [];
  #samples: AsyncGenerator<VideoSample, void, unknown> | null = null;
  #ended = false;
  /** Bumped by seek(): a decode or tick from before it is stale. */
  #epoch = 0;
  /** The source timestamps of the two frames last pushed (the pair `draw` interpolates). */
  #pair: [number, number] | null = null;
  /** Whether that pair is a scene cut. */
  #cut = false;
  /** The last frame pushed. */
  #last: { ts: number; thumb: Float32Array } | null = null;
  /** Draws thumbnails. */
  readonly #thumbs = new OffscreenCanvas(THUMB, THUMB).getContext('2d', { willReadFrequently: true });
  /** Draws rotated, flipped or non-square frames upright (#upright), at the display size. */
  #turned: OffscreenCanvasRenderingContext2D | null = null;
  /** Draws the grey copies repeats are found on. */
  #greys: OffscreenCanvasRenderingContext2D | null = null;
  #meter: ChangeMeter | null = null;
  #cadence: CadenceGuard | null = null;
  #drawn: { a: number; t: number } | null = null;
  #busy = false;
  #closed = false;
  #raf = 0;
  /** The newest frame skipped as passed (kept open for the end of the video), else null. */
  #spare: Decoded | null = null;
  /** Wakes the decoder when a frame was taken from `#ahead`. */
  #wake: (() => void) | null = null;
  // The player's own clock: media time `#anchorTime` at performance.now() `#anchorAt`.
  #playing = false;
  #anchorTime = 0;
  #anchorAt = 0;
  /** The latest time the playing clock gave (it is monotonic while playing). */
  #shown = 0;
  #error: unknown = null;

  /**
   * @internal Use `createPlayer`. The arguments are opaque here so that the package's public
   * types name nothing of the vendored muxer's.
   */
  constructor(internals: object, settings: object) {
    const { mb, demux, track, seq } = internals as PlayerInternals;
    const parts = settings as PlayerParts;
    this.#input = demux;
    this.#sink = new mb.VideoSampleSink(track);
    this.#seq = seq;
    this.#parts = parts;
    this.duration = parts.duration;
    if (parts.audio) {
      this.#audioUrl = URL.createObjectURL(parts.audio);
      this.#audio = new Audio(this.#audioUrl);
      this.#audio.preload = 'auto';
    }
    this.#restart(0);
    this.#loop();
  }

  /** The media time (s). */
  get currentTime(): number {
    if (this.#parts.clock) return this.#parts.clock();
    if (!this.#playing) return this.#anchorTime;
    // While playing it never goes back: when the audio is behind (it starts late, or its device
    // runs slow), the picture holds until the audio has caught up instead of jumping back.
    const t = Math.min(this.#anchorTime + (performance.now() - this.#anchorAt) / 1000, this.duration);
    this.#shown = Math.max(this.#shown, t);
    return this.#shown;
  }

  get paused(): boolean {
    return !this.#playing;
  }

  /** The error that stopped the player, if one did (a lost GPU device, a decode failure). */
  get error(): unknown {
    return this.#error;
  }

  async play(): Promise<void> {
    this.#check();
    if (this.#playing) return;
    if (this.currentTime >= this.duration) await this.seek(0);
    this.#anchorAt = performance.now();
    this.#shown = this.#anchorTime;
    this.#playing = true;
    if (this.#audio) {
      this.#audio.currentTime = this.#anchorTime;
      await this.#audio.play().catch(() => {
        // Autoplay may be refused without a user gesture: the picture plays on, silent.
      });
    }
  }

  pause(): void {
    this.#check();
    if (!this.#playing) return;
    this.#anchorTime = this.currentTime;
    this.#playing = false;
    this.#audio?.pause();
  }

  /** Moves the playhead; the picture follows once the frames there are decoded and prepared. */
  async seek(time: number): Promise<void> {
    this.#check();
    if (typeof time !== 'number' || !Number.isFinite(time))
      throw new TypeError(`time must be a finite number of seconds, got ${describe(time)}`);
    const at = Math.min(Math.max(0, time), this.duration);
    this.#anchorTime = at;
    this.#anchorAt = performance.now();
    this.#shown = at;
    if (this.#audio) this.#audio.currentTime = at;
    this.#restart(at);
  }

  /** Stops, frees every decoded frame and the GPU frames, and disposes an interpolator it made. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    cancelAnimationFrame(this.#raf);
    this.#epoch++;
    this.#wake?.();
    this.#audio?.pause();
    if (this.#audioUrl) URL.revokeObjectURL(this.#audioUrl);
    this.#dropAhead();
    void this.#samples?.return().catch(() => {});
    this.#seq.close();
    this.#input.dispose();
    this.#parts.dispose();
  }

  #check(): void {
    if (this.#closed) throw new Error('the player was closed');
  }

  #dropAhead(): void {
    for (const d of this.#ahead) d.frame.close();
    this.#ahead = [];
    this.#spare?.frame.close();
    this.#spare = null;
  }

  /** Starts decoding at `time`: the pair is made again from there. */
  #restart(time: number): void {
    const epoch = ++this.#epoch;
    this.#dropAhead();
    void this.#samples?.return().catch(() => {});
    this.#samples = this.#sink.samples(Math.max(0, time - this.#parts.spacing));
    this.#ended = false;
    this.#pair = null;
    this.#last = null;
    this.#drawn = null;
    // A new stretch of frames: the change and cadence history starts again.
    this.#meter = this.#parts.dedupe ? new ChangeMeter(this.#parts.size.width, this.#parts.size.height) : null;
    this.#cadence = this.#parts.dedupe ? new CadenceGuard() : null;
    this.#wake?.();
    void this.#decode(epoch, this.#samples).catch((e) => {
      if (epoch !== this.#epoch) return;
      this.#error = e;
      this.close();
    });
  }

  /** Decodes ahead of the pair: up to four frames, then waits for one to be taken. */
  async #decode(epoch: number, samples: AsyncGenerator<VideoSample, void, unknown>): Promise<void> {
    while (epoch === this.#epoch) {
      if (this.#ahead.length >= 4) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const r = await samples.next();
      if (epoch !== this.#epoch) {
        if (!r.done) r.value.close();
        return;
      }
      if (r.done) {
        this.#ended = true;
        return;
      }
      const sample = r.value;
      try {
        const frame = this.#upright(sample);
        if (this.#isRepeat(frame)) {
          frame.close();
          this.stats.repeats++;
          continue;
        }
        this.#ahead.push({ ts: sample.timestamp, frame, thumb: this.#thumb(frame) });
      } finally {
        sample.close();
      }
    }
  }

  /** The sample as a VideoFrame the way it is shown: itself when it is stored upright at its
   * display size (the usual case: no copy), else drawn turned, flipped and scaled by its own
   * metadata (mediabunny's `draw`) into a canvas, a copy the browser makes on the GPU. */
  #upright(sample: VideoSample): VideoFrame {
    const frame = sample.toVideoFrame();
    const [w, h] = [sample.displayWidth, sample.displayHeight];
    if (sample.rotation === 0 && !sample.flip && frame.displayWidth === w && frame.displayHeight === h) return frame;
    frame.close();
    if (this.#turned?.canvas.width !== w || this.#turned.canvas.height !== h) {
      this.#turned = new OffscreenCanvas(w, h).getContext('2d');
      if (!this.#turned) throw new Error('could not create a 2D OffscreenCanvas context');
    }
    sample.draw(this.#turned, 0, 0, w, h);
    return new VideoFrame(this.#turned.canvas, {
      timestamp: sample.microsecondTimestamp,
      duration: sample.microsecondDuration,
    });
  }

  /** Whether a decoded frame only repeats the one before it, in a cadence (`dedupe`). */
  #isRepeat(frame: VideoFrame): boolean {
    const meter = this.#meter;
    const cadence = this.#cadence;
    if (!meter || !cadence) return false;
    const { width, height } = this.#parts.size;
    this.#greys ??= new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    const g = this.#greys;
    if (!g) throw new Error('could not create a 2D OffscreenCanvas context');
    // Averaged, not point-sampled, as the video job's analysis pass draws them.
    g.imageSmoothingQuality = 'high';
    g.drawImage(frame, 0, 0, width, height);
    return cadence.push(meter.push(greyOf(g.getImageData(0, 0, width, height).data)));
  }

  /** A frame's 32x32 grey thumbnail, averaged (not point-sampled), as the video job makes it. */
  #thumb(frame: VideoFrame): Float32Array {
    const g = this.#thumbs;
    if (!g) throw new Error('could not create a 2D OffscreenCanvas context');
    g.imageSmoothingQuality = 'high';
    g.drawImage(frame, 0, 0, THUMB, THUMB);
    return toGrey(g.getImageData(0, 0, THUMB, THUMB).data);
  }

  #loop(): void {
    this.#raf = requestAnimationFrame(() => {
      if (this.#closed) return;
      this.#loop();
      if (this.#busy) {
        if (this.#playing || this.#parts.clock) this.stats.late++;
        return;
      }
      this.#busy = true;
      this.#tick()
        .catch((e) => {
          this.#error = e;
          this.close();
        })
        .finally(() => {
          this.#busy = false;
        });
    });
  }

  async #tick(): Promise<void> {
    const epoch = this.#epoch;
    this.#syncAudio();
    const now = this.currentTime;
    await this.#advance(now, epoch);
    if (epoch !== this.#epoch || !this.#pair) return;
    const [a, b] = this.#pair;
    let t = b > a ? Math.min(1, Math.max(0, (now - a) / (b - a))) : 0;
    const factor = this.#parts.factor;
    if (factor !== 'display') t = Math.floor(t * factor + 1e-6) / factor;
    // Across a cut there is nothing to interpolate: the first frame stays until the second's time.
    const cut = this.#cut;
    if (cut) t = 0;
    // Nothing new to show: the same pair at the same t (paused, or between two output frames).
    if (this.#drawn && this.#drawn.a === a && this.#drawn.t === t) return;
    await this.#seq.draw(t);
    if (epoch !== this.#epoch) return;
    this.#drawn = { a, t };
    this.stats.presented++;
    if (t > 0) this.stats.interpolated++;
    this.#parts.onFrame?.({ time: now, a, b, t, cut });
  }

  /**
   * Pushes decoded frames until the pair holds `now` (a ≤ now < b; at the end, the last pair).
   * Frames the playhead has already passed are skipped, not pushed: the newest one at or before
   * `now` starts the pair. Waits for nothing: a frame not decoded yet is pushed by a later refresh.
   */
  async #advance(now: number, epoch: number): Promise<void> {
    while (epoch === this.#epoch && !(this.#pair && now < this.#pair[1])) {
      const ahead = this.#ahead;
      let start = -1;
      for (let i = 0; i < ahead.length; i++) if ((ahead[i] as Decoded).ts <= now) start = i;
      if (start < 0) {
        if (ahead.length === 0) return;
        if (this.#last !== null) {
          // The frame after the last one pushed is past `now`: together they hold it.
          await this.#push(ahead.shift() as Decoded, epoch);
          continue;
        }
        start = 0; // before the first frame: it starts the pair
      }
      // Frames before the start are passed: dropped now, which also makes room for the decoder.
      // The newest passed one is kept aside: at the end of the video it starts the last pair.
      if (start > 0) {
        for (const passed of ahead.splice(0, start)) {
          this.#spare?.frame.close();
          this.#spare = passed;
          if (this.#last !== null) this.stats.skipped++;
        }
        this.#wake?.();
        this.#wake = null;
        start = 0;
      }
      if (ahead.length === 1) {
        // Nothing decoded after the start yet: wait, unless this is the end of the video.
        if (!this.#ended) return;
        if (this.#last !== null) {
          await this.#push(ahead.shift() as Decoded, epoch);
          continue;
        }
        // At the end, after a seek: the last pair is the spare and the last frame, or, for a
        // video of one frame, that frame with itself.
        if (this.#spare) {
          ahead.unshift(this.#spare);
          this.#spare = null;
        } else {
          const only = ahead[0] as Decoded;
          ahead.push({ ts: only.ts, frame: only.frame.clone(), thumb: only.thumb });
        }
      }
      await this.#push(ahead.shift() as Decoded, epoch);
      if (this.#last !== null && this.#pair === null) await this.#push(ahead.shift() as Decoded, epoch);
    }
  }

  /** Pushes one frame into the sequence (prepared on the GPU) and closes it here. */
  async #push(d: Decoded, epoch: number): Promise<void> {
    if (this.#spare && this.#spare !== d) {
      this.#spare.frame.close();
      this.#spare = null;
    }
    this.#wake?.();
    this.#wake = null;
    try {
      await this.#seq.push(d.frame, []);
    } finally {
      d.frame.close();
    }
    if (epoch !== this.#epoch) return;
    const last = this.#last;
    this.#pair = last === null ? null : [last.ts, d.ts];
    this.#cut =
      last !== null && this.#parts.sceneThreshold > 0 && ssim(last.thumb, d.thumb) < this.#parts.sceneThreshold;
    this.#last = { ts: d.ts, thumb: d.thumb };
  }

  /** Follows the audio's clock when it drifts (the audio device decides the pace). */
  #syncAudio(): void {
    const audio = this.#audio;
    if (!audio || !this.#playing || audio.paused || audio.seeking) return;
    const drift = audio.currentTime - this.currentTime;
    if (Math.abs(drift) > 0.04) {
      this.#anchorTime = audio.currentTime;
      this.#anchorAt = performance.now();
    }
  }
}
