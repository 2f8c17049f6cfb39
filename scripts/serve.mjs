// The repo's static file server (the demo, the benches, the browser tests): serves a directory
// (default: the repo root) or several mounts on 127.0.0.1, which browsers treat as a secure context (WebGPU, WebCodecs in workers and
// crypto.subtle need one). node:http only. Sends the right types (application/wasm is required by
// WebAssembly.instantiateStreaming) and honours single byte-range requests, which <video>
// seeking and resumable downloads use (Python's http.server ignores them).
//   node scripts/serve.mjs [--port 8080] [--dir .] [--no-isolate]   (COOP/COEP on unless --no-isolate)
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Starts the server; resolves to { origin, count, close }. The one static server of the repo: the
 * demo (run directly, below), the benches and the browser tests all use it.
 * - `dir`: the folder to serve at `/`; or `mounts`: URL prefix → folder, the longest prefix wins.
 * - `routes`: exact path → { body, type } held in memory, or { handler(req, res) } for a response
 *   made by hand (slow, stalled or broken servers in tests).
 * - `cacheControl`: 'no-cache' (default: revalidate, so a rebuilt page never runs old scripts) or
 *   'no-store' (tests: every repeated download reaches the server and its counter, so a test
 *   sees the Cache API at work rather than the HTTP cache).
 * - `isolate`: send COOP `same-origin` and COEP `require-corp` on every response, which makes
 *   the pages cross-origin isolated (`crossOriginIsolated`, SharedArrayBuffer): the package then
 *   runs its threaded wasm build. Everything served here is same-origin, so require-corp blocks
 *   nothing of ours.
 * - Port 0 (the default) picks a free one. `count(pathname)` is how many requests it received.
 * @param {{ dir?: string, mounts?: Record<string, string>, routes?: Record<string, { body?: Uint8Array | string, type?: string, handler?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void }>, port?: number, host?: string, cacheControl?: string, isolate?: boolean }} options
 */
export async function serve({
  dir,
  mounts,
  routes = {},
  port = 0,
  host = '127.0.0.1',
  cacheControl = 'no-cache',
  isolate = false,
}) {
  const roots = mounts ?? { '/': dir };
  const prefixes = Object.keys(roots).sort((a, b) => b.length - a.length);
  /** @type {Map<string, number>} */
  const requests = new Map();
  const server = createServer(async (req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad URL');
      return;
    }
    requests.set(pathname, (requests.get(pathname) ?? 0) + 1);
    if (isolate) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    const route = routes[pathname];
    if (route?.handler) {
      route.handler(req, res);
      return;
    }
    if (route) {
      res.writeHead(200, { 'Cache-Control': cacheControl, 'Content-Type': route.type ?? 'application/octet-stream' });
      res.end(route.body);
      return;
    }
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    const root = prefix === undefined ? null : path.resolve(roots[prefix]);
    let file = root === null ? null : path.resolve(root, `.${pathname.slice(prefix.length - 1)}`);
    // Refuse anything that resolves outside the served folder (../ tricks).
    if (file === null || (file !== root && !file.startsWith(root + path.sep))) {
      res.writeHead(404, { 'Cache-Control': cacheControl, 'Content-Type': 'text/plain' }).end(`404 ${pathname}`);
      return;
    }
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        // /www/demo → /www/demo/ so the page's relative URLs resolve inside the folder.
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { Location: `${pathname}/` }).end();
          return;
        }
        file = path.join(file, 'index.html');
        info = await stat(file);
      }
      const headers = {
        'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Accept-Ranges': 'bytes',
        'Cache-Control': cacheControl,
      };
      let start = 0;
      let end = info.size - 1;
      const range = req.headers.range && /^bytes=(\d*)-(\d*)$/.exec(req.headers.range);
      if (range && (range[1] !== '' || range[2] !== '')) {
        if (range[1] === '') {
          start = Math.max(0, info.size - Number(range[2]));
        } // suffix: last N bytes
        else {
          start = Number(range[1]);
          if (range[2] !== '') end = Math.min(end, Number(range[2]));
        }
        if (start > end || start >= info.size) {
          res.writeHead(416, { 'Content-Range': `bytes */${info.size}` }).end();
          return;
        }
        res.writeHead(206, {
          ...headers,
          'Content-Range': `bytes ${start}-${end}/${info.size}`,
          'Content-Length': end - start + 1,
        });
      } else {
        res.writeHead(200, { ...headers, 'Content-Length': info.size });
      }
      if (req.method === 'HEAD' || info.size === 0) {
        res.end();
        return;
      }
      createReadStream(file, { start, end }).pipe(res);
    } catch (e) {
      const missing = e?.code === 'ENOENT' || e?.code === 'ENOTDIR';
      res
        .writeHead(missing ? 404 : 500, { 'Cache-Control': cacheControl, 'Content-Type': 'text/plain' })
        .end(missing ? `404 ${pathname}` : 'server error');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  return {
    origin: `http://${host}:${actual}`,
    /** How many requests `pathname` has received. */
    count: (p) => requests.get(p) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

// Run directly: serve until interrupted.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const port = Number(opt('--port', process.env.PORT ?? '8080'));
  // A busy port (another server, an earlier run) should not stop the demo: try the next few.
  let server;
  for (let p = port; !server; p++) {
    try {
      // Cross-origin isolated unless told otherwise: the demo then runs the threaded CPU path.
      server = await serve({ dir: opt('--dir', repo), port: p, isolate: !args.includes('--no-isolate') });
    } catch (e) {
      if (e?.code !== 'EADDRINUSE' || p >= port + 20 || port === 0) throw e;
      console.log(`port ${p} is in use, trying ${p + 1}`);
    }
  }
  const { origin } = server;
  console.log(`serving ${opt('--dir', repo)} at ${origin}/ (Ctrl-C to stop)`);
  console.log(`demo page: ${origin}/www/demo/`);
}
