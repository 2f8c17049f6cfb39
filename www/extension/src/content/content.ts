// inbetween's content script (built into content.js). background.ts injects it into the active
// tab when the user clicks the action: a classic script in the extension's isolated world (the
// page's scripts cannot see its variables). A first click starts; the next click stops and
// removes everything; another click starts again.
//
// What it does, per playing <video> on the page (a Session, session.ts):
// 1. Refuses what it cannot read, leaving it untouched: DRM (EME) video and cross-origin video
//    without CORS (its pixels are "tainted": `new VideoFrame(video)` throws a SecurityError).
// 2. Takes every frame the video presents (capture.ts) and sends it to the engine frame
//    (engine.html, the extension's origin; engine/engine.ts says why it is a frame) over an
//    authenticated port (transport.ts), which runs RIFE on WebGPU between it and the previous one.
// 3. Shows the source frames and the in-betweens at their media times, a measured delay behind
//    the video's own clock (pacing.ts), on a canvas laid exactly over the video's picture
//    (overlay.ts). The video keeps playing underneath, with its own audio, untouched.
// 4. Adapts (adaptation.ts): cheaper settings when it cannot keep up, a pause when even the
//    cheapest is too slow, back up when comfortably fast. It says what it does (notices.ts).
//
// This file is the run: start and stop, which videos get a session, and the display loop.
import { codeOf } from '../messages.js';
import { unreadable } from './capture.js';
import { BlockStatDevice } from './block-stat.js';
import { type GpuEngine, LocalEngine, wasmCompiles } from './local.js';
import { RemoteEngine } from './remote.js';
import { notice, restackNotices, SAY } from './notices.js';
import { Session, type SessionHost } from './session.js';
import { DEFAULTS, type Factor, loadSettings, type Settings } from './settings.js';
import { debugHooks } from './test-hooks.js';
import { EngineClient } from './transport.js';
import { median, pushLimited } from './util.js';

/** What a second injection finds: every script this extension injects into the page shares one
 * isolated world, so the action clicked again reaches the first instance. */
interface Api {
  click(): void;
  debug?: ReturnType<typeof debugHooks>;
}

declare global {
  var __inbetween: Api | undefined;
}

const state = {
  active: false,
  starting: null as Promise<void> | null,
  /** Clicks on the action seen (tests wait for theirs to arrive). */
  clicks: 0,
  sessions: new Map<HTMLVideoElement, Session>(),
  /** Videos refused in this run (one notice each). */
  refused: new WeakSet<HTMLVideoElement>(),
  engine: null as EngineClient | null,
  /** The in-process engine, when this page lets WebAssembly compile (then `engine` is null). */
  local: null as GpuEngine | null,
  /** The repeat detector's GPU statistic (block-stat.ts), beside the in-process engine... */
  stat: null as BlockStatDevice | null,
  /** ...or why there is none. */
  statWhy: '',
  /** Which engine this run uses (the test hooks report it). */
  path: null as 'local' | 'remote' | 'frame' | null,
  adapter: null as unknown,
  settings: { ...DEFAULTS } as Settings,
  raf: 0,
  rafTimes: [] as number[],
  nextStream: 1,
};

const host: SessionHost = {
  get settings() {
    return state.settings;
  },
  get engine() {
    return state.engine;
  },
  get local() {
    return state.local;
  },
  get stat() {
    return state.stat;
  },
  get statWhy() {
    return state.statWhy;
  },
  get active() {
    return state.active;
  },
  displayHz,
  ended(video, refused) {
    state.sessions.delete(video);
    if (refused) refuse(video);
  },
  setFactor(value: Factor) {
    state.settings.factor = value;
    chrome.storage.local.set({ factor: value }).catch(() => {});
    for (const s of state.sessions.values()) s.factorChanged(value);
  },
  stop,
};

// ---------------------------------------------------------------------------------------------
// Start and stop

function click(): void {
  state.clicks++;
  if (state.starting) return;
  if (state.active) {
    stop();
    return;
  }
  state.starting = start()
    .catch((e) => {
      notice(SAY.stopped(e));
      stop();
    })
    .finally(() => {
      state.starting = null;
    });
}

async function start(): Promise<void> {
  // Each click says again why a video is left alone (within one run, once per video).
  state.refused = new WeakSet();
  state.settings = await loadSettings();
  const candidates = findVideos().filter(isPlaying);
  if (candidates.length === 0) {
    notice(SAY.noVideo);
    return;
  }
  const readable = candidates.filter((v) => !refuse(v));
  if (readable.length === 0) return;

  const starting = notice(SAY.starting, 0);
  const engine = new EngineClient();
  let local: GpuEngine | null = null;
  try {
    await engine.connect();
    const allowSoftwareAdapter = state.settings.allowSoftwareAdapter === true;
    const choice = state.settings.engine;
    if (choice !== 'frame' && choice !== 'remote' && wasmCompiles()) {
      local = await startLocal(engine, allowSoftwareAdapter);
    }
    // Where WebAssembly may not compile here: the engine's wasm in the frame, recording, and its
    // GPU calls played here (remote.ts), so frames still stay on the GPU.
    if (!local && choice !== 'frame') local = await startRemote(engine, allowSoftwareAdapter);
    if (local) {
      state.adapter = local.adapter;
    } else {
      const { adapter } = await engine.call({ type: 'init', allowSoftwareAdapter });
      state.adapter = adapter;
    }
  } catch (e) {
    engine.dispose();
    starting.remove();
    // Without (hardware) WebGPU: say so and stay out of the way. Nothing was added to the page
    // but this notice, which goes away by itself.
    const code = codeOf(e);
    if ((code === 'no-webgpu' || code === 'software-webgpu') && e instanceof Error) notice(SAY.noWebGpu(e.message));
    else notice(SAY.noEngine(e));
    return;
  }
  starting.remove();
  if (local) {
    // The frame only handed over the files: it goes, with everything it loaded. The remote
    // engine keeps it (its engine runs there) and removes it when disposed.
    if (local instanceof LocalEngine) engine.dispose();
    state.local = local;
    state.path = local instanceof LocalEngine ? 'local' : 'remote';
    // The repeat detector's statistic: on a GPU device of its own, or (if that cannot start)
    // read back from a small canvas as before.
    const stat = await BlockStatDevice.create();
    if (typeof stat === 'string') state.statWhy = stat;
    else state.stat = stat;
  } else {
    state.engine = engine;
    state.path = 'frame';
  }
  state.active = true;
  for (const v of readable) attach(v);
  document.addEventListener('playing', onPlaying, true);
  document.addEventListener('fullscreenchange', onFullscreen, true);
  state.raf = requestAnimationFrame(tick);
}

/** The in-process engine (local.ts), or null where it cannot start for a reason other than the
 * GPU (then the engine frame serves, as on a page that forbids WebAssembly). A missing or
 * software-only GPU is thrown: the frame would find the same. */
async function startLocal(frame: EngineClient, allowSoftwareAdapter: boolean): Promise<LocalEngine | null> {
  try {
    const files = await frame.call({ type: 'files' });
    return await LocalEngine.create(files, allowSoftwareAdapter, state.settings.staticGuard !== false);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'no-webgpu' || code === 'software-webgpu') throw e;
    console.warn('inbetween: the in-process engine could not start; using the engine frame', e);
    return null;
  }
}

/** The remote-recorded engine (remote.ts), or null where it cannot start for a reason other than
 * the GPU (then the engine frame's own path serves). */
async function startRemote(frame: EngineClient, allowSoftwareAdapter: boolean): Promise<GpuEngine | null> {
  try {
    return await RemoteEngine.create(frame, allowSoftwareAdapter, state.settings.staticGuard !== false);
  } catch (e) {
    const code = codeOf(e);
    if (code === 'no-webgpu' || code === 'software-webgpu') throw e;
    console.warn('inbetween: the remote-recorded engine could not start; using the engine frame', e);
    return null;
  }
}

function stop(): void {
  state.active = false;
  for (const s of state.sessions.values()) s.close();
  state.sessions.clear();
  state.engine?.dispose();
  state.engine = null;
  state.local?.dispose();
  state.local = null;
  state.stat?.destroy();
  state.stat = null;
  state.statWhy = '';
  state.path = null;
  document.removeEventListener('playing', onPlaying, true);
  document.removeEventListener('fullscreenchange', onFullscreen, true);
  cancelAnimationFrame(state.raf);
  state.raf = 0;
}

/** A video that starts playing while we are active gets the same treatment. */
function onPlaying(event: Event): void {
  const v = event.target;
  if (!state.active || !(v instanceof HTMLVideoElement) || state.sessions.has(v)) return;
  if (!refuse(v)) attach(v);
}

function attach(video: HTMLVideoElement): void {
  state.sessions.set(video, new Session(video, state.nextStream++, host));
}

/** The top layer is ordered by insertion: after a fullscreen change our popovers must be shown
 * again to sit above the new fullscreen element. */
function onFullscreen(): void {
  for (const s of state.sessions.values()) s.restack();
  restackNotices();
}

/** All videos in the document, including those in open shadow roots (players built as web
 * components keep them there). Closed shadow roots are out of reach by design. */
function findVideos(): HTMLVideoElement[] {
  const out: HTMLVideoElement[] = [];
  const visit = (root: Document | ShadowRoot) => {
    for (const v of root.querySelectorAll('video')) out.push(v);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot);
  };
  visit(document);
  return out;
}

function isPlaying(v: HTMLVideoElement): boolean {
  return !v.paused && !v.ended && v.readyState >= 2 && v.videoWidth > 0;
}

/** True (with a notice) for a video we must leave alone: DRM, or pixels we may not read. */
function refuse(v: HTMLVideoElement): boolean {
  const reason = unreadable(v);
  if (!reason) return false;
  if (!state.refused.has(v)) {
    state.refused.add(v);
    notice(reason);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The display loop (one for all videos)

function tick(now: number): void {
  if (!state.active) return;
  pushLimited(state.rafTimes, now, 61);
  for (const s of [...state.sessions.values()]) {
    try {
      s.present(now);
    } catch (e) {
      s.fail(e);
    }
  }
  state.raf = requestAnimationFrame(tick);
}

/** The display's refresh rate, from the spacing of animation frames. */
function displayHz(): number {
  const t = state.rafTimes;
  if (t.length < 10) return 60;
  const d: number[] = [];
  for (let i = 1; i < t.length; i++) d.push((t[i] as number) - (t[i - 1] as number));
  const m = median(d);
  return m > 0 ? Math.min(240, 1000 / m) : 60;
}

// ---------------------------------------------------------------------------------------------

if (globalThis.__inbetween) {
  globalThis.__inbetween.click();
} else {
  const api: Api = { click };
  TEST_HOOKS: api.debug = debugHooks(state);
  globalThis.__inbetween = api;
  click();
}
