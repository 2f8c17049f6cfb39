// The repeat detector's statistic on the GPU (issue 10, item 3): per captured frame, the
// VideoFrame is imported as an external texture and one compute dispatch
// (shaders/block_change.wgsl) makes its grey at the analysis size into a small ring on the GPU
// and the per-16x16-block mean grey differences against the earlier frames the detector compares
// with (duplicates.ts `comparedBacks`). Only those block means are read back: at 640x360, 40x23
// floats per comparison, four comparisons, 14.7 KB, asynchronously (mapAsync), so capture never
// waits. duplicates.ts's ChangeMeter.pushMeasured and CadenceGuard decide on them as they do on
// greys.
//
// Plain JS WebGPU on a device of its own: the in-process engine's device lives inside the wasm,
// and a content script can make a device on any page, strict CSP or not (NOTES.md). It replaces
// the 2D canvas readback (getImageData of a 640x360 copy, 35-93 ms a frame on SwiftShader), which
// stays as the fallback (capture.ts) when this cannot start or its device is lost.
import SHADER from '../../../../shaders/block_change.wgsl';
import { blockGrid, comparedBacks, REPEAT_RULE } from '../../../lib/src/shared/duplicates.js';

/** Frames compared against (comparedBacks: the previous, and 3..maxHold+2 back) plus the new one. */
const SLOTS = REPEAT_RULE.maxHold + 3;
const BACKS = comparedBacks();
/** Params in block_change.wgsl: 8 u32, then vec4<u32>. */
const PARAMS_BYTES = 48;
/** GPUBufferUsage's and GPUMapMode's values (the spec's: TypeScript's DOM lib declares the types
 * but not these namespaces). */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ = 0x1;

/** A frame size, in pixels. */
interface Size {
  width: number;
  height: number;
}

/** The GPU device the statistic runs on, one per run of the extension (shared by its videos). */
export class BlockStatDevice {
  /** Why the device went (lost or destroyed), once it has. */
  lostWhy: string | null = null;
  private readonly pipeline: GPUComputePipeline;

  private constructor(readonly device: GPUDevice) {
    const module = device.createShaderModule({ code: SHADER, label: 'block_change.wgsl' });
    this.pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    device.lost.then((info) => {
      this.lostWhy = `the statistic's GPU device was lost (${info.reason || 'unknown'}: ${info.message || 'no message'})`;
    });
  }

  /** A device for the statistic, or the reason there is none (then the readback path serves). */
  static async create(): Promise<BlockStatDevice | string> {
    try {
      const adapter = await navigator.gpu?.requestAdapter();
      if (!adapter) return 'no WebGPU adapter for the statistic';
      const device = await adapter.requestDevice();
      device.pushErrorScope('validation');
      const stat = new BlockStatDevice(device);
      const error = await device.popErrorScope();
      if (error) {
        device.destroy();
        return `block_change.wgsl did not compile: ${error.message}`;
      }
      return stat;
    } catch (e) {
      return `the statistic's GPU device could not start: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  get alive(): boolean {
    return this.lostWhy === null;
  }

  /** A meter's GPU side for frames compared at `size` (the analysis size). */
  ring(size: Size): BlockRing {
    return new BlockRing(this.device, this.pipeline, size);
  }

  destroy(): void {
    this.lostWhy ??= 'stopped';
    this.device.destroy();
  }
}

/** Block means of one frame: `means(back)` for each of comparedBacks there was a frame for. */
export type Measured = (back: number) => Float32Array | null;

/**
 * The ring of greys of one stream at one analysis size, and its block-means readback. Frames are
 * measured in push order; each result resolves in that order.
 */
export class BlockRing {
  private readonly ring: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly means: GPUBuffer;
  /** Staging buffers for the readback, reused once unmapped. */
  private readonly idle: GPUBuffer[] = [];
  private readonly staging = new Set<GPUBuffer>();
  private readonly stride: number;
  private readonly blocks: number;
  private readonly across: number;
  /** Frames pushed (the next one's slot is pushed % SLOTS). */
  private pushed = 0;
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    readonly size: Size,
  ) {
    const { across, down } = blockGrid(size.width, size.height);
    this.across = across;
    this.blocks = across * down;
    // Each slot on a 256-byte boundary (64 f32).
    this.stride = Math.ceil((size.width * size.height) / 64) * 64;
    this.ring = device.createBuffer({ size: SLOTS * this.stride * 4, usage: USAGE.STORAGE, label: 'grey ring' });
    this.params = device.createBuffer({ size: PARAMS_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    this.means = device.createBuffer({
      size: BACKS.length * this.blocks * 4,
      usage: USAGE.STORAGE | USAGE.COPY_SRC,
      label: 'block means',
    });
  }

  /**
   * Queues the measurement of `frame` (still open: the caller closes it as soon as this returns;
   * the work is submitted by then) against the frames pushed before it. Resolves with its block
   * means, or rejects when the device is lost or the ring destroyed.
   */
  push(frame: VideoFrame): Promise<Measured> {
    if (this.destroyed) return Promise.reject(new Error('the block ring is gone'));
    const device = this.device;
    const slot = this.pushed % SLOTS;
    const olds: number[] = [];
    const backs: number[] = [];
    for (const back of BACKS) {
      if (back > this.pushed) break;
      backs.push(back);
      olds.push((this.pushed - back) % SLOTS);
    }
    this.pushed++;
    const p = new Uint32Array(PARAMS_BYTES / 4);
    p.set([this.size.width, this.size.height, this.across, olds.length, this.stride, slot, 0, 0]);
    p.set(olds, 8);
    device.queue.writeBuffer(this.params, 0, p);
    const source = device.importExternalTexture({ source: frame, colorSpace: 'srgb' });
    const group = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: source },
        { binding: 2, resource: { buffer: this.ring } },
        { binding: 3, resource: { buffer: this.means } },
      ],
    });
    const bytes = Math.max(1, olds.length) * this.blocks * 4;
    const staging =
      this.idle.pop() ??
      device.createBuffer({
        size: BACKS.length * this.blocks * 4,
        usage: USAGE.MAP_READ | USAGE.COPY_DST,
        label: 'block means readback',
      });
    this.staging.add(staging);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, group);
    const { down } = blockGrid(this.size.width, this.size.height);
    pass.dispatchWorkgroups(this.across, down, 1);
    pass.end();
    if (olds.length > 0) enc.copyBufferToBuffer(this.means, 0, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    if (olds.length === 0) {
      // The stream's first frame: only its grey was stored, nothing to read.
      this.staging.delete(staging);
      this.idle.push(staging);
      return Promise.resolve(() => null);
    }
    return staging.mapAsync(MAP_READ, 0, bytes).then(
      () => {
        const all = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
        staging.unmap();
        this.staging.delete(staging);
        if (this.destroyed) staging.destroy();
        else this.idle.push(staging);
        return (back: number) => {
          const k = backs.indexOf(back);
          return k < 0 ? null : all.subarray(k * this.blocks, (k + 1) * this.blocks);
        };
      },
      (e: unknown) => {
        this.staging.delete(staging);
        staging.destroy();
        throw e;
      },
    );
  }

  /** The next frame starts a new stream: it is compared with none before it. */
  restart(): void {
    this.pushed = 0;
  }

  /** Frees the GPU buffers (a readback in flight rejects, and frees its own). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ring.destroy();
    this.params.destroy();
    this.means.destroy();
    for (const b of this.idle) b.destroy();
    this.idle.length = 0;
  }
}
