// The engine frame (engine.html): the npm package running with the extension's origin.
//
// Why a frame and not the content script itself (measured and checked, see the README section):
// - A content script runs with the *page's* origin. The package starts a module worker from
//   chrome-extension://…/worker.js, and a page-origin `new Worker()` of a cross-origin URL throws
//   a SecurityError. A Blob-URL worker would run with the page's origin too, so the page's CSP
//   decides whether it may exist and whether WebAssembly may compile (many sites forbid both), and
//   the model would be cached in the page's own storage.
// - This frame has the extension's origin and CSP (`'wasm-unsafe-eval'`), so the package loads
//   unchanged, from files inside the extension, on every page.
// - The price: a VideoFrame cannot be posted to another process, so content.js sends RGBA pixel
//   buffers (one per source frame; each is held here as the next pair's first frame) and gets
//   RGBA buffers back.
//
// Protocol (MessagePort from content.js; every request has an `id` and gets exactly one answer):
//   { id, type: 'init', allowSoftwareAdapter }            → { adapter }
//   { id, type: 'frame', stream, seq, prevSeq, image: { pixels, width, height }, ts, scale }
//        → { frames: ArrayBuffer | null, count, ms, repeat }   (frames between prevSeq's image and
//          this one, one per entry of `ts`, back to back; null when this frame only starts a new
//          pair, or when `repeat`: the frame repeats the one before it in a pulldown or twos cadence
//          (the package's duplicates.ts, the rule interpolateVideo uses). A repeat is not
//          interpolated to; the picture before it stays this stream's pair start, so the next
//          frame's in-betweens span the repeat's slot as well.)
//   { id, type: 'forget', stream }                        → {}
//   { id, type: 'echo', pixels }                          → { pixels }   (for measuring the hand-over)
//   { id, type: 'loseDeviceForTesting' }                  → { lost }     (tests: a driver reset)
// Failures answer { id, ok: false, error: { code, message } }, code one of 'no-webgpu',
// 'software-webgpu', 'error'.

import { createInterpolator } from './lib/dist/index.js';
import { analysisSize, CadenceGuard, ChangeMeter, greyOf } from './lib/dist/duplicates.js';

/** @type {MessagePort | null} */
let port = null;
/** @type {import('./lib/dist/index.js').Interpolator | null} */
let interp = null;
/** The last frame of each stream (one stream per video): the first frame of its next pair. */
const held = new Map();
/** Per stream: the repeat detector's state, { width, height, meter, guard }. */
const cadence = new Map();
// One request at a time: the interpolator is serial anyway, and answering in order keeps
// content.js's bookkeeping simple.
let queue = Promise.resolve();

window.addEventListener('message', (event) => {
  // The first connect wins. The page's own scripts share the window with content.js, so they
  // could race to connect; all they would get is a RIFE engine for pixels they already own.
  if (port || event.data?.type !== 'inbetween-connect' || !event.ports[0]) return;
  port = event.ports[0];
  port.onmessage = (m) => {
    queue = queue.then(() => serve(m.data));
  };
  port.postMessage({ type: 'ready' });
});

class EngineError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function serve(request) {
  try {
    const [result, transfer] = await handle(request);
    port.postMessage({ id: request.id, ok: true, result }, transfer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    port.postMessage({ id: request.id, ok: false, error: { code: e?.code ?? 'error', message } });
  }
}

async function handle(request) {
  switch (request.type) {
    case 'init':
      return [await init(request.allowSoftwareAdapter === true), []];
    case 'frame':
      return frame(request);
    case 'loseDeviceForTesting':
      return [{ lost: await interp._loseDeviceForTesting() }, []];
    case 'echo':
      // The cost of the frame hand-over alone (measured by the bench): the buffer goes back.
      return [{ pixels: request.pixels }, [request.pixels]];
    case 'forget':
      held.delete(request.stream);
      cadence.delete(request.stream);
      return [{}, []];
    default:
      throw new Error(`unknown request ${String(request.type)}`);
  }
}

async function init(allowSoftwareAdapter) {
  if (interp) return { adapter: interp.adapterInfo };
  // Probe before loading the model: without a usable GPU there is nothing to load it for. The
  // package's own probe (in its worker) repeats this; that costs a millisecond.
  const gpu = navigator.gpu;
  if (!gpu) throw new EngineError('no-webgpu', 'this browser has no WebGPU (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    throw new EngineError('no-webgpu', 'WebGPU has no adapter here (disabled, blocked, or no usable GPU)');
  }
  const info = adapter.info ?? {};
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  // A software adapter (SwiftShader, WARP) takes seconds per frame: real time is out of reach,
  // so stay out of the way. The wasm CPU path is no better (≈0.2 s for a 160x96 frame), which is
  // why the extension never falls back to it. The setting exists for tests and the curious.
  if (software && !allowSoftwareAdapter) {
    throw new EngineError('software-webgpu',
      `the only WebGPU adapter is a software one (${info.vendor || '?'} ${info.architecture || ''}), far too slow for real time`);
  }
  // The model ships inside the extension: no download, and no Cache API copy of a local file.
  interp = await createInterpolator({ backend: 'webgpu', cache: false });
  return { adapter: interp.adapterInfo };
}

/** Whether `image` repeats the stream's previous frame, by the shared detector (a few ms at 640x360). */
function isRepeat(stream, image) {
  let c = cadence.get(stream);
  if (!c || c.width !== image.width || c.height !== image.height) {
    const size = analysisSize(image.width, image.height);
    const canvas = new OffscreenCanvas(size.width, size.height);
    c = {
      width: image.width, height: image.height, size, canvas,
      ctx: canvas.getContext('2d', { willReadFrequently: true }),
      meter: new ChangeMeter(size.width, size.height), guard: new CadenceGuard(),
    };
    c.ctx.imageSmoothingQuality = 'high';
    cadence.set(stream, c);
  }
  let pixels = image.data;
  if (c.size.width !== image.width || c.size.height !== image.height) {
    c.ctx.drawImage(imageCanvas(image), 0, 0, c.size.width, c.size.height);
    pixels = c.ctx.getImageData(0, 0, c.size.width, c.size.height).data;
  }
  return c.guard.push(c.meter.push(greyOf(pixels)));
}

let scratch = null;
/** `image` on a canvas, to be scaled from (ImageData cannot be drawn scaled directly). */
function imageCanvas(image) {
  if (!scratch || scratch.width !== image.width || scratch.height !== image.height) scratch = new OffscreenCanvas(image.width, image.height);
  scratch.getContext('2d').putImageData(image, 0, 0);
  return scratch;
}

async function frame({ stream, seq, prevSeq, image, ts, scale }) {
  const current = new ImageData(new Uint8ClampedArray(image.pixels), image.width, image.height);
  const previous = held.get(stream);
  const repeat = isRepeat(stream, current);
  if (repeat && previous && previous.seq === prevSeq && previous.image.width === image.width && previous.image.height === image.height) {
    // Keep the picture before the repeat as the next pair's first frame, under this frame's seq.
    held.set(stream, { seq, image: previous.image });
    return [{ frames: null, count: 0, ms: 0, repeat: true }, []];
  }
  held.set(stream, { seq, image: current });
  if (!interp) throw new Error('the engine is not initialised');
  if (!previous || previous.seq !== prevSeq || ts.length === 0
    || previous.image.width !== image.width || previous.image.height !== image.height) {
    return [{ frames: null, count: 0, ms: 0 }, []];
  }
  const start = performance.now();
  const outs = await interp.interpolateMany(previous.image, current, ts, { scale });
  const ms = performance.now() - start;
  const bytes = image.width * image.height * 4;
  const frames = new Uint8Array(bytes * outs.length);
  outs.forEach((out, i) => frames.set(out.data, i * bytes));
  return [{ frames: frames.buffer, count: outs.length, ms }, [frames.buffer]];
}
