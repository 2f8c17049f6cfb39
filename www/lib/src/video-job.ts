// The worker side of `interpolateVideo`: demux and decode with mediabunny, analyse (scene cuts,
// duplicates), plan the output frames (timeline.ts), run RIFE on the pairs that need it, encode
// with WebCodecs and mux, copying the audio through.
//
// Two decoding passes: the first only makes small grey copies of each frame (a 32x32 thumbnail
// for cuts, at most 640x360 for duplicates), so the plan, the frame count for the progress bar
// and the duplicates are known before any RIFE work; the
// second keeps at most two decoded key frames (and their encoded RIFE features) alive at a
// time, so memory stays flat however long the video is.

import type { Engine, Frame } from '../pkg/inbetween_wasm.js';
import { type FileChunk, PagedSink } from './paged-sink.js';
import { ENCODE_AS } from './pixels.js';
import type { BackendName } from './protocol.js';
import { analysisSize, ChangeMeter, greyOf } from './duplicates.js';
import { ssim, THUMB, toGrey } from './scene.js';
import { type Plan, plan, type SourceFrame, typicalSpacing } from './timeline.js';
import {
  ALL_FORMATS,
  AudioSampleSink,
  AudioSampleSource,
  BlobSource,
  canEncodeVideo,
  EncodedAudioPacketSource,
  EncodedPacketSink,
  getFirstEncodableAudioCodec,
  getFirstEncodableVideoCodec,
  Input,
  type InputAudioTrack,
  type InputVideoTrack,
  Mp4OutputFormat,
  Output,
  QUALITY_HIGH,
  StreamTarget,
  VideoSample,
  VideoSampleSink,
  VideoSampleSource,
  WebMOutputFormat,
} from './vendor/mediabunny.js';
import type { VideoCodecChoice, VideoContainer, VideoProgress, VideoSummary } from './video.js';

/** Options after validation on the page side (video.ts); every field is set. */
export interface VideoJobOptions {
  factor: number | null;
  fps: number | null;
  slowdown: number;
  scale: number | 'auto';
  sceneThreshold: number;
  dedupe: boolean;
  /** Issue 12's static-region guard (still captions and logos stay still). */
  staticGuard: boolean;
  maxHeight: number | null;
  container: VideoContainer;
  codec: VideoCodecChoice;
  bitrate: number | null;
  /** Send preview frames (about one a second). */
  preview: boolean;
}

export interface JobContext {
  engine: Engine;
  backend: BackendName;
  cancelled(): boolean;
  progress(p: VideoProgress): void;
  /** Hands over a preview frame (ownership included). */
  preview(time: number, image: ImageBitmap): void;
  /** The caller's stream to write the file to (then the job returns null), or null for a Blob. */
  output: WritableStream<FileChunk> | null;
}

export interface ProbeResult {
  width: number;
  height: number;
  /** Seconds. */
  duration: number;
  /** Average frame rate. */
  fps: number;
  codec: string;
  audioCodec: string | null;
  container: string;
}

type OutCodec = VideoSummary['codec'];
type OutContainer = VideoSummary['container'];

/** Codec preference per container when the caller says 'auto'. */
const PREFERRED: Record<OutContainer, OutCodec[]> = { mp4: ['avc', 'av1', 'vp9'], webm: ['vp9', 'av1', 'vp8'] };

const CODEC_NAMES: Record<string, string> = {
  avc: 'H.264', hevc: 'HEVC (H.265)', vp8: 'VP8', vp9: 'VP9', av1: 'AV1', prores: 'ProRes',
};


export class AbortedError extends Error {
  override name = 'AbortError';
  constructor() {
    super('the video job was cancelled');
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Opens `blob` and its tracks, or throws an Error that names what is wrong with the file. */
async function open(blob: Blob): Promise<{ input: Input; video: InputVideoTrack; family: OutContainer; formatName: string }> {
  if (blob.size === 0) throw new Error('the file is empty (0 bytes)');
  const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
  try {
    let format: Awaited<ReturnType<typeof input.getFormat>>;
    try {
      format = await input.getFormat();
    } catch (e) {
      throw new Error(`the file is not a video this browser can read: ${messageOf(e)} (expected MP4, MOV, WebM or MKV)`);
    }
    let video: InputVideoTrack | null;
    try {
      video = await input.getPrimaryVideoTrack();
    } catch (e) {
      throw new Error(`the ${format.name} file is damaged or truncated: ${messageOf(e)}`);
    }
    if (!video) {
      const tracks = await input.getTracks().catch(() => []);
      throw new Error(tracks.length === 0
        ? `the ${format.name} file has no readable tracks: it is damaged or truncated (its index may be missing)`
        : `the ${format.name} file has no video track`);
    }
    const codec = await video.getCodec();
    if (!codec || !(await video.canDecode())) {
      const detail = await video.getCodecParameterString().catch(() => null);
      const name = codec ? CODEC_NAMES[codec] ?? codec : 'an unknown codec';
      throw new Error(`this browser cannot decode the file's ${name} video${detail ? ` (${detail})` : ''}; `
        + 'H.264, VP8, VP9 and AV1 are the codecs browsers decode');
    }
    const mime = format.mimeType;
    const family: OutContainer = mime === 'video/webm' || mime === 'video/x-matroska' ? 'webm' : 'mp4';
    return { input, video, family, formatName: format.name };
  } catch (e) {
    input.dispose();
    throw e;
  }
}

export async function probeVideo(blob: Blob): Promise<ProbeResult> {
  const { input, video, formatName } = await open(blob);
  try {
    const stats = await video.computePacketStats(120);
    const audio = await input.getPrimaryAudioTrack();
    return {
      width: await video.getDisplayWidth(),
      height: await video.getDisplayHeight(),
      duration: await input.computeDuration(),
      fps: stats.averagePacketRate,
      codec: (await video.getCodec()) ?? 'unknown',
      audioCodec: audio ? (await audio.getCodec()) ?? 'unknown' : null,
      container: formatName,
    };
  } finally {
    input.dispose();
  }
}

/** Rounds down to an even number (4:2:0 encoders need even sizes), at least 2. */
function even(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}

/** RIFE's flow scale for a frame size: Practical-RIFE suggests 0.5 for 4K; we step at 1080p and 4K. */
export function autoScale(width: number, height: number): number {
  const pixels = width * height;
  if (pixels <= 1920 * 1088) return 1;
  if (pixels <= 3840 * 2176) return 0.5;
  return 0.25;
}

/** Measures throughput over the last few seconds, for the progress bar's speed and ETA. */
class Meter {
  readonly #marks: { at: number; done: number }[] = [];
  rate(done: number): number {
    const now = performance.now();
    this.#marks.push({ at: now, done });
    while (this.#marks.length > 2 && now - (this.#marks[0] as { at: number }).at > 5000) this.#marks.shift();
    const first = this.#marks[0] as { at: number; done: number };
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (done - first.done) / seconds : 0;
  }
}

export async function runVideoJob(blob: Blob, o: VideoJobOptions, ctx: JobContext): Promise<Blob | null> {
  // The caller's stream is ours to finish: closed after a whole file, aborted on any failure,
  // so a FileSystemWritableFileStream never commits a partial file. mediabunny gets a forwarding
  // stream (it would close the target on cancel too), which passes the caller's backpressure on.
  const dest = ctx.output ? ctx.output.getWriter() : null;
  try {
    const result = await runToTarget(blob, o, ctx, dest);
    await dest?.close();
    return result;
  } catch (e) {
    await dest?.abort(e).catch(() => {});
    throw e;
  }
}

async function runToTarget(
  blob: Blob,
  o: VideoJobOptions,
  ctx: JobContext,
  dest: WritableStreamDefaultWriter<FileChunk> | null,
): Promise<Blob | null> {
  const check = () => {
    if (ctx.cancelled()) throw new AbortedError();
  };
  const { input, video, family } = await open(blob);
  // The in-memory pages, when there is no caller's stream; dropped on any failure (toBlob has
  // already emptied them after a success).
  let sink: PagedSink | null = null;
  try {
    const srcWidth = await video.getDisplayWidth();
    const srcHeight = await video.getDisplayHeight();
    let height = srcHeight;
    let width = srcWidth;
    if (o.maxHeight !== null && srcHeight > o.maxHeight) {
      height = o.maxHeight;
      width = Math.round((srcWidth * o.maxHeight) / srcHeight);
    }
    width = even(width);
    height = even(height);
    const scale = o.scale === 'auto' ? autoScale(width, height) : o.scale;

    // ---- Pass 1: thumbnails → similarities.
    ctx.progress({ stage: 'analysing', framesDone: 0, framesTotal: 0, fps: 0, etaSeconds: null });
    const frames = await analyse(video, analysisSize(srcWidth, srcHeight), check, (n) =>
      ctx.progress({ stage: 'analysing', framesDone: n, framesTotal: 0, fps: 0, etaSeconds: null }));
    if (frames.length === 0) throw new Error('no video frames could be decoded from the file');

    const fps = o.fps ?? null;
    const thePlan = plan(frames, { factor: fps === null ? o.factor ?? 2 : null, fps, sceneThreshold: o.sceneThreshold, dedupe: o.dedupe });

    // ---- Output: container, codec, audio.
    const audioTrack = await input.getPrimaryAudioTrack();
    const audioCodec = audioTrack ? await audioTrack.getCodec() : null;
    const chosen = await chooseOutput(o, family, audioCodec, width, height);
    // The file is written as it is made, never held whole: to the caller's stream, or to pages
    // that go to Blob storage (paged-sink.ts). MP4 therefore puts its index (moov) at the end,
    // as ffmpeg does by default; 'in-memory' fast start would hold every encoded frame until the
    // end, which is what made hour-long jobs fail after all their work.
    const format = chosen.container === 'mp4' ? new Mp4OutputFormat({ fastStart: false }) : new WebMOutputFormat();
    sink = dest ? null : new PagedSink();
    const writable = dest ? new WritableStream<FileChunk>({ write: (chunk) => dest.write(chunk) }) : (sink as PagedSink).writable();
    const target = new StreamTarget(writable, { chunked: true, chunkSize: 4 << 20 });
    const output = new Output({ format, target });
    const videoSource = new VideoSampleSource({
      codec: chosen.codec,
      bitrate: o.bitrate ?? QUALITY_HIGH,
      // A key frame every 2 s keeps seeking in the result quick.
      keyFrameInterval: 2,
      sizeChangeBehavior: 'deny',
    });
    const spacing = typicalSpacing(frames);
    const constantRate = frames.every((f, i) => i === 0 || Math.abs(f.timestamp - (frames[i - 1] as SourceFrame).timestamp - spacing) < spacing * 0.02);
    const outRate = fps !== null ? fps / o.slowdown : constantRate && spacing > 0 ? (o.factor ?? 2) / spacing / o.slowdown : undefined;
    output.addVideoTrack(videoSource, outRate !== undefined ? { frameRate: outRate } : {});

    let audio: AudioPump | null = null;
    let audioState: VideoSummary['audio'] = 'none';
    if (audioTrack && o.slowdown !== 1) {
      audioState = 'dropped';
    } else if (audioTrack) {
      audio = await AudioPump.create(audioTrack, audioCodec, format.getSupportedAudioCodecs(), output);
      audioState = audio ? audio.mode : 'dropped';
    }

    await output.start();
    const summary: VideoSummary = {
      width, height, frames: thePlan.outputs.length, duration: 0, container: chosen.container, codec: chosen.codec,
      audio: audioState, cuts: thePlan.cuts, backend: ctx.backend, scale, interpolated: 0,
      sourceFrames: thePlan.sourceFrames, kept: thePlan.kept, dropped: thePlan.dropped, replaced: thePlan.replaced,
      duplicates: thePlan.dropped,
    };
    try {
      await render(video, thePlan, { width, height, scale, slowdown: o.slowdown, preview: o.preview }, ctx, check, videoSource, audio, summary);
      check();
      ctx.progress({ stage: 'finishing', framesDone: summary.frames, framesTotal: summary.frames, fps: 0, etaSeconds: 0 });
      await audio?.finish();
      videoSource.close();
      await output.finalize();
    } catch (e) {
      await audio?.cancel();
      await output.cancel().catch(() => {});
      throw e;
    }
    const first = frames[0] as SourceFrame;
    const last = thePlan.outputs[thePlan.outputs.length - 1];
    summary.duration = last ? (last.time + last.duration - first.timestamp) * o.slowdown : 0;
    const result = sink ? sink.toBlob(chosen.container === 'mp4' ? 'video/mp4' : 'video/webm') : null;
    ctx.progress({ stage: 'done', framesDone: summary.frames, framesTotal: summary.frames, fps: 0, etaSeconds: 0, summary });
    return result;
  } finally {
    sink?.discard();
    input.dispose();
  }
}

/**
 * Pass 1: per frame, a 32x32 grey thumbnail (its SSIM against the previous one finds cuts) and a
 * grey copy at the analysis size (its change against the previous one finds repeats).
 */
async function analyse(
  video: InputVideoTrack,
  size: { width: number; height: number },
  check: () => void,
  onFrame: (n: number) => void,
): Promise<SourceFrame[]> {
  const canvas = new OffscreenCanvas(THUMB, THUMB);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const big = new OffscreenCanvas(size.width, size.height);
  const bg = big.getContext('2d', { willReadFrequently: true });
  if (!g || !bg) throw new Error('could not create a 2D OffscreenCanvas context');
  // Average whole blocks of pixels rather than point-sample them: the small copies must not alias.
  g.imageSmoothingQuality = 'high';
  bg.imageSmoothingQuality = 'high';
  const frames: SourceFrame[] = [];
  let prev: Float32Array | null = null;
  const meter = new ChangeMeter(size.width, size.height);
  let lastReport = 0;
  try {
    for await (const sample of new VideoSampleSink(video).samples()) {
      try {
        check();
        sample.draw(g, 0, 0, THUMB, THUMB);
        sample.draw(bg, 0, 0, size.width, size.height);
        const grey = toGrey(g.getImageData(0, 0, THUMB, THUMB).data);
        const change = meter.push(greyOf(bg.getImageData(0, 0, size.width, size.height).data));
        frames.push({
          timestamp: sample.timestamp,
          duration: sample.duration,
          similarity: prev ? ssim(prev, grey) : Number.NaN,
          change,
        });
        prev = grey;
      } finally {
        sample.close();
      }
      if (performance.now() - lastReport > 100) {
        lastReport = performance.now();
        onFrame(frames.length);
      }
    }
  } catch (e) {
    if (e instanceof AbortedError) throw e;
    throw new Error(`the video could not be decoded after ${frames.length} frames (the file may be damaged or truncated): ${messageOf(e)}`);
  }
  return frames;
}

async function chooseOutput(
  o: VideoJobOptions,
  family: OutContainer,
  audioCodec: string | null,
  width: number,
  height: number,
): Promise<{ container: OutContainer; codec: OutCodec }> {
  const bitrate = o.bitrate ?? undefined;
  const fits = (c: OutContainer) => audioCodec === null || formatFor(c).getSupportedAudioCodecs().includes(audioCodec as never);
  let containers: OutContainer[];
  if (o.container !== 'auto') containers = [o.container];
  else if (o.codec === 'avc') containers = ['mp4'];
  else if (o.codec === 'vp8') containers = ['webm'];
  else {
    // Keep the input's family, unless only the other one can carry its audio untouched.
    const other: OutContainer = family === 'mp4' ? 'webm' : 'mp4';
    containers = !fits(family) && fits(other) ? [other, family] : [family, other];
  }
  for (const container of containers) {
    const allowed = formatFor(container).getSupportedVideoCodecs();
    if (o.codec !== 'auto') {
      if (!allowed.includes(o.codec)) continue;
      const ok = await canEncodeVideo(o.codec, { width, height, ...(bitrate ? { bitrate } : {}) });
      if (!ok) throw new Error(`this browser cannot encode ${CODEC_NAMES[o.codec]} video at ${width}x${height}`);
      return { container, codec: o.codec };
    }
    const codec = await getFirstEncodableVideoCodec(PREFERRED[container], { width, height, ...(bitrate ? { bitrate } : {}) });
    if (codec) return { container, codec: codec as OutCodec };
  }
  if (o.codec !== 'auto') throw new TypeError(`codec '${o.codec}' cannot be stored in ${o.container === 'auto' ? 'MP4 or WebM' : o.container}`);
  throw new Error(`this browser cannot encode H.264, VP9, AV1 or VP8 video at ${width}x${height}`);
}

function formatFor(c: OutContainer) {
  return c === 'mp4' ? new Mp4OutputFormat() : new WebMOutputFormat();
}

/**
 * Feeds the audio track to the output in step with the video (mediabunny interleaves the tracks,
 * and holding a whole track back would buffer it all): packets copied untouched when the
 * container takes the codec, else decoded and re-encoded (e.g. AAC into WebM as Opus).
 */
class AudioPump {
  readonly mode: 'copied' | 'transcoded';
  readonly #iter: AsyncIterator<{ timestamp: number; close?: () => void }>;
  readonly #add: (item: never) => Promise<void>;
  readonly #close: () => void;
  #next: { timestamp: number; close?: () => void } | null | undefined = undefined;

  private constructor(mode: 'copied' | 'transcoded', iter: AsyncIterator<{ timestamp: number }>, add: (item: never) => Promise<void>, close: () => void) {
    this.mode = mode;
    this.#iter = iter;
    this.#add = add;
    this.#close = close;
  }

  static async create(track: InputAudioTrack, codec: string | null, supported: readonly string[], output: Output): Promise<AudioPump | null> {
    if (codec !== null && supported.includes(codec)) {
      const source = new EncodedAudioPacketSource(codec as never);
      output.addAudioTrack(source);
      const config = await track.getDecoderConfig();
      let first = true;
      return new AudioPump('copied', new EncodedPacketSink(track).packets(), (async (packet: never) => {
        await source.add(packet, first && config ? { decoderConfig: config } : undefined);
        first = false;
      }) as (item: never) => Promise<void>, () => source.close());
    }
    if (!(await track.canDecode())) return null;
    const target = await getFirstEncodableAudioCodec(supported as never, {
      numberOfChannels: await track.getNumberOfChannels(),
      sampleRate: await track.getSampleRate(),
    });
    if (!target) return null;
    const source = new AudioSampleSource({ codec: target, bitrate: QUALITY_HIGH });
    output.addAudioTrack(source);
    return new AudioPump('transcoded', new AudioSampleSink(track).samples(), (async (sample: never) => {
      await source.add(sample);
    }) as (item: never) => Promise<void>, () => source.close());
  }

  /** Adds every audio item that starts before `time` (s). */
  async until(time: number): Promise<void> {
    for (;;) {
      if (this.#next === undefined) {
        const r = await this.#iter.next();
        this.#next = r.done ? null : r.value;
      }
      const next = this.#next;
      if (next === null || next.timestamp >= time) return;
      try {
        await this.#add(next as never);
      } finally {
        next.close?.();
        this.#next = undefined;
      }
    }
  }

  async finish(): Promise<void> {
    await this.until(Number.POSITIVE_INFINITY);
    this.#close();
  }

  async cancel(): Promise<void> {
    this.#next?.close?.();
    this.#next = null;
    await this.#iter.return?.().catch(() => {});
  }
}

interface Key {
  /** Index into plan.keys. */
  k: number;
  rgba: Uint8ClampedArray;
  /** RIFE's padded, encoded frame, made the first time a pair needs it. */
  prepared: Frame | null;
}

/** Pass 2: decode again, keeping only the current pair, and emit every planned output frame. */
async function render(
  video: InputVideoTrack,
  thePlan: Plan,
  size: { width: number; height: number; scale: number; slowdown: number; preview: boolean },
  ctx: JobContext,
  check: () => void,
  videoSource: VideoSampleSource,
  audio: AudioPump | null,
  summary: VideoSummary,
): Promise<void> {
  const { width, height, scale, slowdown, preview } = size;
  let lastPreview = 0;
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('could not create a 2D OffscreenCanvas context');
  g.imageSmoothingQuality = 'high';

  const samples = new VideoSampleSink(video).samples();
  let decoded = -1; // index of the last source frame pulled from `samples`
  const readKey = async (k: number): Promise<Key> => {
    const want = thePlan.keys[k] as number;
    for (;;) {
      const r = await samples.next();
      if (r.done) throw new Error(`the video ended early on the second read (frame ${want} of ${thePlan.keys.length} key frames)`);
      const sample = r.value;
      try {
        decoded++;
        if (decoded < want) continue;
        sample.draw(g, 0, 0, width, height);
        return { k, rgba: g.getImageData(0, 0, width, height).data, prepared: null };
      } finally {
        sample.close();
      }
    }
  };
  const prepare = (key: Key): Frame => {
    key.prepared ??= ctx.engine.prepare(new Uint8Array(key.rgba.buffer, key.rgba.byteOffset, key.rgba.byteLength), width, height, scale);
    return key.prepared;
  };

  const start = thePlan.outputs[0]?.time ?? 0;
  const meter = new Meter();
  let lastReport = 0;
  let a: Key | null = null;
  let b: Key | null = null;
  try {
    for (let n = 0; n < thePlan.outputs.length; n++) {
      check();
      const out = thePlan.outputs[n] as (typeof thePlan.outputs)[number];
      // Slide the pair forward to out.pair (plans only move forward).
      while (a === null || a.k < out.pair) {
        const next: Key = b ?? (await readKey(a === null ? 0 : a.k + 1));
        a?.prepared?.free();
        a = next;
        b = null;
        if (a.k > out.pair) throw new Error('internal error: the plan went backwards');
      }
      if (out.kind !== 'a' && b === null) b = await readKey(out.pair + 1);

      let pixels: Uint8Array | Uint8ClampedArray;
      if (out.kind === 'a') pixels = a.rgba;
      else if (out.kind === 'b') pixels = (b as Key).rgba;
      else {
        pixels = await ctx.engine.interpolate(prepare(a), prepare(b as Key), out.t);
        summary.interpolated++;
        if (preview && performance.now() - lastPreview > 1000) {
          lastPreview = performance.now();
          // A copy: `pixels` goes on to the encoder.
          const image = new ImageData(new Uint8ClampedArray(pixels), width, height);
          ctx.preview(out.time, await createImageBitmap(image));
        }
      }
      check();

      const time = start + (out.time - start) * slowdown;
      await audio?.until(time + out.duration * slowdown);
      const sample = new VideoSample(pixels, {
        format: 'RGBA', codedWidth: width, codedHeight: height,
        timestamp: time, duration: out.duration * slowdown, colorSpace: ENCODE_AS,
      });
      try {
        await videoSource.add(sample);
      } finally {
        sample.close();
      }

      const done = n + 1;
      const rate = meter.rate(done);
      if (performance.now() - lastReport > 100 || done === thePlan.outputs.length) {
        lastReport = performance.now();
        const left = thePlan.outputs.length - done;
        ctx.progress({ stage: 'interpolating', framesDone: done, framesTotal: thePlan.outputs.length, fps: rate, etaSeconds: rate > 0 ? left / rate : null });
      }
    }
  } finally {
    a?.prepared?.free();
    b?.prepared?.free();
    await samples.return(undefined).catch(() => {});
  }
}
