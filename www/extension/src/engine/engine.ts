// The engine frame (engine.html): the npm package running with the extension's origin. This file
// is its transport: who may connect, and the one queue requests wait in. handle.ts serves them.
//
// Why a frame and not the content script itself (measured and checked, see the README section):
// - A content script runs with the *page's* origin. The package starts a module worker from
//   chrome-extension://…/worker.js, and a page-origin `new Worker()` of a cross-origin URL throws
//   a SecurityError. A Blob-URL worker would run with the page's origin too, so the page's CSP
//   decides whether it may exist and whether WebAssembly may compile (many sites forbid both), and
//   the model would be cached in the page's own storage.
// - This frame has the extension's origin and CSP (`'wasm-unsafe-eval'`), so the package loads
//   unchanged, from files inside the extension, on every page.
// - The price: a VideoFrame cannot be posted to another process, so content.js sends RGBA pixel
//   buffers (one per source frame; each is pushed to the stream's FrameSequence, which keeps it
//   prepared on the GPU as the next pair's first frame) and gets RGBA buffers back.
//
// Who may connect (the engine's security). engine.html is web-accessible, because content.js
// frames it on the page, so any page can frame it too and post to its own copy. (content.js's
// frame sits in a closed shadow root, which also keeps it out of the page's `window.frames`; the
// token below does not rely on that.) Nothing arriving through the window is trusted:
// - a MessagePort is accepted only together with the one-time token that the service worker made
//   for this frame when it said hello (background.ts), and sent, over the extension's own
//   messaging, to the content.js that named this frame. A page can neither read that token (it
//   lives here, in the service worker and in content.js's isolated world) nor mint one.
// - Attempts without the right token are refused ({ type: 'refused' } on their port) and change
//   nothing: they do not lock content.js out, however many arrive or however early.
// - Once content.js's port is accepted, every other offer is refused.
// - Requests on the accepted port are checked and capped (LIMITS in messages.ts): frame size,
//   in-betweens per frame, streams held, requests queued.
//
// The protocol is messages.ts's; every request has an `id` and gets exactly one answer. Failures
// answer { id, ok: false, error: { code, message } }.
import {
  type Answer,
  type EngineErrorCode,
  type Outcome,
  isConnect,
  isObject,
  LIMITS,
  type PortStatus,
  sendHello,
} from '../messages.js';
import { handle } from './handle.js';

/** content.js's port, once its token was checked. */
let port: MessagePort | null = null;
// One request at a time: the interpolator is serial anyway, and answering in order keeps
// content.js's bookkeeping simple.
let queue: Promise<void> = Promise.resolve();
let queued = 0;

/** The token the service worker made for this frame, asked for once at load. content.js's nonce
 * (the URL's fragment) tells the service worker which content.js named this frame. */
const expected = sendHello(location.hash.slice(1));

/** Equal strings, compared in time that does not depend on where they differ. */
function sameToken(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

window.addEventListener('message', async (event: MessageEvent<unknown>) => {
  const offered = event.ports?.[0];
  if (!isConnect(event.data) || !offered) return;
  if (port) return refuse(offered);
  const token = event.data.token;
  // A token is a UUID: anything else is refused before any look-up.
  if (typeof token !== 'string' || token.length !== 36) return refuse(offered);
  const mine = await expected;
  if (port || mine === null || !sameToken(token, mine)) return refuse(offered);
  const accepted = offered;
  port = accepted;
  accepted.onmessage = (m: MessageEvent<unknown>) => {
    if (queued >= LIMITS.maxQueued) {
      reply(accepted, m.data, {
        ok: false,
        error: { code: 'busy', message: `more than ${LIMITS.maxQueued} requests are waiting` },
      });
      return;
    }
    queued++;
    queue = queue
      .then(() => serve(accepted, m.data))
      .finally(() => {
        queued--;
      });
  };
  const ready: PortStatus = { type: 'ready' };
  accepted.postMessage(ready);
});

function refuse(offered: MessagePort): void {
  try {
    const refused: PortStatus = { type: 'refused' };
    offered.postMessage(refused);
    offered.close();
  } catch {
    // A port that cannot be answered is simply dropped.
  }
}

/** Answers `request` (which may be anything a port carried: its `id` is echoed when it has one). */
function reply(to: MessagePort, request: unknown, answer: Outcome, transfer: Transferable[] = []): void {
  const id = isObject(request) ? request.id : undefined;
  const message: Answer = { id, ...answer };
  to.postMessage(message, transfer);
}

async function serve(to: MessagePort, request: unknown): Promise<void> {
  try {
    const [result, transfer] = await handle(request);
    reply(to, request, { ok: true, result }, transfer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // The package's errors carry their code (ERROR_CODES), handle.ts's theirs; a code is passed
    // on as it is, for content.js to act on (a lost device, say), never the message's text.
    const code = isObject(e) && typeof e.code === 'string' ? (e.code as EngineErrorCode) : 'error';
    reply(to, request, { ok: false, error: { code, message } });
  }
}
