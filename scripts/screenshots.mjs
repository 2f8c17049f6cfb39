// Takes the README's screenshots of the demo page in headless Chromium, driving the real page on
// a real clip: the drop zone, progress, the before/after slider, the flow view and the time map.
// Writes docs/screenshots/*.png. Needs the full build (`npm run build`) and ffmpeg; the clip is
// two seconds of Big Buck Bunny ((c) Blender Foundation, CC BY 3.0), fetched and checked by
// tests/browser/clips.mjs. About a minute on the CPU path.
//   node scripts/screenshots.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../tests/browser/browser.mjs';
import { realClip } from '../tests/browser/clips.mjs';
import { serve } from './serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'docs/screenshots');
mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'inbetween-shots-'));

// The bunny wakes up and stretches: steady, large motion. 320x180 keeps the CPU run short; the
// page shows it enlarged, as it would any small clip.
const clip = path.join(tmp, 'big-buck-bunny.mp4');
execFileSync('ffmpeg', [
  '-v',
  'error',
  '-y',
  '-ss',
  '0.3',
  '-t',
  '2',
  '-i',
  realClip(),
  '-vf',
  'scale=320:180',
  '-c:v',
  'libx264',
  '-pix_fmt',
  'yuv420p',
  '-c:a',
  'aac',
  clip,
]);

const server = await serve({ dir: root, port: 0 });
const browser = await launch({ webgpu: true, log: (line) => console.log(line) });
const page = browser.page;
// A narrow page keeps each picture small (and readable when the README scales it down).
await page.setViewportSize({ width: 760, height: 1000 });

/** Screenshot of the box spanning these elements (top of the first to the bottom of the last). */
async function shot(name, selectors, pad = 8) {
  // Page coordinates (not the viewport's, which move when the page scrolls): fullPage clips use them.
  const boxes = await page.evaluate(
    (list) =>
      list.map((s) => {
        const el = document.querySelector(s);
        if (!el || el.getClientRects().length === 0) throw new Error(`${s} is not visible`);
        const r = el.getBoundingClientRect();
        return { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height };
      }),
    selectors,
  );
  const x = Math.max(0, Math.min(...boxes.map((b) => b.x)) - pad);
  const y = Math.max(0, Math.min(...boxes.map((b) => b.y)) - pad);
  const right = Math.max(...boxes.map((b) => b.x + b.width)) + pad;
  const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + pad;
  const file = path.join(outDir, `${name}.png`);
  const png = await page.screenshot({ clip: { x, y, width: right - x, height: bottom - y }, fullPage: true });
  writeFileSync(file, await toPalettePng(png));
  const kb = statSync(file).size / 1024;
  console.log(`${path.relative(root, file)}: ${Math.round(right - x)}x${Math.round(bottom - y)}, ${kb.toFixed(0)} KB`);
  // The README embeds these: keep the repository light.
  if (kb > 200) console.warn(`warning: ${name}.png is over 200 KB`);
}

/**
 * A screenshot as a 256-colour PNG, a third of the size of the full-colour one: quantised in the
 * page with gifenc (the demo's copy; the page is served from the repo root), written here.
 */
async function toPalettePng(png) {
  const q = await page.evaluate(async (b64) => {
    const { quantize, applyPalette } = await import('/www/demo/dist/vendor/gifenc.js');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const palette = quantize(data, 256);
    const index = applyPalette(data, palette);
    let s = '';
    for (let i = 0; i < index.length; i += 0x8000) s += String.fromCharCode(...index.subarray(i, i + 0x8000));
    return { width, height, palette, index: btoa(s) };
  }, png.toString('base64'));
  const index = Buffer.from(q.index, 'base64');
  // PNG, colour type 3 (palette), 8 bits: each row is filter byte 0 + one palette index a pixel.
  const rows = Buffer.alloc((q.width + 1) * q.height);
  for (let y = 0; y < q.height; y++) index.copy(rows, y * (q.width + 1) + 1, y * q.width, (y + 1) * q.width);
  const chunk = (type, body) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(q.width, 0);
  ihdr.writeUInt32BE(q.height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from(q.palette.flatMap((c) => c.slice(0, 3)))),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Seeks the player and waits until both videos show the frame. */
async function seekTo(seconds) {
  await page.evaluate(async (t) => {
    const videos = [document.getElementById('before'), document.getElementById('after')].filter((v) => v.src);
    const seeked = videos.map((v) => new Promise((resolve) => v.addEventListener('seeked', resolve, { once: true })));
    // Plain ×2 output: the result's clock is the source's.
    for (const v of videos) v.currentTime = t;
    await Promise.all(seeked);
  }, seconds);
}

try {
  await page.goto(`${server.origin}/www/demo/`);
  await page.waitForFunction(() => document.documentElement.dataset.engine !== undefined, null, { timeout: 60_000 });

  // 1. The drop zone, as a first-time visitor sees it (with the CPU notice on this machine).
  await shot('drop-zone', ['header', '#video-options']);

  // 2. Progress: the source plays on the left while the right side waits for the result.
  await page.setInputFiles('#video-file', clip);
  await page.waitForFunction(() => /fps/.test(document.getElementById('video-info').textContent), null, {
    timeout: 60_000,
  });
  await seekTo(1.0);
  await page.click('#video-start');
  await page.waitForFunction(
    () => {
      const bar = document.getElementById('video-bar');
      return bar.max > 1 && bar.value / bar.max >= 0.4;
    },
    null,
    { timeout: 5 * 60_000 },
  );
  await shot('progress', ['#video-progress', '#compare-stage']);

  // 3. Before/after with the split in the middle, once the result is in.
  await page.waitForFunction(() => document.getElementById('video').dataset.state === 'done', null, {
    timeout: 10 * 60_000,
  });
  await page.waitForFunction(() => document.getElementById('after').readyState >= 2, null, { timeout: 60_000 });
  await seekTo(1.2);
  // The split just left of the bunny's middle, so both sides show it.
  await page.locator('#split').fill('42');
  await shot('before-after', ['#video-result', '.player']);

  // 4. The flow and mask at the playhead.
  await page.click('#flow-show');
  await page.waitForFunction(() => document.getElementById('flow-view').dataset.state === 'done', null, {
    timeout: 2 * 60_000,
  });
  await shot('flow-view', ['#flow-show', '#flow-view']);

  // 5. A time map (rolling-shutter ramp) on RIFE's demo pair.
  await page.click('#pair-sample');
  await page.waitForFunction(() => !document.getElementById('pair-start').disabled, null, { timeout: 60_000 });
  await page.selectOption('#tm-source', 'pair');
  await page.click('#tm-start');
  await page.waitForFunction(() => document.getElementById('timemap').dataset.state === 'done', null, {
    timeout: 2 * 60_000,
  });
  await shot('time-map', ['#timemap']);
} finally {
  await browser.close();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
}
