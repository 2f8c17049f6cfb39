// content.js's side of the connection to its engine frame (engine.html; engine/engine.ts says why
// the engine is a frame and how it decides whom to trust). One EngineClient per run: removing
// the frame ends its worker and frees its GPU device and model.
import {
  type Answer,
  type Connect,
  EngineCallError,
  type EngineRequest,
  isEngineToken,
  isObject,
  type ResultOf,
} from '../messages.js';
import { withTimeout } from './util.js';

type Settle = { resolve: (result: unknown) => void; reject: (e: Error) => void };

export class EngineClient {
  private readonly url = chrome.runtime.getURL('engine.html');
  private readonly host = document.createElement('div');
  private readonly frame = document.createElement('iframe');
  private port: MessagePort | null = null;
  private readonly pending = new Map<number, Settle>();
  private nextId = 1;
  private dead: Error | null = null;
  private onToken: ((message: unknown, sender: chrome.runtime.MessageSender) => void) | null = null;

  constructor() {
    this.host.style.cssText =
      'all: initial; position: fixed; left: -10px; top: -10px; width: 1px; height: 1px; ' +
      'opacity: 0; pointer-events: none; overflow: hidden;';
    // Closed: the page cannot reach the frame element (nor change its src) through the host.
    const root = this.host.attachShadow({ mode: 'closed' });
    this.frame.style.cssText = 'border: 0; width: 1px; height: 1px;';
    // No `allow` attribute: Chromium has no permissions-policy feature for WebGPU (it warns
    // "Unrecognized feature: 'webgpu'"); the frame gets WebGPU like any document.
    root.append(this.frame);
  }

  async connect(): Promise<void> {
    const loaded = new Promise((resolve) => this.frame.addEventListener('load', resolve, { once: true }));
    // The nonce names this frame to the service worker, which answers with the frame's token.
    const nonce = crypto.randomUUID();
    const tokenArrived = new Promise<string>((resolve) => {
      const onToken = (message: unknown, sender: chrome.runtime.MessageSender) => {
        if (sender.id === chrome.runtime.id && isEngineToken(message) && message.nonce === nonce) {
          chrome.runtime.onMessage.removeListener(onToken);
          resolve(message.token);
        }
      };
      this.onToken = onToken;
      chrome.runtime.onMessage.addListener(onToken);
    });
    this.frame.src = `${this.url}#${nonce}`;
    document.documentElement.append(this.host);
    await withTimeout(loaded, 20_000, 'the engine frame did not load');
    // The frame accepts a port only with the one-time token the service worker made for it
    // (background.ts, engine/engine.ts): the page's scripts can post to the frame too, and must
    // not get in. The token comes here through the extension's messaging, for this frame's nonce.
    const token = await withTimeout(tokenArrived, 20_000, 'the engine frame was not introduced');
    const channel = new MessageChannel();
    const port = channel.port1;
    this.port = port;
    const ready = new Promise<void>((resolve, reject) => {
      port.onmessage = (e: MessageEvent<unknown>) => {
        if (isObject(e.data) && e.data.type === 'ready') {
          port.onmessage = (m: MessageEvent<Answer>) => this.settle(m.data);
          resolve();
        } else if (isObject(e.data) && e.data.type === 'refused') {
          reject(new Error('the engine frame refused the connection'));
        }
      };
    });
    const connect: Connect = { type: 'inbetween-connect', token };
    const engineWindow = this.frame.contentWindow;
    if (!engineWindow) throw new Error('the engine frame was removed');
    // Addressed to the extension's origin only.
    engineWindow.postMessage(connect, new URL(this.url).origin, [channel.port2]);
    await withTimeout(ready, 20_000, 'the engine frame did not answer (the page may block extension frames)');
  }

  /** A request; its answer is typed by its `type`. */
  call<R extends EngineRequest>(request: R, transfer: Transferable[] = []): Promise<ResultOf[R['type']]> {
    return this.post(request, transfer) as Promise<ResultOf[R['type']]>;
  }

  /** Anything at all, as the engine's request (test hooks: the engine must refuse what is malformed). */
  post(request: unknown, transfer: Transferable[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Spread as given (a malformed request stays malformed), the id last.
      (this.port as MessagePort).postMessage({ ...(request as object), id }, transfer);
    });
  }

  private settle(response: Answer): void {
    const p = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (!p) return;
    this.pending.delete(response.id as number);
    if (response.ok) p.resolve(response.result);
    else p.reject(new EngineCallError(response.error.message, response.error.code));
  }

  /** Removing the frame ends its worker and frees its GPU device and model. */
  dispose(): void {
    if (this.onToken) chrome.runtime.onMessage.removeListener(this.onToken);
    this.dead = new Error('inbetween was stopped');
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
    this.port?.close();
    this.host.remove();
  }
}
