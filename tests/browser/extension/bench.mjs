// Times the extension on a machine with a real GPU: plays clips of a few sizes at 30 fps, clicks
// the action, and samples what the extension reports (its adaptation level, time per pair, delay,
// frames per second in and out) for `--seconds` each. Not a test: run by hand, and the numbers go
// into the README.
//
// It also prints the per-frame hand-over to the engine on the path that ran (the test hook
// `handover`): with `--engine frame`, a frame read back and its RGBA round trip to the engine
// frame; with `--engine auto` (the default) on this page (no CSP), the in-process engine's
// VideoFrame → GPU canvas → engine copy, until the GPU has done it.
//
//   node scripts/build-extension.mjs --no-zip --test-hooks && node tests/browser/extension/bench.mjs [--swiftshader] [--seconds N] [--sizes 640x360,1280x720] [--engine auto|remote|frame]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../browser.mjs';
import { startServer } from '../server.mjs';
import { makeClip } from './clip.mjs';
import { launchWithExtension } from './launch.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const seconds = Number(opt('--seconds', 20));
const sizes = opt('--sizes', '640x360,1280x720')
  .split(',')
  .map((s) => s.split('x').map(Number));
const factor = opt('--factor', '2');
const realGpu = !args.includes('--swiftshader');
const engine = opt('--engine', 'auto');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'inbetween-ext-bench-'));
const site = await startServer({ mounts: { '/clips/': tmp, '/': REPO } });
const b = await launchWithExtension({ extensionDir: path.join(REPO, 'dist/extension'), realGpu, log: console.log });
try {
  await b.settings({ factor: factor === 'auto' ? 'auto' : Number(factor), allowSoftwareAdapter: !realGpu, engine });
  for (const [w, h] of sizes) {
    makeClip(tmp, { name: `${w}x${h}.webm`, width: w, height: h, fps: 30, seconds: seconds + 15, fast: true });
    await b.page.goto(`${site.origin}/tests/browser/extension/page.html?src=/clips/${w}x${h}.webm&blob=1`);
    await b.page.evaluate(
      ({ w, h }) => {
        const v = document.querySelector('video');
        v.style.width = `${w}px`;
        v.style.height = `${h}px`;
        return window.videoReady;
      },
      { w, h },
    );
    await b.clickAction();
    const samples = [];
    for (let i = 0; i < seconds; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const d = await b.inTab(() => {
        const x = globalThis.__inbetween?.debug;
        return x && { adapter: x.adapter(), notices: x.notices(), s: x.sessions()[0] };
      });
      if (!d?.s) {
        console.log(`${w}x${h} t=${i + 1}s`, JSON.stringify(d));
        continue;
      }
      const { s } = d;
      samples.push(s);
      console.log(
        `${w}x${h} t=${i + 1}s level ${s.level} scale ${s.scale} ×${s.factor} pair ${Math.round(s.pairMs)} ms (${s.pairTimeSource}) ` +
          `capture ${s.captureMs.toFixed(1)} ms delay ${Math.round(s.delayMs)} ms fps ${s.fps} | ${s.panel}`,
      );
      if (i === 0) console.log('adapter', JSON.stringify(d.adapter));
    }
    // Measured on a paused video (its sessions then take no frames, so no interpolation competes).
    await b.page.evaluate(() => document.querySelector('video').pause());
    await new Promise((r) => setTimeout(r, 1000));
    const handover = await b.inTab(
      ({ w, h }) => globalThis.__inbetween?.debug.handover(w, h, 20).catch((e) => ({ error: String(e) })),
      { w, h },
    );
    console.log(`${w}x${h} hand-over: ${JSON.stringify(handover)}`);
    const last = samples.at(-1);
    if (last) console.log(`${w}x${h} summary: ${JSON.stringify(last.stats)}`);
    const quality = await b.page.evaluate(() => {
      const q = document.querySelector('video').getVideoPlaybackQuality();
      return { total: q.totalVideoFrames, dropped: q.droppedVideoFrames };
    });
    console.log(`${w}x${h} video element: ${JSON.stringify(quality)}`);
  }
} finally {
  await b.close();
  await site.close();
  rmSync(tmp, { recursive: true, force: true });
}
