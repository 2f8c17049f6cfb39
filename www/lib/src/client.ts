// The page side of the worker protocol: numbered requests, one promise per request.

import { codedError, withCode } from './shared/errors.js';
import type { ErrorPayload, Request, Response } from './shared/protocol.js';
import type { VideoPreview, VideoProgress } from './shared/types.js';

/** A request before the client numbers it. */
export type Unnumbered<R> = R extends { id: number } ? Omit<R, 'id'> : never;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress?: ((progress: VideoProgress) => void) | undefined;
  onPreview?: ((preview: VideoPreview) => void) | undefined;
}

export interface CallOptions {
  /** Progress reports the worker sends before its answer (video jobs). */
  onProgress?: ((progress: VideoProgress) => void) | undefined;
  /** Preview frames the worker sends before its answer; the callback owns (closes) them. */
  onPreview?: ((preview: VideoPreview) => void) | undefined;
  /**
   * Rejects the call at once with the signal's reason and asks the worker to stop the request
   * (it checks between frames, so the worker is free again soon after).
   */
  signal?: AbortSignal | undefined;
}

export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** Set once the worker is gone; every later call rejects with it. */
  #dead: Error | null = null;

  /** `worker` is made by the caller, where bundlers can see its URL (see createInterpolator). */
  constructor(worker: Worker) {
    this.#worker = worker;
    // The Web Lock the worker holds while it lives (see #watch). Its name goes in the first
    // message rather than the Worker's `name` option, so that the `new Worker(...)` expression
    // bundlers look for stays exactly as they recognise it.
    // (Web Locks and randomUUID exist only in secure contexts; elsewhere nothing is watched.)
    const lock = 'locks' in navigator ? `inbetween-worker-${crypto.randomUUID()}` : null;
    this.#worker.onmessage = (event: MessageEvent<Response>) => {
      const message = event.data;
      if ('alive' in message) {
        if (lock) this.#watch(lock);
      } else this.#settle(message);
    };
    if (lock) this.#worker.postMessage({ type: 'watch', lock, id: 0 } as Request);
    this.#worker.onerror = (event: ErrorEvent) => {
      // A module that fails to load or an uncaught throw in the worker: nothing else will answer,
      // so fail every outstanding request. Browsers give load failures no message at all.
      event.preventDefault();
      const detail = event.message || 'could not load its script (worker.js) or the modules it imports';
      this.terminate(codedError(`the inbetween worker failed: ${detail}`, 'worker-died'));
    };
    this.#worker.onmessageerror = () => {
      this.terminate(codedError('the inbetween worker sent a message that could not be deserialised', 'worker-died'));
    };
  }

  call<T>(request: Unnumbered<Request>, transfer: Transferable[] = [], options: CallOptions = {}): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    const { signal, onProgress, onPreview } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (!this.#pending.delete(id)) return;
        if (!this.#dead) this.#worker.postMessage({ type: 'cancel', target: id, id: this.#nextId++ } as Request);
        reject(abortReason(signal as AbortSignal));
      };
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A) => {
          signal?.removeEventListener('abort', onAbort);
          f(a);
        };
      this.#pending.set(id, {
        resolve: settle(resolve as (value: unknown) => void),
        reject: settle(reject),
        onProgress,
        onPreview,
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.#worker.postMessage({ ...request, id } as Request, transfer);
      } catch (e) {
        // Nothing was sent (an object that cannot be transferred, such as a canvas with a
        // context): no answer will come, so settle here.
        this.#pending.get(id)?.reject(e instanceof Error ? e : new Error(String(e)));
        this.#pending.delete(id);
      }
    });
  }

  /**
   * A worker that dies without an error event (the browser kills it for memory, or it closes
   * itself) would leave every pending call waiting forever. The worker holds a Web Lock named
   * after it from its first moment and never releases it; the browser releases it when the
   * worker's context goes away, so this request is granted exactly then.
   */
  #watch(name: string): void {
    void navigator.locks.request(name, () => {
      this.terminate(
        codedError(
          'the inbetween worker stopped unexpectedly (it may have run out of memory); create a new interpolator',
          'worker-died',
        ),
      );
    });
  }

  /** True once the worker is gone (terminated, crashed, or retired after a fatal error). */
  get dead(): boolean {
    return this.#dead !== null;
  }

  /** Stops the worker (freeing its wasm memory and GPU device) and rejects what is pending. */
  terminate(reason: Error): void {
    if (this.#dead) return;
    this.#dead = reason;
    this.#worker.terminate();
    for (const pending of this.#pending.values()) pending.reject(reason);
    this.#pending.clear();
  }

  #settle(response: Exclude<Response, { alive: true }>): void {
    const pending = this.#pending.get(response.id);
    if ('preview' in response) {
      // Whoever gets the bitmap closes it; with nobody to give it to, close it here.
      if (pending?.onPreview) report(() => pending.onPreview?.(response.preview));
      else response.preview.image.close();
      return;
    }
    if (!pending) return;
    if ('progress' in response) {
      report(() => pending.onProgress?.(response.progress));
      return;
    }
    this.#pending.delete(response.id);
    if (response.ok) pending.resolve(response.result);
    else {
      const error = fromPayload(response.error);
      pending.reject(error);
      // The worker's wasm trapped: end it (its memory goes with it) so nothing uses it again.
      if (response.error.fatal) this.terminate(error);
    }
  }
}

/** Runs a caller's callback; its errors must not break the protocol, so they are reported (as
 * uncaught errors) and the job goes on. */
function report(f: () => void): void {
  try {
    f();
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

/** Rebuilds the worker's error with its class, so a TypeError stays a TypeError, and its code. */
function fromPayload(payload: ErrorPayload): Error {
  if (payload.name === 'AbortError') return new DOMException(payload.message, 'AbortError');
  const error =
    payload.name === 'TypeError'
      ? new TypeError(payload.message)
      : payload.name === 'RangeError'
        ? new RangeError(payload.message)
        : new Error(payload.message);
  return withCode(error, payload.code);
}

/** What an aborted call rejects with: the signal's reason, like fetch. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('the operation was aborted', 'AbortError');
}
