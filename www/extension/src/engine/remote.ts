// The remote-recorded engine, engine frame side (issue 10, item 1, where the page's CSP forbids
// WebAssembly in content.js's world). The package's wasm GPU engine runs here on recorder.ts's
// stand-in for WebGPU; each request is one engine operation, and its answer is the WebGPU
// commands the operation made, which content.js plays on its real device (content/remote.ts,
// content/replay.ts). The frames content.js names here are on its GPU: what comes here is their
// size, never their pixels.
//
// Requests are checked (messages.ts LIMITS and REMOTE_LIMITS) before the engine sees them, like
// every request this frame takes.
import initWasm, { type Canvas, Engine, type Frame } from '../../../lib/pkg/inbetween_wasm.js';
import { isObject, REMOTE_LIMITS, type RemoteOp } from '../messages.js';
import { bad, checkSize, type Handled, MODEL_FILE, ownFile, WASM_FILE } from './answer.js';
import { FakeCanvas, FakeImage, Recorder } from './recorder.js';

interface Running {
  rec: Recorder;
  uninstall: () => void;
  engine: Engine;
  frames: Map<number, Frame>;
  canvases: Map<number, Canvas>;
}
let running: Running | null = null;
let wasmLoaded: Promise<unknown> | null = null;

export function remoteRunning(): boolean {
  return running !== null;
}

/** The engine on a recorder shaped like content.js's adapter. A second init starts afresh. */
export async function remoteInit(r: Record<string, unknown>): Promise<Handled> {
  const { features, limits } = r;
  if (
    !Array.isArray(features) ||
    features.length > 64 ||
    !features.every((f) => typeof f === 'string' && f.length < 64)
  ) {
    throw bad('features is a list of at most 64 feature names');
  }
  if (
    !isObject(limits) ||
    Object.keys(limits).length > 128 ||
    !Object.values(limits).every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)
  ) {
    throw bad('limits maps at most 128 limit names to numbers');
  }
  dispose();
  // The engine's own timing queries would need a readback each frame: not on this path.
  const rec = new Recorder(
    features.filter((f) => f !== 'timestamp-query'),
    limits as Record<string, number>,
  );
  const uninstall = rec.install();
  try {
    wasmLoaded ??= ownFile(WASM_FILE).then((bytes) => initWasm({ module_or_path: bytes }));
    await wasmLoaded;
    const model = new Uint8Array(await ownFile(MODEL_FILE));
    // f32 activations, as the in-process engine (content/local.ts).
    const engine = await Engine.create(model, 'webgpu', 'f32');
    engine.setStaticGuard(r.staticGuard !== false);
    if (!rec.device) throw new Error('the engine asked for no device');
    running = { rec, uninstall, engine, frames: new Map(), canvases: new Map() };
    const [commands, transfer] = rec.take();
    return [{ device: rec.device, commands }, transfer];
  } catch (e) {
    uninstall();
    throw e;
  }
}

/** One operation; its answer is the commands it recorded (and any an earlier, failed one left). */
export function remoteOp(op: unknown): Handled {
  const r = running;
  if (!r) throw bad('the remote-recorded engine is not started (remote-init)');
  if (!isObject(op)) throw bad('op is an object');
  const o = op as RemoteOp;
  switch (o.op) {
    case 'prepare': {
      const { frame, image, width, height, scale } = o;
      name(frame, 'frame');
      name(image, 'image');
      if (r.frames.has(frame)) throw bad(`frame ${frame} is already prepared`);
      if (r.frames.size >= REMOTE_LIMITS.maxFrames) throw bad(`at most ${REMOTE_LIMITS.maxFrames} frames are held`);
      checkSize(width, height);
      if (typeof scale !== 'number' || !Number.isFinite(scale)) throw bad('scale is a finite number');
      const fake = r.rec.external('image', image, (id) => new FakeImage(r.rec, id, width, height));
      r.frames.set(frame, r.engine.prepareImage(fake, 'OffscreenCanvas', scale));
      // The upload is recorded: its name is not needed again.
      r.rec.drop(fake.$id);
      break;
    }
    case 'interpolate': {
      const { a, b, t } = o;
      if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw bad('t is a number in [0, 1]');
      r.engine.interpolateOnGpu(frameOf(r, a), frameOf(r, b), t);
      break;
    }
    case 'attach': {
      name(o.canvas, 'canvas');
      if (r.canvases.has(o.canvas)) throw bad(`canvas ${o.canvas} is already attached`);
      if (r.canvases.size >= REMOTE_LIMITS.maxCanvases) {
        throw bad(`at most ${REMOTE_LIMITS.maxCanvases} canvases are attached`);
      }
      const fake = r.rec.external('canvas', o.canvas, (id) => new FakeCanvas(r.rec, id));
      r.canvases.set(o.canvas, r.engine.attachCanvas(fake));
      break;
    }
    case 'present': {
      const canvas = r.canvases.get(o.canvas);
      if (!canvas) throw bad(`no canvas ${String(o.canvas).slice(0, 12)} is attached`);
      r.engine.presentLast(canvas);
      break;
    }
    case 'free':
      frameOf(r, o.frame).free();
      r.frames.delete(o.frame);
      break;
    case 'freeCanvas':
      r.canvases.get(o.canvas)?.free();
      r.canvases.delete(o.canvas);
      break;
    case 'dispose':
      dispose();
      return [{ commands: [] }, []];
    default:
      throw bad(`unknown op ${String((op as { op?: unknown }).op).slice(0, 40)}`);
  }
  const [commands, transfer] = r.rec.take();
  return [{ commands }, transfer];
}

function name(n: unknown, what: string): asserts n is number {
  if (!Number.isSafeInteger(n)) throw bad(`${what} is an integer`);
}

function frameOf(r: Running, n: unknown): Frame {
  const f = Number.isSafeInteger(n) ? r.frames.get(n as number) : undefined;
  if (!f) throw bad(`no frame ${String(n).slice(0, 12)} is prepared`);
  return f;
}

/** Frees the engine and gives navigator.gpu back. */
function dispose(): void {
  const r = running;
  if (!r) return;
  running = null;
  for (const f of r.frames.values()) f.free();
  for (const c of r.canvases.values()) c.free();
  r.engine.free();
  r.uninstall();
}
