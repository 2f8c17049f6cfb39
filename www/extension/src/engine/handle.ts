// The engine frame's requests (messages.ts): each checked against the protocol and LIMITS before
// any work, then served by the package. A request arrives as `unknown`: the port is content.js's,
// but the checks do not rely on that.
import { createInterpolator, type FrameSequence, type Interpolator } from '../../../lib/dist/index.js';
import { analysisSize, CadenceGuard, ChangeMeter, greyOf } from '../../../lib/dist/shared/duplicates.js';
import { context2d } from '../canvas.js';
import { type FrameRequest, isObject, LIMITS, type ResultOf, type StreamId } from '../messages.js';
import { bad, checkSize, EngineError, type Handled, MODEL_FILE, ownFile, WASM_FILE } from './answer.js';
import { remoteInit, remoteOp, remoteRunning } from './remote.js';
import { isTestRequest, testRequest } from './test-hooks.js';

let interp: Interpolator | null = null;

/** A stream's last frame: the package's FrameSequence holds it, prepared, as the first frame of
 * the stream's next pair. */
interface Held {
  seq: number;
  width: number;
  height: number;
  scale: number;
  sequence: FrameSequence;
}
/** Per stream (one per video), in least-recently-used order (a use moves a stream to the end). */
const held = new Map<StreamId, Held>();

/** The repeat detector's state for one stream at one size. */
interface Cadence {
  width: number;
  height: number;
  size: { width: number; height: number };
  ctx: OffscreenCanvasRenderingContext2D;
  meter: ChangeMeter;
  guard: CadenceGuard;
}
const cadence = new Map<StreamId, Cadence>();

export async function handle(request: unknown): Promise<Handled> {
  if (!isObject(request)) throw bad('a request is an object');
  // biome-ignore lint/correctness/noUnusedLabels: the label is what the shipped build drops (dropLabels)
  TEST_HOOKS: if (isTestRequest(request)) return testRequest(request, interp);
  switch (request.type) {
    case 'init':
      return [await init(request.allowSoftwareAdapter === true), []];
    case 'frame':
      return frame(request);
    case 'files':
      return files();
    case 'remote-init':
      if (interp) throw bad('this engine frame already runs the package (init)');
      return remoteInit(request);
    case 'remote':
      return remoteOp(request.op);
    case 'forget': {
      const stream = request.stream as StreamId;
      held.get(stream)?.sequence.close();
      held.delete(stream);
      cadence.delete(stream);
      return [{}, []];
    }
    default:
      throw bad(`unknown request ${String(request.type).slice(0, 40)}`);
  }
}

/** The single-thread wasm module and the model, fetched from the extension's own files (this
 * frame's origin), for content.js's in-process engine. Transferred, not copied. */
async function files(): Promise<Handled> {
  const [wasm, model] = await Promise.all([ownFile(WASM_FILE), ownFile(MODEL_FILE)]);
  return [{ wasm, model }, [wasm, model]];
}

async function init(allowSoftwareAdapter: boolean): Promise<ResultOf['init']> {
  if (interp) return { adapter: interp.adapterInfo };
  // The remote-recorded engine has navigator.gpu standing in for WebGPU: one or the other.
  if (remoteRunning()) throw bad('this engine frame runs the remote-recorded engine');
  // Probe before loading the model: without a usable GPU there is nothing to load it for. The
  // package's own probe (in its worker) repeats this; that costs a millisecond.
  const gpu = navigator.gpu;
  if (!gpu) throw new EngineError('no-webgpu', 'this browser has no WebGPU (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    throw new EngineError('no-webgpu', 'WebGPU has no adapter here (disabled, blocked, or no usable GPU)');
  }
  // `info.isFallbackAdapter` is recent; older Chromium had it on the adapter.
  const info: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string } = adapter.info ?? {};
  const software = Boolean(info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  // A software adapter (SwiftShader, WARP) takes seconds per frame: real time is out of reach,
  // so stay out of the way. The wasm CPU path is no better (≈0.2 s for a 160x96 frame), which is
  // why the extension never falls back to it. The setting exists for tests and the curious.
  if (software && !allowSoftwareAdapter) {
    throw new EngineError(
      'software-webgpu',
      `the only WebGPU adapter is a software one (${info.vendor || '?'} ${info.architecture || ''}), far too slow for real time`,
    );
  }
  // The model ships inside the extension: no download, and no Cache API copy of a local file.
  interp = await createInterpolator({ backend: 'webgpu', cache: false });
  return { adapter: interp.adapterInfo };
}

/** Whether `image` repeats the stream's previous frame, by the shared detector (a few ms at 640x360). */
function isRepeat(stream: StreamId, image: ImageData): boolean {
  let c = cadence.get(stream);
  if (!c || c.width !== image.width || c.height !== image.height) {
    const size = analysisSize(image.width, image.height);
    const ctx = context2d(new OffscreenCanvas(size.width, size.height), { willReadFrequently: true });
    ctx.imageSmoothingQuality = 'high';
    c = {
      width: image.width,
      height: image.height,
      size,
      ctx,
      meter: new ChangeMeter(size.width, size.height),
      guard: new CadenceGuard(),
    };
    cadence.set(stream, c);
  }
  let pixels = image.data;
  if (c.size.width !== image.width || c.size.height !== image.height) {
    c.ctx.drawImage(imageCanvas(image), 0, 0, c.size.width, c.size.height);
    pixels = c.ctx.getImageData(0, 0, c.size.width, c.size.height).data;
  }
  return c.guard.push(c.meter.push(greyOf(pixels)));
}

let scratch: OffscreenCanvas | null = null;
/** `image` on a canvas, to be scaled from (ImageData cannot be drawn scaled directly). */
function imageCanvas(image: ImageData): OffscreenCanvas {
  if (!scratch || scratch.width !== image.width || scratch.height !== image.height)
    scratch = new OffscreenCanvas(image.width, image.height);
  context2d(scratch).putImageData(image, 0, 0);
  return scratch;
}

/** The frame request's fields, checked against the protocol and LIMITS (clear errors, before any
 * work; the package checks `ts` and `scale` values again). */
function checkFrame(r: Record<string, unknown>): asserts r is Record<string, unknown> & FrameRequest {
  const { stream, seq, prevSeq, image, ts, scale } = r;
  if (!((typeof stream === 'string' && stream.length <= 64) || Number.isSafeInteger(stream))) {
    throw bad('stream is a number or a short string');
  }
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(prevSeq)) throw bad('seq and prevSeq are integers');
  if (!isObject(image)) throw bad('image is { pixels, width, height }');
  const { pixels, width, height } = image;
  const area = checkSize(width, height);
  if (!(pixels instanceof ArrayBuffer) || pixels.byteLength !== area * 4) {
    throw bad(`image.pixels is an ArrayBuffer of width x height x 4 = ${area * 4} bytes`);
  }
  if (!Array.isArray(ts) || ts.length > LIMITS.maxTs || !ts.every((t) => typeof t === 'number' && t > 0 && t < 1)) {
    throw bad(`ts is a list of at most ${LIMITS.maxTs} times strictly between 0 and 1`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw bad('scale is a finite number');
}

/** Holds `value` as `stream`'s last frame, most recently used; forgets the least recently used
 * stream beyond LIMITS.maxStreams. */
function hold(stream: StreamId, value: Held): void {
  held.delete(stream);
  held.set(stream, value);
  for (const [oldest, state] of held) {
    if (held.size <= LIMITS.maxStreams) break;
    state.sequence.close();
    held.delete(oldest);
    cadence.delete(oldest);
  }
}

async function frame(request: Record<string, unknown>): Promise<Handled> {
  checkFrame(request);
  const { stream, prevSeq, seq, image, ts, scale } = request;
  const { width, height } = image;
  const current = new ImageData(new Uint8ClampedArray(image.pixels), width, height);
  const previous = held.get(stream);
  // This frame follows the stream's last one (content.js dropped none in between) at its size.
  const follows =
    previous !== undefined && previous.seq === prevSeq && previous.width === width && previous.height === height;
  if (isRepeat(stream, current) && follows) {
    // The picture before the repeat stays the sequence's frame, the next pair's first, under this
    // frame's seq: the sequence is not pushed.
    hold(stream, { ...previous, seq });
    return [{ frames: null, count: 0, ms: 0, repeat: true }, []];
  }
  if (!interp) throw new Error('the engine is not initialised');
  // The stream's frames live in a sequence of the package (one per stream, size and flow scale):
  // each frame is prepared once, on the GPU, and kept there by handle as the next pair's first.
  // A frame that does not follow, or a new scale, starts a new sequence with this frame.
  if (!follows || previous.scale !== scale) {
    // The static guard (issue 12) is on: burnt-in captions, logos and scores stay still. A
    // request with `staticGuard: false` turns it off for its stream's new sequence.
    const sequence = interp.sequence({ scale, staticGuard: request.staticGuard !== false }); // throws on a bad scale, before anything changes
    previous?.sequence.close();
    hold(stream, { seq, width, height, scale, sequence });
    await sequence.push(current, []);
    return [{ frames: null, count: 0, ms: 0 }, []];
  }
  hold(stream, { ...previous, seq });
  if (ts.length === 0) {
    await previous.sequence.push(current, []);
    return [{ frames: null, count: 0, ms: 0 }, []];
  }
  const start = performance.now();
  // ImageData in gives ImageData out (VideoFrames only for VideoFrames).
  const outs = (await previous.sequence.push(current, ts)) as ImageData[];
  const ms = performance.now() - start;
  const bytes = width * height * 4;
  const frames = new Uint8Array(bytes * outs.length);
  outs.forEach((out, i) => frames.set(out.data, i * bytes));
  return [{ frames: frames.buffer, count: outs.length, ms }, [frames.buffer]];
}
