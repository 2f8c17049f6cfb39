// The worker side of `interpolateVideo`: demux and decode with mediabunny, analyse (scene cuts,
// duplicates), plan the output frames (timeline.ts), run RIFE on the pairs that need it, encode
// with WebCodecs and mux, copying the audio through.
//
// Two decoding passes: the first only makes small grey copies of each frame (a 32x32 thumbnail
// for cuts, at most 640x360 for duplicates), so the plan, the frame count for the progress bar
// and the duplicates are known before any RIFE work; the
// second keeps at most two decoded key frames (and their encoded RIFE features) alive at a
// time, so memory stays flat however long the video is.

import type { Engine } from '../../pkg/inbetween_wasm.js';
import { canRead, i420ToRgba, readI420, resolveSpace, rgbaToI420, type YuvSpace } from '../shared/colour.js';
import { codedError } from '../shared/errors.js';
import { CODEC_PREFERENCE, ENCODE_AS } from '../shared/limits.js';
import type {
  BackendName,
  ScaleChoice,
  VideoInfo,
  VideoJobOptions,
  VideoProgress,
  VideoSummary,
} from '../shared/types.js';
import { AudioPump } from './audio.js';
import { FrameChain } from './frames.js';
import { type FileChunk, PagedSink } from './paged-sink.js';
import { analysisSize, ChangeMeter, greyOf } from '../shared/duplicates.js';
import { ssim, THUMB, toGrey } from '../shared/scene.js';
import { type Plan, plan, type SourceFrame, typicalSpacing } from './timeline.js';
import {
  ALL_FORMATS,
  BlobSource,
  canEncodeVideo,
  getFirstEncodableVideoCodec,
  Input,
  type InputVideoTrack,
  Mp4OutputFormat,
  Output,
  QUALITY_HIGH,
  StreamTarget,
  VideoSample,
  VideoSampleSink,
  VideoSampleSource,
  WebMOutputFormat,
} from '../vendor/mediabunny.js';

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

type OutCodec = VideoSummary['codec'];
type OutContainer = VideoSummary['container'];

/** Codec preference per container when the caller says 'auto' (shared/limits.ts). */
const PREFERRED = CODEC_PREFERENCE as Record<OutContainer, OutCodec[]>;

const CODEC_NAMES: Record<string, string> = {
  avc: 'H.264',
  hevc: 'HEVC (H.265)',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  prores: 'ProRes',
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
async function open(
  blob: Blob,
): Promise<{ input: Input; video: InputVideoTrack; family: OutContainer; formatName: string }> {
  if (blob.size === 0) throw codedError('the file is empty (0 bytes)', 'video-unreadable');
  const input = new Input({ source: new BlobSource(blob), formats: ALL_FORMATS });
  try {
    let format: Awaited<ReturnType<typeof input.getFormat>>;
    try {
      format = await input.getFormat();
    } catch (e) {
      throw codedError(
        `the file is not a video this browser can read: ${messageOf(e)} (expected MP4, MOV, WebM or MKV)`,
        'video-unreadable',
      );
    }
    let video: InputVideoTrack | null;
    try {
      video = await input.getPrimaryVideoTrack();
    } catch (e) {
      throw codedError(`the ${format.name} file is damaged or truncated: ${messageOf(e)}`, 'video-unreadable');
    }
    if (!video) {
      const tracks = await input.getTracks().catch(() => []);
      throw codedError(
        tracks.length === 0
          ? `the ${format.name} file has no readable tracks: it is damaged or truncated (its index may be missing)`
          : `the ${format.name} file has no video track`,
        'video-unreadable',
      );
    }
    const codec = await video.getCodec();
    if (!codec || !(await video.canDecode())) {
      const detail = await video.getCodecParameterString().catch(() => null);
      const name = codec ? (CODEC_NAMES[codec] ?? codec) : 'an unknown codec';
      throw codedError(
        `this browser cannot decode the file's ${name} video${detail ? ` (${detail})` : ''}; ` +
          'H.264, VP8, VP9 and AV1 are the codecs browsers decode',
        'video-unsupported',
      );
    }
    const mime = format.mimeType;
    const family: OutContainer = mime === 'video/webm' || mime === 'video/x-matroska' ? 'webm' : 'mp4';
    return { input, video, family, formatName: format.name };
  } catch (e) {
    input.dispose();
    throw e;
  }
}

export async function probeVideo(blob: Blob): Promise<VideoInfo> {
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
      audioCodec: audio ? ((await audio.getCodec()) ?? 'unknown') : null,
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
    // 'auto' is chosen per pair in the frame chain (frames.ts); a number is used throughout.
    const scale = o.scale;

    // ---- Pass 1: thumbnails → similarities.
    ctx.progress({ stage: 'analysing', framesDone: 0, framesTotal: 0, fps: 0, etaSeconds: null });
    const frames = await analyse(video, analysisSize(srcWidth, srcHeight), check, (n) =>
      ctx.progress({ stage: 'analysing', framesDone: n, framesTotal: 0, fps: 0, etaSeconds: null }),
    );
    if (frames.length === 0) throw codedError('no video frames could be decoded from the file', 'video-unreadable');

    const fps = o.fps ?? null;
    const thePlan = plan(frames, {
      factor: fps === null ? (o.factor ?? 2) : null,
      fps,
      sceneThreshold: o.sceneThreshold,
      dedupe: o.dedupe,
    });

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
    const writable = dest
      ? new WritableStream<FileChunk>({ write: (chunk) => dest.write(chunk) })
      : (sink as PagedSink).writable();
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
    const constantRate = frames.every(
      (f, i) => i === 0 || Math.abs(f.timestamp - (frames[i - 1] as SourceFrame).timestamp - spacing) < spacing * 0.02,
    );
    const outRate =
      fps !== null
        ? fps / o.slowdown
        : constantRate && spacing > 0
          ? (o.factor ?? 2) / spacing / o.slowdown
          : undefined;
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
      width,
      height,
      frames: thePlan.outputs.length,
      duration: 0,
      container: chosen.container,
      codec: chosen.codec,
      audio: audioState,
      cuts: thePlan.cuts,
      backend: ctx.backend,
      scale,
      scales: {},
      interpolated: 0,
      sourceFrames: thePlan.sourceFrames,
      kept: thePlan.kept,
      dropped: thePlan.dropped,
      replaced: thePlan.replaced,
      duplicates: thePlan.dropped,
    };
    try {
      await render(
        video,
        thePlan,
        { width, height, scale, slowdown: o.slowdown, preview: o.preview },
        ctx,
        check,
        videoSource,
        audio,
        summary,
      );
      check();
      ctx.progress({
        stage: 'finishing',
        framesDone: summary.frames,
        framesTotal: summary.frames,
        fps: 0,
        etaSeconds: 0,
      });
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
    ctx.progress({
      stage: 'done',
      framesDone: summary.frames,
      framesTotal: summary.frames,
      fps: 0,
      etaSeconds: 0,
      summary,
    });
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
    throw codedError(
      `the video could not be decoded after ${frames.length} frames (the file may be damaged or truncated): ${messageOf(e)}`,
      'video-unreadable',
    );
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
  const fits = (c: OutContainer) =>
    audioCodec === null ||
    formatFor(c)
      .getSupportedAudioCodecs()
      .includes(audioCodec as never);
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
      if (!ok)
        throw codedError(
          `this browser cannot encode ${CODEC_NAMES[o.codec]} video at ${width}x${height}`,
          'video-unsupported',
        );
      return { container, codec: o.codec };
    }
    const codec = await getFirstEncodableVideoCodec(PREFERRED[container], {
      width,
      height,
      ...(bitrate ? { bitrate } : {}),
    });
    if (codec) return { container, codec: codec as OutCodec };
  }
  if (o.codec !== 'auto')
    throw new TypeError(
      `codec '${o.codec}' cannot be stored in ${o.container === 'auto' ? 'MP4 or WebM' : o.container}`,
    );
  throw codedError(
    `this browser cannot encode H.264, VP9, AV1 or VP8 video at ${width}x${height}`,
    'video-unsupported',
  );
}

function formatFor(c: OutContainer) {
  return c === 'mp4' ? new Mp4OutputFormat() : new WebMOutputFormat();
}

interface Key {
  /** Index into plan.keys. */
  k: number;
  rgba: Uint8ClampedArray;
  /** The decoded frame itself (tight I420) when it is encoded unchanged: read exactly, not resized. */
  yuv: Uint8Array | null;
}

/** Pass 2: decode again, keeping only the current pair, and emit every planned output frame. */
async function render(
  video: InputVideoTrack,
  thePlan: Plan,
  size: { width: number; height: number; scale: ScaleChoice; slowdown: number; preview: boolean },
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
  // The input's colour space (colour.ts): frames are converted by it here and the output is
  // tagged with it. Null (HDR, or a matrix we do not convert): the browser converts, to BT.709.
  const space = resolveSpace(
    await video.getColorSpace(),
    await video.getDisplayWidth(),
    await video.getDisplayHeight(),
  );

  const samples = new VideoSampleSink(video).samples();
  // The key frames in the order they are read (each once, k = 0, 1, 2, …), kept by handle: the
  // chain holds the last two, the pair being interpolated, and prepares each frame the first
  // time a pair needs it, so a source frame is encoded at most once and only when it is used.
  const chain = new FrameChain(ctx.engine, scale);
  let pushed = -1; // k of the last key pushed to `chain`
  let decoded = -1; // index of the last source frame pulled from `samples`
  const readKey = async (k: number): Promise<Key> => {
    const want = thePlan.keys[k] as number;
    for (;;) {
      const r = await samples.next();
      if (r.done)
        throw codedError(
          `the video ended early on the second read (frame ${want} of ${thePlan.keys.length} key frames)`,
          'video-unreadable',
        );
      const sample = r.value;
      try {
        decoded++;
        if (decoded < want) continue;
        const { rgba, yuv } = await readPixels(sample, space, g, width, height);
        if (k !== pushed + 1) throw new Error('internal error: key frames read out of order');
        chain.push({ pixels: rgba.buffer as ArrayBuffer, width, height }, true);
        pushed = k;
        return { k, rgba, yuv };
      } finally {
        sample.close();
      }
    }
  };

  const start = thePlan.outputs[0]?.time ?? 0;
  const meter = new Meter();
  let lastReport = 0;
  let a: Key | null = null;
  let b: Key | null = null;
  let counted = -1; // the last pair whose scale went into summary.scales
  try {
    for (let n = 0; n < thePlan.outputs.length; n++) {
      check();
      const out = thePlan.outputs[n] as (typeof thePlan.outputs)[number];
      // Slide the pair forward to out.pair (plans only move forward).
      while (a === null || a.k < out.pair) {
        const next: Key = b ?? (await readKey(a === null ? 0 : a.k + 1));
        a = next;
        b = null;
        if (a.k > out.pair) throw new Error('internal error: the plan went backwards');
      }
      if (out.kind !== 'a' && b === null) b = await readKey(out.pair + 1);

      let pixels: Uint8Array | Uint8ClampedArray;
      let yuv: Uint8Array | null = null;
      if (out.kind === 'a') [pixels, yuv] = [a.rgba, a.yuv];
      else if (out.kind === 'b') [pixels, yuv] = [(b as Key).rgba, (b as Key).yuv];
      else {
        // The chain's last two frames are this pair: b is the newest key read, a the one before.
        if ((b as Key).k !== pushed || chain.length < 2)
          throw new Error("internal error: the pair is not the chain's last two frames");
        pixels = await ctx.engine.interpolate(...(await chain.pair()), out.t);
        summary.interpolated++;
        if (counted !== out.pair) {
          counted = out.pair;
          const key = String(chain.lastScale);
          summary.scales[key] = (summary.scales[key] ?? 0) + 1;
        }
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
      const timing = { codedWidth: width, codedHeight: height, timestamp: time, duration: out.duration * slowdown };
      // Source frames go out as they were decoded; in-betweens are converted back by the input's
      // matrix and range. Without a space we convert, the browser's RGBA → BT.709 does it.
      const sample = space
        ? new VideoSample(yuv ?? rgbaToI420(pixels, width, height, space), {
            format: 'I420',
            ...timing,
            colorSpace: space.tag,
          })
        : new VideoSample(pixels, { format: 'RGBA', ...timing, colorSpace: ENCODE_AS });
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
        ctx.progress({
          stage: 'interpolating',
          framesDone: done,
          framesTotal: thePlan.outputs.length,
          fps: rate,
          etaSeconds: rate > 0 ? left / rate : null,
        });
      }
    }
  } finally {
    chain.close();
    await samples.return(undefined).catch(() => {});
  }
}

/**
 * A decoded frame as RGBA at the output size, converted by `space` when the frame's format allows
 * (colour.ts), else by the browser (drawn onto `g`). `yuv` is the frame's own I420 when it can be
 * encoded unchanged: read exactly, at the output size, upright.
 */
async function readPixels(
  sample: VideoSample,
  space: YuvSpace | null,
  g: OffscreenCanvasRenderingContext2D,
  width: number,
  height: number,
): Promise<{ rgba: Uint8ClampedArray; yuv: Uint8Array | null }> {
  if (!space || sample.flip || !canRead(sample.format)) {
    sample.draw(g, 0, 0, width, height);
    return { rgba: g.getImageData(0, 0, width, height).data, yuv: null };
  }
  const rect = sample.visibleRect;
  const yuv = await readI420(sample);
  const rgba = i420ToRgba(yuv, rect.width, rect.height, space);
  if (sample.rotation === 0 && rect.width === width && rect.height === height) return { rgba, yuv };
  // Rotated (phones), non-square pixels, or another output size (maxHeight, an odd size made
  // even): converted here, then turned and scaled by the canvas.
  const bitmap = await createImageBitmap(new ImageData(rgba, rect.width, rect.height));
  try {
    const turned = sample.rotation === 90 || sample.rotation === 270;
    g.save();
    g.translate(width / 2, height / 2);
    g.rotate((sample.rotation * Math.PI) / 180);
    const [w, h] = turned ? [height, width] : [width, height];
    g.drawImage(bitmap, -w / 2, -h / 2, w, h);
    g.restore();
  } finally {
    bitmap.close();
  }
  return { rgba: g.getImageData(0, 0, width, height).data, yuv: null };
}
