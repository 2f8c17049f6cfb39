// The browser tests' server: the repo's one static server (scripts/serve.mjs) on a free port of
// 127.0.0.1 (a secure context, which WebGPU, crypto.subtle and the Cache API need), with
// `no-store` caching, so that every repeated download reaches it and its per-path counter (a test
// tells a download from a Cache API hit by `count`).
import { serve } from '../../scripts/serve.mjs';

/** @param {Parameters<typeof serve>[0]} options mounts, routes (see scripts/serve.mjs) */
export function startServer(options) {
  return serve({ cacheControl: 'no-store', ...options });
}
