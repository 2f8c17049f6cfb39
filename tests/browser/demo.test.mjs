// The demo page (www/demo), driven like a person would: files go in through its file inputs,
// results come out through its download links, and ffprobe (an independent reader) checks what
// was downloaded. Test clips are made with ffmpeg at test time, small (160x96, about a second)
// because headless Chromium's WebGPU is SwiftShader, which 'auto' skips: the CPU path runs.
// Needs the demo built (`npm run build:demo`, part of `npm run build`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launch, REPO } from './browser.mjs';
import { startServer } from './server.mjs';

const MINUTE = 60_000;

function ffmpeg(...args) {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

/** What ffprobe reads: per stream, the codec, frames (decoded and counted) and duration. */
function probe(file) {
  const j = JSON.parse(
    execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_type,codec_name,width,height,nb_read_frames,duration:format=duration,format_name',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    ),
  );
  const video = j.streams.find((s) => s.codec_type === 'video');
  const audio = j.streams.find((s) => s.codec_type === 'audio');
  return { format: j.format.format_name, duration: Number(j.format.duration), video, audio };
}

/** Presentation timestamps of the video stream, seconds, in decode order of presentation. */
function videoTimestamps(file) {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  return out.trim().split('\n').map(Number);
}

/**
 * Duration of a stream. Matroska/WebM stores none per stream (ffprobe prints N/A), so it is
 * then measured by decoding: the last packet's end.
 */
function streamDuration(file, stream, selector) {
  if (stream.duration !== undefined && stream.duration !== 'N/A') return Number(stream.duration);
  const out = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      selector,
      '-show_entries',
      'packet=pts_time,duration_time',
      '-of',
      'csv=p=0',
      file,
    ],
    { encoding: 'utf8' },
  );
  let end = 0;
  for (const line of out.trim().split('\n')) {
    const [pts, dur] = line.split(',').map(Number);
    end = Math.max(end, pts + (Number.isFinite(dur) ? dur : 0));
  }
  return end;
}

describe('demo page', () => {
  let dir;
  let server;
  let browser;
  let page;
  const clips = {};

  before(async () => {
    assert.ok(existsSync(path.join(REPO, 'www/demo/dist/main.js')), 'the demo is not built: run `npm run build:demo`');
    dir = await mkdtemp(path.join(os.tmpdir(), 'inbetween-demo-'));
    // testsrc2 moves (a scrolling pattern and a counter), so there is real motion to interpolate.
    const picture = (seconds) => ['-f', 'lavfi', '-i', `testsrc2=size=160x96:rate=15:duration=${seconds}`];
    const tone = (seconds) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
    clips.mp4 = path.join(dir, 'clip.mp4');
    ffmpeg(...picture(1), ...tone(1), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clips.mp4);
    clips.webm = path.join(dir, 'clip.webm');
    ffmpeg(...picture(1), ...tone(1), '-c:v', 'libvpx-vp9', '-b:v', '200k', '-c:a', 'libopus', '-shortest', clips.webm);
    clips.short = path.join(dir, 'short.mp4');
    ffmpeg(
      ...picture(0.5),
      ...tone(0.5),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      clips.short,
    );
    // Long enough that cancelling lands mid-run (~120 source frames, ~10 s of work).
    clips.long = path.join(dir, 'long.mp4');
    ffmpeg(...picture(8), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', clips.long);
    // The first 3 kB of a real MP4: ffmpeg writes the index (moov) at the end, so it is gone.
    clips.truncated = path.join(dir, 'truncated.mp4');
    const whole = execFileSync('head', ['-c', '3000', clips.mp4]);
    await writeFile(clips.truncated, whole);
    clips.garbage = path.join(dir, 'garbage.webm');
    await writeFile(clips.garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));

    server = await startServer({ mounts: { '/': REPO } });
    browser = await launch({ webgpu: true, log: (line) => console.log(line) });
    page = browser.page;
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${server.origin}/www/demo/index.html`);
    await page.waitForFunction(() => document.documentElement.dataset.engine !== undefined, null, { timeout: MINUTE });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Waits for the video section to leave 'running' (or reach `states`), returns its state. */
  async function videoSettled(states = ['done', 'error', 'cancelled']) {
    await page.waitForFunction((s) => s.includes(document.getElementById('video').dataset.state), states, {
      timeout: 4 * MINUTE,
    });
    return page.getAttribute('#video', 'data-state');
  }

  async function chooseVideo(file) {
    await page.setInputFiles('#video-file', file);
    // The probe fills the info line (with the fps) or the error line.
    await page.waitForFunction(
      () =>
        /fps/.test(document.getElementById('video-info').textContent) ||
        document.getElementById('video-error').textContent !== '',
      null,
      { timeout: MINUTE },
    );
  }

  /** Clicks a download link and saves what the browser downloads; returns the path. */
  async function download(selector) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    const file = path.join(dir, `out-${Date.now()}-${dl.suggestedFilename()}`);
    await dl.saveAs(file);
    return file;
  }

  test('without a hardware GPU: CPU notice and a smaller default size', async () => {
    assert.equal(await page.getAttribute('html', 'data-engine'), 'cpu');
    assert.ok(await page.isVisible('#cpu-notice'));
    assert.match(await page.textContent('#cpu-notice'), /CPU/);
    assert.equal(await page.inputValue('#opt-height'), '360');
    assert.ok(await page.isDisabled('#video-start'), 'nothing to interpolate before a file is chosen');
    assert.ok(await page.isDisabled('#live-start'), 'live playback needs WebGPU');
  });

  for (const kind of ['mp4', 'webm']) {
    test(`×2 of a ${kind === 'mp4' ? 'H.264 + AAC MP4' : 'VP9 + Opus WebM'}: download, twice the frames, same duration, audio kept`, {
      timeout: 5 * MINUTE,
    }, async (t) => {
      const src = probe(clips[kind]);
      await chooseVideo(clips[kind]);
      assert.equal(await page.textContent('#video-error'), '');
      assert.match(await page.textContent('#video-info'), /160x96, 15(\.\d+)? fps/);
      await page.selectOption('#opt-rate', 'x2');
      await page.click('#video-start');
      assert.equal(await videoSettled(), 'done', await page.textContent('#video-error'));
      t.diagnostic(await page.textContent('#video-summary'));
      const out = await download('#video-download');
      const got = probe(out);
      t.diagnostic(
        `source: ${src.video.nb_read_frames} frames, ${src.duration} s; result: ${got.video.nb_read_frames} frames, ${got.duration} s, ${got.video.codec_name}/${got.audio?.codec_name}`,
      );
      // 'auto' keeps the container family.
      assert.match(got.format, kind === 'mp4' ? /mp4/ : /webm|matroska/);
      const n = Number(src.video.nb_read_frames);
      const m = Number(got.video.nb_read_frames);
      assert.ok(m >= 2 * n - 2 && m <= 2 * n, `about twice the frames: ${n} → ${m}`);
      // The summary accounts for every source frame: this clip moves throughout and repeats none.
      assert.match(
        await page.textContent('#video-summary'),
        new RegExp(`${n} source frames: ${n} kept as they were, 0 repeats dropped; ${n - 1} made by RIFE`),
      );
      const srcVideo = streamDuration(clips[kind], src.video, 'v:0');
      const gotVideo = streamDuration(out, got.video, 'v:0');
      assert.ok(Math.abs(gotVideo - srcVideo) <= 1 / 15 + 1e-3, `same duration: ${srcVideo} → ${gotVideo}`);
      const ts = videoTimestamps(out);
      for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1], `timestamps increase: ${ts[i - 1]}, ${ts[i]}`);
      assert.ok(got.audio, 'audio present');
      const srcAudio = streamDuration(clips[kind], src.audio, 'a:0');
      const gotAudio = streamDuration(out, got.audio, 'a:0');
      assert.ok(Math.abs(gotAudio - srcAudio) <= 0.05, `audio of the same duration: ${srcAudio} → ${gotAudio}`);
      // The result is in the before/after player.
      await page.waitForFunction(() => document.getElementById('after').readyState >= 1, null, { timeout: MINUTE });
      assert.ok(await page.isHidden('#after-pending'));
      // The split slider moves the clip between before and after.
      await page.locator('#split').fill('30');
      assert.equal(
        await page.evaluate(() => document.getElementById('compare-stage').style.getPropertyValue('--split')),
        '30%',
      );
    });
  }

  test('slow-motion preset: 240 fps played at 60 (4x slower), audio left out', { timeout: 5 * MINUTE }, async (t) => {
    await chooseVideo(clips.short);
    await page.selectOption('#opt-rate', 'slowmo');
    await page.click('#video-start');
    assert.equal(await videoSettled(), 'done', await page.textContent('#video-error'));
    t.diagnostic(await page.textContent('#video-summary'));
    const got = probe(await download('#video-download'));
    const frames = Number(got.video.nb_read_frames);
    const duration = streamDuration(clips.short, probe(clips.short).video, 'v:0');
    // 0.5 s of source at 240 fps is ~120 frames, shown at 60 fps: 4x the duration.
    assert.ok(Math.abs(frames - 240 * duration) <= 4, `${frames} frames for ${duration} s at 240 fps`);
    assert.ok(Math.abs(got.duration - 4 * duration) <= 0.05, `4x longer: ${got.duration} s`);
    assert.equal(got.audio, undefined, 'audio is left out of slow motion');
    await page.selectOption('#opt-rate', 'x2');
  });

  test('flow view: the flow and mask canvases are drawn for the frame under the playhead', {
    timeout: 2 * MINUTE,
  }, async () => {
    await page.click('#flow-show');
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.getElementById('flow-view').dataset.state),
      null,
      { timeout: MINUTE },
    );
    assert.equal(await page.getAttribute('#flow-view', 'data-state'), 'done', await page.textContent('#video-error'));
    const stats = await page.evaluate(() =>
      Object.fromEntries(
        ['flow-canvas', 'mask-canvas', 'flow-frame'].map((id) => {
          const c = document.getElementById(id);
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let coloured = 0;
          const distinct = new Set();
          for (let i = 0; i < d.length; i += 4) {
            if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) coloured++;
            distinct.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          }
          return [id, { width: c.width, height: c.height, coloured, distinct: distinct.size }];
        }),
      ),
    );
    for (const [id, s] of Object.entries(stats)) {
      assert.deepEqual([s.width, s.height], [160, 96], `${id} size`);
      assert.ok(s.distinct > 16, `${id} is a picture, not a flat fill: ${s.distinct} colours`);
    }
    // The test pattern moves, so some flow is not zero (not white).
    assert.ok(
      stats['flow-canvas'].coloured > 100,
      `flow shows motion: ${stats['flow-canvas'].coloured} coloured pixels`,
    );
  });

  test('preview while running, then Cancel mid-run: the UI recovers and the next run completes', {
    timeout: 5 * MINUTE,
  }, async () => {
    await chooseVideo(clips.long);
    await page.click('#video-start');
    assert.ok(await page.isEnabled('#video-cancel'));
    // Wait until frames are being made, then cancel.
    await page.waitForFunction(
      () => /Interpolating · [1-9]\d* \//.test(document.getElementById('video-progress-text').textContent),
      null,
      { timeout: 2 * MINUTE },
    );
    // Meanwhile the "after" side already shows the newest in-between frame (onPreview), not blank.
    await page.waitForSelector('#after-preview:not([hidden])', { timeout: MINUTE });
    const preview = await page.evaluate(() => {
      const c = document.getElementById('after-preview');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
      return { width: c.width, height: c.height, mean: sum / (3 * c.width * c.height) };
    });
    assert.ok(preview.width > 0 && preview.height > 0 && preview.mean > 10, `preview ${JSON.stringify(preview)}`);
    const cancelledAt = Date.now();
    await page.click('#video-cancel');
    assert.equal(await videoSettled(['cancelled', 'done', 'error']), 'cancelled');
    assert.ok(Date.now() - cancelledAt < 10_000, `cancel took ${Date.now() - cancelledAt} ms`);
    assert.equal(await page.textContent('#video-error'), '');
    assert.match(await page.textContent('#video-progress-text'), /Cancelled/);
    assert.ok(await page.isHidden('#video-result'), 'no download after a cancel');
    assert.ok(await page.isEnabled('#video-start'));
    assert.ok(await page.isDisabled('#video-cancel'));
    assert.ok(await page.isEnabled('#opt-rate'), 'options editable again');
    // Recovered: a new run on a short clip finishes.
    await chooseVideo(clips.mp4);
    await page.click('#video-start');
    assert.equal(await videoSettled(), 'done', await page.textContent('#video-error'));
    assert.ok(await page.isVisible('#video-download'));
  });

  test('a truncated file and a file of random bytes show a clear error; a good file afterwards works', {
    timeout: 3 * MINUTE,
  }, async (t) => {
    for (const bad of [clips.truncated, clips.garbage]) {
      await chooseVideo(bad);
      const message = await page.textContent('#video-error');
      t.diagnostic(`${path.basename(bad)}: ${message}`);
      assert.match(message, /^This file cannot be used: \S.{8,}/);
      assert.equal(await page.getAttribute('#video', 'data-state'), 'error');
      assert.ok(await page.isDisabled('#video-start'), 'no Interpolate for an unreadable file');
    }
    await chooseVideo(clips.mp4);
    assert.equal(await page.textContent('#video-error'), '', 'the error goes with the bad file');
    assert.ok(await page.isEnabled('#video-start'));
  });

  test('drag and drop: a video onto the video zone, two photos onto the photo-pair zone', {
    timeout: 2 * MINUTE,
  }, async () => {
    const video = (await readFile(clips.webm)).toString('base64');
    await page.evaluate(async (b64) => {
      // A drop as the browser delivers it: a DataTransfer holding File objects.
      const drop = (zone, files) => {
        const dt = new DataTransfer();
        for (const f of files) dt.items.add(f);
        document
          .getElementById(zone)
          .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      };
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      drop('video-drop', [new File([bytes], 'dropped.webm', { type: 'video/webm' })]);
      const photos = await Promise.all(
        ['I0_0.png', 'I0_1.png'].map(
          async (n) =>
            new File([await (await fetch(`/tests/golden/images/${n}`)).blob()], `dropped-${n}`, { type: 'image/png' }),
        ),
      );
      drop('pair-drop', photos);
    }, video);
    await page.waitForFunction(
      () => /^dropped\.webm: 160x96/.test(document.getElementById('video-info').textContent),
      null,
      { timeout: MINUTE },
    );
    assert.ok(await page.isEnabled('#video-start'));
    assert.equal(await page.locator('#pair-thumbs img').count(), 2);
    assert.ok(await page.isEnabled('#pair-start'));
    assert.match(await page.textContent('#pair-status'), /dropped-I0_0\.png → dropped-I0_1\.png/);
  });

  test('photo pair: boomerang GIF and loop WebM with the right frame counts', { timeout: 5 * MINUTE }, async () => {
    await page.click('#pair-sample');
    await page.waitForFunction(() => !document.getElementById('pair-start').disabled, null, { timeout: MINUTE });
    await page.fill('#pair-count', '3');
    await page.fill('#pair-fps', '12');
    const makeSequence = async (mode) => {
      await page.selectOption('#pair-mode', mode);
      await page.click('#pair-start');
      await page.waitForFunction(
        () =>
          ['done', 'error'].includes(document.getElementById('pair').dataset.state) &&
          !document.getElementById('pair-start').disabled,
        null,
        { timeout: 3 * MINUTE },
      );
      assert.equal(await page.getAttribute('#pair', 'data-state'), 'done', await page.textContent('#pair-error'));
    };
    const exportAs = async (button) => {
      await page.evaluate(() => {
        delete document.getElementById('pair').dataset.export;
      });
      await page.click(button);
      await page.waitForFunction(
        () => ['done', 'error'].includes(document.getElementById('pair').dataset.export),
        null,
        { timeout: MINUTE },
      );
      assert.equal(await page.getAttribute('#pair', 'data-export'), 'done', await page.textContent('#pair-error'));
      return download('#pair-download');
    };

    // Boomerang with 3 in-betweens: A m1 m2 m3 B m3 m2 m1 = 8 frames.
    await makeSequence('boomerang');
    const gif = probe(await exportAs('#pair-gif'));
    assert.equal(gif.video.codec_name, 'gif');
    assert.deepEqual([gif.video.width, gif.video.height, Number(gif.video.nb_read_frames)], [448, 256, 8]);

    // Loop: A m1 m2 m3 B = 5 frames, 5/12 s.
    await makeSequence('loop');
    const webmFile = await exportAs('#pair-webm');
    const webm = probe(webmFile);
    assert.match(webm.format, /webm|matroska/);
    assert.deepEqual([webm.video.width, webm.video.height, Number(webm.video.nb_read_frames)], [448, 256, 5]);
    const d = streamDuration(webmFile, webm.video, 'v:0');
    assert.ok(Math.abs(d - 5 / 12) < 0.02, `5 frames at 12 fps: ${d} s`);
  });

  test("time map: with a top-to-bottom ramp the top half is frame A's moment and the bottom half frame B's", {
    timeout: 3 * MINUTE,
  }, async (t) => {
    await page.selectOption('#tm-source', 'pair');
    await page.selectOption('#tm-kind', 'ramp');
    await page.click('#tm-start');
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.getElementById('timemap').dataset.state),
      null,
      { timeout: 2 * MINUTE },
    );
    assert.equal(await page.getAttribute('#timemap', 'data-state'), 'done', await page.textContent('#tm-error'));
    const r = await page.evaluate(async () => {
      const read = (id) => {
        const c = document.getElementById(id);
        return c.getContext('2d').getImageData(0, 0, c.width, c.height);
      };
      // The two photos, decoded as the page decodes them (at 448x256 nothing is scaled).
      const photo = async (name) => {
        const bitmap = await createImageBitmap(await (await fetch(`/tests/golden/images/${name}`)).blob());
        const c = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = c.getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        bitmap.close();
        return ctx.getImageData(0, 0, c.width, c.height);
      };
      const [a, b] = await Promise.all([photo('I0_0.png'), photo('I0_1.png')]);
      const m = read('tm-output');
      const meanDiff = (x, y0, y1) => {
        let s = 0;
        let n = 0;
        for (let y = y0; y < y1; y++)
          for (let i = y * m.width * 4; i < (y + 1) * m.width * 4; i++) {
            if ((i & 3) === 3) continue;
            s += Math.abs(x.data[i] - m.data[i]);
            n++;
          }
        return s / n;
      };
      const h = m.height;
      return {
        size: [m.width, m.height, a.width, a.height],
        topToA: meanDiff(a, 0, h >> 2),
        topToB: meanDiff(b, 0, h >> 2),
        bottomToA: meanDiff(a, h - (h >> 2), h),
        bottomToB: meanDiff(b, h - (h >> 2), h),
      };
    });
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.size, [448, 256, 448, 256]);
    // The top quarter has t in [0, 0.25], the bottom quarter t in [0.75, 1].
    assert.ok(r.topToA < r.topToB, `top quarter is closer to A: ${r.topToA} vs ${r.topToB}`);
    assert.ok(r.bottomToB < r.bottomToA, `bottom quarter is closer to B: ${r.bottomToB} vs ${r.bottomToA}`);
  });
});

// Live playback needs WebGPU: here SwiftShader, forced with ?backend=webgpu ('auto' skips it).
// The pixels and timing of the player are held to interpolate() in player.test.mjs; this drives
// the page's controls.
describe('demo page on WebGPU: Play smoothed', () => {
  let dir;
  let server;
  let browser;
  let page;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inbetween-demo-live-'));
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=8:duration=1',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=1',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      path.join(dir, 'live.mp4'),
    );
    server = await startServer({ mounts: { '/': REPO } });
    browser = await launch({ webgpu: true, log: (line) => console.log(line) });
    page = browser.page;
    await page.goto(`${server.origin}/www/demo/index.html?backend=webgpu`);
    await page.waitForFunction(() => document.documentElement.dataset.engine !== undefined, null, { timeout: MINUTE });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a chosen video plays smoothed in the page: frames shown, the canvas drawn, Stop ends it', {
    timeout: 5 * MINUTE,
  }, async (t) => {
    assert.equal(await page.getAttribute('html', 'data-engine'), 'webgpu');
    await page.setInputFiles('#video-file', path.join(dir, 'live.mp4'));
    await page.waitForFunction(() => !document.getElementById('live-start').disabled, null, { timeout: MINUTE });
    await page.selectOption('#live-factor', '2');
    await page.click('#live-start');
    await page.waitForFunction(
      () => /^([2-9]|\d\d+) frames shown/.test(document.getElementById('live-stats').textContent),
      null,
      { timeout: 3 * MINUTE },
    );
    const r = await page.evaluate(() => {
      const canvas = document.querySelector('#live-stage canvas');
      const c = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d');
      c.drawImage(canvas, 0, 0);
      const d = c.getImageData(0, 0, canvas.width, canvas.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
      return {
        size: [canvas.width, canvas.height],
        lit: lit / (d.length / 4),
        stats: document.getElementById('live-stats').textContent,
        error: document.getElementById('live-error').textContent,
      };
    });
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.size, [96, 64], 'the canvas takes the video size');
    assert.ok(r.lit > 0.3, 'the canvas shows the picture');
    assert.equal(r.error, '');
    await page.click('#live-stop');
    assert.ok(await page.isDisabled('#live-stop'));
  });
});
