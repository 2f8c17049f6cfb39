// Plays the remote-recorded engine's WebGPU commands (messages.ts `Command`, recorded by
// engine/recorder.ts in the engine frame) on content.js's real device, in the order they were
// made. Names are looked up here; the two things the recording cannot hold are content.js's own:
// - an uploaded frame: the engine's `copyExternalImageToTexture` from the page's image becomes a
//   copy from the texture content.js uploaded that image into (content/remote.ts), the same
//   bytes, since both copies are rgba8unorm with the same conversion;
// - a canvas: named with `external`, it is the overlay's OffscreenCanvas.
import type { Command, Recorded } from '../messages.js';

const ADAPTER = 2;
const DEVICE = 3;
const QUEUE = 4;

type Target = Record<string, unknown>;

export class Player {
  private readonly names = new Map<number, unknown>();
  /** content.js's objects the commands may name, by content.js's key. */
  readonly externals = new Map<number, unknown>();
  /** Commands played, for the debug stats. */
  played = 0;

  constructor(
    private readonly device: GPUDevice,
    adapter: GPUAdapter,
  ) {
    this.names.set(ADAPTER, adapter);
    this.names.set(DEVICE, device);
    this.names.set(QUEUE, device.queue);
  }

  /** Names in use (objects the engine holds: pipelines, buffers, bind groups, …). */
  get size(): number {
    return this.names.size;
  }

  play(commands: Command[]): void {
    for (const c of commands) {
      this.one(c);
      this.played++;
    }
  }

  private one(c: Command): void {
    switch (c.k) {
      case 'call': {
        const target = this.get(c.target) as Target;
        const args = c.args.map((a) => this.decode(a));
        if (c.method === 'copyExternalImageToTexture') {
          this.copyUpload(args);
          return;
        }
        const method = target[c.method];
        if (typeof method !== 'function') throw new Error(`the recorded engine called ${c.method}, which is not here`);
        const result = method.apply(target, args);
        if (c.result !== undefined) this.names.set(c.result, result);
        return;
      }
      case 'set':
        (this.get(c.target) as Target)[c.key] = this.decode(c.value);
        return;
      case 'external': {
        const obj = this.externals.get(c.key);
        if (obj === undefined)
          throw new Error(`the recorded engine names ${c.kind} ${c.key}, which content.js has not`);
        this.names.set(c.result, obj);
        return;
      }
      case 'upload': {
        const buffer = this.get(c.target) as GPUBuffer;
        for (const r of c.ranges) {
          new Uint8Array(buffer.getMappedRange(r.offset, r.bytes.byteLength)).set(new Uint8Array(r.bytes));
        }
        buffer.unmap();
        return;
      }
      case 'drop':
        for (const n of c.names) this.names.delete(n);
        return;
    }
  }

  /** The recorded `queue.copyExternalImageToTexture({ source }, destination, size)`, with the
   * image already on this GPU: a texture copy. */
  private copyUpload([source, destination, size]: unknown[]): void {
    const from = (source as { source: GPUTexture }).source;
    const to = destination as GPUTexelCopyTextureInfo;
    const encoder = this.device.createCommandEncoder();
    encoder.copyTextureToTexture(
      { texture: from },
      { texture: to.texture, mipLevel: to.mipLevel ?? 0, origin: to.origin ?? [0, 0, 0] },
      size as GPUExtent3D,
    );
    this.device.queue.submit([encoder.finish()]);
  }

  private get(name: number): unknown {
    const obj = this.names.get(name);
    if (obj === undefined) throw new Error(`the recorded engine used object ${name}, which is gone`);
    return obj;
  }

  private decode(v: Recorded): unknown {
    if (v === null || typeof v !== 'object' || v instanceof ArrayBuffer) return v;
    if (Array.isArray(v)) return v.map((x) => this.decode(x));
    if ('$' in v && typeof v.$ === 'number' && Object.keys(v).length === 1) return this.get(v.$);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = this.decode(x as Recorded);
    return out;
  }
}
