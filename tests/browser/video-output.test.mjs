// interpolateVideo writing its file as it is made: to any WritableStream, and to a real
// FileSystemWritableFileStream (the origin-private file system stands in for a file the user
// picked with showSaveFilePicker, which a headless test cannot click through). The file must be
// whole and valid after success, and a failure or cancel must abort the stream, never leave a
// committed partial file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO } from './browser.mjs';
import { probe } from './clips.mjs';
import { openTestPage } from './fixture.mjs';

const MINUTE = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-output-'));
const ffmpeg = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
const src = (size, rate, seconds) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`];
const h264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p'];
ffmpeg([
  ...src('96x54', 24, 1),
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:sample_rate=48000:duration=1',
  ...h264,
  '-c:a',
  'aac',
  '-b:a',
  '64k',
  path.join(dir, 'short.mp4'),
]);
ffmpeg([...src('96x54', 24, 6), ...h264, path.join(dir, 'long.mp4')]);
ffmpeg([
  ...src('96x54', 25, 1),
  '-c:v',
  'libvpx-vp9',
  '-b:v',
  '500k',
  '-pix_fmt',
  'yuv420p',
  path.join(dir, 'short.webm'),
]);

describe('interpolateVideo: streaming output', () => {
  const fx = openTestPage({ webgpu: false, server: { mounts: { '/': REPO, '/clips/': dir } } });
  before(async () => {
    await fx.browser.page.evaluate(async () => {
      window.outInterp = await window.harness.lib.createInterpolator({ backend: 'cpu' });
      /** A WritableStream that records every chunk and how it ended; `bytes()` assembles the
       * file by position, as a file would. */
      window.recorder = () => {
        const chunks = [];
        const state = { closed: false, aborted: null };
        const stream = new WritableStream({
          write(chunk) {
            chunks.push({ position: chunk.position, data: chunk.data.slice() });
          },
          close() {
            state.closed = true;
          },
          abort(reason) {
            state.aborted = String(reason?.message ?? reason);
          },
        });
        const bytes = () => {
          const size = Math.max(0, ...chunks.map((c) => c.position + c.data.byteLength));
          const out = new Uint8Array(size);
          for (const c of chunks) out.set(c.data, c.position);
          return out;
        };
        return { stream, chunks, state, bytes };
      };
      window.b64 = (bytes) => {
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      };
    });
  });

  const save = (name, base64) => {
    const file = path.join(dir, name);
    writeFileSync(file, Buffer.from(base64, 'base64'));
    return file;
  };

  test('to a WritableStream: resolves null, the stream is closed, and the file is whole', {
    timeout: 3 * MINUTE,
  }, async () => {
    for (const clip of ['short.mp4', 'short.webm']) {
      const r = await fx.browser.page.evaluate(async (url) => {
        const blob = await (await fetch(url)).blob();
        const rec = window.recorder();
        const result = await window.harness.lib.interpolateVideo(blob, {
          factor: 2,
          interpolator: window.outInterp,
          output: rec.stream,
        });
        return {
          result,
          state: rec.state,
          writes: rec.chunks.length,
          locked: rec.stream.locked,
          file: window.b64(rec.bytes()),
        };
      }, `/clips/${clip}`);
      assert.equal(r.result, null, `${clip}: resolves with null when streaming`);
      assert.deepEqual(r.state, { closed: true, aborted: null }, clip);
      assert.ok(r.writes >= 1, clip);
      const info = probe(save(`streamed-${clip}`, r.file));
      const frames = clip === 'short.mp4' ? 48 : 50;
      assert.equal(info.frames.length, frames, `${clip}: x2 frames`);
      assert.equal(Number(info.video.width), 96);
      if (clip === 'short.mp4') assert.equal(info.audio?.codec_name, 'aac', 'audio copied');
    }
  });

  test('to a FileSystemWritableFileStream (OPFS): the file is whole after success', {
    timeout: 3 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const blob = await (await fetch('/clips/short.mp4')).blob();
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('out.mp4', { create: true });
      const writable = await handle.createWritable();
      const result = await window.harness.lib.interpolateVideo(blob, {
        factor: 2,
        interpolator: window.outInterp,
        output: writable,
      });
      const file = await handle.getFile();
      return { result, size: file.size, file: window.b64(new Uint8Array(await file.arrayBuffer())) };
    });
    assert.equal(r.result, null);
    assert.ok(r.size > 1000, `${r.size} bytes`);
    const info = probe(save('opfs.mp4', r.file));
    assert.equal(info.frames.length, 48);
  });

  test('a cancel aborts the stream: a file stream keeps its old contents, nothing partial', {
    timeout: 3 * MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const blob = await (await fetch('/clips/long.mp4')).blob();
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('cancelled.mp4', { create: true });
      // Earlier contents, which an aborted FileSystemWritableFileStream must leave in place.
      const first = await handle.createWritable();
      await first.write(new TextEncoder().encode('earlier'));
      await first.close();
      const writable = await handle.createWritable();
      const controller = new AbortController();
      const e = await window.harness.errorOf(() =>
        window.harness.lib.interpolateVideo(
          blob,
          { factor: 2, interpolator: window.outInterp, output: writable },
          {
            signal: controller.signal,
            onProgress: (p) => {
              if (p.stage === 'interpolating' && p.framesDone >= 4) controller.abort();
            },
          },
        ),
      );
      // The worker aborts the stream when it sees the cancel, at the next frame.
      const t0 = performance.now();
      let text = '';
      while (performance.now() - t0 < 10_000) {
        text = await (await handle.getFile()).text();
        if (!writable.locked) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // A recorded stream for the same case shows abort() was called, not close().
      const rec = window.recorder();
      const c2 = new AbortController();
      await window.harness.errorOf(() =>
        window.harness.lib.interpolateVideo(
          blob,
          { factor: 2, interpolator: window.outInterp, output: rec.stream },
          {
            signal: c2.signal,
            onProgress: (p) => {
              if (p.stage === 'interpolating' && p.framesDone >= 4) c2.abort();
            },
          },
        ),
      );
      const t1 = performance.now();
      while (performance.now() - t1 < 10_000 && !rec.state.aborted && !rec.state.closed)
        await new Promise((r) => setTimeout(r, 100));
      // And with the job's own interpolator, which a cancel disposes at once (its worker never
      // gets to abort the stream itself): the page side must abort it.
      const own = window.recorder();
      const c3 = new AbortController();
      const e3 = await window.harness.errorOf(() =>
        window.harness.lib.interpolateVideo(
          blob,
          { factor: 2, backend: 'cpu', output: own.stream },
          {
            signal: c3.signal,
            onProgress: (p) => {
              if (p.stage === 'interpolating' && p.framesDone >= 4) c3.abort();
            },
          },
        ),
      );
      const t2 = performance.now();
      // The pipe releases its lock on the stream just after the abort reaches it.
      while (performance.now() - t2 < 10_000 && !own.state.closed && (!own.state.aborted || own.stream.locked)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      return { e, text, state: rec.state, own: { e: e3, state: own.state, locked: own.stream.locked } };
    });
    assert.equal(r.e?.name, 'AbortError');
    assert.equal(r.text, 'earlier', 'the aborted file stream must not commit a partial file');
    assert.equal(r.state.closed, false);
    assert.ok(r.state.aborted, 'the stream is aborted, not closed');
    assert.equal(r.own.e?.name, 'AbortError');
    assert.equal(r.own.state.closed, false);
    assert.ok(r.own.state.aborted, 'own interpolator: the stream is aborted');
    assert.equal(r.own.locked, false, 'own interpolator: the stream is released');
  });

  test('a file that fails aborts the stream with the error; bad output values are TypeErrors', {
    timeout: MINUTE,
  }, async () => {
    const r = await fx.browser.page.evaluate(async () => {
      const rec = window.recorder();
      const bad = new Blob([new Uint8Array(5000).fill(7)], { type: 'video/mp4' });
      const e = await window.harness.errorOf(() =>
        window.harness.lib.interpolateVideo(bad, { interpolator: window.outInterp, output: rec.stream }),
      );
      // The abort reaches the stream through the pipe, just after the rejection.
      for (let i = 0; i < 50 && !rec.state.aborted; i++) await new Promise((r) => setTimeout(r, 100));
      const locked = new WritableStream();
      locked.getWriter();
      const typeErrors = [
        await window.harness.errorOf(() =>
          window.harness.lib.interpolateVideo(bad, { interpolator: window.outInterp, output: {} }),
        ),
        await window.harness.errorOf(() =>
          window.harness.lib.interpolateVideo(bad, { interpolator: window.outInterp, output: locked }),
        ),
      ];
      return { e, state: rec.state, typeErrors };
    });
    assert.equal(r.e?.name, 'Error');
    assert.equal(r.state.closed, false);
    assert.ok(r.state.aborted, 'aborted');
    for (const e of r.typeErrors) assert.equal(e?.name, 'TypeError', JSON.stringify(e));
  });
});
