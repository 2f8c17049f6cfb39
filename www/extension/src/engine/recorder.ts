// A recording stand-in for WebGPU, for the remote-recorded engine (remote.ts; issue 10, item 1, on
// pages whose CSP forbids WebAssembly).
//
// The package's wasm GPU engine runs here, in the engine frame (whose CSP lets WebAssembly
// compile), but against these objects instead of a real device: every WebGPU call it makes
// (through wgpu's `webgpu` backend and the wasm-bindgen glue, which call methods by name on
// whatever JS objects they are given) is written down as a `Command` (messages.ts), and
// content.js plays the commands on its own real device (content/replay.ts), next to the video.
// So the very engine that runs in process elsewhere, with its plan, its kernels and its weights
// exactly as they are, drives the GPU on these pages too: what crosses the process boundary per
// frame is a few kilobytes of commands, never a pixel.
//
// Only what the engine uses is here (the glue's imports list it: inbetween_wasm.js); anything else
// fails as a TypeError in the engine, which reports it. Things the engine asks of the device are
// answered from content.js's real adapter (features, limits), so the plan fits the device it will
// run on. Nothing is ever read back on this path: `mapAsync` is refused.
import type { Command, Recorded, RemoteDeviceDescriptor } from '../messages.js';

/** The names of the objects that exist from the start (messages.ts `Command`). */
const GPU = 1;
const ADAPTER = 2;
const DEVICE = 3;
const QUEUE = 4;

/** A recorded object: its name in the commands. */
class Fake {
  /** wgpu reads objects' labels (for its error messages). */
  label = '';
  constructor(
    protected readonly rec: Recorder,
    readonly $id: number,
  ) {}

  /** `this.method(...args)`, recorded, whose result is the new object `make` builds. */
  protected made<T extends Fake>(method: string, args: unknown[], make: (id: number) => T): T {
    const obj = make(this.rec.fresh());
    this.rec.track(obj);
    this.rec.record(this, method, args, obj);
    return obj;
  }
}

/** The WebGPU `GPUSupportedFeatures` set-like, as wgpu reads it (`has`). */
class Features {
  private readonly set: Set<string>;
  constructor(names: Iterable<string>) {
    this.set = new Set(names);
  }
  has(name: string): boolean {
    return this.set.has(name);
  }
  get size(): number {
    return this.set.size;
  }
  [Symbol.iterator](): Iterator<string> {
    return this.set[Symbol.iterator]();
  }
}

export class Recorder {
  private next = QUEUE + 1;
  private commands: Command[] = [];
  private transfer: ArrayBuffer[] = [];
  /** Names to drop with the next batch: the ones the engine let go (collected), and each
   * batch's canvas textures (valid only in the task that got them). */
  private drops: number[] = [];
  private readonly collected = new FinalizationRegistry<number>((id) => this.drops.push(id));
  readonly gpu: FakeGpu;
  /** What the engine asked `requestDevice` for (content.js asks its adapter for the same). */
  device: RemoteDeviceDescriptor | null = null;

  constructor(
    readonly features: string[],
    readonly limits: Record<string, number>,
  ) {
    this.gpu = new FakeGpu(this, GPU);
  }

  /** A new name. */
  fresh(): number {
    return this.next++;
  }

  /** `obj`'s name is dropped once the engine lets `obj` go. */
  track(obj: Fake): void {
    this.collected.register(obj, obj.$id);
  }

  /** Names content.js's object `key` (a canvas, an uploaded frame) for the commands. */
  external<T extends Fake>(kind: 'canvas' | 'image', key: number, make: (id: number) => T): T {
    const obj = make(this.fresh());
    this.track(obj);
    this.commands.push({ k: 'external', key, kind, result: obj.$id });
    return obj;
  }

  record(target: Fake, method: string, args: unknown[], result?: Fake): void {
    this.commands.push({
      k: 'call',
      target: target.$id,
      method,
      args: args.map((a) => this.encode(a)),
      ...(result ? { result: result.$id } : {}),
    });
  }

  set(target: Fake, key: string, value: unknown): void {
    this.commands.push({ k: 'set', target: target.$id, key, value: this.encode(value) });
  }

  upload(target: Fake, ranges: { offset: number; bytes: ArrayBuffer }[]): void {
    this.commands.push({ k: 'upload', target: target.$id, ranges });
    for (const r of ranges) this.transfer.push(r.bytes);
  }

  drop(...ids: number[]): void {
    this.drops.push(...ids);
  }

  /** The commands recorded since the last call, and the buffers they carry (to transfer). */
  take(): [Command[], ArrayBuffer[]] {
    const commands = this.commands;
    if (this.drops.length) commands.push({ k: 'drop', names: this.drops });
    const transfer = this.transfer;
    this.commands = [];
    this.transfer = [];
    this.drops = [];
    return [commands, transfer];
  }

  /** A value as the commands carry it: recorded objects by name, bytes copied out (the engine's
   * views point into its own memory, which it reuses), everything else as JSON would. */
  encode(v: unknown): Recorded {
    if (v instanceof Fake) return { $: v.$id };
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
    if (v === undefined) return null;
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice().buffer;
      this.transfer.push(bytes);
      return bytes;
    }
    if (v instanceof ArrayBuffer) {
      const bytes = v.slice(0);
      this.transfer.push(bytes);
      return bytes;
    }
    if (Array.isArray(v)) return v.map((x) => this.encode(x));
    if (typeof v === 'object') {
      const out: { [k: string]: Recorded } = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = this.encode(x);
      return out;
    }
    throw new TypeError(`the remote engine cannot record a ${typeof v}`);
  }

  /** Makes `navigator.gpu` this recorder's, for the engine to find (wgpu reads it when it makes
   * an instance). Returns the undo. */
  install(): () => void {
    const gpu = this.gpu;
    Object.defineProperty(navigator, 'gpu', { configurable: true, get: () => gpu });
    return () => {
      delete (navigator as unknown as Record<string, unknown>).gpu;
    };
  }
}

class FakeGpu extends Fake {
  private readonly adapter: FakeAdapter;
  constructor(rec: Recorder, id: number) {
    super(rec, id);
    this.adapter = new FakeAdapter(rec, ADAPTER);
  }
  requestAdapter(): Promise<FakeAdapter> {
    return Promise.resolve(this.adapter);
  }
  getPreferredCanvasFormat(): string {
    return 'rgba8unorm';
  }
}

class FakeAdapter extends Fake {
  readonly isFallbackAdapter = false;
  get features(): Features {
    return new Features(this.rec.features);
  }
  get limits(): Record<string, number> {
    return { ...this.rec.limits };
  }
  requestDevice(desc: { requiredFeatures?: Iterable<string>; requiredLimits?: Record<string, unknown> } = {}) {
    const limits: Record<string, number> = {};
    for (const [k, v] of Object.entries(desc.requiredLimits ?? {})) if (typeof v === 'number') limits[k] = v;
    this.rec.device = { requiredFeatures: [...(desc.requiredFeatures ?? [])], requiredLimits: limits };
    return Promise.resolve(new FakeDevice(this.rec, DEVICE, this.rec.device));
  }
}

class FakeDevice extends Fake {
  readonly queue: FakeQueue;
  readonly features: Features;
  readonly limits: Record<string, number>;
  /** Never lost here: content.js watches its real device. */
  readonly lost = new Promise<never>(() => {});
  onuncapturederror: unknown = null;
  constructor(rec: Recorder, id: number, desc: RemoteDeviceDescriptor) {
    super(rec, id);
    this.queue = new FakeQueue(rec, QUEUE);
    this.features = new Features(desc.requiredFeatures);
    this.limits = { ...rec.limits, ...desc.requiredLimits };
  }
  createBuffer(desc: { size: number; mappedAtCreation?: boolean }): FakeBuffer {
    return this.made('createBuffer', [desc], (id) => new FakeBuffer(this.rec, id, desc.size));
  }
  createTexture(desc: unknown): FakeTexture {
    return this.made('createTexture', [desc], (id) => new FakeTexture(this.rec, id));
  }
  createShaderModule(desc: unknown): Fake {
    return this.made('createShaderModule', [desc], (id) => new Fake(this.rec, id));
  }
  createComputePipeline(desc: unknown): FakePipeline {
    return this.made('createComputePipeline', [desc], (id) => new FakePipeline(this.rec, id));
  }
  createRenderPipeline(desc: unknown): FakePipeline {
    return this.made('createRenderPipeline', [desc], (id) => new FakePipeline(this.rec, id));
  }
  createBindGroup(desc: unknown): Fake {
    return this.made('createBindGroup', [desc], (id) => new Fake(this.rec, id));
  }
  createSampler(desc: unknown): Fake {
    return this.made('createSampler', [desc], (id) => new Fake(this.rec, id));
  }
  createCommandEncoder(desc: unknown): FakeEncoder {
    return this.made('createCommandEncoder', [desc], (id) => new FakeEncoder(this.rec, id));
  }
  destroy(): void {
    this.rec.record(this, 'destroy', []);
  }
}

class FakeQueue extends Fake {
  submit(buffers: Fake[]): void {
    this.rec.record(this, 'submit', [[...buffers]]);
    this.rec.drop(...[...buffers].map((b) => b.$id));
  }
  writeBuffer(buffer: Fake, offset: number, data: ArrayBufferView, dataOffset = 0, size?: number): void {
    // `dataOffset` and `size` count elements of `data` (bytes, for the Uint8Array the glue passes).
    const per = (data as Uint8Array).BYTES_PER_ELEMENT ?? 1;
    const start = data.byteOffset + dataOffset * per;
    const bytes = size === undefined ? data.byteLength - dataOffset * per : size * per;
    this.rec.record(this, 'writeBuffer', [buffer, offset, new Uint8Array(data.buffer, start, bytes)]);
  }
  /** crate/wasm's prepareImage: played by content.js as a copy from the texture it uploaded the
   * frame into (content/replay.ts). */
  copyExternalImageToTexture(source: unknown, destination: unknown, size: unknown): void {
    this.rec.record(this, 'copyExternalImageToTexture', [source, destination, size]);
  }
  /** content.js waits on its own queue; here everything is done at once. */
  onSubmittedWorkDone(): Promise<void> {
    return Promise.resolve();
  }
}

class FakeBuffer extends Fake {
  private mapped: { offset: number; bytes: ArrayBuffer }[] = [];
  constructor(
    rec: Recorder,
    id: number,
    readonly size: number,
  ) {
    super(rec, id);
  }
  /** A buffer mapped at creation: the engine writes its contents here; `unmap` records them. */
  getMappedRange(offset = 0, size?: number): ArrayBuffer {
    const bytes = new ArrayBuffer(size ?? this.size - offset);
    this.mapped.push({ offset, bytes });
    return bytes;
  }
  unmap(): void {
    this.rec.upload(this, this.mapped);
    this.mapped = [];
  }
  mapAsync(): Promise<never> {
    return Promise.reject(new Error('the remote-recorded engine reads nothing back'));
  }
  destroy(): void {
    this.rec.record(this, 'destroy', []);
    this.rec.drop(this.$id);
  }
}

class FakeTexture extends Fake {
  createView(desc: unknown): Fake {
    return this.made('createView', [desc], (id) => new Fake(this.rec, id));
  }
  destroy(): void {
    this.rec.record(this, 'destroy', []);
    this.rec.drop(this.$id);
  }
}

class FakePipeline extends Fake {
  getBindGroupLayout(index: number): Fake {
    return this.made('getBindGroupLayout', [index], (id) => new Fake(this.rec, id));
  }
}

class FakeEncoder extends Fake {
  private pass(method: string, desc: unknown): FakePass {
    return this.made(method, [desc], (id) => new FakePass(this.rec, id));
  }
  beginComputePass(desc: unknown): FakePass {
    return this.pass('beginComputePass', desc);
  }
  beginRenderPass(desc: unknown): FakePass {
    return this.pass('beginRenderPass', desc);
  }
  copyBufferToBuffer(...args: unknown[]): void {
    this.rec.record(this, 'copyBufferToBuffer', args);
  }
  copyTextureToBuffer(...args: unknown[]): void {
    this.rec.record(this, 'copyTextureToBuffer', args);
  }
  copyTextureToTexture(...args: unknown[]): void {
    this.rec.record(this, 'copyTextureToTexture', args);
  }
  finish(desc?: unknown): Fake {
    const buffer = this.made('finish', desc === undefined ? [] : [desc], (id) => new Fake(this.rec, id));
    this.rec.drop(this.$id);
    return buffer;
  }
}

class FakePass extends Fake {
  setPipeline(pipeline: Fake): void {
    this.rec.record(this, 'setPipeline', [pipeline]);
  }
  setBindGroup(index: number, group: Fake, offsets?: Uint32Array, start = 0, length?: number): void {
    const dynamic = offsets ? [...offsets.subarray(start, length === undefined ? undefined : start + length)] : [];
    this.rec.record(this, 'setBindGroup', dynamic.length ? [index, group, dynamic] : [index, group]);
  }
  dispatchWorkgroups(x: number, y = 1, z = 1): void {
    this.rec.record(this, 'dispatchWorkgroups', [x, y, z]);
  }
  draw(vertices: number, instances = 1, firstVertex = 0, firstInstance = 0): void {
    this.rec.record(this, 'draw', [vertices, instances, firstVertex, firstInstance]);
  }
  end(): void {
    this.rec.record(this, 'end', []);
    this.rec.drop(this.$id);
  }
}

/** content.js's canvas, as the engine sees it: its size is set (recorded) and its context made. */
export class FakeCanvas extends Fake {
  private w = 300;
  private h = 150;
  get width(): number {
    return this.w;
  }
  set width(v: number) {
    this.w = v;
    this.rec.set(this, 'width', v);
  }
  get height(): number {
    return this.h;
  }
  set height(v: number) {
    this.h = v;
    this.rec.set(this, 'height', v);
  }
  getContext(kind: string): FakeContext | null {
    if (kind !== 'webgpu') return null;
    return this.made('getContext', [kind], (id) => new FakeContext(this.rec, id));
  }
}

class FakeContext extends Fake {
  configure(desc: unknown): void {
    this.rec.record(this, 'configure', [desc]);
  }
  unconfigure(): void {
    this.rec.record(this, 'unconfigure', []);
  }
  /** Valid for this task only, on both sides: its name is dropped with the batch. */
  getCurrentTexture(): FakeTexture {
    const texture = this.made('getCurrentTexture', [], (id) => new FakeTexture(this.rec, id));
    this.rec.drop(texture.$id);
    return texture;
  }
}

/** An uploaded frame, as crate/wasm's prepareImage sees it (it reads the size). */
export class FakeImage extends Fake {
  constructor(
    rec: Recorder,
    id: number,
    readonly width: number,
    readonly height: number,
  ) {
    super(rec, id);
  }
}
