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
//   buffers (one per source frame; each is pushed to the stream's FrameSequence, which keeps it
//   prepared on the GPU as the next pair's first frame) and gets RGBA buffers back.
//
// Who may connect (the engine's security). engine.html is web-accessible, because content.js
// frames it on the page, so any page can frame it too and post to its own copy. (content.js's
// frame sits in a closed shadow root, which also keeps it out of the page's `window.frames`; the
// token below does not rely on that.) Nothing arriving through the window is trusted:
// - a MessagePort is accepted only together with the one-time token that the service worker made
//   for this frame when it said hello (background.js), and sent, over the extension's own
//   messaging, to the content.js that named this frame. A page can neither read that token (it
//   lives here, in the service worker and in content.js's isolated world) nor mint one.
// - Attempts without the right token are refused ({ type: 'refused' } on their port) and change
//   nothing: they do not lock content.js out, however many arrive or however early.
// - Once content.js's port is accepted, every other offer is refused.
// - Requests on the accepted port are checked and capped (LIMITS): frame size, in-betweens per
//   frame, streams held, requests queued.
//
// Protocol (on that port; every request has an `id` and gets exactly one answer):
//   { id, type: 'init', allowSoftwareAdapter }            → { adapter }
//   { id, type: 'frame', stream, seq, prevSeq, image: { pixels, width, height }, ts, scale,
//     staticGuard? (default true) }
//        → { frames: ArrayBuffer | null, count, ms, repeat }   (frames between prevSeq's image and
//          this one, one per entry of `ts`, back to back; null when this frame only starts a new
//          pair, or when `repeat`: the frame repeats the one before it in a pulldown or twos cadence
//          (the package's duplicates.ts, the rule interpolateVideo uses). A repeat is not
//          interpolated to; the picture before it stays this stream's pair start, so the next
//          frame's in-betweens span the repeat's slot as well.)
//   { id, type: 'forget', stream }                        → {}
// and, in test builds only (scripts/build-extension.mjs --test-hooks; the shipped build has
// neither):
//   { id, type: 'echo', pixels }                          → { pixels }   (for measuring the hand-over)
//   { id, type: 'loseDeviceForTesting' }                  → { lost }     (tests: a driver reset)
// Failures answer { id, ok: false, error: { code, message } }, code one of 'no-webgpu',
// 'software-webgpu', 'bad-request', 'busy', 'error'.

import { createInterpolator } from './lib/dist/index.js';
import { analysisSize, CadenceGuard, ChangeMeter, greyOf } from './lib/dist/shared/duplicates.js';

/** The caps on what content.js (or anything holding its port) may ask. content.js works at up to
 * 720 lines and ×8 (with a threes cadence, up to 23 in-betweens per frame), well inside these. */
const LIMITS = Object.freeze({
  /** Either side of a frame, in pixels. */
  maxSide: 4096,
  /** A frame's area: 3840x2160. */
  maxPixels: 3840 * 2160,
  /** In-betweens asked of one frame. */
  maxTs: 32,
  /** Streams (videos) whose last frame is held; the least recently used one is forgotten. */
  maxStreams: 16,
  /** Requests waiting or running; more are answered 'busy' at once. */
  maxQueued: 8,
});

/** @type {MessagePort | null} content.js's port, once its token was checked. */
let port = null;
/** @type {import('./lib/dist/index.js').Interpolator | null} */
let interp = null;
/** Per stream (one per video): { seq, width, height, scale, sequence }, the package's FrameSequence
 * that holds the stream's last frame, prepared, as the first frame of its next pair. In
 * least-recently-used order (a use moves a stream to the end). */
const held = new Map();
/** Per stream: the repeat detector's state, { width, height, meter, guard }. */
const cadence = new Map();
// One request at a time: the interpolator is serial anyway, and answering in order keeps
// content.js's bookkeeping simple.
let queue = Promise.resolve();
let queued = 0;

/** The token the service worker made for this frame, asked for once at load. content.js's nonce
 * (the URL's fragment) tells the service worker which content.js named this frame. */
const expected = chrome.runtime.sendMessage({ type: 'engine-hello', nonce: location.hash.slice(1) }).then(
  (r) => (typeof r?.token === 'string' ? r.token : null),
  () => null,
);

/** Equal strings, compared in time that does not depend on where they differ. */
function sameToken(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

window.addEventListener('message', async (event) => {
  const offered = event.ports?.[0];
  if (event.data?.type !== 'inbetween-connect' || !offered) return;
  if (port) return refuse(offered);
  const token = event.data.token;
  // A token is a UUID: anything else is refused before any look-up.
  if (typeof token !== 'string' || token.length !== 36) return refuse(offered);
  const mine = await expected;
  if (port || mine === null || !sameToken(token, mine)) return refuse(offered);
  port = offered;
  port.onmessage = (m) => {
    if (queued >= LIMITS.maxQueued) {
      reply(m.data, {
        ok: false,
        error: { code: 'busy', message: `more than ${LIMITS.maxQueued} requests are waiting` },
      });
      return;
    }
    queued++;
    queue = queue
      .then(() => serve(m.data))
      .finally(() => {
        queued--;
      });
  };
  port.postMessage({ type: 'ready' });
});

function refuse(offered) {
  try {
    offered.postMessage({ type: 'refused' });
    offered.close();
  } catch {
    // A port that cannot be answered is simply dropped.
  }
}

function reply(request, answer, transfer = []) {
  const id = request !== null && typeof request === 'object' ? request.id : undefined;
  port.postMessage({ id, ...answer }, transfer);
}

class EngineError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function serve(request) {
  try {
    const [result, transfer] = await handle(request);
    reply(request, { ok: true, result }, transfer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    reply(request, { ok: false, error: { code: e?.code ?? 'error', message } });
  }
}

const bad = (message) => new EngineError('bad-request', message);

async function handle(request) {
  if (request === null || typeof request !== 'object') throw bad('a request is an object');
  switch (request.type) {
    case 'init':
      return [await init(request.allowSoftwareAdapter === true), []];
    case 'frame':
      return frame(request);
    // <test-hooks> (left out of the shipped build by scripts/build-extension.mjs)
    case 'loseDeviceForTesting':
      if (!interp) throw new Error('the engine is not initialised');
      // The package's test hooks: only in the test build (scripts/build-extension.mjs).
      return [{ lost: await (await import('./lib/dist/testing.js')).loseDevice(interp) }, []];
    case 'echo':
      // The cost of the frame hand-over alone (measured by the bench): the buffer goes back.
      if (!(request.pixels instanceof ArrayBuffer) || request.pixels.byteLength > LIMITS.maxPixels * 4) {
        throw bad('echo takes an ArrayBuffer of at most one frame');
      }
      return [{ pixels: request.pixels }, [request.pixels]];
    // </test-hooks>
    case 'forget':
      held.get(request.stream)?.sequence.close();
      held.delete(request.stream);
      cadence.delete(request.stream);
      return [{}, []];
    default:
      throw bad(`unknown request ${String(request.type).slice(0, 40)}`);
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
function isRepeat(stream, image) {
  let c = cadence.get(stream);
  if (!c || c.width !== image.width || c.height !== image.height) {
    const size = analysisSize(image.width, image.height);
    const canvas = new OffscreenCanvas(size.width, size.height);
    c = {
      width: image.width,
      height: image.height,
      size,
      canvas,
      ctx: canvas.getContext('2d', { willReadFrequently: true }),
      meter: new ChangeMeter(size.width, size.height),
      guard: new CadenceGuard(),
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
  if (!scratch || scratch.width !== image.width || scratch.height !== image.height)
    scratch = new OffscreenCanvas(image.width, image.height);
  scratch.getContext('2d').putImageData(image, 0, 0);
  return scratch;
}

/** The frame request's fields, checked against the protocol and LIMITS (clear errors, before any
 * work; the package checks `ts` and `scale` values again). */
function checkFrame({ stream, seq, prevSeq, image, ts, scale }) {
  if (!((typeof stream === 'string' && stream.length <= 64) || Number.isSafeInteger(stream))) {
    throw bad('stream is a number or a short string');
  }
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(prevSeq)) throw bad('seq and prevSeq are integers');
  if (image === null || typeof image !== 'object') throw bad('image is { pixels, width, height }');
  const { pixels, width, height } = image;
  if (
    !Number.isSafeInteger(width) ||
    !Number.isSafeInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > LIMITS.maxSide ||
    height > LIMITS.maxSide ||
    width * height > LIMITS.maxPixels
  ) {
    throw bad(
      `a frame is 1 to ${LIMITS.maxSide} pixels a side and at most ${LIMITS.maxPixels} pixels ` +
        `(got ${String(width).slice(0, 12)}x${String(height).slice(0, 12)})`,
    );
  }
  if (!(pixels instanceof ArrayBuffer) || pixels.byteLength !== width * height * 4) {
    throw bad(`image.pixels is an ArrayBuffer of width x height x 4 = ${width * height * 4} bytes`);
  }
  if (!Array.isArray(ts) || ts.length > LIMITS.maxTs || !ts.every((t) => typeof t === 'number' && t > 0 && t < 1)) {
    throw bad(`ts is a list of at most ${LIMITS.maxTs} times strictly between 0 and 1`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw bad('scale is a finite number');
}

/** Holds `value` as `stream`'s last frame, most recently used; forgets the least recently used
 * stream beyond LIMITS.maxStreams. */
function hold(stream, value) {
  held.delete(stream);
  held.set(stream, value);
  while (held.size > LIMITS.maxStreams) {
    const oldest = held.keys().next().value;
    held.get(oldest).sequence.close();
    held.delete(oldest);
    cadence.delete(oldest);
  }
}

async function frame(request) {
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
  let state = previous;
  if (!follows || previous.scale !== scale) {
    // The static guard (issue 12) is on: burnt-in captions, logos and scores stay still. A
    // request with `staticGuard: false` turns it off for its stream's new sequence.
    const sequence = interp.sequence({ scale, staticGuard: request.staticGuard !== false }); // throws on a bad scale, before anything changes
    previous?.sequence.close();
    state = { seq, width, height, scale, sequence };
    hold(stream, state);
    await sequence.push(current, []);
    return [{ frames: null, count: 0, ms: 0 }, []];
  }
  hold(stream, { ...state, seq });
  if (ts.length === 0) {
    await state.sequence.push(current, []);
    return [{ frames: null, count: 0, ms: 0 }, []];
  }
  const start = performance.now();
  const outs = await state.sequence.push(current, ts);
  const ms = performance.now() - start;
  const bytes = width * height * 4;
  const frames = new Uint8Array(bytes * outs.length);
  outs.forEach((out, i) => frames.set(out.data, i * bytes));
  return [{ frames: frames.buffer, count: outs.length, ms }, [frames.buffer]];
}
