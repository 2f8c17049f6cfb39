// Model download: streamed fetch with progress, sha256 verification, and the Cache API so a
// returning visitor does not download 11 MB again. Runs on the page's thread; the bytes are then
// transferred (not copied) to the worker.

/** Name of the Cache API cache that holds downloaded models. */
export const CACHE_NAME = 'inbetween-models';

export interface LoadModelOptions {
  url: URL;
  /** Expected sha256 (lowercase hex). Without it nothing is verified and nothing is cached. */
  sha256: string | null;
  /** Size to report as `total` when the server does not send a usable Content-Length. */
  expectedBytes: number;
  onProgress: ((loaded: number, total: number) => void) | undefined;
  cache: boolean;
  /** Appended to the message when the model cannot be fetched (says what to do about it). */
  notFoundHint?: string;
  /** Aborts the download (and the cache look-up) with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Milliseconds without a byte from the server after which the download fails. */
  stallTimeoutMs: number;
}

/** Default for `stallTimeoutMs`: long enough for a slow mobile link, short enough that a hung
 * server gives an error instead of a page that waits forever. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export async function loadModel(options: LoadModelOptions): Promise<ArrayBuffer> {
  const { url, sha256 } = options;
  // Only verified bytes are ever cached, so an entry is only useful (and only looked up) when a
  // hash is known. `caches` is missing in insecure contexts (plain http on a non-local host).
  const cache = options.cache && sha256 !== null && 'caches' in globalThis ? await openCache() : null;
  // The hash is part of the key, so a new model version at the same URL is never served stale.
  // It is a query parameter, not a #fragment, because the Cache API ignores fragments.
  const key = new URL(url);
  if (sha256 !== null) key.searchParams.set('inbetween-sha256', sha256);

  if (cache) {
    const hit = await cache.match(key.href);
    if (hit) {
      const bytes = await hit.arrayBuffer();
      options.onProgress?.(bytes.byteLength, bytes.byteLength);
      // Re-verify: storage can be corrupted or tampered with. A bad entry is dropped, so the next
      // attempt downloads afresh.
      await verify(bytes, sha256, `${url.href} (from the '${CACHE_NAME}' cache)`, async () => {
        await cache.delete(key.href);
      });
      return bytes;
    }
  }

  options.signal?.throwIfAborted();
  const bytes = await download(url, options);
  await verify(bytes, sha256, url.href, async () => {});
  if (cache) {
    try {
      // The Response copies the bytes, so `bytes` can still be transferred to the worker.
      await cache.put(key.href, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } }));
    } catch {
      // A full quota or private browsing mode must not break interpolation: just skip caching.
    }
  }
  return bytes;
}

async function openCache(): Promise<Cache | null> {
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // e.g. storage disabled by the user; behave as if there were no cache
  }
}

/**
 * Fetches the model. One AbortController ends the request for either reason: the caller's
 * `signal` (rejects with its reason) or a stall (no byte for `stallTimeoutMs`, measured from the
 * request and then from each chunk, so a slow but moving download never times out).
 */
async function download(url: URL, options: LoadModelOptions): Promise<ArrayBuffer> {
  const { expectedBytes, onProgress, signal, stallTimeoutMs } = options;
  const controller = new AbortController();
  const stalled = new Error(
    `the model download from ${url.href} stalled: no data for ${Math.round(stallTimeoutMs / 1000)} s`,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(stalled), stallTimeoutMs);
  };
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  arm();
  try {
    return await fetchBody(url, controller.signal, expectedBytes, onProgress, arm, options.notFoundHint ?? '');
  } catch (e) {
    // Whatever fetch or the stream threw, the reason we aborted for is the useful error.
    if (controller.signal.aborted) throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function fetchBody(
  url: URL,
  signal: AbortSignal,
  expectedBytes: number,
  onProgress: ((loaded: number, total: number) => void) | undefined,
  onData: () => void,
  hint: string,
): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw new Error(`could not fetch the model from ${url.href}: ${e instanceof Error ? e.message : String(e)}${hint}`);
  }
  onData();
  if (!response.ok) {
    throw new Error(
      `could not fetch the model from ${url.href}: HTTP ${response.status} ${response.statusText}${hint}`,
    );
  }
  // Content-Length counts encoded bytes: with gzip or br it is not the size we will read.
  const length = Number(response.headers.get('Content-Length'));
  const encoded = (response.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
  const total = !encoded && Number.isFinite(length) && length > 0 ? length : expectedBytes;

  // Read chunk by chunk even without a progress callback: each chunk re-arms the stall timer.
  if (!response.body) return response.arrayBuffer();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onData();
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.(loaded, Math.max(total, loaded));
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}

async function verify(
  bytes: ArrayBuffer,
  expected: string | null,
  what: string,
  onMismatch: () => Promise<void>,
): Promise<void> {
  if (expected === null) return;
  const actual = await sha256Hex(bytes);
  if (actual !== expected) {
    await onMismatch();
    throw new Error(`model ${what} has sha256 ${actual}, expected ${expected}`);
  }
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  if (!globalThis.crypto?.subtle) {
    throw new Error("cannot verify the model's sha256: crypto.subtle needs a secure context (https or localhost)");
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
