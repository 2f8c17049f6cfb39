// block_change.wgsl: the repeat (cadence) detector's statistic for the extension's in-process
// path, on the GPU, so that no frame is read back for it. Not a kernel of the RIFE engine (it is
// bundled into the extension's content.js as text, www/extension/src/content/block-stat.ts, and
// driven by plain JS WebGPU on a device of its own).
//
// What it computes is duplicates.ts's `compare` up to its sort: per 16x16 block of the analysis
// frame, the mean absolute grey difference between the new frame and each of up to four older
// ones. The TypeScript then takes the most-changed quarter (ChangeMeter.pushMeasured), so the
// thresholds measured on the labelled set (www/lib/DUPLICATES.md) keep their meaning.
//
// Fuses, in one dispatch:
// 1. the downscale of the source frame (the VideoFrame, imported as an external texture, at its
//    own size) to the analysis size (duplicates.ts `analysisSize`): an area average, every source
//    texel weighted by how much of the analysis pixel's footprint it covers (the 2D canvas's
//    'high' smoothing, which the readback path used, is a filtered downscale of the same footprint);
// 2. the grey of each source texel as `greyOf` makes it: each sRGB channel rounded to the 8-bit
//    value a canvas would store, then BT.601 weights (grey is linear in the channels, so averaging
//    the greys equals the grey of the averages);
// 3. the store of that grey into the ring's `new_slot` (the next frames compare against it);
// 4. per comparison k < count, |grey - ring[old[k]]| summed over the block (each invocation a
//    row of 16 pixels, the four comparisons at once as one vec4, then the 16 rows' sums added in
//    workgroup memory) and divided by the block's pixels inside the frame (a partial block at the
//    right or bottom edge counts over the pixels it has).
//
// Why a row per invocation and not a pixel: a 256-invocation tree reduction needs 9 workgroup
// barriers, and on SwiftShader (the software adapter of CI and of machines without a GPU) they
// are what costs: measured at 640x360 from a 1280x720 frame, 0.9-1.7 s a frame that way against
// 0.25-0.5 s with one barrier (about half of which is the external
// texture's loads). On a GPU, 16 invocations per block still make 14,720 of them at 640x360.
//
// Layout:
// - `ring`: slots of `stride` f32 each (stride >= width * height, a multiple of 64 so each slot
//   starts on a 256-byte boundary); slot s holds a grey frame row-major, pixel (x, y) at
//   s * stride + y * width + x.
// - `means`: count * blocks_x * blocks_y f32; comparison k's block (bx, by) at
//   k * blocks_x * blocks_y + by * blocks_x + bx.
// Bindings (group 0): 0 `p` (uniform Params), 1 `src` (texture_external), 2 `ring` (storage,
// read_write), 3 `means` (storage, read_write).
// Dispatch: (blocks_x, blocks_y, 1) workgroups of 16 invocations, one workgroup per block, one
// invocation per row of its pixels.

struct Params {
  /** The analysis frame's size. */
  width: u32,
  height: u32,
  /** Blocks per row: ceil(width / 16). */
  blocks_x: u32,
  /** Comparisons to make, 0..4 (the first frame of a stream has none). */
  count: u32,
  /** f32 per ring slot. */
  stride: u32,
  /** Where the new frame's grey goes. */
  new_slot: u32,
  _pad0: u32,
  _pad1: u32,
  /** The slots compared against, the first `count` of them. */
  old: vec4<u32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var src: texture_external;
@group(0) @binding(2) var<storage, read_write> ring: array<f32>;
@group(0) @binding(3) var<storage, read_write> means: array<f32>;

const BLOCK: u32 = 16u;
const LUMA = vec3<f32>(0.299, 0.587, 0.114);

/** Each row's sums of |differences|, one vec4 for the four comparisons. */
var<workgroup> acc: array<vec4<f32>, 16>;

/** The grey of analysis pixel (x, y): the area average of the source texels under it. */
fn grey_at(x: u32, y: u32) -> f32 {
  let size = vec2<f32>(textureDimensions(src));
  let ratio = size / vec2<f32>(f32(p.width), f32(p.height));
  // The pixel's footprint in source texels: [lo, hi) on each axis.
  let lo = vec2<f32>(f32(x), f32(y)) * ratio;
  let hi = min(lo + ratio, size);
  let first = vec2<u32>(floor(lo));
  let last = vec2<u32>(ceil(hi)) - vec2<u32>(1u);
  let limit = vec2<u32>(textureDimensions(src)) - vec2<u32>(1u);
  var sum = 0.0;
  var area = 0.0;
  for (var sy = first.y; sy <= min(last.y, limit.y); sy++) {
    let wy = min(hi.y, f32(sy + 1u)) - max(lo.y, f32(sy));
    for (var sx = first.x; sx <= min(last.x, limit.x); sx++) {
      let wx = min(hi.x, f32(sx + 1u)) - max(lo.x, f32(sx));
      let rgb = textureLoad(src, vec2<u32>(sx, sy)).rgb;
      // The 8-bit value a canvas stores, as getImageData would have given it.
      let q = round(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)) * 255.0);
      sum += dot(q, LUMA) * wx * wy;
      area += wx * wy;
    }
  }
  return sum / max(area, 1e-6);
}

@compute @workgroup_size(16, 1, 1)
fn main(@builtin(workgroup_id) block: vec3<u32>, @builtin(local_invocation_index) row: u32) {
  let y = block.y * BLOCK + row;
  var d = vec4<f32>(0.0);
  if (y < p.height) {
    for (var i = 0u; i < BLOCK; i++) {
      let x = block.x * BLOCK + i;
      if (x < p.width) {
        let pixel = y * p.width + x;
        let g = grey_at(x, y);
        ring[p.new_slot * p.stride + pixel] = g;
        for (var k = 0u; k < p.count; k++) {
          d[k] += abs(g - ring[p.old[k] * p.stride + pixel]);
        }
      }
    }
  }
  acc[row] = d;
  workgroupBarrier();
  if (row == 0u) {
    var sum = vec4<f32>(0.0);
    for (var r = 0u; r < BLOCK; r++) {
      sum += acc[r];
    }
    let w = min(BLOCK, p.width - block.x * BLOCK);
    let h = min(BLOCK, p.height - block.y * BLOCK);
    let blocks = p.blocks_x * ((p.height + BLOCK - 1u) / BLOCK);
    let at = block.y * p.blocks_x + block.x;
    for (var k = 0u; k < p.count; k++) {
      means[k * blocks + at] = sum[k] / f32(w * h);
    }
  }
}
