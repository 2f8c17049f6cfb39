// Measures what the extension's content script can do on pages with different CSPs (issue 10:
// can the GPU engine run in the isolated world, next to the video?). Loads the probe extension
// in scripts/bench/isolated-world/ into headless Chromium (SwiftShader WebGPU) and prints, per
// page CSP, each capability with its time or error.
//   node scripts/bench/isolated-world.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { launchWithExtension } from '../../tests/browser/extension/launch.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const dir = mkdtempSync(path.join(os.tmpdir(), 'inbetween-iw-'));
execFileSync('ffmpeg', [
  '-hide_banner',
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=160x96:rate=10:duration=2',
  '-c:v',
  'libvpx-vp9',
  '-b:v',
  '200k',
  path.join(dir, 'v.webm'),
]);
const CSPS = {
  none: null,
  strict: "default-src 'self'; script-src 'self'; media-src 'self'",
  'no-workers': "script-src 'self' 'unsafe-inline'; worker-src 'none'",
  'default-none': "default-src 'none'; media-src 'self'",
  'wasm-allowed': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
};
const server = http
  .createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/v.webm') {
      res.writeHead(200, { 'content-type': 'video/webm' });
      return fs.createReadStream(path.join(dir, 'v.webm')).pipe(res);
    }
    const csp = CSPS[u.searchParams.get('csp') ?? 'none'];
    res.writeHead(200, { 'content-type': 'text/html', ...(csp ? { 'content-security-policy': csp } : {}) });
    res.end('<!doctype html><title>probe</title><video src="/v.webm" muted autoplay loop></video>');
  })
  .listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const b = await launchWithExtension({ extensionDir: path.join(here, 'isolated-world') });
try {
  for (const [name, csp] of Object.entries(CSPS)) {
    await b.page.goto(`http://127.0.0.1:${server.address().port}/?csp=${name}`);
    await b.page.waitForFunction(() => document.documentElement.dataset.probe, null, { timeout: 30_000 });
    const r = JSON.parse(await b.page.evaluate(() => document.documentElement.dataset.probe));
    console.log(`\n${name}${csp ? ` (${csp})` : ''}`);
    for (const [k, v] of Object.entries(r))
      console.log(`  ${k.padEnd(16)} ${v.ok ? `ok  ${String(v.v).padEnd(20)} ${v.ms} ms` : `FAILS ${v.e}`}`);
  }
} finally {
  await b.close();
  server.close();
}
