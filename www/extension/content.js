// inbetween's content script. background.js injects it into the active tab when the user clicks
// the action (a classic script in the extension's isolated world: the page's scripts cannot see
// its variables). A first click starts; the next click stops and removes everything; another
// click starts again.
//
// What it does, per playing <video> on the page:
// 1. Refuses what it cannot read, leaving it untouched: DRM (EME) video and cross-origin video
//    without CORS (its pixels are "tainted": `new VideoFrame(video)` throws a SecurityError).
// 2. On every frame the video presents (`requestVideoFrameCallback`), takes it with
//    `new VideoFrame(video)`, scales it to the working size on an OffscreenCanvas, closes it at
//    once (an open VideoFrame holds a decoder buffer; holding several stalls the decoder), and
//    sends the RGBA pixels to the engine frame (engine.html, the extension's origin; engine.js
//    says why it is a frame), which runs RIFE on WebGPU between this frame and the previous one.
// 3. Shows, on a canvas laid exactly over the video's picture, the source frames and the
//    in-betweens at their media times, `delay` behind the video's own clock. The delay exists
//    because the frame between N and N+1 can only be made once N+1 has been decoded; it is
//    measured (the latest any in-between arrived relative to when it was due) and bounded by
//    `maxDelayMs` (150 ms by default: picture trailing sound by less than that is hard to notice;
//    ITU-R BT.1359 puts detectability at about 125 ms for late video). The video keeps playing
//    underneath, with its own audio, untouched.
// 4. Adapts: when pairs arrive too late or are dropped because the engine is still busy, it
//    steps down a ladder of cheaper settings (lower flow scale, lower working resolution, factor
//    2), and pauses interpolation (overlay hidden, the video shows through) when even the
//    cheapest is too slow. When everything is comfortably fast it steps back up.
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script (injected by chrome.scripting), not a module
  'use strict';

  // A second injection (the action clicked again) reaches the first instance's state, because
  // every script this extension injects into the page shares one isolated world.
  if (globalThis.__inbetween) {
    globalThis.__inbetween.click();
    return;
  }

  const DEFAULTS = Object.freeze({
    /** 'auto' (up to the display's refresh rate) or a fixed factor 2, 3 or 4. */
    factor: 'auto',
    /** How far the overlay may trail the video's own clock (and so its sound), in ms. */
    maxDelayMs: 150,
    /** Use a software WebGPU adapter (SwiftShader). Far too slow for real time: tests only. */
    allowSoftwareAdapter: false,
    /** A cap on the working resolution (lines), on top of the adaptation's; 0: none. For weak
     * GPUs and batteries. */
    maxWorkHeight: 0,
    /** Issue 12's static guard: burnt-in captions, logos and scores stay still. */
    staticGuard: true,
  });

  /** Consecutive frames further apart than this (media seconds) are not interpolated: a seek, a
   * stall or a slideshow, where an in-between would be a morph of unrelated pictures. */
  const MAX_GAP_S = 0.5;
  /** The adaptation ladder, best first. `maxHeight` caps the working resolution (never above
   * the video's own, nor above what the overlay shows on screen); `scale` is RIFE's flow scale. */
  const LEVELS = Object.freeze([
    { maxHeight: 720, scale: 1 },
    { maxHeight: 720, scale: 0.5 },
    { maxHeight: 540, scale: 0.5 },
    { maxHeight: 360, scale: 0.5 },
  ]);
  /** Settle time after starting or changing level before judging speed: the first runs at a
   * new size compile shaders and allocate, and take many times longer than the rest. */
  const WARMUP_MS = 2500;
  const WARMUP_PAIRS = 2;
  /** …but an engine that completes no pair at all within this long is simply too slow. */
  const WARMUP_MAX_MS = 8000;
  const MAX_FACTOR = 8;

  const state = {
    active: false,
    starting: null,
    /** Clicks on the action seen (tests wait for theirs to arrive). */
    clicks: 0,
    /** @type {Map<HTMLVideoElement, Session>} */
    sessions: new Map(),
    /** @type {WeakSet<HTMLVideoElement>} videos refused in this run (one notice each). */
    refused: new WeakSet(),
    /** @type {EngineClient | null} */
    engine: null,
    adapter: null,
    settings: { ...DEFAULTS },
    raf: 0,
    rafTimes: [],
    nextStream: 1,
    notices: null,
  };

  // ---------------------------------------------------------------------------------------------
  // Start and stop

  async function click() {
    state.clicks++;
    if (state.starting) return;
    if (state.active) {
      stop();
      return;
    }
    state.starting = start()
      .catch((e) => {
        notice(`inbetween stopped: ${brief(e)}`);
        stop();
      })
      .finally(() => {
        state.starting = null;
      });
  }

  async function start() {
    // Each click says again why a video is left alone (within one run, once per video).
    state.refused = new WeakSet();
    state.settings = { ...DEFAULTS, ...(await chrome.storage.local.get(Object.keys(DEFAULTS))) };
    const candidates = findVideos().filter(isPlaying);
    if (candidates.length === 0) {
      notice('inbetween: no video is playing on this page. Start one, then click inbetween again.');
      return;
    }
    const readable = candidates.filter((v) => !refuse(v));
    if (readable.length === 0) return;

    const starting = notice('inbetween: starting (loading the model onto the GPU)…', 0);
    const engine = new EngineClient();
    try {
      await engine.connect();
      const { adapter } = await engine.call({
        type: 'init',
        allowSoftwareAdapter: state.settings.allowSoftwareAdapter === true,
      });
      state.adapter = adapter;
    } catch (e) {
      engine.dispose();
      starting.remove();
      // Without (hardware) WebGPU: say so and stay out of the way. Nothing was added to the
      // page but this notice, which goes away by itself.
      if (e.code === 'no-webgpu' || e.code === 'software-webgpu') {
        notice(`inbetween needs WebGPU on a hardware GPU, and ${e.message}. The page is unchanged.`);
      } else {
        notice(`inbetween could not start its engine: ${brief(e)}. The page is unchanged.`);
      }
      return;
    }
    starting.remove();
    state.engine = engine;
    state.active = true;
    for (const v of readable) attach(v);
    document.addEventListener('playing', onPlaying, true);
    document.addEventListener('fullscreenchange', onFullscreen, true);
    state.raf = requestAnimationFrame(tick);
  }

  function stop() {
    state.active = false;
    for (const s of state.sessions.values()) s.close();
    state.sessions.clear();
    state.engine?.dispose();
    state.engine = null;
    document.removeEventListener('playing', onPlaying, true);
    document.removeEventListener('fullscreenchange', onFullscreen, true);
    cancelAnimationFrame(state.raf);
    state.raf = 0;
  }

  /** A video that starts playing while we are active gets the same treatment. */
  function onPlaying(event) {
    const v = event.target;
    if (!state.active || !(v instanceof HTMLVideoElement) || state.sessions.has(v)) return;
    if (!refuse(v)) attach(v);
  }

  function attach(video) {
    const s = new Session(video, state.nextStream++);
    state.sessions.set(video, s);
  }

  /** The top layer is ordered by insertion: after a fullscreen change our popovers must be shown
   * again to sit above the new fullscreen element. */
  function onFullscreen() {
    for (const s of state.sessions.values()) s.restack();
    state.notices?.restack();
  }

  /** All videos in the document, including those in open shadow roots (players built as web
   * components keep them there). Closed shadow roots are out of reach by design. */
  function findVideos() {
    const out = [];
    const visit = (root) => {
      for (const v of root.querySelectorAll('video')) out.push(v);
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) visit(el.shadowRoot);
    };
    visit(document);
    return out;
  }

  function isPlaying(v) {
    return !v.paused && !v.ended && v.readyState >= 2 && v.videoWidth > 0;
  }

  /** True (with a notice) for a video we must leave alone: DRM, or pixels we may not read. */
  function refuse(v) {
    const reason = unreadable(v);
    if (!reason) return false;
    if (!state.refused.has(v)) {
      state.refused.add(v);
      notice(reason);
    }
    return true;
  }

  function unreadable(v) {
    if (v.mediaKeys) {
      return (
        'inbetween cannot smooth this video: it is DRM-protected (Encrypted Media Extensions), ' +
        'so its pixels cannot be read. The video is unchanged.'
      );
    }
    try {
      new VideoFrame(v).close();
    } catch (e) {
      if (e?.name === 'SecurityError') {
        return (
          'inbetween cannot smooth this video: it comes from another site that does not allow ' +
          'reading its pixels (a cross-origin video without CORS). The video is unchanged.'
        );
      }
      // No frame yet (InvalidStateError) and the like: it may be readable later.
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // The engine frame

  class EngineClient {
    constructor() {
      this.url = chrome.runtime.getURL('engine.html');
      this.host = document.createElement('div');
      this.host.style.cssText =
        'all: initial; position: fixed; left: -10px; top: -10px; width: 1px; height: 1px; ' +
        'opacity: 0; pointer-events: none; overflow: hidden;';
      // Closed: the page cannot reach the frame element (nor change its src) through the host.
      const root = this.host.attachShadow({ mode: 'closed' });
      this.frame = document.createElement('iframe');
      this.frame.style.cssText = 'border: 0; width: 1px; height: 1px;';
      // No `allow` attribute: Chromium has no permissions-policy feature for WebGPU (it warns
      // "Unrecognized feature: 'webgpu'"); the frame gets WebGPU like any document.
      root.append(this.frame);
      this.port = null;
      this.pending = new Map();
      this.nextId = 1;
      this.dead = null;
    }

    async connect() {
      const loaded = new Promise((resolve) => this.frame.addEventListener('load', resolve, { once: true }));
      // The nonce names this frame to the service worker, which answers with the frame's token.
      const nonce = crypto.randomUUID();
      this.token = new Promise((resolve) => {
        this.onToken = (message, sender) => {
          if (
            sender.id === chrome.runtime.id &&
            message?.type === 'engine-token' &&
            message.nonce === nonce &&
            typeof message.token === 'string'
          ) {
            chrome.runtime.onMessage.removeListener(this.onToken);
            resolve(message.token);
          }
        };
        chrome.runtime.onMessage.addListener(this.onToken);
      });
      this.frame.src = `${this.url}#${nonce}`;
      document.documentElement.append(this.host);
      await withTimeout(loaded, 20_000, 'the engine frame did not load');
      // The frame accepts a port only with the one-time token the service worker made for it
      // (background.js, engine.js): the page's scripts can post to the frame too, and must not
      // get in. The token comes here through the extension's messaging, for this frame's nonce.
      const token = await withTimeout(this.token, 20_000, 'the engine frame was not introduced');
      const channel = new MessageChannel();
      this.port = channel.port1;
      const ready = new Promise((resolve, reject) => {
        this.port.onmessage = (e) => {
          if (e.data?.type === 'ready') {
            this.port.onmessage = (m) => this.settle(m.data);
            resolve();
          } else if (e.data?.type === 'refused') {
            reject(new Error('the engine frame refused the connection'));
          }
        };
      });
      // Addressed to the extension's origin only.
      this.frame.contentWindow.postMessage({ type: 'inbetween-connect', token }, new URL(this.url).origin, [
        channel.port2,
      ]);
      await withTimeout(ready, 20_000, 'the engine frame did not answer (the page may block extension frames)');
    }

    call(request, transfer = []) {
      if (this.dead) return Promise.reject(this.dead);
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.port.postMessage({ ...request, id }, transfer);
      });
    }

    settle(response) {
      const p = this.pending.get(response.id);
      if (!p) return;
      this.pending.delete(response.id);
      if (response.ok) p.resolve(response.result);
      else p.reject(Object.assign(new Error(response.error.message), { code: response.error.code }));
    }

    /** Removing the frame ends its worker and frees its GPU device and model. */
    dispose() {
      if (this.onToken) chrome.runtime.onMessage.removeListener(this.onToken);
      this.dead = new Error('inbetween was stopped');
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      this.port?.close();
      this.host.remove();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // One video

  class Session {
    constructor(video, stream) {
      this.video = video;
      this.stream = stream;
      this.on = true;
      /** 'running' | 'paused' (too slow) | 'error' | 'off'. */
      this.mode = 'running';
      this.why = '';
      this.level = 0;
      this.factorCap = MAX_FACTOR;
      this.levelSince = performance.now();
      this.levelPairs = 0;
      this.generation = 0;
      this.seq = 0;
      this.last = null;
      this.anchorSeq = -1;
      this.inFlight = false;
      this.pending = null;
      /** Presentable frames, sorted by media time: { mt, kind: 'source', bitmap } (the source frame
       * at overlay resolution) or { mt, kind: 'interp', image, m0, m1, t } (at working resolution). */
      this.entries = [];
      this.shown = null;
      this.clock = null;
      this.delayMs = 0;
      /** What the measurements ask for; `delayMs` follows it (see present). */
      this.wantDelayMs = 0;
      this.lastPresent = 0;
      this.needs = [];
      /** Per-pair outcomes for the adaptation: { at, ok }. */
      this.outcomes = [];
      this.pairMs = 0;
      this.captureMs = 0;
      this.srcIntervals = [];
      this.captureTimes = [];
      this.presentTimes = [];
      this.presentLog = [];
      /** Media time of the picture before a repeated frame the engine skipped, until the next pair. */
      this.repeatFrom = null;
      this.stats = {
        captured: 0,
        pairs: 0,
        interpolated: 0,
        dropped: 0,
        repeats: 0,
        late: 0,
        opened: 0,
        closed: 0,
        bitmaps: 0,
        bitmapsClosed: 0,
        presented: 0,
        presentedInterp: 0,
      };
      this.styleKey = '';
      this.styleAge = 0;
      this.computed = null;
      this.panelUpdated = 0;

      // Two copies of each source frame: RGBA bytes at the working size for RIFE (a CPU-side
      // canvas, read back every frame), and an ImageBitmap at the overlay's size for showing it
      // (a GPU canvas: no readback). Only the in-betweens are shown at the working resolution, so
      // when adaptation lowers it, half the frames on screen stay as sharp as the video's own.
      this.readCanvas = new OffscreenCanvas(1, 1);
      this.readCtx = this.readCanvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
      this.showCanvas2 = new OffscreenCanvas(1, 1);
      this.showCtx = this.showCanvas2.getContext('2d', { colorSpace: 'srgb' });
      // Scratch canvas for scaling an in-between up to the overlay's size.
      this.scratch = new OffscreenCanvas(1, 1);
      this.scratchCtx = this.scratch.getContext('2d', { colorSpace: 'srgb' });
      this.buildUi();
      this.onVideoFrame = this.onVideoFrame.bind(this);
      this.rvfc = video.requestVideoFrameCallback(this.onVideoFrame);
      this.flushBound = () => this.flush();
      this.events = ['seeking', 'pause', 'ratechange', 'emptied', 'loadedmetadata', 'ended'];
      for (const e of this.events) video.addEventListener(e, this.flushBound);
    }

    // --- capture and interpolation ---

    onVideoFrame(_now, meta) {
      if (this.closed) return;
      this.rvfc = this.video.requestVideoFrameCallback(this.onVideoFrame);
      try {
        // The source's frame spacing (media time), for the factor and the adaptation: measured
        // on every presented frame, captured or not.
        const prevMt = this.clock?.mt;
        if (prevMt !== undefined && meta.mediaTime > prevMt && meta.mediaTime - prevMt <= MAX_GAP_S) {
          pushLimited(this.srcIntervals, meta.mediaTime - prevMt, 30);
        }
        this.clock = { mt: meta.mediaTime, at: meta.expectedDisplayTime };
        if (!this.on || this.mode !== 'running' || this.video.paused || this.video.seeking) return;
        // Nothing to add (the video already runs at the display's rate): no work at all.
        if (this.factor() < 2) return;
        this.capture(meta);
      } catch (e) {
        this.fail(e);
      }
    }

    capture(meta) {
      const start = performance.now();
      const { width, height } = this.workSize();
      const shown = this.overlaySize();
      let frame;
      try {
        frame = new VideoFrame(this.video, { timestamp: Math.round(meta.mediaTime * 1e6) });
      } catch (e) {
        if (e?.name === 'SecurityError') {
          // The source changed to a cross-origin one mid-session.
          this.close();
          state.sessions.delete(this.video);
          refuse(this.video);
          return;
        }
        throw e;
      }
      this.stats.opened++;
      try {
        resize(this.readCanvas, width, height);
        this.readCtx.drawImage(frame, 0, 0, width, height);
        resize(this.showCanvas2, shown.width, shown.height);
        this.showCtx.drawImage(frame, 0, 0, shown.width, shown.height);
      } finally {
        // Closed at once, before anything asynchronous: an open VideoFrame holds one of the
        // decoder's output buffers, and holding several stalls the video itself.
        frame.close();
        this.stats.closed++;
      }
      const image = this.readCtx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
      // A copy (the canvas gets a fresh buffer), so the bitmap owes nothing to the decoder.
      const bitmap = this.showCanvas2.transferToImageBitmap();
      this.stats.bitmaps++;
      this.captureMs = ema(this.captureMs, performance.now() - start, 0.2);
      this.stats.captured++;
      this.captureTimes.push(performance.now());

      const rec = {
        seq: ++this.seq,
        mt: meta.mediaTime,
        due: meta.expectedDisplayTime,
        image,
        width,
        height,
        level: this.level,
        generation: this.generation,
        prev: null,
      };
      const prev = this.last;
      this.last = rec;
      if (prev && rec.mt > prev.mt && rec.mt - prev.mt <= MAX_GAP_S && prev.width === width && prev.height === height) {
        rec.prev = { seq: prev.seq, mt: prev.mt };
        this.stats.pairs++;
      }
      this.addEntry({ mt: rec.mt, kind: 'source', bitmap });

      if (this.inFlight) {
        // The engine is still busy: keep only the newest frame. A frame replaced here is lost, and
        // with it its pair and the next one: the adaptation hears about both.
        if (this.pending?.prev) this.outcome(false, 'dropped');
        this.pending = rec;
        return;
      }
      this.send(rec);
    }

    send(rec) {
      const k = this.factor();
      const pairable = rec.prev !== null && rec.prev.seq === this.anchorSeq && k >= 2;
      if (rec.prev && !pairable && k >= 2) this.outcome(false, 'dropped');
      // After a repeated frame (pulldown, twos) the engine pairs this frame with the picture
      // before the repeat: the in-betweens span the repeat's slot too, k per source interval.
      let spans = 1;
      if (pairable && this.repeatFrom !== null) {
        rec.prev = { seq: rec.prev.seq, mt: this.repeatFrom };
        spans = Math.max(
          1,
          Math.round(
            (rec.mt - this.repeatFrom) / Math.max(1e-3, median(this.srcIntervals) || rec.mt - this.repeatFrom),
          ),
        );
      }
      this.repeatFrom = null;
      const ts = pairable ? Array.from({ length: k * spans - 1 }, (_, i) => (i + 1) / (k * spans)) : [];
      const scale = LEVELS[rec.level].scale;
      this.inFlight = true;
      const sent = performance.now();
      // No transfer: the image stays here too, as the overlay's copy of the source frame.
      state.engine
        .call({
          type: 'frame',
          stream: this.stream,
          seq: rec.seq,
          prevSeq: rec.prev?.seq ?? -1,
          image: { pixels: rec.image.data.buffer, width: rec.width, height: rec.height },
          ts,
          scale,
          staticGuard: state.settings.staticGuard !== false,
        })
        .then(
          (result) => {
            if (this.closed) return;
            this.anchorSeq = rec.seq;
            if (result.repeat && rec.prev && rec.generation === this.generation) {
              // The engine found this frame a repeat: its picture is shown by the next pair's
              // in-betweens instead (a frozen step here would be the stutter to remove).
              this.repeatFrom = rec.prev.mt;
              this.stats.repeats++;
              const at = this.entries.findIndex((e) => e.kind === 'source' && e.mt === rec.mt);
              if (at >= 0 && this.entries[at] !== this.shown) this.release(this.entries.splice(at, 1)[0]);
              return;
            }
            if (!result.frames || rec.generation !== this.generation) return;
            this.received(rec, ts, result, performance.now() - sent);
          },
          (e) => {
            // The engine's queue is full (LIMITS in engine.js; only with many videos at once): this
            // pair is lost, as when the engine is busy here.
            if (e?.code === 'busy') {
              if (!this.closed && rec.prev) this.outcome(false, 'dropped');
              return;
            }
            // The engine itself failed (a lost GPU device, say): it cannot recover in place. Stop
            // everything, so the page is as it was, and say so; a click starts afresh.
            if (!this.closed && state.active) {
              // By the error's code (the package's, which engine.js passes on), not its text.
              const why =
                e?.code === 'device-lost' ? 'the GPU device was lost (a driver reset, or the GPU went away)' : brief(e);
              notice(`inbetween stopped: ${why}. Click its button to start again.`);
              stop();
            }
          },
        )
        .finally(() => {
          this.inFlight = false;
          if (this.closed) return;
          const next = this.pending;
          this.pending = null;
          if (next && next.generation === this.generation && this.mode === 'running') this.send(next);
        });
    }

    received(rec, ts, result, roundTripMs) {
      const bytes = rec.width * rec.height * 4;
      const m0 = rec.prev.mt;
      const m1 = rec.mt;
      for (let i = 0; i < result.count; i++) {
        const image = new ImageData(new Uint8ClampedArray(result.frames, i * bytes, bytes), rec.width, rec.height);
        this.addEntry({ mt: m0 + ts[i] * (m1 - m0), kind: 'interp', image, m0, m1, t: ts[i] });
      }
      this.stats.interpolated++;
      this.levelPairs++;
      this.pairMs = this.levelPairs <= WARMUP_PAIRS ? result.ms : ema(this.pairMs, result.ms, 0.2);
      this.roundTripMs = roundTripMs;
      // When the first in-between of this pair was due on the video's own clock, and how late it
      // came: the overlay's delay must cover that.
      const rate = this.video.playbackRate || 1;
      const dueMs = rec.due - ((m1 - m0) * (1 - ts[0]) * 1000) / rate;
      const need = performance.now() - dueMs;
      const warm = this.levelPairs > WARMUP_PAIRS;
      if (warm) pushLimited(this.needs, need, 20);
      const ok = need <= this.maxDelay();
      if (!ok) this.stats.late++;
      if (warm) this.outcome(ok, ok ? '' : 'late');
      // A one display-frame margin (16.7 ms at 60 Hz) over the worst recent case.
      const worst = this.needs.length ? Math.max(...this.needs) : need;
      this.wantDelayMs = Math.min(this.maxDelay(), Math.max(0, worst) + 17);
    }

    maxDelay() {
      const v = Number(state.settings.maxDelayMs);
      return Number.isFinite(v) && v > 0 ? v : DEFAULTS.maxDelayMs;
    }

    /** In-betweens per pair + 1: the user's factor, or for 'auto' the display's refresh rate over
     * the video's frame rate (at its playback rate), within what adaptation allows. */
    factor() {
      const setting = state.settings.factor;
      let k;
      if (setting === 'auto') {
        const srcFps = this.sourceFps() * (this.video.playbackRate || 1);
        const hz = displayHz();
        if (!srcFps || !hz) return 2;
        k = Math.floor(hz / srcFps + 0.25);
        // The video already runs at (about) the display's rate: nothing to add.
        if (k < 2) return 1;
      } else {
        k = Number(setting) || 2;
      }
      return Math.max(2, Math.min(k, this.factorCap, MAX_FACTOR));
    }

    sourceFps() {
      const m = median(this.srcIntervals);
      return m > 0 ? 1 / m : 0;
    }

    /** The working size: the video's own, capped by the level and by what is on screen. */
    workSize() {
      const vw = this.video.videoWidth;
      const vh = this.video.videoHeight;
      const shownHeight = (this.pictureRect?.height ?? vh) * (devicePixelRatio || 1);
      const cap = Number(state.settings.maxWorkHeight) > 0 ? Number(state.settings.maxWorkHeight) : Infinity;
      const h = Math.min(vh, LEVELS[this.level].maxHeight, cap, Math.max(shownHeight, 64));
      const s = h / vh;
      // Even sizes: they scale cleanly, and RIFE pads to 128 anyway.
      const even = (x) => Math.max(2, 2 * Math.round(x / 2));
      return s >= 1 ? { width: vw, height: vh } : { width: even(vw * s), height: even(vh * s) };
    }

    addEntry(entry) {
      // Behind what is on screen already: too late to be shown (see present).
      if (this.shown && entry.mt <= this.shown.mt) {
        this.release(entry);
        return;
      }
      const e = this.entries;
      let i = e.length;
      while (i > 0 && e[i - 1].mt > entry.mt) i--;
      e.splice(i, 0, entry);
      // Bound the memory whatever happens to presentation (a hidden tab presents nothing).
      if (e.length > 48) this.dropEntries(e.length - 48);
    }

    /** Removes the `n` oldest entries, closing their bitmaps (GPU memory, freed now, not at GC). */
    dropEntries(n) {
      for (const entry of this.entries.splice(0, n)) {
        if (entry !== this.shown) this.release(entry);
      }
    }

    /** Frees an entry's bitmap (GPU memory) now rather than at garbage collection. */
    release(entry) {
      if (!entry?.bitmap) return;
      entry.bitmap.close();
      entry.bitmap = null;
      this.stats.bitmapsClosed++;
    }

    /** The overlay's canvas size: the picture's size on screen in device pixels, but never more
     * than the video's own resolution (the browser scales the canvas up like the video). */
    overlaySize() {
      const vw = this.video.videoWidth;
      const vh = this.video.videoHeight;
      const dpr = devicePixelRatio || 1;
      const h = Math.min(vh, Math.max(16, Math.round((this.pictureRect?.height ?? vh) * dpr)));
      if (h >= vh) return { width: vw, height: vh };
      return { width: Math.max(2, Math.round((vw * h) / vh)), height: h };
    }

    // --- adaptation ---

    outcome(ok, why) {
      if (!ok && why === 'dropped') this.stats.dropped++;
      const now = performance.now();
      this.outcomes.push({ at: now, ok });
      while (this.outcomes.length && this.outcomes[0].at < now - 3000) this.outcomes.shift();
      this.adapt(now);
    }

    adapt(now) {
      const age = now - this.levelSince;
      if (this.mode !== 'running' || age < WARMUP_MS || (this.levelPairs < WARMUP_PAIRS && age < WARMUP_MAX_MS)) return;
      const recent = this.outcomes.filter((o) => o.at >= this.levelSince + WARMUP_MS);
      if (recent.length < 4) return;
      const okShare = recent.filter((o) => o.ok).length / recent.length;
      const intervalMs = (median(this.srcIntervals) * 1000) / (this.video.playbackRate || 1);
      // Main-thread cost counts too: capture is ours, on the page's thread.
      const mainThreadHeavy = intervalMs > 0 && this.captureMs > 0.3 * intervalMs;
      if (okShare < 0.75 || mainThreadHeavy) {
        const speed =
          this.levelPairs > 0
            ? `${Math.round(this.pairMs)} ms per pair`
            : `no pair done in ${Math.round(age / 1000)} s`;
        this.stepDown(
          okShare < 0.75
            ? `${speed} for a ${Math.round(intervalMs)} ms frame interval`
            : `reading a frame takes ${Math.round(this.captureMs)} ms`,
        );
        return;
      }
      const comfortable =
        okShare === 1 &&
        recent.length >= 8 &&
        now - this.levelSince > 8000 &&
        this.pairMs < 0.4 * intervalMs &&
        Math.max(...this.needs) < 0.5 * this.maxDelay();
      if (comfortable && (this.level > 0 || this.factorCap < MAX_FACTOR)) this.stepUp();
    }

    stepDown(why) {
      if (this.level < LEVELS.length - 1) this.setLevel(this.level + 1, this.factorCap);
      else if (this.factor() > 2) this.setLevel(this.level, 2);
      else {
        // Even the cheapest setting cannot keep up: stop interpolating and let the video show.
        this.mode = 'paused';
        this.why = `too slow on this GPU (${why}); click on/off to try again`;
        this.flush();
        this.updatePanel(true);
      }
    }

    stepUp() {
      if (this.factorCap < MAX_FACTOR) this.setLevel(this.level, MAX_FACTOR);
      else this.setLevel(this.level - 1, this.factorCap);
    }

    setLevel(level, cap) {
      this.level = level;
      this.factorCap = cap;
      this.levelSince = performance.now();
      this.levelPairs = 0;
      this.outcomes = [];
      this.needs = [];
      this.flush();
    }

    /** Forget frames and pairs in progress: after a seek, pause, rate or source change, or a new
     * level. Results already on their way are dropped by their generation. */
    flush() {
      this.generation++;
      this.dropEntries(this.entries.length);
      this.release(this.shown);
      this.shown = null;
      this.last = null;
      this.pending = null;
      this.anchorSeq = -1;
      this.repeatFrom = null;
      this.hideCanvas();
      state.engine?.call({ type: 'forget', stream: this.stream }).catch(() => {});
    }

    fail(e) {
      this.mode = 'error';
      this.why = brief(e);
      this.flush();
      this.updatePanel(true);
    }

    // --- presentation ---

    present(now) {
      if (!this.video.isConnected) {
        this.close();
        state.sessions.delete(this.video);
        return;
      }
      this.place();
      const v = this.video;
      const c = this.clock;
      if (!this.on || this.mode !== 'running' || v.paused || v.seeking || v.ended || !c || this.factor() < 2) {
        this.hideCanvas();
        this.updatePanel();
        return;
      }
      const rate = v.playbackRate || 1;
      // A longer delay applies at once (the frame on screen is held until the clock catches up);
      // a shorter one is approached at 10% of real time, so the overlay catches up by playing
      // 1.1x fast for a moment instead of skipping frames.
      const elapsed = this.lastPresent ? Math.min(100, now - this.lastPresent) : 0;
      this.lastPresent = now;
      this.delayMs =
        this.wantDelayMs >= this.delayMs ? this.wantDelayMs : Math.max(this.wantDelayMs, this.delayMs - 0.1 * elapsed);
      // The video's clock now, extrapolated from its last presented frame, minus our delay.
      const target = c.mt + ((now - c.at) / 1000) * rate - (this.delayMs / 1000) * rate;
      const e = this.entries;
      let pick = -1;
      for (let i = 0; i < e.length && e[i].mt <= target + 1e-4; i++) pick = i;
      // Never step back in time. When the delay grows (a slow pair raised it), the target falls
      // behind what is on screen: hold that frame until the clock catches up, rather than show
      // older ones again. Entries that end up behind it (a late in-between) can never be shown.
      const onScreen = this.shown;
      if (onScreen && (pick < 0 || e[pick].mt < onScreen.mt)) {
        const at = e.indexOf(onScreen);
        if (at > 0) this.dropEntries(at);
        this.updatePanel();
        return;
      }
      if (pick < 0) {
        this.hideCanvas();
        this.updatePanel();
        return;
      }
      if (pick > 0) this.dropEntries(pick);
      const entry = e[0];
      // Stale: nothing newer arrived for a while (the pipeline stalled): show the video itself.
      const interval = median(this.srcIntervals) || 0.1;
      if (target - entry.mt > 2 * interval + 0.05) {
        this.hideCanvas();
        this.updatePanel();
        return;
      }
      if (entry !== this.shown) {
        this.draw(entry);
        // The previous one left the queue when this one was picked: its bitmap can go now.
        if (this.shown && !e.includes(this.shown)) this.release(this.shown);
        this.shown = entry;
        this.stats.presented++;
        if (entry.kind === 'interp') this.stats.presentedInterp++;
        this.presentTimes.push(now);
        // How long after its moment on the (delayed) clock each frame went up, for the tests and
        // for anyone debugging judder: it should be under one display frame.
        pushLimited(
          this.presentLog,
          {
            mt: entry.mt,
            kind: entry.kind,
            generation: this.generation,
            at: now,
            lateMs: ((target - entry.mt) / rate) * 1000,
            delayMs: this.delayMs,
          },
          32,
        );
      }
      this.showCanvas();
      this.updatePanel();
      const waiting = waiters.filter((w) => w.kind === entry.kind);
      if (waiting.length) {
        const snap = this.snapshot(true);
        for (const w of waiting) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(snap);
        }
      }
    }

    draw(entry) {
      const { width, height } = this.overlaySize();
      resize(this.canvas, width, height);
      if (entry.kind === 'source') {
        this.ctx.drawImage(entry.bitmap, 0, 0, width, height);
      } else if (entry.image.width === width && entry.image.height === height) {
        this.ctx.putImageData(entry.image, 0, 0);
      } else {
        resize(this.scratch, entry.image.width, entry.image.height);
        this.scratchCtx.putImageData(entry.image, 0, 0);
        this.ctx.imageSmoothingQuality = 'high';
        this.ctx.drawImage(this.scratch, 0, 0, width, height);
      }
    }

    hideCanvas() {
      if (this.canvas && this.canvasVisible !== false) {
        this.canvas.style.visibility = 'hidden';
        this.canvasVisible = false;
      }
    }

    showCanvas() {
      if (this.canvasVisible !== true) {
        this.canvas.style.visibility = 'visible';
        this.canvasVisible = true;
      }
    }

    /** Lays the host over the video's content box and the canvas over its picture (object-fit). */
    place() {
      const v = this.video;
      const r = v.getBoundingClientRect();
      // Computed style is costly to read every frame; borders and fit rarely change.
      if (!this.computed || ++this.styleAge > 30) {
        const cs = getComputedStyle(v);
        const px = (p) => parseFloat(cs.getPropertyValue(p)) || 0;
        this.computed = {
          left: px('border-left-width') + px('padding-left'),
          right: px('border-right-width') + px('padding-right'),
          top: px('border-top-width') + px('padding-top'),
          bottom: px('border-bottom-width') + px('padding-bottom'),
          fit: cs.objectFit,
          hidden: cs.visibility === 'hidden' || cs.display === 'none',
        };
        this.styleAge = 0;
      }
      const b = this.computed;
      const box = {
        x: r.left + b.left,
        y: r.top + b.top,
        w: r.width - b.left - b.right,
        h: r.height - b.top - b.bottom,
      };
      const vw = v.videoWidth || 1;
      const vh = v.videoHeight || 1;
      let sx;
      let sy;
      switch (b.fit) {
        case 'fill':
          sx = box.w / vw;
          sy = box.h / vh;
          break;
        case 'cover':
          sx = sy = Math.max(box.w / vw, box.h / vh);
          break;
        case 'none':
          sx = sy = 1;
          break;
        case 'scale-down':
          sx = sy = Math.min(1, box.w / vw, box.h / vh);
          break;
        default:
          sx = sy = Math.min(box.w / vw, box.h / vh); // contain, the default for <video>
      }
      // object-position is centred by default; pages rarely change it for video.
      const pic = { x: (box.w - vw * sx) / 2, y: (box.h - vh * sy) / 2, width: vw * sx, height: vh * sy };
      this.pictureRect = pic;
      const hidden = b.hidden || box.w < 2 || box.h < 2;
      const key = hidden
        ? 'hidden'
        : [box.x, box.y, box.w, box.h, pic.x, pic.y, pic.width, pic.height].map((n) => n.toFixed(1)).join(',');
      if (key === this.styleKey) return;
      this.styleKey = key;
      if (hidden) {
        this.host.style.display = 'none';
        return;
      }
      const hs = this.host.style;
      hs.display = 'block';
      hs.left = `${box.x}px`;
      hs.top = `${box.y}px`;
      hs.width = `${box.w}px`;
      hs.height = `${box.h}px`;
      const cs = this.canvas.style;
      cs.left = `${pic.x}px`;
      cs.top = `${pic.y}px`;
      cs.width = `${pic.width}px`;
      cs.height = `${pic.height}px`;
    }

    // --- the on-page control ---

    buildUi() {
      const host = document.createElement('div');
      // `all: initial` shields the host from the page's styles; the popover puts it in the top
      // layer, above the page and above a fullscreen element (see restack).
      host.style.cssText =
        'all: initial; position: fixed; display: block; margin: 0; padding: 0; border: 0; ' +
        'background: transparent; overflow: visible; pointer-events: none; z-index: 2147483647; inset: auto;';
      const root = host.attachShadow({ mode: 'closed' });
      root.innerHTML = `
        <style>
          :host { all: initial; }
          .clip { position: absolute; inset: 0; overflow: hidden; pointer-events: none; }
          canvas { position: absolute; visibility: hidden; pointer-events: none; image-rendering: auto; }
          .panel { position: absolute; left: 6px; top: 6px; pointer-events: auto; display: flex; flex-wrap: wrap;
            align-items: center; gap: 4px 6px; max-width: 380px; padding: 4px 6px; border-radius: 6px;
            background: rgba(20, 22, 30, 0.78); color: #eef; font: 11px/1.3 system-ui, sans-serif; opacity: 0.85; }
          .panel:hover { opacity: 1; }
          /* Compact until hovered: name and frame rates, plus the state when something is wrong. */
          .panel:not(:hover):not(:focus-within) .ctl { display: none; }
          .panel:not(:hover):not(:focus-within) .state:not(.bad) { display: none; }
          button, select { font: inherit; color: inherit; background: rgba(255,255,255,0.12); border: 1px solid rgba(255,255,255,0.25);
            border-radius: 4px; padding: 1px 5px; cursor: pointer; }
          button.on { background: #2a7fff; border-color: #2a7fff; }
          .name { font-weight: 600; }
          .state { flex-basis: 100%; color: #bcd; }
          .state.bad { color: #fb8; }
        </style>
        <div class="clip"><canvas></canvas></div>
        <div class="panel" role="group" aria-label="inbetween">
          <span class="name">inbetween</span>
          <button class="ctl toggle on" title="Interpolation on or off">on</button>
          <select class="ctl factor" title="Frames shown per video frame">
            <option value="auto">display rate</option>
            <option value="2">×2</option>
            <option value="3">×3</option>
            <option value="4">×4</option>
          </select>
          <span class="fps" title="Frames per second: shown ← from the video">– fps</span>
          <button class="ctl close" title="Stop inbetween on this page">✕</button>
          <div class="state"></div>
        </div>`;
      this.host = host;
      this.canvas = root.querySelector('canvas');
      // GPU-backed (no willReadFrequently): it only receives pixels; tests read it rarely.
      this.ctx = this.canvas.getContext('2d', { colorSpace: 'srgb' });
      const panel = root.querySelector('.panel');
      this.panel = panel;
      this.ui = {
        toggle: root.querySelector('.toggle'),
        factor: root.querySelector('.factor'),
        fps: root.querySelector('.fps'),
        state: root.querySelector('.state'),
      };
      this.ui.factor.value = String(state.settings.factor);
      // Our clicks and keys must not reach the page's handlers (a click-to-pause player, say).
      for (const type of [
        'click',
        'pointerdown',
        'pointerup',
        'mousedown',
        'mouseup',
        'dblclick',
        'keydown',
        'keyup',
        'wheel',
      ]) {
        panel.addEventListener(type, (e) => e.stopPropagation());
      }
      this.ui.toggle.addEventListener('click', () => this.setOn(!this.on));
      this.ui.factor.addEventListener('change', () => {
        const value = this.ui.factor.value === 'auto' ? 'auto' : Number(this.ui.factor.value);
        state.settings.factor = value;
        chrome.storage.local.set({ factor: value }).catch(() => {});
        for (const s of state.sessions.values()) {
          s.ui.factor.value = String(value);
          s.setLevel(s.level, MAX_FACTOR);
        }
      });
      root.querySelector('.close').addEventListener('click', () => stop());
      document.documentElement.append(host);
      this.showHost();
    }

    showHost() {
      try {
        this.host.popover = 'manual';
        this.host.showPopover();
      } catch {
        // No popover support: a fixed element with the highest z-index still covers the page,
        // though not a fullscreen element.
      }
    }

    restack() {
      try {
        if (this.host.matches(':popover-open')) this.host.hidePopover();
      } catch {
        /* not a popover */
      }
      this.showHost();
    }

    setOn(on) {
      this.on = on;
      this.ui.toggle.textContent = on ? 'on' : 'off';
      this.ui.toggle.classList.toggle('on', on);
      // Turning it on again is also the way out of 'paused' and 'error': start over from the
      // best level (the reason it was slow may be gone).
      if (on) {
        this.mode = 'running';
        this.why = '';
        this.setLevel(0, MAX_FACTOR);
      } else {
        this.flush();
      }
      this.updatePanel(true);
    }

    updatePanel(force = false) {
      const now = performance.now();
      if (!force && now - this.panelUpdated < 250) return;
      this.panelUpdated = now;
      while (this.presentTimes.length && this.presentTimes[0] < now - 1000) this.presentTimes.shift();
      while (this.captureTimes.length && this.captureTimes[0] < now - 1000) this.captureTimes.shift();
      const shownFps = this.canvasVisible ? this.presentTimes.length : 0;
      this.ui.fps.textContent = `${shownFps} ← ${this.captureTimes.length} fps`;
      let text;
      let bad = false;
      const lv = LEVELS[this.level];
      const { width, height } = this.workSize();
      if (!this.on) text = 'off: the video plays as it is';
      else if (this.mode === 'paused') {
        text = `paused: ${this.why}`;
        bad = true;
      } else if (this.mode === 'error') {
        text = `error: ${this.why}`;
        bad = true;
      } else if (this.video.paused) text = 'waiting for the video to play';
      else if (this.factor() < 2) text = "the video already runs at the display's rate";
      else if (!this.canvasVisible) text = `starting ×${this.factor()} at ${width}x${height}…`;
      else {
        text =
          `×${this.factor()} at ${width}x${height}, flow scale ${lv.scale}, ${Math.round(this.pairMs)} ms per pair, ` +
          `${Math.round(this.delayMs)} ms behind`;
        if (this.level > 0 || this.factorCap < MAX_FACTOR) text += ' (reduced to keep up)';
      }
      this.ui.state.textContent = text;
      this.ui.state.classList.toggle('bad', bad);
    }

    close() {
      if (this.closed) return;
      this.closed = true;
      this.video.cancelVideoFrameCallback(this.rvfc);
      for (const e of this.events) this.video.removeEventListener(e, this.flushBound);
      state.engine?.call({ type: 'forget', stream: this.stream }).catch(() => {});
      this.dropEntries(this.entries.length);
      this.release(this.shown);
      this.shown = null;
      this.pending = null;
      this.host.remove();
    }

    /** For the tests (reachable only from this extension's isolated world). */
    snapshot(withPixels) {
      this.updatePanel(true);
      const shown =
        this.canvasVisible && this.shown
          ? { kind: this.shown.kind, mt: this.shown.mt, m0: this.shown.m0, m1: this.shown.m1, t: this.shown.t }
          : null;
      const out = {
        mode: this.mode,
        why: this.why,
        on: this.on,
        level: this.level,
        scale: LEVELS[this.level].scale,
        factor: this.factor(),
        delayMs: this.delayMs,
        pairMs: this.pairMs,
        captureMs: this.captureMs,
        stats: { ...this.stats },
        shown,
        panel: this.ui.state.textContent,
        fps: this.ui.fps.textContent,
        hostRect: rectOf(this.host.getBoundingClientRect()),
        canvasRect: rectOf(this.canvas.getBoundingClientRect()),
        videoRect: rectOf(this.video.getBoundingClientRect()),
        popoverOpen: (() => {
          try {
            return this.host.matches(':popover-open');
          } catch {
            return false;
          }
        })(),
        panelRect: rectOf(this.panel.getBoundingClientRect()),
        // Whether the control is what the user clicks at its place. Not in fullscreen: Chromium
        // makes everything outside the fullscreen element inert, top layer included.
        onTop: (() => {
          const r = this.panel.getBoundingClientRect();
          return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === this.host;
        })(),
        canvasSize: [this.canvas.width, this.canvas.height],
        presentLog: this.presentLog.slice(),
      };
      if (withPixels && shown) {
        out.pixels = Array.from(
          this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height, { colorSpace: 'srgb' }).data,
        );
      }
      return out;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The display loop (one for all videos) and notices

  function tick(now) {
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
  function displayHz() {
    const t = state.rafTimes;
    if (t.length < 10) return 60;
    const d = [];
    for (let i = 1; i < t.length; i++) d.push(t[i] - t[i - 1]);
    const m = median(d);
    return m > 0 ? Math.min(240, 1000 / m) : 60;
  }

  /** A message in the page's top-right corner; removes itself after `ms` (0: when told). The host
   * element goes when its last notice does, so a refused page ends up exactly as it was. */
  function notice(text, ms = 12_000) {
    if (!state.notices) state.notices = new Notices();
    return state.notices.add(text, ms);
  }

  class Notices {
    constructor() {
      this.host = document.createElement('div');
      this.host.style.cssText =
        'all: initial; position: fixed; inset: 12px 12px auto auto; margin: 0; padding: 0; border: 0; ' +
        'background: transparent; overflow: visible; z-index: 2147483647; display: flex; flex-direction: column; gap: 6px;';
      this.host.setAttribute('data-inbetween', 'notices');
      this.root = this.host.attachShadow({ mode: 'closed' });
      this.root.innerHTML = `<style>
        .n { max-width: 360px; padding: 8px 28px 8px 10px; border-radius: 6px; background: rgba(20, 22, 30, 0.92); color: #eef;
          font: 12px/1.4 system-ui, sans-serif; position: relative; box-shadow: 0 2px 8px rgba(0,0,0,0.4); margin-bottom: 6px; }
        button { position: absolute; right: 4px; top: 4px; border: 0; background: none; color: #ccd; cursor: pointer; font: inherit; }
      </style>`;
      this.count = 0;
      this.removers = new Set();
    }

    add(text, ms) {
      if (!this.host.isConnected) {
        document.documentElement.append(this.host);
        try {
          this.host.popover = 'manual';
          this.host.showPopover();
        } catch {
          /* fixed + z-index is the fallback */
        }
      }
      const el = document.createElement('div');
      el.className = 'n';
      el.setAttribute('role', 'status');
      el.textContent = text;
      const close = document.createElement('button');
      close.textContent = '✕';
      close.title = 'Dismiss';
      el.append(close);
      this.root.append(el);
      this.count++;
      let timer = 0;
      const remove = () => {
        if (!el.isConnected) return;
        clearTimeout(timer);
        el.remove();
        this.removers.delete(remove);
        if (--this.count === 0) this.host.remove();
      };
      this.removers.add(remove);
      close.addEventListener('click', (e) => {
        e.stopPropagation();
        remove();
      });
      if (ms > 0) timer = setTimeout(remove, ms);
      return { remove, text };
    }

    clear() {
      for (const remove of [...this.removers]) remove();
    }

    texts() {
      return [...this.root.querySelectorAll('.n')].map((n) => n.firstChild.textContent);
    }

    restack() {
      if (!this.host.isConnected) return;
      try {
        if (this.host.matches(':popover-open')) this.host.hidePopover();
        this.host.showPopover();
      } catch {
        /* not a popover */
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  function resize(canvas, width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
  }

  function ema(prev, x, a) {
    return prev ? prev + a * (x - prev) : x;
  }

  function median(xs) {
    if (!xs.length) return 0;
    const s = [...xs].sort((a, b) => a - b);
    return s[s.length >> 1];
  }

  function pushLimited(xs, x, n) {
    xs.push(x);
    if (xs.length > n) xs.shift();
  }

  function rectOf(r) {
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  }

  function messageOf(e) {
    return e instanceof Error ? e.message : String(e);
  }

  /** An error's message for a notice: first line, no backtraces, not too long. */
  function brief(e) {
    const line = messageOf(e)
      .replace(/\s*\([^)]*\n[\s\S]*?\)/g, '')
      .split('\n')[0];
    return line.length > 200 ? `${line.slice(0, 200)}…` : line;
  }

  function withTimeout(promise, ms, message) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Test hook: who waits for the next frame of a kind ('source', 'interp') to reach the overlay. */
  const waiters = [];

  globalThis.__inbetween = {
    click,
    // <test-hooks> (left out of the shipped build by scripts/build-extension.mjs)
    // This object lives in the extension's isolated world, out of the page's reach.
    debug: {
      active: () => state.active,
      clicks: () => state.clicks,
      starting: () => state.starting !== null,
      adapter: () => state.adapter,
      notices: () => state.notices?.texts() ?? [],
      sessions: (withPixels = false) => [...state.sessions.values()].map((s) => s.snapshot(withPixels)),
      /** The overlay right after the next frame of `kind` ('interp': an in-between, 'source') was
       * drawn on it, with its pixels read back from it. */
      next: (kind, timeoutMs) =>
        withTimeout(
          new Promise((resolve) => waiters.push({ kind, resolve })),
          timeoutMs,
          `no ${kind} frame reached the overlay in time`,
        ),
      dismissNotices: () => state.notices?.clear(),
      /** Destroys the engine's GPU device, as a driver reset would. */
      loseDevice: () => state.engine.call({ type: 'loseDeviceForTesting' }),
      /** A request straight to the engine frame (engine.js's protocol), e.g. frames with no `ts`. */
      engineCall: (request) => state.engine.call(request),
      /** Round trips of a width x height RGBA frame to the engine frame and back (copied there,
       * as `send` does, and transferred back), in ms: the price of running the engine in a frame. */
      echo: async (width, height, n = 20) => {
        const times = [];
        const pixels = new Uint8Array(width * height * 4).fill(7).buffer;
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await state.engine.call({ type: 'echo', pixels });
          times.push(performance.now() - t0);
        }
        return median(times);
      },
      /** Paints the controls' background a flat magenta (or back), so a screenshot shows where
       * they are drawn, and whether above everything else. */
      mark: (on) => {
        for (const s of state.sessions.values()) {
          s.panel.style.background = on ? '#ff00ff' : '';
          s.panel.style.opacity = on ? '1' : '';
        }
      },
    },
    // </test-hooks>
  };
  click();
})();
