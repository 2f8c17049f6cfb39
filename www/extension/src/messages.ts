// Every message the extension's three parts exchange, in one place (after ruffle's
// web/packages/extension/src/messages.ts): one union per channel and direction, and the few
// helpers that send or recognise them, so a field renamed on one side fails to compile on the
// other.
//
// The channels:
// - chrome.runtime messaging (the extension's own contexts only; there is no
//   externally_connectable): the engine frame's hello to the service worker, answered with its
//   token, and the token handed to content.js for its nonce (background.ts says why);
// - window.postMessage from content.js to its engine frame: the MessagePort, with the token;
// - that MessagePort: content.js's requests, each with an `id` and answered exactly once.
//
// What arrives from a page (anything posted to the engine frame) is `unknown` until a guard here
// or the engine's own checks (engine/handle.ts) say otherwise: the types describe what the
// extension sends, not what it may receive.
import type { AdapterInfo, ErrorCode } from '../../lib/dist/index.js';

// ------------------------------------------------------------------------------------------------
// chrome.runtime messaging

/** Engine frame → service worker, once at load: the nonce is the frame URL's fragment. */
export interface EngineHello {
  type: 'engine-hello';
  nonce: string;
}
/** Service worker → engine frame: the answer to its hello. */
export interface EngineHelloAnswer {
  token: string;
}
/** Service worker → content.js (the tab's top frame): the token of the frame named `nonce`. */
export interface EngineToken {
  type: 'engine-token';
  nonce: string;
  token: string;
}
export type RuntimeMessage = EngineHello | EngineToken;

export function isEngineHello(m: unknown): m is { type: 'engine-hello'; nonce?: unknown } {
  return isObject(m) && m.type === 'engine-hello';
}

export function isEngineToken(m: unknown): m is EngineToken {
  return isObject(m) && m.type === 'engine-token' && typeof m.nonce === 'string' && typeof m.token === 'string';
}

/** The engine frame's hello; resolves to its token, or null when the service worker gave none. */
export function sendHello(nonce: string): Promise<string | null> {
  const hello: EngineHello = { type: 'engine-hello', nonce };
  return chrome.runtime.sendMessage<EngineHello, Partial<EngineHelloAnswer> | undefined>(hello).then(
    (r) => (typeof r?.token === 'string' ? r.token : null),
    () => null,
  );
}

// ------------------------------------------------------------------------------------------------
// window.postMessage, content.js → its engine frame (with the port in `ports[0]`)

export interface Connect {
  type: 'inbetween-connect';
  token: string;
}

export function isConnect(m: unknown): m is { type: 'inbetween-connect'; token?: unknown } {
  return isObject(m) && m.type === 'inbetween-connect';
}

// ------------------------------------------------------------------------------------------------
// The port: engine frame → content.js before any request

export type PortStatus = { type: 'ready' } | { type: 'refused' };

// ------------------------------------------------------------------------------------------------
// The port: content.js → engine frame (requests) and back (answers)

/** The caps on what content.js (or anything holding its port) may ask. content.js works at up to
 * 720 lines and ×8 (with a threes cadence, up to 23 in-betweens per frame), well inside these. */
export const LIMITS = Object.freeze({
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

/** A stream names one video's frames: content.js numbers its videos. */
export type StreamId = number | string;

export interface InitRequest {
  type: 'init';
  allowSoftwareAdapter: boolean;
}
/** A source frame. The answer holds the frames between prevSeq's image and this one, one per
 * entry of `ts`, back to back; none when this frame only starts a new pair, or when it repeats
 * the one before it in a pulldown or twos cadence (the package's duplicates.ts, the rule
 * interpolateVideo uses). A repeat is not interpolated to; the picture before it stays this
 * stream's pair start, so the next frame's in-betweens span the repeat's slot as well. */
export interface FrameRequest {
  type: 'frame';
  stream: StreamId;
  seq: number;
  /** The seq this frame follows, -1 for none. */
  prevSeq: number;
  image: { pixels: ArrayBuffer; width: number; height: number };
  /** Times strictly between 0 and 1. */
  ts: number[];
  /** RIFE's flow scale. */
  scale: number;
  /** Issue 12's static guard; true when absent. */
  staticGuard?: boolean;
}
export interface ForgetRequest {
  type: 'forget';
  stream: StreamId;
}
/** The wasm module and the model, for content.js's in-process engine (content/local.ts): the
 * files are the extension's own, and the frame fetches them from its origin so that they need
 * not be web-accessible. */
export interface FilesRequest {
  type: 'files';
}
/** Test builds only: the frame hand-over alone, for the bench. */
export interface EchoRequest {
  type: 'echo';
  pixels: ArrayBuffer;
}
/** Test builds only: a driver reset. */
export interface LoseDeviceRequest {
  type: 'loseDeviceForTesting';
}
/** Starts the remote-recorded engine (engine/remote.ts, content/remote.ts): the wasm engine runs
 * here on a recording stand-in for WebGPU shaped like content.js's adapter, and content.js plays
 * what it records on its own device. The answer is the device to ask for and the set-up's
 * commands (pipelines, weights). */
export interface RemoteInitRequest {
  type: 'remote-init';
  /** content.js's adapter's features and limits, which the engine plans against. */
  features: string[];
  limits: Record<string, number>;
  staticGuard: boolean;
}
/** One engine operation of the remote-recorded engine; the answer is the WebGPU commands it
 * recorded. Frames and canvases are named by content.js's numbers (`RemoteOp`). */
export interface RemoteRequest {
  type: 'remote';
  op: RemoteOp;
}
export type EngineRequest =
  | InitRequest
  | FrameRequest
  | ForgetRequest
  | FilesRequest
  | RemoteInitRequest
  | RemoteRequest
  | EchoRequest
  | LoseDeviceRequest;

export interface FrameResult {
  /** `count` frames of width x height x 4 bytes, or null. */
  frames: ArrayBuffer | null;
  count: number;
  /** The engine's time for this pair: wall time around the package's `push` (its worker reports
   * no GPU timestamps; the in-process path, local.ts, measures GPU time instead). */
  ms: number;
  repeat?: boolean;
}
/** Each request's result, by its type: an answer is typed by what was asked. */
export interface ResultOf {
  init: { adapter: AdapterInfo | null };
  frame: FrameResult;
  forget: Record<string, never>;
  files: { wasm: ArrayBuffer; model: ArrayBuffer };
  'remote-init': { device: RemoteDeviceDescriptor; commands: Command[] };
  remote: { commands: Command[] };
  echo: { pixels: ArrayBuffer };
  loseDeviceForTesting: { lost: unknown };
}

/** The engine's own codes, and the package's, which it passes on. Never a message's text. */
export type EngineErrorCode = 'no-webgpu' | 'software-webgpu' | 'bad-request' | 'busy' | 'error' | ErrorCode;

/** What a request came to; on the wire with the request's `id` (Answer). */
export type Outcome<T extends EngineRequest['type'] = EngineRequest['type']> =
  | { ok: true; result: ResultOf[T] }
  | { ok: false; error: { code: EngineErrorCode; message: string } };
export type Answer<T extends EngineRequest['type'] = EngineRequest['type']> = { id: unknown } & Outcome<T>;

/** A failed request, as content.js sees it. */
export class EngineCallError extends Error {
  constructor(
    message: string,
    readonly code: EngineErrorCode,
  ) {
    super(message);
  }
}

/** The code of an error from the engine, if it is one. */
export function codeOf(e: unknown): EngineErrorCode | undefined {
  return e instanceof EngineCallError ? e.code : undefined;
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object';
}

// ------------------------------------------------------------------------------------------------
// The remote-recorded engine's sub-protocol (engine/recorder.ts records, content/replay.ts plays)

/** What content.js asks of the remote-recorded engine, one operation a request. `frame` and
 * `canvas` are content.js's numbers for its handles; `image` names the texture content.js copied
 * the frame's pixels into (the recorded upload is played as a copy from it). */
export type RemoteOp =
  | { op: 'prepare'; frame: number; image: number; width: number; height: number; scale: number }
  | { op: 'interpolate'; a: number; b: number; t: number }
  | { op: 'attach'; canvas: number }
  | { op: 'present'; canvas: number }
  | { op: 'free'; frame: number }
  | { op: 'freeCanvas'; canvas: number }
  | { op: 'dispose' };

/** The caps on the remote-recorded engine's handles (beyond LIMITS' frame size). */
export const REMOTE_LIMITS = Object.freeze({ maxFrames: 64, maxCanvases: 32 });

/** The device the engine asked for: content.js asks its adapter for the same. */
export interface RemoteDeviceDescriptor {
  requiredFeatures: string[];
  requiredLimits: Record<string, number>;
}

/** A recorded value: JSON-like data in which a WebGPU object is `{ $: id }` and bytes are an
 * ArrayBuffer (transferred). */
export type Recorded =
  | null
  | boolean
  | number
  | string
  | ArrayBuffer
  | { $: number }
  | Recorded[]
  | { [k: string]: Recorded };

/**
 * One recorded WebGPU call, in the order the engine made it:
 * - `call`: `target.method(...args)`, its result (if any) named `result`;
 * - `set`: `target[key] = value` (a canvas's size);
 * - `external`: `result` names content.js's object `key` (a canvas, or an uploaded frame's texture);
 * - `upload`: the bytes written into a buffer mapped at creation, then `unmap()`;
 * - `drop`: these names are no longer used (ended passes, submitted command buffers, destroyed
 *   buffers, objects the engine let go).
 * Names 1-4 are the GPU, the adapter, the device and its queue.
 */
export type Command =
  | { k: 'call'; target: number; method: string; args: Recorded[]; result?: number }
  | { k: 'set'; target: number; key: string; value: Recorded }
  | { k: 'external'; key: number; kind: 'canvas' | 'image'; result: number }
  | { k: 'upload'; target: number; ranges: { offset: number; bytes: ArrayBuffer }[] }
  | { k: 'drop'; names: number[] };
