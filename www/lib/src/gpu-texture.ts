// A caller's own GPUTexture in and out of the package, on the page (issue 9, item 3).
//
// The texture lives on the caller's GPUDevice, the engine on the worker's own device, and a
// GPUTexture can neither be transferred to a worker nor used on another device. What crosses
// both lines is a canvas image: the texture is drawn into an OffscreenCanvas whose WebGPU context
// is configured on the caller's device, and `transferToImageBitmap()` hands the canvas's texture
// over as an ImageBitmap. In Chrome that bitmap is the GPU image itself (no readback); it goes to
// the worker like any ImageBitmap input and is copied into the engine's frame there. Output goes
// the other way: the worker draws into a canvas of its own and sends its bitmap back, which is
// copied into the caller's texture with `copyExternalImageToTexture` on the caller's device.
//
// Every step on the caller's device runs inside a validation error scope, so that a destroyed
// texture or one from another device is an error of the call (not an uncaptured error event
// on the caller's device), and nothing of ours is left on its error-scope stack.

import { TEXTURE_BLIT_WGSL } from './generated/wgsl.js';
import { codedError } from './shared/errors.js';

/** A frame in a caller's GPUTexture, for any call that takes a frame. */
export interface GpuTextureSource {
  /**
   * A 2D texture (one layer, not multisampled) in `rgba8unorm`, `rgba8unorm-srgb`,
   * `bgra8unorm`, `bgra8unorm-srgb`, `rgba16float`, `rgb10a2unorm` or `rgba32float`, with
   * `COPY_SRC` or `TEXTURE_BINDING` usage. Mip level 0 is read. Values are taken as
   * sRGB-encoded, as a WebGPU canvas shows them (the `-srgb` formats' stored bytes are); alpha
   * is ignored.
   */
  texture: GPUTexture;
  /** The device the texture belongs to. */
  device: GPUDevice;
}

/** A caller's GPUTexture that `interpolate(…, { output })` writes the frame into. */
export interface GpuTextureTarget {
  /**
   * A 2D texture of the frames' size (one layer, not multisampled) in `rgba8unorm`,
   * `rgba8unorm-srgb`, `bgra8unorm`, `bgra8unorm-srgb`, `rgba16float`, `rgb10a2unorm` or
   * `rgba32float`, with `COPY_DST` and `RENDER_ATTACHMENT` usage (what
   * `copyExternalImageToTexture` needs). Mip level 0 is written, as sRGB-encoded values.
   */
  texture: GPUTexture;
  /** The device the texture belongs to. */
  device: GPUDevice;
}

// GPUTextureUsage's bits, spelled out: TypeScript's DOM lib has the types but not the constants.
const COPY_SRC = 0x01;
const COPY_DST = 0x02;
const TEXTURE_BINDING = 0x04;
const RENDER_ATTACHMENT = 0x10;

/** The source formats, each with the canvas format a plain copy lands in (null: it is drawn
 * into a canvas of the preferred 8-bit format instead). A copy may drop the `-srgb`: the bytes are the same
 * sRGB-encoded values. rgba16float is drawn although a canvas takes it: Chromium 156 (on
 * SwiftShader) refuses to import the image of an rgba16float canvas on the worker's device
 * ("Failed to copy content from external image"), while an rgba8unorm one imports. */
const SOURCE_FORMATS: Record<string, GPUCanvasConfiguration['format'] | null> = {
  rgba8unorm: 'rgba8unorm',
  'rgba8unorm-srgb': 'rgba8unorm',
  bgra8unorm: 'bgra8unorm',
  'bgra8unorm-srgb': 'bgra8unorm',
  rgba16float: null,
  rgb10a2unorm: null,
  rgba32float: null,
};

/** What `copyExternalImageToTexture` can write, of the 4-channel formats. */
const TARGET_FORMATS = new Set([
  'rgba8unorm',
  'rgba8unorm-srgb',
  'bgra8unorm',
  'bgra8unorm-srgb',
  'rgba16float',
  'rgb10a2unorm',
  'rgba32float',
]);

const formatList = (formats: Iterable<string>) => [...formats].join(', ');

function isTexture(x: unknown): x is GPUTexture {
  return typeof GPUTexture !== 'undefined' && x instanceof GPUTexture;
}

function isDevice(x: unknown): x is GPUDevice {
  return typeof GPUDevice !== 'undefined' && x instanceof GPUDevice;
}

/** Whether `x` is meant as a GpuTextureSource (an object with a `texture`), to be checked. */
export function looksLikeGpuTexture(x: unknown): x is GpuTextureSource {
  return typeof x === 'object' && x !== null && 'texture' in x && !(x instanceof ImageData);
}

/** The checks a source and a target share: the types, and a plain 2D texture. */
function checkShape(x: GpuTextureSource | GpuTextureTarget, label: string): GPUTexture {
  const { texture, device } = x;
  if (!isTexture(texture)) throw new TypeError(`${label}.texture must be a GPUTexture`);
  if (!isDevice(device)) throw new TypeError(`${label}.device must be the GPUDevice of ${label}.texture`);
  if (texture.dimension !== '2d' || texture.depthOrArrayLayers !== 1) {
    const got = texture.dimension === '2d' ? `${texture.depthOrArrayLayers} layers` : `a ${texture.dimension} texture`;
    throw new TypeError(`${label}.texture must be a 2D texture of one layer, got ${got}`);
  }
  if (texture.sampleCount !== 1) {
    throw new TypeError(`${label}.texture is multisampled (${texture.sampleCount} samples): resolve it first`);
  }
  return texture;
}

/** The size of a source texture, or a TypeError saying what is wrong with it. */
export function gpuTextureSize(src: GpuTextureSource, label: string): { width: number; height: number } {
  const texture = checkShape(src, label);
  if (!(texture.format in SOURCE_FORMATS)) {
    throw new TypeError(
      `${label}.texture is ${texture.format}; the formats taken are ${formatList(Object.keys(SOURCE_FORMATS))}`,
    );
  }
  if ((texture.usage & (COPY_SRC | TEXTURE_BINDING)) === 0) {
    throw new TypeError(`${label}.texture needs GPUTextureUsage.COPY_SRC or TEXTURE_BINDING to be read`);
  }
  return { width: texture.width, height: texture.height };
}

/** Checks a target texture for frames of `size` (TypeErrors, before any work). */
export function checkGpuTarget(target: unknown, size: { width: number; height: number }): GpuTextureTarget {
  if (typeof target !== 'object' || target === null || !('texture' in target)) {
    throw new TypeError('output must be { texture: GPUTexture, device: GPUDevice }');
  }
  const t = target as GpuTextureTarget;
  const texture = checkShape(t, 'output');
  if (!TARGET_FORMATS.has(texture.format)) {
    throw new TypeError(`output.texture is ${texture.format}; the formats written are ${formatList(TARGET_FORMATS)}`);
  }
  if ((texture.usage & (COPY_DST | RENDER_ATTACHMENT)) !== (COPY_DST | RENDER_ATTACHMENT)) {
    throw new TypeError('output.texture needs GPUTextureUsage.COPY_DST and RENDER_ATTACHMENT to be written');
  }
  if (texture.width !== size.width || texture.height !== size.height) {
    throw new TypeError(
      `output.texture is ${texture.width}x${texture.height}, the frames are ${size.width}x${size.height}`,
    );
  }
  return t;
}

/** The canvas format textures are drawn into: the browser's preferred one. */
function drawFormat(): 'rgba8unorm' | 'bgra8unorm' {
  return navigator.gpu.getPreferredCanvasFormat() === 'bgra8unorm' ? 'bgra8unorm' : 'rgba8unorm';
}

/** Rejects when `device` is lost: a lost device does nothing and reports no error, so its
 * textures would give a blank frame. `device.lost` is the only way to know, and it is a
 * promise: raced against a value, an already-settled `lost` wins, since its reaction is queued
 * first. */
async function checkAlive(device: GPUDevice, label: string): Promise<void> {
  const info = await Promise.race([device.lost, null]);
  if (info) throw codedError(`${label} was lost (${info.reason}: ${info.message || 'no message'})`, 'gpu');
}

/** Per device: the canvas the textures are drawn into, and the draw pipelines by view format. */
interface Blitter {
  canvas: OffscreenCanvas;
  context: GPUCanvasContext;
  /** The configuration in force ("format usage"), to configure only when it changes. */
  configured: string;
  pipelines: Map<GPUTextureFormat, GPURenderPipeline>;
  layout: GPUBindGroupLayout | null;
}
const blitters = new WeakMap<GPUDevice, Blitter>();

function blitterOf(device: GPUDevice): Blitter {
  let b = blitters.get(device);
  if (!b) {
    const canvas = new OffscreenCanvas(1, 1);
    const context = canvas.getContext('webgpu') as GPUCanvasContext | null;
    if (!context) throw new Error('could not create a WebGPU OffscreenCanvas context to read the GPUTexture');
    b = { canvas, context, configured: '', pipelines: new Map(), layout: null };
    blitters.set(device, b);
  }
  return b;
}

// The blit kernel: shaders/texture_blit.wgsl (its header says layout, bindings and what it fuses).

function pipelineOf(device: GPUDevice, b: Blitter, format: GPUTextureFormat): GPURenderPipeline {
  let pipeline = b.pipelines.get(format);
  if (!pipeline) {
    // Unfilterable-float: textureLoad takes every float format, rgba32float included.
    b.layout ??= device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: 2 /* GPUShaderStage.FRAGMENT */, texture: { sampleType: 'unfilterable-float' } },
      ],
    });
    const module = device.createShaderModule({ code: TEXTURE_BLIT_WGSL, label: 'inbetween texture blit' });
    pipeline = device.createRenderPipeline({
      label: 'inbetween texture blit',
      layout: device.createPipelineLayout({ bindGroupLayouts: [b.layout] }),
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format }] },
      primitive: { topology: 'triangle-list' },
    });
    b.pipelines.set(format, pipeline);
  }
  return pipeline;
}

/**
 * The texture's pixels as an ImageBitmap (the caller closes it), made on the caller's device with
 * no readback: a texture-to-texture copy into the canvas when the formats allow it and the
 * texture has COPY_SRC, else one render pass (from a scratch copy of the texture when it has
 * COPY_SRC but not TEXTURE_BINDING). `src` was checked by `gpuTextureSize`. Rejects
 * with a TypeError when the device refused the work (a destroyed texture, or one of another
 * device).
 */
export async function gpuTextureBitmap(src: GpuTextureSource, label: string): Promise<ImageBitmap> {
  const { texture, device } = src;
  await checkAlive(device, `${label}.device`);
  const { width, height } = texture;
  const b = blitterOf(device);
  const copyFormat = SOURCE_FORMATS[texture.format] ?? null;
  const copy = copyFormat !== null && (texture.usage & COPY_SRC) !== 0;
  // Drawn: into the browser's preferred canvas format (rgba8unorm or bgra8unorm), which spares
  // the compositor a conversion.
  const drawn = drawFormat();
  const canvasFormat = copy ? copyFormat : drawn;
  // An sRGB source is decoded by textureLoad, so it is drawn through an sRGB view of the canvas,
  // which encodes it again.
  const srgb = texture.format.endsWith('-srgb');
  const viewFormat: GPUTextureFormat = !copy && srgb ? `${drawn}-srgb` : canvasFormat;
  const usage = copy ? COPY_DST : RENDER_ATTACHMENT;
  const key = `${canvasFormat} ${usage} ${viewFormat}`;
  if (b.canvas.width !== width) b.canvas.width = width;
  if (b.canvas.height !== height) b.canvas.height = height;
  device.pushErrorScope('validation');
  let bitmap: ImageBitmap | null = null;
  let thrown: unknown = null;
  let scratch: GPUTexture | null = null;
  try {
    if (b.configured !== key) {
      b.context.configure({
        device,
        format: canvasFormat,
        usage,
        alphaMode: 'opaque',
        colorSpace: 'srgb',
        viewFormats: viewFormat === canvasFormat ? [] : [viewFormat],
      });
      b.configured = key;
    }
    const target = b.context.getCurrentTexture();
    const encoder = device.createCommandEncoder({ label: 'inbetween texture blit' });
    if (copy) {
      encoder.copyTextureToTexture({ texture }, { texture: target }, [width, height]);
    } else {
      let source = texture;
      if ((texture.usage & TEXTURE_BINDING) === 0) {
        // Only COPY_SRC: a bindable copy to draw from, destroyed once submitted (WebGPU keeps it
        // alive for the work already queued).
        scratch = device.createTexture({
          label: 'inbetween texture blit scratch',
          size: [width, height],
          format: texture.format,
          usage: COPY_DST | TEXTURE_BINDING,
        });
        encoder.copyTextureToTexture({ texture }, { texture: scratch }, [width, height]);
        source = scratch;
      }
      const view = source.createView({ dimension: '2d', baseMipLevel: 0, mipLevelCount: 1 });
      const pipeline = pipelineOf(device, b, viewFormat);
      const layout = b.layout as GPUBindGroupLayout;
      const group = device.createBindGroup({ layout, entries: [{ binding: 0, resource: view }] });
      const pass = encoder.beginRenderPass({
        colorAttachments: [{ view: target.createView({ format: viewFormat }), loadOp: 'clear', storeOp: 'store' }],
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.draw(3);
      pass.end();
    }
    device.queue.submit([encoder.finish()]);
    bitmap = b.canvas.transferToImageBitmap();
  } catch (e) {
    thrown = e;
  } finally {
    scratch?.destroy();
  }
  // Popped before anything is awaited, so the scope covers exactly the work above.
  const refused = await device.popErrorScope().catch((e: unknown) => e as GPUError);
  if (thrown !== null || refused || !bitmap) {
    bitmap?.close();
    // The canvas may be left in any state, and a pipeline made in a failed scope may be invalid:
    // make them again next time.
    b.configured = '';
    b.pipelines.clear();
    b.layout = null;
    const message = thrown instanceof Error ? thrown.message : (refused?.message ?? String(thrown));
    throw new TypeError(`${label}.texture could not be read (destroyed, or not of ${label}.device?): ${message}`);
  }
  return bitmap;
}

/**
 * Copies `bitmap` (the frame, as the worker drew it) into the caller's texture on its device
 * (queued; the caller's later work on that queue sees it), and closes the bitmap. Rejects with
 * a TypeError when the device refused the copy (a destroyed texture, or one of another device).
 */
export async function writeGpuTarget(bitmap: ImageBitmap, target: GpuTextureTarget): Promise<void> {
  const { device, texture } = target;
  try {
    await checkAlive(device, 'output.device');
  } catch (e) {
    bitmap.close();
    throw e;
  }
  device.pushErrorScope('validation');
  let thrown: unknown = null;
  try {
    device.queue.copyExternalImageToTexture(
      { source: bitmap },
      { texture, colorSpace: 'srgb', premultipliedAlpha: false },
      [bitmap.width, bitmap.height],
    );
  } catch (e) {
    thrown = e;
  } finally {
    bitmap.close();
  }
  const refused = await device.popErrorScope().catch((e: unknown) => e as GPUError);
  if (thrown !== null || refused) {
    const message = thrown instanceof Error ? thrown.message : (refused?.message ?? String(thrown));
    throw new TypeError(
      `the frame could not be written to output.texture (destroyed, or not of output.device?): ${message}`,
    );
  }
}
