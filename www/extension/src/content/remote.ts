// The remote-recorded engine, content.js side (issue 10, item 1): zero-copy where the page's CSP
// forbids WebAssembly in content.js's world, so that local.ts cannot run.
//
// The engine's wasm runs in the engine frame, on a stand-in for WebGPU that records every call
// (engine/recorder.ts, engine/remote.ts); this file holds the real device, next to the video, and
// plays the recorded calls on it (replay.ts). Frames go as they do in process: drawn from
// `new VideoFrame(video)` onto a GPU canvas, copied on the GPU (here into a texture of this
// device, which the recorded upload is played from), and each in-between is drawn into a WebGPU
// canvas of the overlay by the played commands. Per operation, only its numbers go to the frame
// and a few kilobytes of commands come back: no pixel crosses the process boundary, and no
// frame is read back (the recorder refuses readbacks).
//
// Operations are sent one at a time, each once the one before has been played, so the commands
// play in the order the engine made them and the frame's request queue (LIMITS.maxQueued) never
// fills. The surface is local.ts's (`GpuEngine`), so a Session runs either the same way.
import { EngineCallError, type RemoteOp } from '../messages.js';
import { checkAdapter, type EngineHandle, type GpuEngine, type LocalAdapter } from './local.js';
import { Player } from './replay.js';
import type { EngineClient } from './transport.js';

/** A frame or canvas of the remote engine: content.js's number for it. */
class RemoteHandle implements EngineHandle {
  private freed = false;
  constructor(
    readonly id: number,
    private readonly release: () => void,
  ) {}
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.release();
  }
}

/** Usage of the textures frames are uploaded into: the upload (copyExternalImageToTexture needs
 * RENDER_ATTACHMENT and COPY_DST) and the played copy out of them. */
const UPLOAD_USAGE = 0x02 | 0x01 | 0x10; // GPUTextureUsage COPY_DST | COPY_SRC | RENDER_ATTACHMENT

export class RemoteEngine implements GpuEngine {
  private disposed = false;
  private failed: Error | null = null;
  private chain: Promise<void> = Promise.resolve();
  private nextKey = 1;
  /** Upload textures not in use, of `poolSize`. */
  private pool: GPUTexture[] = [];
  private poolSize = '';
  /** Operations sent, for the debug stats. */
  ops = 0;

  private constructor(
    readonly client: EngineClient,
    readonly device: GPUDevice,
    private readonly player: Player,
    readonly adapter: LocalAdapter,
  ) {
    device.lost.then((info) => {
      this.failed ??= new EngineCallError(`the GPU device was lost (${info.message || info.reason})`, 'device-lost');
    });
    device.addEventListener('uncapturederror', (e) => {
      this.failed ??= new EngineCallError(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`, 'gpu');
    });
  }

  /** Starts the engine in the frame on a stand-in shaped like this adapter, asks the adapter for
   * the device the engine asked for, and plays the set-up (pipelines, weights) on it. */
  static async create(frame: EngineClient, allowSoftwareAdapter: boolean, staticGuard: boolean): Promise<RemoteEngine> {
    const checked = await checkAdapter(allowSoftwareAdapter);
    const adapter = checked.adapter;
    // The stand-in offers the engine no timestamp-query (remote.ts in the engine frame).
    const info = { ...checked.info, timestampQuery: false };
    const limits: Record<string, number> = {};
    // GPUSupportedLimits' attributes are enumerable accessors of its prototype.
    for (const k in adapter.limits) {
      const v = (adapter.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') limits[k] = v;
    }
    const init = await frame.call({ type: 'remote-init', features: [...adapter.features], limits, staticGuard });
    let device: GPUDevice | null = null;
    try {
      device = await adapter.requestDevice({
        requiredFeatures: init.device.requiredFeatures as GPUFeatureName[],
        requiredLimits: init.device.requiredLimits,
      });
      const player = new Player(device, adapter);
      player.play(init.commands);
      return new RemoteEngine(frame, device, player, info);
    } catch (e) {
      // The frame stays, for its own path: only the recording engine there goes.
      device?.destroy();
      await frame.call({ type: 'remote', op: { op: 'dispose' } }).catch(() => {});
      throw e;
    }
  }

  /** Sends `op` once everything before it was played, then plays its commands. Resolves when
   * they are played (or the engine has failed: `done` says so). */
  private send(op: RemoteOp): Promise<void> {
    this.chain = this.chain
      .then(async () => {
        if (this.failed || this.disposed) return;
        this.ops++;
        const answer = await this.client.call({ type: 'remote', op });
        if (!this.disposed) this.player.play(answer.commands);
      })
      .catch((e: unknown) => {
        this.failed ??= e instanceof Error ? e : new Error(String(e));
      });
    return this.chain;
  }

  /** `source` (a GPU canvas holding the frame at the working size) prepared at flow `scale`: copied
   * on the GPU now, so the canvas may be drawn over as soon as this returns. */
  prepare(source: OffscreenCanvas, scale: number): EngineHandle {
    this.check();
    const { width, height } = source;
    const texture = this.upload(width, height);
    this.device.queue.copyExternalImageToTexture(
      { source },
      { texture, colorSpace: 'srgb', premultipliedAlpha: false },
      [width, height],
    );
    const image = this.nextKey++;
    const id = this.nextKey++;
    this.player.externals.set(image, texture);
    void this.send({ op: 'prepare', frame: id, image, width, height, scale }).finally(() => {
      // Played (the copy out of it is queued) or failed: the texture may take the next frame.
      this.player.externals.delete(image);
      if (this.poolSize === `${width}x${height}` && !this.disposed) this.pool.push(texture);
      else texture.destroy();
    });
    return new RemoteHandle(id, () => void this.send({ op: 'free', frame: id }));
  }

  /** A WebGPU canvas the engine draws into (an overlay's, transferred with transferControlToOffscreen). */
  attach(canvas: OffscreenCanvas): EngineHandle {
    this.check();
    const id = this.nextKey++;
    this.player.externals.set(id, canvas);
    void this.send({ op: 'attach', canvas: id });
    return new RemoteHandle(id, () => {
      void this.send({ op: 'freeCanvas', canvas: id }).finally(() => this.player.externals.delete(id));
    });
  }

  /** The in-between of `a` and `b` at `t`, computed on the GPU (submitted, not done). */
  interpolate(a: EngineHandle, b: EngineHandle, t: number): void {
    this.check();
    void this.send({ op: 'interpolate', a: (a as RemoteHandle).id, b: (b as RemoteHandle).id, t });
  }

  /** Not measured on this path: the recording stand-in has no timestamps (a readback a frame),
   * so the session times the pair by the wall clock. */
  gpuTime(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  /** Draws the last interpolate()'s frame into `canvas` and presents it; resolves once drawn. */
  async present(canvas: EngineHandle): Promise<void> {
    this.check();
    await this.send({ op: 'present', canvas: (canvas as RemoteHandle).id });
    this.check();
  }

  /** Resolves when everything asked so far is played and the GPU has finished it. */
  async done(): Promise<void> {
    await this.chain;
    this.check();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  get alive(): boolean {
    return !this.disposed;
  }

  /** What the debug stats show of the replay. */
  get stats(): { ops: number; commands: number; names: number } {
    return { ops: this.ops, commands: this.player.played, names: this.player.size };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Removing the engine frame frees the recording engine with it.
    this.client.dispose();
    for (const t of this.pool) t.destroy();
    this.pool = [];
    this.device.destroy();
  }

  private check(): void {
    if (this.failed) throw this.failed;
    if (this.disposed) throw new EngineCallError('inbetween was stopped', 'gpu');
  }

  /** A texture to upload a width x height frame into: from the pool, or new. */
  private upload(width: number, height: number): GPUTexture {
    const size = `${width}x${height}`;
    if (size !== this.poolSize) {
      for (const t of this.pool) t.destroy();
      this.pool = [];
      this.poolSize = size;
    }
    return (
      this.pool.pop() ?? this.device.createTexture({ size: [width, height], format: 'rgba8unorm', usage: UPLOAD_USAGE })
    );
  }
}
