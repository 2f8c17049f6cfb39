// content.js's test hooks: `__inbetween.debug`, for tests/browser/extension.test.mjs and the
// bench. Only the test build has them: content.ts and session.ts reach this module from
// `TEST_HOOKS:` statements, which scripts/build-extension.mjs drops from the shipped build, and
// this module with them. It lives in the extension's isolated world, out of the page's reach.
import { clearNotices, noticeTexts } from './notices.js';
import type { Entry } from './pacing.js';
import type { EngineClient } from './transport.js';
import { median, withTimeout } from './util.js';

/** What the hooks read (content.ts's run state). */
export interface Inspected {
  active: boolean;
  clicks: number;
  starting: Promise<void> | null;
  adapter: unknown;
  engine: EngineClient | null;
  sessions: Map<unknown, { snapshot(withPixels: boolean): unknown; mark(on: boolean): void }>;
}

type Kind = Entry['kind'];
/** Who waits for the next frame of a kind to reach the overlay. */
const waiters: { kind: Kind; resolve: (snapshot: unknown) => void }[] = [];

/** A frame of `kind` was just drawn: answer whoever waits for one, with `snapshot()`. */
export function resolveWaiters(kind: Kind, snapshot: () => unknown): void {
  const waiting = waiters.filter((w) => w.kind === kind);
  if (!waiting.length) return;
  const snap = snapshot();
  for (const w of waiting) {
    waiters.splice(waiters.indexOf(w), 1);
    w.resolve(snap);
  }
}

function engineOf(state: Inspected): EngineClient {
  if (!state.engine) throw new Error('inbetween is not running');
  return state.engine;
}

export function debugHooks(state: Inspected) {
  return {
    active: () => state.active,
    clicks: () => state.clicks,
    starting: () => state.starting !== null,
    adapter: () => state.adapter,
    notices: () => noticeTexts(),
    sessions: (withPixels = false) => [...state.sessions.values()].map((s) => s.snapshot(withPixels)),
    /** The overlay right after the next frame of `kind` ('interp': an in-between, 'source') was
     * drawn on it, with its pixels read back from it. */
    next: (kind: Kind, timeoutMs: number) =>
      withTimeout(
        new Promise((resolve) => waiters.push({ kind, resolve })),
        timeoutMs,
        `no ${kind} frame reached the overlay in time`,
      ),
    dismissNotices: () => clearNotices(),
    /** Destroys the engine's GPU device, as a driver reset would. */
    loseDevice: () => engineOf(state).call({ type: 'loseDeviceForTesting' }),
    /** A request straight to the engine frame (messages.ts's protocol), malformed ones included. */
    engineCall: (request: unknown) => engineOf(state).post(request),
    /** Round trips of a width x height RGBA frame to the engine frame and back (copied there, as
     * a frame request is, and transferred back), in ms: the price of running the engine in a frame. */
    echo: async (width: number, height: number, n = 20) => {
      const times: number[] = [];
      const pixels = new Uint8Array(width * height * 4).fill(7).buffer;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await engineOf(state).call({ type: 'echo', pixels });
        times.push(performance.now() - t0);
      }
      return median(times);
    },
    /** Paints the controls' background a flat magenta (or back), so a screenshot shows where
     * they are drawn, and whether above everything else. */
    mark: (on: boolean) => {
      for (const s of state.sessions.values()) s.mark(on);
    },
  };
}
