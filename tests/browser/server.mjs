// A tiny static file server for the browser tests: node:http only, 127.0.0.1 (a secure context,
// which WebGPU, crypto.subtle and the Cache API need), a random port, and a per-path request
// counter so tests can tell a download from a cache hit.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm', // required by WebAssembly.instantiateStreaming
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Serves `mounts` (URL prefix → directory, longest prefix wins) plus optional in-memory `routes`
 * (exact path → { body, type }, or { handler(req, res) } for a response made by hand).
 * @param {{ mounts: Record<string, string>, routes?: Record<string, { body?: Uint8Array | string, type?: string, handler?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void }> }} options
 */
export async function startServer({ mounts, routes = {} }) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  /** @type {Map<string, number>} */
  const requests = new Map();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    requests.set(pathname, (requests.get(pathname) ?? 0) + 1);
    // no-store: a repeated download must reach this server (and its counter), so a test sees
    // the Cache API at work, not the HTTP cache.
    const headers = { 'Cache-Control': 'no-store' };
    try {
      const route = routes[pathname];
      if (route?.handler) {
        // A route that answers by hand: slow, stalled or broken responses.
        route.handler(req, res);
        return;
      }
      if (route) {
        res.writeHead(200, { ...headers, 'Content-Type': route.type ?? 'application/octet-stream' });
        res.end(route.body);
        return;
      }
      const prefix = prefixes.find((p) => pathname.startsWith(p));
      if (prefix === undefined) throw Object.assign(new Error('no mount'), { code: 'ENOENT' });
      const root = path.resolve(mounts[prefix]);
      const file = path.resolve(root, `.${pathname.slice(prefix.length - 1)}`);
      // Refuse anything that resolves outside the mount (../ tricks).
      if (file !== root && !file.startsWith(root + path.sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      const info = await stat(file);
      if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      const body = await readFile(file);
      res.writeHead(200, {
        ...headers,
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      const code = e?.code === 'ENOENT' || e?.code === 'ENOTDIR' ? 404 : 500;
      res.writeHead(code, { ...headers, 'Content-Type': 'text/plain' });
      res.end(`${code} ${pathname}`);
    }
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    origin: `http://127.0.0.1:${port}`,
    /** How many requests `pathname` has received. */
    count: (pathname) => requests.get(pathname) ?? 0,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
