// A small static file server for the demo: serves a directory (default: the repo root) on
// 127.0.0.1, which browsers treat as a secure context (WebGPU, WebCodecs in workers and
// crypto.subtle need one). node:http only. Sends the right types (application/wasm is required by
// WebAssembly.instantiateStreaming) and honours single byte-range requests, which <video>
// seeking and resumable downloads use (Python's http.server ignores them).
//   node scripts/serve.mjs [--port 8080] [--dir .]
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

/** Starts the server; resolves to { origin, close }. Port 0 picks a free one. */
export async function serve({ dir, port = 8080, host = '127.0.0.1' }) {
  const root = path.resolve(dir);
  const server = createServer(async (req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad URL');
      return;
    }
    let file = path.resolve(root, `.${pathname}`);
    // Refuse anything that resolves outside the served directory (../ tricks).
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(404).end('not found');
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
        // Revalidate every time: after a rebuild the page must not run yesterday's scripts.
        'Cache-Control': 'no-cache',
      };
      let start = 0;
      let end = info.size - 1;
      const range = req.headers.range && /^bytes=(\d*)-(\d*)$/.exec(req.headers.range);
      if (range && (range[1] !== '' || range[2] !== '')) {
        if (range[1] === '') { start = Math.max(0, info.size - Number(range[2])); } // suffix: last N bytes
        else { start = Number(range[1]); if (range[2] !== '') end = Math.min(end, Number(range[2])); }
        if (start > end || start >= info.size) {
          res.writeHead(416, { 'Content-Range': `bytes */${info.size}` }).end();
          return;
        }
        res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${info.size}`, 'Content-Length': end - start + 1 });
      } else {
        res.writeHead(200, { ...headers, 'Content-Length': info.size });
      }
      if (req.method === 'HEAD' || info.size === 0) { res.end(); return; }
      createReadStream(file, { start, end }).pipe(res);
    } catch (e) {
      const missing = e?.code === 'ENOENT' || e?.code === 'ENOTDIR';
      res.writeHead(missing ? 404 : 500, { 'Content-Type': 'text/plain' }).end(missing ? 'not found' : 'server error');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  return {
    origin: `http://${host}:${actual}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
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
      server = await serve({ dir: opt('--dir', repo), port: p });
    } catch (e) {
      if (e?.code !== 'EADDRINUSE' || p >= port + 20 || port === 0) throw e;
      console.log(`port ${p} is in use, trying ${p + 1}`);
    }
  }
  const { origin } = server;
  console.log(`serving ${opt('--dir', repo)} at ${origin}/ (Ctrl-C to stop)`);
  console.log(`demo page: ${origin}/www/demo/`);
}
