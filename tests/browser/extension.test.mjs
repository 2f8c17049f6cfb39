// The browser extension (www/extension), built as users get it and loaded unpacked into headless
// Chromium. Its action is clicked through CDP (Extensions.triggerAction: the same path as a user's
// click, activeTab grant included), on local pages playing small clips made here with ffmpeg.
//
// WebGPU here is SwiftShader, a software adapter: about 5 s per 96x64 pair with the machine busy
// decoding and compositing, 20 s for the first (shader compilation). The extension refuses
// software adapters unless its `allowSoftwareAdapter` setting is on (real time is out of reach on
// them), which the tests use both ways. For the pixel test the clip plays at 2 fps and 1/16 speed,
// so that SwiftShader keeps up and the pipeline runs exactly as it would in real time on a GPU.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { startServer } from './server.mjs';
import { makeClip } from './extension/clip.mjs';
import { launchWithExtension } from './extension/launch.mjs';

const MINUTE = 60_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('browser extension', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'inbetween-ext-test-'));
  const extensionDir = path.join(tmp, 'extension');
  let site; // the pages and clips
  let other; // a second origin serving the same clips, without CORS
  let b;

  before(async () => {
    execFileSync(
      process.execPath,
      [path.join(REPO, 'scripts/build-extension.mjs'), '--no-zip', '--test-hooks', '--out', tmp],
      { stdio: 'inherit' },
    );
    const clips = path.join(tmp, 'clips');
    execFileSync('mkdir', ['-p', clips]);
    makeClip(clips, { name: 'fast.webm', fps: 5, seconds: 120 });
    makeClip(clips, { name: 'slow.webm', fps: 2, seconds: 30 });
    makeClip(clips, { name: 'twos.webm', fps: 4, seconds: 60, twos: true });
    // The repeat statistic's check: compared 1:1 (with partial blocks at the edges), scaled down
    // 2:1, and by a ratio that is no integer (1.5625), so the kernel's area average is exercised.
    for (const [w, h] of [
      [100, 70],
      [1280, 720],
      [1000, 562],
    ]) {
      makeClip(clips, { name: `stat-${w}x${h}.webm`, width: w, height: h, fps: 2, seconds: 4 });
    }
    makeClip(clips, { name: 'sound.webm', fps: 2, seconds: 30, audio: true });
    site = await startServer({ mounts: { '/clips/': clips, '/': REPO } });
    other = await startServer({ mounts: { '/clips/': clips } });
    b = await launchWithExtension({ extensionDir, log: (line) => console.log(line) });
  });

  after(async () => {
    await b?.close();
    await site?.close();
    await other?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Opens the test page on `src` at `rate`, waits until it plays, returns a DOM fingerprint. */
  async function open(src, { rate = 1, drm = false, blob = false, sound = false, page = 'page.html' } = {}) {
    const q = new URLSearchParams({
      src,
      rate: String(rate),
      ...(drm ? { drm: '1' } : {}),
      ...(blob ? { blob: '1' } : {}),
      ...(sound ? { sound: '1' } : {}),
    });
    await b.page.goto(`${site.origin}/tests/browser/extension/${page}?${q}`);
    await b.page.evaluate(() => window.videoReady);
    return pageState();
  }

  /** What "the page is left as it was" means here: the DOM and the video's state. */
  function pageState() {
    return b.page.evaluate(() => {
      const v = document.querySelector('video');
      return {
        html: document.documentElement.outerHTML.replace(/<video[^>]*>/, '<video>'),
        frames: window.frames.length,
        muted: v.muted,
        volume: v.volume,
        paused: v.paused,
        rate: v.playbackRate,
        src: v.src,
        attributes: [...v.attributes].map((a) => `${a.name}=${a.value}`),
      };
    });
  }

  const debug = () =>
    b.inTab(() => {
      const d = globalThis.__inbetween?.debug;
      return d ? { active: d.active(), starting: d.starting(), notices: d.notices(), sessions: d.sessions() } : null;
    });

  async function waitFor(predicate, timeoutMs, what) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
      last = await debug();
      if (last && predicate(last)) return last;
      await sleep(300);
    }
    throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(last)?.slice(0, 2000)}`);
  }

  /** Clears the notices, then checks the page is exactly as before the click. */
  async function assertUntouched(before, label) {
    await b.inTab(() => globalThis.__inbetween?.debug.dismissNotices());
    const now = await pageState();
    assert.equal(now.html, before.html, `${label}: the DOM changed`);
    assert.equal(now.frames, before.frames, `${label}: frames were added`);
    for (const k of ['muted', 'volume', 'paused', 'rate', 'src'])
      assert.equal(now[k], before[k], `${label}: video.${k} changed`);
    assert.deepEqual(now.attributes, before.attributes, `${label}: the video's attributes changed`);
  }

  /** The reference for an in-between `shown` on the overlay: its two source frames, taken
   * independently by the page (seek, draw the video), and the package's own interpolate() on them
   * (the wasm CPU path), with the static guard on as the extension has it. */
  function reference(shown) {
    return b.page.evaluate(async ({ m0, m1, t: time }) => {
      // Seek into the middle of each frame's display interval, not onto its edge.
      const a = await window.grabFrame(m0 + (m1 - m0) / 4);
      const bb = await window.grabFrame(m1 + (m1 - m0) / 4);
      const { createInterpolator } = await import('/www/lib/dist/index.js');
      const interp = await createInterpolator({ backend: 'cpu', cache: false });
      const mid = await interp.interpolate(a, bb, time, { staticGuard: true });
      interp.dispose();
      return {
        means: [a, bb].map((x) => x.data.reduce((s, y) => s + y, 0) / x.data.length),
        a: Array.from(a.data),
        b: Array.from(bb.data),
        mid: Array.from(mid.data),
      };
    }, shown);
  }

  test('manifest: least privilege, local code only', () => {
    const m = JSON.parse(readFileSync(path.join(extensionDir, 'manifest.json'), 'utf8'));
    assert.equal(m.manifest_version, 3);
    assert.deepEqual([...m.permissions].sort(), ['activeTab', 'scripting', 'storage']);
    assert.equal(m.host_permissions, undefined);
    assert.equal(m.optional_host_permissions, undefined);
    assert.equal(m.content_scripts, undefined, 'nothing runs on a page until the user clicks');
    assert.equal(m.content_security_policy.extension_pages, "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'");
    assert.deepEqual(
      m.web_accessible_resources.map((r) => r.resources),
      [['engine.html']],
    );
    // The wasm and the model are inside; the code loads nothing from the network.
    for (const f of ['lib/pkg/inbetween_wasm_bg.wasm', 'lib/model/rife-4.25-f16.bpk', 'lib/dist/worker/worker.js']) {
      assert.ok(readFileSync(path.join(extensionDir, f)).length > 0, f);
    }
    for (const f of ['content.js', 'engine.js', 'background.js']) {
      assert.doesNotMatch(readFileSync(path.join(extensionDir, f), 'utf8'), /https?:\/\//, `${f} names a URL`);
    }
  });

  test('only a software WebGPU adapter: a notice, and the page is left as it was', {
    timeout: 2 * MINUTE,
  }, async () => {
    const before = await open('/clips/fast.webm');
    await b.clickAction();
    const d = await waitFor((s) => !s.starting && s.notices.some((n) => /WebGPU/.test(n)), MINUTE, 'the WebGPU notice');
    assert.match(d.notices.join('\n'), /software/);
    assert.equal(d.active, false);
    assert.equal(d.sessions.length, 0);
    await assertUntouched(before, 'no hardware WebGPU');
  });

  test('cross-origin video without CORS: a notice, no overlay, the page is left as it was', {
    timeout: MINUTE,
  }, async () => {
    const before = await open(`${other.origin}/clips/fast.webm`);
    // It really is tainted for the page too.
    const tainted = await b.page.evaluate(() => {
      try {
        new VideoFrame(document.querySelector('video')).close();
        return false;
      } catch (e) {
        return e.name;
      }
    });
    assert.equal(tainted, 'SecurityError');
    await b.clickAction();
    const d = await waitFor((s) => s.notices.length > 0, 30_000, 'the cross-origin notice');
    assert.match(d.notices.join('\n'), /another site|cross-origin/);
    assert.equal(d.active, false);
    assert.equal(d.sessions.length, 0);
    assert.equal(b.page.frames().length, 1, 'no engine frame was added');
    await assertUntouched(before, 'tainted');
  });

  test('DRM (EME) video: a notice, the page is left as it was', { timeout: MINUTE }, async () => {
    const before = await open('/clips/fast.webm', { drm: true });
    assert.ok(await b.page.evaluate(() => document.querySelector('video').mediaKeys !== null));
    await b.clickAction();
    const d = await waitFor((s) => s.notices.length > 0, 30_000, 'the DRM notice');
    assert.match(d.notices.join('\n'), /DRM/);
    assert.equal(d.sessions.length, 0);
    await assertUntouched(before, 'DRM');
  });

  test('a page whose CSP forbids frames, workers and WebAssembly: it works all the same; a lost GPU device stops it cleanly', {
    timeout: 2 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 150, engine: 'auto' });
    const before = await open('/clips/fast.webm', { page: 'csp.html' });
    const blocked = await b.page.evaluate(async () => {
      try {
        await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
        return false;
      } catch {
        return true;
      }
    });
    assert.ok(blocked, 'the page itself may not compile WebAssembly');
    await b.clickAction();
    // The engine frame loaded and its worker compiled the wasm: it has an adapter and a session runs.
    const d = await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    assert.equal(d.sessions[0].mode, 'running');
    assert.equal(b.page.frames().length, 2, 'the engine frame is there');
    // WebAssembly cannot compile in content.js's world either: the engine's wasm runs in the
    // engine frame, recording, and its GPU calls play here (the remote-recorded engine; its pixel
    // test is below). Frames stay on the GPU even here.
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.path()), 'remote');

    // A lost GPU device (a driver reset) stops everything with a notice; the page is as it was.
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.loseDevice().then((r) => r.lost)), true);
    const stopped = await waitFor(
      (s) => !s.active && s.notices.some((n) => /stopped/.test(n)),
      MINUTE,
      'the stop after the device loss',
    );
    t.diagnostic(stopped.notices.join(' | '));
    assert.match(stopped.notices.join('\n'), /Click its button to start again/);
    // Told apart by the error's code ('device-lost'), not by its text.
    assert.match(stopped.notices.join('\n'), /the GPU device was lost/);
    await assertUntouched(before, 'after a lost device');
  });

  test("repeated frames: the engine frame tells a twos cadence from a slow pan, with the package's detector", {
    timeout: 2 * MINUTE,
  }, async () => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 150, engine: 'frame' });
    await open('/clips/fast.webm');
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    // Frames drawn here and sent on a stream of their own with no in-between asked for (`ts` empty),
    // so the engine only runs its repeat test: a textured picture moving 2 px a picture, shown on
    // twos, then the same picture panning 0.3 px every frame.
    const flags = await b.inTab(async () => {
      const w = 96;
      const h = 64;
      const texture = new OffscreenCanvas(w + 80, h);
      const tg = texture.getContext('2d');
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
      for (let k = 0; k < 120; k++) {
        tg.fillStyle = `rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})`;
        tg.fillRect(rnd() * (w + 80), rnd() * h, 4 + rnd() * 16, 4 + rnd() * 16);
      }
      const canvas = new OffscreenCanvas(w, h);
      const g = canvas.getContext('2d', { willReadFrequently: true });
      const run = async (stream, offsets) => {
        const out = [];
        for (const [i, x] of offsets.entries()) {
          g.clearRect(0, 0, w, h);
          g.drawImage(texture, -x, 0);
          const image = g.getImageData(0, 0, w, h);
          const r = await globalThis.__inbetween.debug.engineCall({
            type: 'frame',
            stream,
            seq: i + 1,
            prevSeq: i,
            image: { pixels: image.data.buffer, width: w, height: h },
            ts: [],
            scale: 1,
          });
          out.push(r.repeat === true);
        }
        await globalThis.__inbetween.debug.engineCall({ type: 'forget', stream });
        return out;
      };
      return {
        twos: await run(
          9001,
          Array.from({ length: 30 }, (_, i) => 2 * Math.floor(i / 2)),
        ),
        pan: await run(
          9002,
          Array.from({ length: 30 }, (_, i) => 0.3 * i),
        ),
      };
    });
    const where = (f) => f.flatMap((x, i) => (x ? [i] : []));
    assert.deepEqual(where(flags.pan), [], 'a slow pan has no repeats');
    assert.ok(
      where(flags.twos).every((i) => i % 2 === 1),
      `only held frames are repeats: ${where(flags.twos)}`,
    );
    // Live, the first holds are learnt from; once the cadence is known every hold is caught.
    assert.deepEqual(
      where(flags.twos).filter((i) => i >= 9),
      [9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29],
    );
    await b.clickAction();
    await waitFor((s) => !s.active, MINUTE, 'the stop');
  });

  test('a hostile page frames the engine, offers it ports, floods it and sends its test hooks: all refused; the extension works for content.js', {
    timeout: 3 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 150, engine: 'frame' });
    await b.page.goto(`${site.origin}/tests/browser/extension/hostile.html?src=/clips/fast.webm&ext=${b.extensionId}`);
    await b.page.evaluate(() => window.videoReady);
    // The page's own frame of engine.html: 302 ports offered (no token, a malformed one, 300 made
    // up), each with the engine's requests behind it. Every one is refused, none answered.
    const own = await b.page.evaluate(() => window.ownAttackDone);
    t.diagnostic(`own frame: ${JSON.stringify(own)}`);
    assert.equal(own.offered, 302);
    assert.deepEqual(
      { ready: own.ready, answers: own.answers, refused: own.refused },
      { ready: 0, answers: 0, refused: 302 },
    );

    // Meanwhile the page looks for content.js's frame every 20 ms, to offer it ports too. content.js
    // connects, and the engine works for it (a real interpolation through its port).
    await b.clickAction();
    const d = await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    assert.equal(d.sessions[0].mode, 'running');
    const pair = await b.inTab(async () => {
      const frame = (seq, shade) => {
        const pixels = new Uint8Array(16 * 16 * 4).map((_, i) => (i % 4 === 3 ? 255 : shade + (i % 7)));
        return globalThis.__inbetween.debug.engineCall({
          type: 'frame',
          stream: 'hostile-check',
          seq,
          prevSeq: seq - 1,
          image: { pixels: pixels.buffer, width: 16, height: 16 },
          ts: [0.5],
          scale: 1,
        });
      };
      await frame(1, 40);
      const r = await frame(2, 80);
      await globalThis.__inbetween.debug.engineCall({ type: 'forget', stream: 'hostile-check' });
      return { count: r.count, bytes: r.frames?.byteLength ?? 0 };
    });
    assert.deepEqual(pair, { count: 1, bytes: 16 * 16 * 4 });
    // content.js's frame sits in a closed shadow root, which also keeps it out of `window.frames`:
    // the page cannot even address it (the token is what would stop it if it could, as above).
    const theirs = await b.page.evaluate(() => ({ ...window.attacks.theirs, reachable: window.frames.length }));
    t.diagnostic(`content.js's frame: ${JSON.stringify(theirs)}`);
    assert.equal(b.page.frames().length, 3, "the page, its own engine frame and content.js's");
    assert.deepEqual(
      { frames: theirs.frames, reachable: theirs.reachable, ready: theirs.ready, answers: theirs.answers },
      { frames: 0, reachable: 1, ready: 0, answers: 0 },
    );
    assert.equal((await debug()).sessions[0].mode, 'running', 'the session ran on through the flood');
    await b.clickAction();
    await waitFor((s) => !s.active, MINUTE, 'the stop');
  });

  test("the engine frame's bad-input corpus: each bad request gets a clear error at once, caps hold, and the engine works after", {
    timeout: 3 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 150, engine: 'frame' });
    await open('/clips/fast.webm');
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    // Paused, the video's own session sends nothing, so the queue and stream counts below are
    // this test's alone.
    await b.page.evaluate(() => document.querySelector('video').pause());
    // JSON carries the requests into the isolated world: '$NaN' and the like stand for the numbers
    // JSON has not; `bytes` makes image.pixels (a length: an ArrayBuffer of it; 'text'; null).
    const frame = (image, extra = {}) => ({
      type: 'frame',
      stream: 7001,
      seq: 1,
      prevSeq: 0,
      image,
      ts: [0.5],
      scale: 1,
      ...extra,
    });
    const BAD = [
      ['unknown request type', { type: 'nope' }],
      ['no request type', {}],
      ['width 0', frame({ width: 0, height: 8 }), 0],
      ['negative width', frame({ width: -5, height: 8 }), 0],
      ['NaN width', frame({ width: '$NaN', height: 8 }), 0],
      ['fractional width', frame({ width: 1.5, height: 8 }), 24],
      ['width as a string', frame({ width: '64', height: 8 }), 64 * 8 * 4],
      ['4097 pixels tall', frame({ width: 1, height: 4097 }), 4097 * 4],
      ['4096x4096: over the area cap', frame({ width: 4096, height: 4096 }), 16],
      ['pixels null', frame({ width: 8, height: 8 }), null],
      ['pixels a string', frame({ width: 8, height: 8 }), 'text'],
      ['pixels one byte short', frame({ width: 8, height: 8 }), 8 * 8 * 4 - 1],
      ['pixels 4 bytes long', frame({ width: 8, height: 8 }), 8 * 8 * 4 + 4],
      ['no image', { type: 'frame', stream: 7001, seq: 1, prevSeq: 0, ts: [0.5], scale: 1 }],
      ['ts not a list', frame({ width: 8, height: 8 }, { ts: 0.5 }), 256],
      ['ts NaN', frame({ width: 8, height: 8 }, { ts: ['$NaN'] }), 256],
      ['ts inf', frame({ width: 8, height: 8 }, { ts: ['$Inf'] }), 256],
      ['ts 0 (the first frame itself)', frame({ width: 8, height: 8 }, { ts: [0] }), 256],
      ['ts -0', frame({ width: 8, height: 8 }, { ts: ['$-0'] }), 256],
      ['ts 1', frame({ width: 8, height: 8 }, { ts: [1] }), 256],
      ['ts 1.5', frame({ width: 8, height: 8 }, { ts: [1.5] }), 256],
      ['ts as strings', frame({ width: 8, height: 8 }, { ts: ['0.5'] }), 256],
      [
        '33 in-betweens',
        frame({ width: 8, height: 8 }, { ts: Array.from({ length: 33 }, (_, i) => (i + 1) / 34) }),
        256,
      ],
      ['scale NaN', frame({ width: 8, height: 8 }, { scale: '$NaN' }), 256],
      ['scale inf', frame({ width: 8, height: 8 }, { scale: '$Inf' }), 256],
      ['scale as a string', frame({ width: 8, height: 8 }, { scale: '1' }), 256],
      ['stream an object', frame({ width: 8, height: 8 }, { stream: { a: 1 } }), 256],
      ['stream a 100-character string', frame({ width: 8, height: 8 }, { stream: 'x'.repeat(100) }), 256],
      ['fractional seq', frame({ width: 8, height: 8 }, { seq: 1.5 }), 256],
      ['no prevSeq', frame({ width: 8, height: 8 }, { prevSeq: undefined }), 256],
    ].map(([name, req, bytes]) => ({ name, req, ...(bytes === undefined ? {} : { bytes }) }));
    const results = await b.inTab(async (cases) => {
      const num = (v) => ({ $NaN: NaN, $Inf: Infinity, '$-0': -0 })[v] ?? v;
      const revive = (x) =>
        Array.isArray(x)
          ? x.map(revive)
          : x && typeof x === 'object'
            ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, revive(v)]))
            : num(x);
      const call = (req, ms = 10_000) =>
        Promise.race([
          globalThis.__inbetween.debug.engineCall(req),
          new Promise((_, reject) =>
            setTimeout(() => reject(Object.assign(new Error(`no answer in ${ms} ms`), { code: 'timeout' })), ms),
          ),
        ]);
      const outcome = async (req, ms) => {
        const t0 = performance.now();
        try {
          const r = await call(req, ms);
          return { ok: true, count: r.count, bytes: r.frames?.byteLength ?? null, ms: performance.now() - t0 };
        } catch (e) {
          return { ok: false, code: e.code, message: e.message, ms: performance.now() - t0 };
        }
      };
      const bad = [];
      for (const c of cases) {
        const req = revive(c.req);
        if ('bytes' in c)
          req.image.pixels = c.bytes === 'text' ? 'pixels' : c.bytes === null ? null : new ArrayBuffer(c.bytes);
        bad.push({ name: c.name, ...(await outcome(req)) });
      }
      const rgba = (w, h, shade) =>
        new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (shade + i) % 251)).buffer;
      const send = (stream, seq, w, h, extra = {}, ms) =>
        outcome(
          {
            type: 'frame',
            stream,
            seq,
            prevSeq: seq - 1,
            image: { pixels: rgba(w, h, seq * 30), width: w, height: h },
            ts: [0.5],
            scale: 1,
            ...extra,
          },
          ms,
        );
      const good = {};
      // A stream whose size changes mid-stream: no in-between across the change, no error.
      good.first = await send(7002, 1, 32, 32);
      good.resized = await send(7002, 2, 48, 32, {}, 60_000);
      // A scale out of the package's range: the package's own error, passed on.
      good.scale16 = await send(7002, 3, 48, 32, { scale: 16 }, 60_000);
      // The same frame again with a good scale: it pairs with the one before the refused one.
      good.pair = await send(7002, 3, 48, 32, {}, 60_000);
      // More streams than held: the least recently used one is forgotten, the newest kept.
      for (let s = 0; s < 17; s++) await send(7100 + s, 1, 8, 8, { ts: [] });
      good.evicted = await send(7100, 2, 8, 8, {}, 60_000);
      good.kept = await send(7116, 2, 8, 8, {}, 60_000);
      // A slow request (an interpolation) with 20 more behind it: 7 wait, 13 are told 'busy' at once.
      await send(7003, 1, 16, 16, { ts: [] });
      const slow = send(7003, 2, 16, 16, {}, 60_000);
      const rest = await Promise.all(Array.from({ length: 20 }, () => outcome({ type: 'forget', stream: 'none' })));
      good.slow = await slow;
      good.busy = rest.filter((r) => !r.ok && r.code === 'busy').length;
      good.forgotten = rest.filter((r) => r.ok).length;
      for (const s of [7002, 7003, ...Array.from({ length: 17 }, (_, i) => 7100 + i)])
        await call({ type: 'forget', stream: s });
      return { bad, good };
    }, BAD);
    for (const r of results.bad) {
      t.diagnostic(`${r.name}: ${r.ok ? 'accepted' : `${r.code}: ${r.message}`} (${r.ms.toFixed(0)} ms)`);
      assert.equal(r.ok, false, `${r.name}: refused`);
      assert.equal(r.code, 'bad-request', `${r.name}: ${r.message}`);
      assert.ok(r.ms < 5000, `${r.name}: answered at once`);
    }
    assert.equal(results.bad.length, 30);
    const g = results.good;
    t.diagnostic(JSON.stringify(g));
    assert.deepEqual([g.first.ok, g.first.bytes], [true, null]);
    assert.deepEqual([g.resized.ok, g.resized.bytes], [true, null], 'no in-between across a size change');
    assert.equal(g.scale16.ok, false);
    assert.match(g.scale16.message, /scale must be a number in/);
    assert.deepEqual(
      [g.pair.ok, g.pair.count, g.pair.bytes],
      [true, 1, 48 * 32 * 4],
      'the stream goes on after the bad scale',
    );
    assert.deepEqual([g.evicted.ok, g.evicted.bytes], [true, null], 'the least recently used stream was forgotten');
    assert.deepEqual([g.kept.ok, g.kept.count], [true, 1], 'the newest streams are kept');
    assert.deepEqual([g.slow.ok, g.slow.count, g.busy, g.forgotten], [true, 1, 13, 7]);
    assert.equal((await debug()).active, true, 'the extension ran on through all of it');
    await b.clickAction();
    await waitFor((s) => !s.active, MINUTE, 'the stop');
  });

  test("the remote-recorded engine's bad operations: each gets a clear error at once, caps hold, and the engine works after", {
    timeout: 3 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, engine: 'remote' });
    await open('/clips/slow.webm', { rate: 0.0625, blob: true });
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.path()), 'remote');
    // Paused, the session sends nothing: the frames named below are this test's alone (content.js
    // numbers its own from 1 up; these start far above).
    await b.page.evaluate(() => document.querySelector('video').pause());
    await sleep(1000);
    const results = await b.inTab(async () => {
      const call = (op) =>
        globalThis.__inbetween.debug.engineCall({ type: 'remote', op }).then(
          (r) => ({ ok: true, commands: r.commands.length }),
          (e) => ({ ok: false, code: e.code, message: e.message }),
        );
      const prepare = (frame, width, height, extra = {}) =>
        call({ op: 'prepare', frame, image: 9_000_000 + frame, width, height, scale: 1, ...extra });
      const bad = {
        'unknown op': await call({ op: 'nope' }),
        'op not an object': await globalThis.__inbetween.debug
          .engineCall({ type: 'remote', op: 7 })
          .catch((e) => ({ ok: false, code: e.code, message: e.message })),
        'width 0': await prepare(1_000_001, 0, 8),
        '4097 wide': await prepare(1_000_002, 4097, 8),
        'over the area cap': await prepare(1_000_003, 4096, 4096),
        'fractional height': await prepare(1_000_004, 8, 7.5),
        'scale NaN': await prepare(1_000_005, 8, 8, { scale: Number.NaN }),
        'frame not an integer': await prepare(1.5, 8, 8),
        'interpolate unknown frames': await call({ op: 'interpolate', a: 1_000_100, b: 1_000_101, t: 0.5 }),
        't 2': await call({ op: 'interpolate', a: 1_000_100, b: 1_000_101, t: 2 }),
        'present to no canvas': await call({ op: 'present', canvas: 1_000_200 }),
        'free an unknown frame': await call({ op: 'free', frame: 1_000_300 }),
        'init again while it runs': await globalThis.__inbetween.debug
          .engineCall({ type: 'init', allowSoftwareAdapter: true })
          .catch((e) => ({ ok: false, code: e.code, message: e.message })),
      };
      return bad;
    });
    for (const [name, r] of Object.entries(results)) {
      t.diagnostic(`${name}: ${r.ok ? 'accepted' : `${r.code}: ${r.message}`}`);
      assert.equal(r.ok, false, `${name}: refused`);
      assert.equal(r.code, 'bad-request', `${name}: ${r.message}`);
    }
    assert.equal(Object.keys(results).length, 13);
    // None of it reached the engine: the video plays on, and in-betweens reach the overlay.
    await b.page.evaluate(() => document.querySelector('video').play());
    const snap = await b.inTab(() => globalThis.__inbetween.debug.next('interp', 3 * 60_000));
    assert.equal(snap.shown.kind, 'interp');
    // The cap on held frames (64), reached through content.js's own engine (a session holds two or
    // three): refused with its reason, which ends this engine (its commands must all play).
    await b.page.evaluate(() => document.querySelector('video').pause());
    const held = await b.inTab(() => globalThis.__inbetween.debug.hold(70));
    t.diagnostic(JSON.stringify(held));
    assert.equal(held.ok, false);
    assert.equal(held.code, 'bad-request');
    assert.match(held.message, /at most 64 frames are held/);
    await b.clickAction();
    await waitFor((s) => !s.active, MINUTE, 'the stop');
  });

  test('the shipped build leaves the test hooks out, and still parses', () => {
    const shipped = mkdtempSync(path.join(os.tmpdir(), 'inbetween-ext-shipped-'));
    try {
      execFileSync(process.execPath, [path.join(REPO, 'scripts/build-extension.mjs'), '--no-zip', '--out', shipped], {
        stdio: 'pipe',
      });
      // content.js bundles the package's wasm glue for its in-process engine; the glue's Engine
      // class has the package's own `loseDeviceForTesting` method (only test code calls it), so
      // the glue's module is left out of the search, as scripts/build-extension.mjs does.
      const withoutGlue = (src) => {
        const head = '// www/lib/pkg/inbetween_wasm.js\n';
        const start = src.indexOf(head);
        if (start < 0) return src;
        const rest = src.slice(start + head.length);
        const next = rest.search(/^\s*\/\/ [\w./-]+\.(?:ts|js)$/m);
        return src.slice(0, start) + (next < 0 ? '' : rest.slice(next));
      };
      const code = (dir, f) =>
        withoutGlue(readFileSync(path.join(dir, 'extension', f), 'utf8')).replace(/^\s*\/\/.*$/gm, '');
      for (const f of ['engine.js', 'content.js', 'background.js']) {
        assert.doesNotMatch(
          code(shipped, f),
          /ForTesting|'echo'|debug:|engineCall|test-hooks/,
          `${f} in the shipped build`,
        );
      }
      // The test build (this suite's) is the same code with the hooks.
      assert.match(code(tmp, 'engine.js'), /loseDeviceForTesting/);
      assert.match(code(tmp, 'content.js'), /engineCall/);
      // The glue is there (the in-process engine), and it is what was left out above.
      const shippedContent = readFileSync(path.join(shipped, 'extension/content.js'), 'utf8');
      assert.match(shippedContent, /__wbg_init|__wbindgen/);
      assert.doesNotMatch(withoutGlue(shippedContent), /__wbindgen_malloc/);
      assert.equal(code(shipped, 'background.js'), code(tmp, 'background.js'));
      // The package's test hooks' entry ships only in the test build.
      assert.equal(
        existsSync(path.join(shipped, 'extension/lib/dist/testing.js')),
        false,
        'testing.js in the shipped build',
      );
      assert.equal(existsSync(path.join(tmp, 'extension/lib/dist/testing.js')), true, 'testing.js in the test build');
    } finally {
      rmSync(shipped, { recursive: true, force: true });
    }
  });

  test("the overlay shows RIFE in-betweens of the video's own frames, in place; pause hides it; a second click removes everything", {
    timeout: 6 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, engine: 'auto' });
    const before = await open('/clips/slow.webm', { rate: 0.0625, blob: true });
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    // The first pair compiles SwiftShader's shaders (≈20 s); later pairs take ≈5 s, against 8 s
    // between the frames of this clip at this speed.
    const snap = await b.inTab(() => globalThis.__inbetween.debug.next('interp', 4 * 60_000));
    t.diagnostic(
      `in-between t=${snap.shown.t} of ${snap.shown.m0}s → ${snap.shown.m1}s; ${Math.round(snap.pairMs)} ms per pair, ` +
        `delay ${Math.round(snap.delayMs)} ms; panel: ${snap.panel}`,
    );
    assert.equal(snap.shown.kind, 'interp');
    assert.equal(snap.shown.t, 0.5);
    // No CSP here: the engine runs in content.js's own world, and the in-between is on one of the
    // overlay's WebGPU canvases (drawn there by the engine, nothing read back).
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.path()), 'local');
    assert.equal(snap.onGpuCanvas, true, 'the in-between is on a WebGPU canvas');
    // The ladder's time per pair: the GPU's own (two timestamps per in-between, read back) where
    // the adapter has timestamp-query, else the wall clock; a sane figure either way.
    const adapter = await b.inTab(() => globalThis.__inbetween.debug.adapter());
    t.diagnostic(`adapter ${JSON.stringify(adapter)}; last pair ${JSON.stringify(snap.lastPair)}`);
    assert.equal(typeof adapter.timestampQuery, 'boolean');
    assert.equal(snap.pairTimeSource, adapter.timestampQuery ? 'gpu' : 'wall');
    assert.equal(snap.lastPair.source, snap.pairTimeSource);
    assert.ok(Number.isFinite(snap.lastPair.ms) && snap.lastPair.ms > 0, `pair time ${snap.lastPair.ms} ms`);
    // (1 ms of slack: Chromium rounds timestamps to 0.1 ms.)
    assert.ok(snap.lastPair.ms <= snap.lastPair.wallMs + 1, 'no more than the wall time of the same pair');
    if (snap.pairTimeSource === 'gpu') assert.match(snap.panel, /\d+ ms of GPU time per pair/);
    else assert.match(snap.panel, /\d+ ms per pair/);
    assert.ok(Math.abs(snap.shown.m1 - snap.shown.m0 - 0.5) < 1e-6, 'consecutive frames of a 2 fps clip');
    assert.deepEqual(snap.canvasSize, [96, 64], "interpolated at the video's own size");
    // The overlay covers the picture exactly (the page shows the 96x64 video at 288x192).
    for (const k of ['x', 'y', 'width', 'height']) {
      assert.ok(
        Math.abs(snap.canvasRect[k] - snap.videoRect[k]) < 0.5,
        `canvas ${k} ${snap.canvasRect[k]} vs video ${snap.videoRect[k]}`,
      );
    }
    assert.ok(snap.popoverOpen, 'the overlay is in the top layer');
    assert.match(snap.panel, /×2 at 96x64/);

    assert.ok(snap.onTop, 'the control is on top of the page');
    const sound = await b.page.evaluate(() => ({
      muted: document.querySelector('video').muted,
      volume: document.querySelector('video').volume,
    }));
    assert.deepEqual(sound, { muted: before.muted, volume: before.volume }, 'the video keeps its own sound settings');

    // Resize: the overlay follows the video's box.
    await b.page.evaluate(() =>
      Object.assign(document.querySelector('video').style, { width: '192px', height: '128px', marginLeft: '10px' }),
    );
    await sleep(300);
    let s = (await debug()).sessions[0];
    for (const k of ['x', 'y', 'width', 'height']) {
      assert.ok(
        Math.abs(s.hostRect[k] - s.videoRect[k]) < 0.5,
        `after resize: overlay ${k} ${s.hostRect[k]} vs video ${s.videoRect[k]}`,
      );
    }
    assert.equal(s.videoRect.width, 192);

    // Fullscreen: the overlay goes above the fullscreen video (the top layer is ordered by
    // insertion, so it must re-enter it) and fills the screen with it.
    const fs = await b.page.evaluate(async () => {
      await document.querySelector('video').requestFullscreen();
      return document.fullscreenElement?.tagName ?? null;
    });
    assert.equal(fs, 'VIDEO');
    await sleep(500);
    s = (await debug()).sessions[0];
    const viewport = await b.page.evaluate(() => [innerWidth, innerHeight]);
    // Drawn above it, that is: Chromium's hit testing inerts everything outside the fullscreen
    // element, so look at the pixels. (Without the re-stacking the video covers the control:
    // this check fails then, tried once by disabling `restack`.)
    await b.inTab(() => globalThis.__inbetween.debug.mark(true));
    await sleep(100);
    const px = await pixelAt(b.page, s.panelRect.x + s.panelRect.width / 2, s.panelRect.y + 2);
    await b.inTab(() => globalThis.__inbetween.debug.mark(false));
    assert.deepEqual(
      px.map((v) => Math.round(v / 16)),
      [16, 0, 16],
      `the control's magenta, seen at its place in fullscreen: ${px}`,
    );
    assert.ok(s.popoverOpen);
    assert.deepEqual([s.videoRect.width, s.videoRect.height], viewport);
    for (const k of ['x', 'y', 'width', 'height']) {
      assert.ok(
        Math.abs(s.hostRect[k] - s.videoRect[k]) < 0.5,
        `fullscreen: overlay ${k} ${s.hostRect[k]} vs video ${s.videoRect[k]}`,
      );
    }
    // object-fit: contain, letterboxed: the canvas keeps the picture's 3:2 inside the screen.
    assert.ok(
      Math.abs(s.canvasRect.width / s.canvasRect.height - 1.5) < 0.01,
      `canvas ${s.canvasRect.width}x${s.canvasRect.height}`,
    );
    await b.page.evaluate(() => document.exitFullscreen());
    await sleep(300);

    // Timing: frames went up in media-time order, each within a display frame or so of its
    // moment on the overlay's clock (the video's clock minus the delay). Wait until the pair's
    // second frame is up too: 4 s at this speed.
    await sleep(5000);
    const log = (await debug()).sessions[0].presentLog.filter(
      (p) => p.generation === snap.presentLog.at(-1).generation,
    );
    const i = log.findIndex((p) => p.kind === 'interp' && p.mt === snap.shown.mt);
    assert.ok(i >= 0, 'the in-between is in the presentation log');
    const around = log.slice(Math.max(0, i - 1), i + 2).map((p) => `${p.kind}@${p.mt.toFixed(3)}`);
    t.diagnostic(
      `presented: ${around.join(' → ')}; log: ${log.map((p) => `${p.kind}@${p.mt.toFixed(2)} +${p.lateMs.toFixed(0)}ms (delay ${p.delayMs.toFixed(0)})`).join(', ')}`,
    );
    assert.deepEqual(around, [
      `source@${snap.shown.m0.toFixed(3)}`,
      `interp@${snap.shown.mt.toFixed(3)}`,
      `source@${snap.shown.m1.toFixed(3)}`,
    ]);
    for (let k = 1; k < log.length; k++) assert.ok(log[k].mt > log[k - 1].mt, 'media time only moves forward');
    // One 60 Hz frame is 16.7 ms; the 2-core VM running SwiftShader flat out misses some.
    const lateness = log.map((p) => p.lateMs).sort((x, y) => x - y);
    assert.ok(lateness[lateness.length >> 1] < 34, `median lateness ${lateness[lateness.length >> 1]} ms`);
    // Never early, but for the picking's 0.1 ms (media time) of slack: 1.6 ms at 1/16 speed.
    assert.ok(
      lateness.every((x) => x >= -2),
      `never early: ${lateness.join(', ')}`,
    );
    // And spaced as the video's frames are: 4 s apart at 1/16 speed for half a frame of 2 fps.
    const gaps = log.slice(Math.max(1, i), i + 2).map((p, k) => p.at - log[Math.max(1, i) + k - 1].at);
    t.diagnostic(`spacing on screen: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    // The gap before the in-between may include a hold (the delay grows while the first pairs
    // come in); the one after it is pure schedule: half a frame of video (4000 ms at this speed)
    // less whatever the delay shrank by meanwhile (it catches up at 1.1x, never by skipping).
    const [p1, p2] = [log[i], log[i + 1]];
    const expected = ((p2.mt - p1.mt) / 0.0625) * 1000 + (p2.delayMs - p1.delayMs);
    assert.ok(
      Math.abs(gaps.at(-1) - expected) < 250,
      `in-between → next frame: ${gaps.at(-1)} ms on screen, ${expected} expected`,
    );

    // Pause: the overlay goes and the video shows its own frame.
    await b.page.evaluate(() => document.querySelector('video').pause());
    await sleep(300);
    const paused = (await debug()).sessions[0];
    assert.equal(paused.shown, null, 'no overlay while paused');
    assert.equal(paused.stats.opened, paused.stats.closed, 'every VideoFrame closed');

    // Reference: the two source frames, taken independently by the page (seek, draw the
    // video), and the package's own interpolate() on them (the wasm CPU path), with the static guard on
    // as the extension has it.
    const ref = await reference(snap.shown);

    t.diagnostic(
      `reference frames: mean byte ${ref.means.map((m) => m.toFixed(1)).join(', ')}, overlay mean ${(snap.pixels.reduce((x, y) => x + y, 0) / snap.pixels.length).toFixed(1)}`,
    );
    const vsRef = compare(snap.pixels, ref.mid);
    const blend = ref.a.map((x, i) => (x + ref.b[i]) / 2);
    const vsA = compare(snap.pixels, ref.a);
    const vsB = compare(snap.pixels, ref.b);
    const vsBlend = compare(snap.pixels, blend);
    const refVsBlend = compare(ref.mid, blend);
    t.diagnostic(
      `overlay vs reference: max ${vsRef.max}, PSNR ${vsRef.psnr.toFixed(1)} dB; ` +
        `vs frame a ${vsA.psnr.toFixed(1)} dB, b ${vsB.psnr.toFixed(1)} dB, 50/50 blend ${vsBlend.psnr.toFixed(1)} dB ` +
        `(reference vs blend ${refVsBlend.psnr.toFixed(1)} dB)`,
    );
    // Same f16 model on both sides, SwiftShader WebGPU in the extension vs the wasm CPU path
    // here: the parity tests hold each within 1.1 steps of the f32 goldens (0.5 of it rounding),
    // so the two can differ by ≈2 steps; the frames themselves are the same decoded pictures read
    // through the same VideoFrame → canvas path. Measured: identical (max 0) on Chromium 156 with
    // SwiftShader. A wrong frame, time or colour order moves the 16x16 square by 3+ px and costs
    // tens of steps on hundreds of pixels (PSNR ≈ 21 dB: the test was run with the engine pairing
    // a frame with itself, and failed at max 183 steps).
    assert.ok(vsRef.max <= 3, `overlay vs reference: max |diff| ${vsRef.max} steps`);
    assert.ok(vsRef.psnr >= 45, `overlay vs reference: PSNR ${vsRef.psnr.toFixed(2)} dB`);
    // And it is an in-between, not a source frame nor a cross-fade.
    for (const [name, c] of [
      ['frame a', vsA],
      ['frame b', vsB],
      ['the blend', vsBlend],
    ]) {
      assert.ok(c.psnr < vsRef.psnr - 10, `the overlay should be far from ${name} (${c.psnr.toFixed(1)} dB)`);
    }

    // A second click stops it: the page is as it was (the video's state aside, which this test
    // changed itself).
    const last = (await debug()).sessions[0];
    await b.clickAction();
    await waitFor((s) => !s.active && s.sessions.length === 0, 30_000, 'the stop');
    await sleep(300);
    const now = await pageState();
    assert.equal(now.html, before.html, 'the DOM is back as it was');
    assert.equal(now.frames, 0, 'the engine frame is gone');
    // GPU memory of the source frames kept for display: at most the queue's worth is held.
    assert.ok(last.stats.bitmaps - last.stats.bitmapsClosed <= 4, `bitmaps held: ${JSON.stringify(last.stats)}`);
  });

  test('a capped working resolution: in-betweens scaled up onto the overlay, source frames at full resolution', {
    timeout: 6 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, maxWorkHeight: 32, engine: 'auto' });
    try {
      await open('/clips/slow.webm', { rate: 0.0625, blob: true });
      await b.clickAction();
      await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
      const mid = await b.inTab(() => globalThis.__inbetween.debug.next('interp', 4 * 60_000));
      const src = await b.inTab(() => globalThis.__inbetween.debug.next('source', 60_000));
      t.diagnostic(`in-between at ${mid.shown.mt}, then source frame at ${src.shown.mt}; panel: ${mid.panel}`);
      // In process the in-between is on a WebGPU canvas at the working size, which the browser
      // scales onto the picture (read back below at the overlay's 96x64, scaled as the engine
      // frame's path draws it); the source frames' canvas keeps the video's resolution.
      assert.equal(mid.onGpuCanvas, true);
      assert.deepEqual(mid.canvasSize, [48, 32], 'the in-between at the working size');
      assert.deepEqual(src.canvasSize, [96, 64], "the source frames at the video's resolution");
      for (const k of ['width', 'height']) {
        assert.ok(Math.abs(mid.canvasRect[k] - mid.videoRect[k]) < 0.5, `the in-between covers the picture (${k})`);
      }
      assert.match(mid.panel, /×2 at 48x32/);
      await b.page.evaluate(() => document.querySelector('video').pause());
      const ref = await b.page.evaluate(
        async ({ m0, m1, t: time, at }) => {
          const q = (m1 - m0) / 4;
          // RIFE's inputs as the extension makes them (VideoFrame drawn at 48x32), and the result
          // scaled up as it draws it (canvas, high-quality smoothing).
          const [a, bb] = [await window.grabFrame(m0 + q, 48, 32), await window.grabFrame(m1 + q, 48, 32)];
          const { createInterpolator } = await import('/www/lib/dist/index.js');
          const interp = await createInterpolator({ backend: 'cpu', cache: false });
          const small = await interp.interpolate(a, bb, time, { staticGuard: true });
          interp.dispose();
          const from = new OffscreenCanvas(48, 32);
          from.getContext('2d').putImageData(small, 0, 0);
          const ctx = new OffscreenCanvas(96, 64).getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
          ctx.imageSmoothingQuality = 'high';
          ctx.drawImage(from, 0, 0, 96, 64);
          const up = ctx.getImageData(0, 0, 96, 64, { colorSpace: 'srgb' });
          const full = await window.grabFrame(at + q);
          return { up: Array.from(up.data), full: Array.from(full.data) };
        },
        { ...mid.shown, at: src.shown.mt },
      );
      const vsUp = compare(mid.pixels, ref.up);
      const vsFull = compare(src.pixels, ref.full);
      t.diagnostic(
        `in-between vs 48x32 reference scaled up: max ${vsUp.max}, PSNR ${vsUp.psnr.toFixed(1)} dB; ` +
          `source frame vs the video's own: max ${vsFull.max}, PSNR ${vsFull.psnr.toFixed(1)} dB`,
      );
      // Same pixels in, same scaling, but two canvases (the overlay's and this OffscreenCanvas)
      // may filter differently by a step or two; a wrong size or a missing in-between is off by far more.
      assert.ok(vsUp.psnr >= 35, `in-between vs reference: PSNR ${vsUp.psnr.toFixed(2)} dB`);
      // The source frame is the video's own, not a 48x32 copy scaled up.
      assert.ok(vsFull.max <= 2, `source frame vs the video's: max |diff| ${vsFull.max}`);
      await b.clickAction();
      await waitFor((s) => !s.active, 30_000, 'the stop');
    } finally {
      await b.settings({ maxWorkHeight: 0 });
    }
  });

  test('in process, animation on twos: held frames are not interpolated to, the in-betweens span them; detected on the GPU statistic, and from readbacks once its device is lost', {
    timeout: 10 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, engine: 'auto' });
    // 4 fps, every picture shown twice; at 1/8 speed a frame every 2 s, so SwiftShader keeps up.
    await open('/clips/twos.webm', { rate: 0.125, blob: true });
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.path()), 'local');
    // The first holds are learnt from; then each one is caught (the package's CadenceGuard).
    const d = await waitFor((s) => s.sessions[0]?.stats.repeats >= 2, 4 * MINUTE, 'two repeats caught');
    const snap = await b.inTab(() => globalThis.__inbetween.debug.next('interp', 2 * 60_000));
    t.diagnostic(
      `in-between t=${snap.shown.t} of ${snap.shown.m0}s → ${snap.shown.m1}s; stats ${JSON.stringify(d.sessions[0].stats)}`,
    );
    // A pair spans the held frame's slot: two frames of 4 fps, with k = 2 in-betweens per interval.
    assert.ok(
      Math.abs(snap.shown.m1 - snap.shown.m0 - 0.5) < 1e-3,
      `the pair spans ${snap.shown.m1 - snap.shown.m0} s`,
    );
    assert.ok([0.25, 0.5, 0.75].includes(snap.shown.t), `t = ${snap.shown.t}`);
    assert.equal(snap.onGpuCanvas, true);
    // The detector ran on its GPU statistic (block_change.wgsl): no frame was read back for it.
    const s0 = d.sessions[0];
    assert.deepEqual(s0.repeatStatistic, { statistic: 'gpu', note: '' });
    assert.equal(s0.stats.greyReadbacks, 0, 'frames read back for the repeat detector');
    // Its device lost (a driver reset): the detector goes on from frames read back, and says why.
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.loseStatDevice()), true);
    const caught = s0.stats.repeats;
    const after = await waitFor(
      (s) => s.sessions[0]?.repeatStatistic.statistic === 'readback' && s.sessions[0].stats.repeats > caught,
      4 * MINUTE,
      'a repeat caught on the readback path',
    );
    t.diagnostic(`after the loss: ${JSON.stringify(after.sessions[0].repeatStatistic)}`);
    assert.match(after.sessions[0].repeatStatistic.note, /lost/);
    assert.ok(after.sessions[0].stats.greyReadbacks > 0);
    assert.equal(after.sessions[0].mode, 'running');
    await b.clickAction();
    await waitFor((s) => !s.active, 30_000, 'the stop');
  });

  test("the repeat detector's GPU statistic (block_change.wgsl) equals the CPU's compare on decoded frames", {
    timeout: 4 * MINUTE,
  }, async (t) => {
    for (const size of ['100x70', '1280x720', '1000x562']) {
      // The content script is injected by the click; with the video paused it finds nothing to do.
      await open(`/clips/stat-${size}.webm`, { blob: true });
      await b.page.evaluate(() => document.querySelector('video').pause());
      await b.clickAction();
      await waitFor((s) => !s.starting && s.notices.length > 0, MINUTE, 'the no-video notice');
      // Seven frames (0.5 s apart at 2 fps): every comparison ChangeMeter makes (1, 3, 4, 5 back).
      const times = Array.from({ length: 7 }, (_, i) => 0.25 + 0.5 * i);
      const r = await b.inTab((times) => globalThis.__inbetween.debug.statisticCheck(times), times);
      let worst = 0;
      let worstTop = 0;
      let worstOld = 0;
      let largest = 0;
      let count = 0;
      for (const f of r.frames) {
        for (const c of f.comparisons) {
          assert.equal(c.gpu.length, c.cpu.length, `${size} ${f.at}s back ${c.back}: block counts`);
          c.gpu.forEach((g, i) => {
            worst = Math.max(worst, Math.abs(g - c.cpu[i]));
            largest = Math.max(largest, c.cpu[i]);
          });
          worstTop = Math.max(worstTop, Math.abs(c.topGpu - c.topCpu));
          worstOld = Math.max(worstOld, Math.abs(c.topGpu - c.topOld));
          count++;
        }
      }
      t.diagnostic(
        `${r.size} → ${r.analysis}: ${count} comparisons; block means: max |GPU - CPU| ${worst.toFixed(4)} ` +
          `(largest block mean ${largest.toFixed(1)}); top: max |GPU - CPU| ${worstTop.toFixed(4)}, ` +
          `max |GPU - the old 2D canvas readback| ${worstOld.toFixed(3)}`,
      );
      // The frames differ (a square moves over a gradient): the check is not of zeros.
      // 0 + 1 + 1 + 2 + 3 + 4 + 4: each frame against those of 1, 3, 4, 5 back that exist.
      assert.equal(count, 15, `${size}: comparisons made`);
      assert.ok(largest > 20, `${size}: the largest block mean is ${largest}`);
      // Both sides grey the same 8-bit sRGB values with the same weights and average them over
      // the same footprint; what is left is f32 (GPU) against f64 (CPU) arithmetic: measured 1e-4
      // levels at most (2026-12-01, SwiftShader), where the canvas's and the external texture's
      // YUV→RGB conversions of the decoded frame agreed exactly. 0.01 still allows a few pixels
      // a block one level apart (0.587/256 each); a wrong weight or a shifted footprint moves
      // block means by whole levels. The detector's thresholds are 1.5 and 4 levels.
      assert.ok(worst <= 0.01, `${size}: a block mean differs by ${worst} levels between the GPU and the CPU`);
      assert.ok(worstTop <= 0.01, `${size}: top differs by ${worstTop} levels`);
      // And the same quantity as the readback path measured (a 'high'-smoothed 2D canvas copy):
      // equal 1:1 and 2:1, 0.011 levels apart at 1.5625:1 (measured as above).
      assert.ok(worstOld <= 0.1, `${size}: top differs from the old readback path's by ${worstOld} levels`);
    }
  });

  test('the sound is held back with the picture where that is safe (a blob: source), and left alone on a plain URL', {
    timeout: 6 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, engine: 'auto' });
    const before = await open('/clips/sound.webm', { rate: 0.0625, blob: true, sound: true });
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    await b.inTab(() => globalThis.__inbetween.debug.next('interp', 4 * 60_000));
    // The picture trails by seconds here (SwiftShader at 1/16 speed), beyond the sound's 2 s cap
    // (audio.ts); the sound's delay heads for the cap at 10% of real time, about 20 s. Measured
    // once it holds still there: while it ramps, the sound is resampled (10% pitch shift) and a
    // window's cross-correlation is no longer sharp.
    const d = await waitFor((s) => s.sessions[0]?.sound.delayMs >= 1999, 2 * MINUTE, 'the sound delayed to its cap');
    const s0 = d.sessions[0];
    assert.equal(s0.sound.delayed, true, `not delayed: ${s0.sound.why}`);
    assert.match(s0.panel, /sound delayed to match/);
    // While the overlay is up, the sound heads for the picture's delay (capped at 2 s).
    if (s0.shown) {
      assert.ok(
        Math.abs(s0.sound.targetMs - Math.min(s0.delayMs, 2000)) <= 5,
        `sound heads for ${s0.sound.targetMs} ms, the picture is ${s0.delayMs} ms behind`,
      );
    }
    // What leaves the delay is the video's sound (not silence), late by the DelayNode's delay.
    const lag = await b.inTab((ms) => globalThis.__inbetween.debug.soundLag(ms), s0.sound.delayMs + 1500);
    t.diagnostic(`sound: ${JSON.stringify(lag)}; picture ${Math.round(s0.delayMs)} ms behind`);
    assert.equal(lag.routed, true);
    assert.ok(lag.rmsIn > 0.01, `the clip's sound reaches the graph (rms ${lag.rmsIn})`);
    assert.ok(lag.rmsOut > 0.7 * lag.rmsIn, `and leaves it (rms ${lag.rmsOut} of ${lag.rmsIn})`);
    // Late by the DelayNode's delay to the sample, give or take 3 ms of matching (without the
    // delay the lag would be 0, outside the search; silenced, there would be no match at all).
    assert.ok(
      lag.lagMs !== null && Math.abs(lag.lagMs - lag.delayMs) <= 3,
      `measured lag ${lag.lagMs} ms vs the delay ${lag.delayMs} ms`,
    );
    assert.ok(lag.delayMs >= 1999, `delay ${lag.delayMs} ms`);
    // Stop: the routing stays (it cannot be undone), heading back to no delay.
    await b.clickAction();
    await waitFor((s) => !s.active, 30_000, 'the stop');
    const after = await b.inTab((ms) => globalThis.__inbetween.debug.soundLag(ms), 300);
    assert.equal(after.targetMs, 0);
    const state = await b.page.evaluate(() => ({
      muted: document.querySelector('video').muted,
      volume: document.querySelector('video').volume,
    }));
    assert.deepEqual(state, { muted: false, volume: before.volume }, 'the video keeps its own sound settings');

    // A plain URL (it could redirect to another origin, whose sound Web Audio would silence).
    await open('/clips/sound.webm', { rate: 0.0625, sound: true });
    await b.clickAction();
    const p = await waitFor((s) => s.active && s.sessions[0]?.sound.why !== '', MINUTE, 'the plain URL refused');
    assert.equal(p.sessions[0].sound.delayed, false);
    assert.match(p.sessions[0].sound.why, /plain URL/);
    await b.clickAction();
    await waitFor((s) => !s.active, 30_000, 'the stop');
  });

  test("the remote-recorded engine (where WebAssembly may not compile here): the engine's GPU calls played on content.js's device put interpolate()'s in-betweens on the overlay", {
    timeout: 6 * MINUTE,
  }, async (t) => {
    // The CSP page picks this path by itself (the CSP test above) but forbids the worker the
    // reference needs; here the setting picks it on the page without a CSP.
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, engine: 'remote' });
    await open('/clips/slow.webm', { rate: 0.0625, blob: true });
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.path()), 'remote');
    const snap = await b.inTab(() => globalThis.__inbetween.debug.next('interp', 4 * 60_000));
    const stats = await b.inTab(() => globalThis.__inbetween.debug.remoteStats());
    t.diagnostic(`replay: ${JSON.stringify(stats)}; ${Math.round(snap.pairMs)} ms per pair`);
    assert.equal(snap.shown.t, 0.5);
    assert.equal(snap.onGpuCanvas, true, 'drawn on a WebGPU canvas of the overlay by the played commands');
    assert.equal(b.page.frames().length, 2, 'the engine frame is there (the engine records there)');
    assert.ok(stats.ops >= 4 && stats.commands > 100, `operations and commands played: ${JSON.stringify(stats)}`);
    // The stand-in offers no timestamps (they would be a readback): the pair is timed by the clock.
    assert.equal(snap.pairTimeSource, 'wall');
    await b.page.evaluate(() => document.querySelector('video').pause());
    const ref = await reference(snap.shown);
    const vsRef = compare(snap.pixels, ref.mid);
    const vsBlend = compare(
      snap.pixels,
      ref.a.map((x, i) => (x + ref.b[i]) / 2),
    );
    t.diagnostic(
      `overlay vs reference: max ${vsRef.max}, PSNR ${vsRef.psnr.toFixed(1)} dB; vs the blend ${vsBlend.psnr.toFixed(1)} dB`,
    );
    assert.ok(vsRef.max <= 3, `overlay vs reference: max |diff| ${vsRef.max} steps`);
    assert.ok(vsRef.psnr >= 45, `overlay vs reference: PSNR ${vsRef.psnr.toFixed(2)} dB`);
    assert.ok(vsBlend.psnr < vsRef.psnr - 10, 'an in-between, not a cross-fade');
    await b.clickAction();
    await waitFor((s) => !s.active, 30_000, 'the stop');
    assert.equal(b.page.frames().length, 1, 'the engine frame went with the stop');
  });

  test('the engine frame (the path where WebAssembly may not compile): its in-betweens on the overlay equal interpolate() too', {
    timeout: 6 * MINUTE,
  }, async (t) => {
    // The CSP page runs this path by itself (the CSP test above) but forbids the worker the
    // reference needs; here the setting picks it on the page without a CSP.
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 60_000, engine: 'frame' });
    await open('/clips/slow.webm', { rate: 0.0625, blob: true });
    await b.clickAction();
    await waitFor((s) => s.active && s.sessions.length === 1, MINUTE, 'the start');
    assert.equal(await b.inTab(() => globalThis.__inbetween.debug.path()), 'frame');
    const snap = await b.inTab(() => globalThis.__inbetween.debug.next('interp', 4 * 60_000));
    assert.equal(snap.shown.t, 0.5);
    assert.equal(snap.onGpuCanvas, false, 'the engine frame sends pixels, drawn on the 2D canvas');
    assert.equal(b.page.frames().length, 2, 'the engine frame is there');
    await b.page.evaluate(() => document.querySelector('video').pause());
    const ref = await reference(snap.shown);
    const vsRef = compare(snap.pixels, ref.mid);
    const vsBlend = compare(
      snap.pixels,
      ref.a.map((x, i) => (x + ref.b[i]) / 2),
    );
    t.diagnostic(
      `overlay vs reference: max ${vsRef.max}, PSNR ${vsRef.psnr.toFixed(1)} dB; vs the blend ${vsBlend.psnr.toFixed(1)} dB`,
    );
    assert.ok(vsRef.max <= 3, `overlay vs reference: max |diff| ${vsRef.max} steps`);
    assert.ok(vsRef.psnr >= 45, `overlay vs reference: PSNR ${vsRef.psnr.toFixed(2)} dB`);
    assert.ok(vsBlend.psnr < vsRef.psnr - 10, 'an in-between, not a cross-fade');
    await b.clickAction();
    await waitFor((s) => !s.active, 30_000, 'the stop');
  });

  test('too slow for real time: it steps down, then pauses interpolation; the video never stalls', {
    timeout: 4 * MINUTE,
  }, async (t) => {
    await b.settings({ allowSoftwareAdapter: true, factor: 2, maxDelayMs: 150, maxWorkHeight: 0, engine: 'auto' });
    await open('/clips/fast.webm', { rate: 1 });
    const start = await b.page.evaluate(() => ({
      t: document.querySelector('video').currentTime,
      at: performance.now(),
    }));
    await b.clickAction();
    const levels = new Set();
    const d = await (async () => {
      const end = Date.now() + 3 * MINUTE;
      while (Date.now() < end) {
        const s = await debug();
        const session = s?.sessions[0];
        if (session) levels.add(session.level);
        if (session?.mode === 'paused') return session;
        await sleep(500);
      }
      const last = (await debug())?.sessions[0];
      throw new Error(
        `interpolation never paused; levels visited: ${[...levels].join(', ')}; last: ${JSON.stringify({ ...last, presentLog: undefined, pixels: undefined })}`,
      );
    })();
    t.diagnostic(`levels visited: ${[...levels].join(', ')}; panel: ${d.panel}; stats ${JSON.stringify(d.stats)}`);
    assert.match(d.panel, /paused: too slow/);
    assert.equal(d.shown, null, 'the overlay is hidden: the video shows through');
    assert.ok(levels.size >= 2, 'it tried cheaper settings first');
    assert.equal(d.stats.opened, d.stats.closed, 'every VideoFrame closed');
    assert.equal(d.stats.bitmaps, d.stats.bitmapsClosed, 'paused: every display copy freed');
    // The video played on at its own pace all along (it loops every 120 s: this test takes less).
    const end = await b.page.evaluate(() => ({
      t: document.querySelector('video').currentTime,
      at: performance.now(),
      paused: document.querySelector('video').paused,
    }));
    const progress = (end.t - start.t) / ((end.at - start.at) / 1000);
    t.diagnostic(`media seconds per wall second: ${progress.toFixed(3)}`);
    assert.equal(end.paused, false);
    assert.ok(progress > 0.9, `the video advanced ${progress.toFixed(3)} s per second`);
  });

  test('no VideoFrame was left to the garbage collector, no errors on the page', () => {
    const bad = b.messages.filter((m) => /VideoFrame|garbage|Uncaught|pageerror/i.test(m));
    assert.deepEqual(bad, []);
  });
});

describe('browser extension, in a browser without WebGPU', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'inbetween-ext-test-'));
  let site;
  let b;

  before(async () => {
    execFileSync(
      process.execPath,
      [path.join(REPO, 'scripts/build-extension.mjs'), '--no-zip', '--test-hooks', '--out', tmp],
      { stdio: 'inherit' },
    );
    makeClip(tmp, { name: 'clip.webm', fps: 5, seconds: 30 });
    site = await startServer({ mounts: { '/clips/': tmp, '/': REPO } });
    // No --enable-unsafe-webgpu: Chromium on Linux then gives no adapter at all.
    b = await launchWithExtension({
      extensionDir: path.join(tmp, 'extension'),
      webgpu: false,
      log: (line) => console.log(line),
    });
  });

  after(async () => {
    await b?.close();
    await site?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('says so and stays out of the way', { timeout: MINUTE }, async () => {
    await b.page.goto(`${site.origin}/tests/browser/extension/page.html?src=/clips/clip.webm`);
    await b.page.evaluate(() => window.videoReady);
    const html = await b.page.evaluate(() => document.documentElement.outerHTML);
    await b.clickAction();
    let d;
    for (let i = 0; i < 100; i++) {
      d = await b.inTab(() => ({
        starting: globalThis.__inbetween.debug.starting(),
        active: globalThis.__inbetween.debug.active(),
        notices: globalThis.__inbetween.debug.notices(),
      }));
      if (!d.starting && d.notices.some((n) => /WebGPU/.test(n))) break;
      await sleep(300);
    }
    assert.match(d.notices.join('\n'), /needs WebGPU on a hardware GPU, and WebGPU has no adapter here/);
    assert.equal(d.active, false);
    await b.inTab(() => globalThis.__inbetween.debug.dismissNotices());
    assert.equal(await b.page.evaluate(() => document.documentElement.outerHTML), html);
    assert.equal(b.page.frames().length, 1, 'the engine frame is gone');
    assert.equal(await b.page.evaluate(() => document.querySelector('video').paused), false);
  });
});

/** The colour of the screen at (x, y), from a 1x1 screenshot (a PNG with one IDAT chunk). */
async function pixelAt(page, x, y) {
  const png = await page.screenshot({ clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 } });
  let offset = 8;
  let colorType = 0;
  const idat = [];
  while (offset < png.length) {
    const len = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + len);
    if (type === 'IHDR') colorType = data[9];
    if (type === 'IDAT') idat.push(data);
    offset += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.ok(colorType === 2 || colorType === 6, `PNG colour type ${colorType}`);
  return [raw[1], raw[2], raw[3]]; // after the row's filter byte (no filter can apply to one pixel's left/up neighbours)
}

/** Max |diff| and PSNR over R, G, B of two RGBA arrays. */
function compare(x, y) {
  let max = 0;
  let se = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(x[i] - y[i]);
    max = Math.max(max, d);
    se += d * d;
    n++;
  }
  const mse = se / n;
  return { max: Math.round(max * 100) / 100, psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse) };
}
