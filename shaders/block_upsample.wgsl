// block_upsample.wgsl: an IFBlock's output brought back to full resolution and folded into the
// running state: bilinear upscale by s (align_corners = false), then
//   flow  = flow + up[0:4] * s   (block0: flow = up[0:4] * s)   ifnet.rs: flow summed across blocks
//   mask  = up[4]                 (replaced)                      ifblock.rs `mask = tmp[:, 4:5]`
//   feat  = up[5:13]              (replaced)                      ifblock.rs `feat = tmp[:, 5:]`
// (ifblock.rs `forward`: `resize(tmp, h, w)`, `flow = tmp[:, :4] * s`; ifnet.rs `prev + out.flow`.)
// The last block's upscale is fused into merge.wgsl instead.
//
// Layout: src [13][src_h][src_w] (deconv4x4s2.wgsl with shuffle), flow [4][H][W] as two ranges of
// one buffer (flow_lo: planes 0, 1; flow_hi: planes 2, 3), mask [1][H][W], planar f32; feat as
// two W x H rgba32float textures (state_lo: channels 0..4, state_hi: 4..8), which
// block_input.wgsl reads. Each invocation reads and writes only its own pixel of flow, so the
// in-place accumulation is race-free.
// Why: at 4K (scale 0.5, 3840x2304 padded) a 4-plane f32 flow is 141 MB and the 8 feat planes
// 283 MB, over WebGPU's default 128 MiB storage binding; a flow half is 71 MB, and textures have
// no binding-size limit.
// Bindings: 0 params, 1 src (read), 2 flow_lo, 3 flow_hi, 4 mask (read_write), 5 state_lo,
//           6 state_hi (texture_storage_2d<rgba32float, write>).
// Dispatch: (ceil(W / 8), ceil(H / 8), 1); one invocation = one full-resolution pixel.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`), or u32 in its packed form (the `// packed:` lines,
// storage.wgsl): there `src` is planar f16 halves two to a word along x (element i in half
// i & 1 of word i / 2, as deconv4x4s2.wgsl writes it). Arithmetic is f32 either way. Block 0's
// `src` is f32 in every form: the engine builds this kernel in f32 for it too (kernels.rs
// `Precision::of_block`).
// The bilinear helpers (Tap, resize_tap, warp_pos, lerp2) are in sampling.wgsl, which the engine
// puts in front of this file.

alias Act = f32; // packed: alias Act = u32;

struct Params {
    src_w: u32,
    src_h: u32,
    full_w: u32,
    full_h: u32,
    ratio_x: f32,
    ratio_y: f32,
    s: f32,
    first: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
    _pad4: u32,
    _pad5: u32,
    _pad6: u32,
    _pad7: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<Act>;
@group(0) @binding(2) var<storage, read_write> flow_lo: array<f32>;
@group(0) @binding(3) var<storage, read_write> flow_hi: array<f32>;
@group(0) @binding(4) var<storage, read_write> mask: array<f32>;
@group(0) @binding(5) var state_lo: texture_storage_2d<rgba32float, write>;
@group(0) @binding(6) var state_hi: texture_storage_2d<rgba32float, write>;

// Element i of src (planar [13][src_h][src_w]), as f32.
fn ld_src(i: u32) -> f32 {
    return f32(src[i]); // packed: return half_at(src[i >> 1u], i);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let x = gid.x;
    let y = gid.y;
    if (x >= p.full_w || y >= p.full_h) {
        return;
    }
    let tx = resize_tap(x, p.ratio_x, p.src_w);
    let ty = resize_tap(y, p.ratio_y, p.src_h);
    let sp = p.src_w * p.src_h;
    let r0 = ty.i0 * p.src_w;
    let r1 = ty.i1 * p.src_w;
    let plane = p.full_w * p.full_h;
    let q = y * p.full_w + x;
    var feat: array<f32, 8>;
    for (var c = 0u; c < 13u; c++) {
        let b = c * sp;
        let top = ld_src(b + r0 + tx.i0) + (ld_src(b + r0 + tx.i1) - ld_src(b + r0 + tx.i0)) * tx.w1;
        let bottom = ld_src(b + r1 + tx.i0) + (ld_src(b + r1 + tx.i1) - ld_src(b + r1 + tx.i0)) * tx.w1;
        let v = top + (bottom - top) * ty.w1;
        if (c < 2u) {
            let f = v * p.s;
            let i = c * plane + q;
            if (p.first != 0u) {
                flow_lo[i] = f;
            } else {
                flow_lo[i] = flow_lo[i] + f;
            }
        } else if (c < 4u) {
            let f = v * p.s;
            let i = (c - 2u) * plane + q;
            if (p.first != 0u) {
                flow_hi[i] = f;
            } else {
                flow_hi[i] = flow_hi[i] + f;
            }
        } else if (c == 4u) {
            mask[q] = v;
        } else {
            feat[c - 5u] = v;
        }
    }
    let xy = vec2<u32>(x, y);
    textureStore(state_lo, xy, vec4<f32>(feat[0], feat[1], feat[2], feat[3]));
    textureStore(state_hi, xy, vec4<f32>(feat[4], feat[5], feat[6], feat[7]));
}
