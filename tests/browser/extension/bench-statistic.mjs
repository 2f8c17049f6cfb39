// Times the repeat detector's statistic per frame, the old way against the new (issue 10, item
// 3), with the extension's own code (the `statisticCost` test hook): the readback path
// (VideoFrame → 2D canvas at the analysis size → getImageData → grey) and the GPU one
// (VideoFrame → external texture → block_change.wgsl → the block means of four comparisons read
// back), the median of `--frames` on a paused clip of each size. No session runs meanwhile (the
// video is paused before the click, so the extension finds nothing to do). Not a test: the
// numbers go into the README.
//
//   node scripts/build-extension.mjs --no-zip --test-hooks && node tests/browser/extension/bench-statistic.mjs [--swiftshader] [--sizes 1280x720,1920x1080] [--frames 20] [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../browser.mjs';
import { startServer } from '../server.mjs';
import { makeClip } from './clip.mjs';
import { launchWithExtension } from './launch.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const sizes = opt('--sizes', '1280x720,1920x1080')
  .split(',')
  .map((s) => s.split('x').map(Number));
const frames = Number(opt('--frames', 20));
const runs = Number(opt('--runs', 3));
const realGpu = !args.includes('--swiftshader');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'inbetween-stat-bench-'));
const site = await startServer({ mounts: { '/clips/': tmp, '/': REPO } });
const b = await launchWithExtension({ extensionDir: path.join(REPO, 'dist/extension'), realGpu, log: console.log });
try {
  for (const [w, h] of sizes) {
    makeClip(tmp, { name: `${w}x${h}.webm`, width: w, height: h, fps: 30, seconds: 3, fast: true });
    for (let run = 0; run < runs; run++) {
      await b.page.goto(`${site.origin}/tests/browser/extension/page.html?src=/clips/${w}x${h}.webm&blob=1`);
      await b.page.evaluate(async () => {
        await window.videoReady;
        const v = document.querySelector('video');
        v.pause();
        v.currentTime = 1;
        await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
      });
      await b.clickAction();
      for (let i = 0; i < 100 && !(await b.inTab(() => Boolean(globalThis.__inbetween?.debug))); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = await b.inTab(
        ({ w, h, frames }) =>
          globalThis.__inbetween.debug.statisticCost(w, h, frames).catch((e) => ({ error: String(e) })),
        { w, h, frames },
      );
      console.log(`${w}x${h} run ${run + 1}: ${JSON.stringify(r)}`);
    }
  }
} finally {
  await b.close();
  await site.close();
  rmSync(tmp, { recursive: true, force: true });
}
