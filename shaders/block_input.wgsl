// block_input.wgsl: the input of one IFBlock: warp + concat + 1/s bilinear downscale, fused.
//
// Mirrors model/ifnet.rs `forward` (the `cat` of warped img0/img1, warped f0/f1, t, mask, feat)
// and model/ifblock.rs `forward` (cat with flow * (1/s), then `resize` to H/s x W/s with
// align_corners = false, no antialias). The downscale reads at most 2x2 full-resolution pixels
// per output pixel, so the warps are evaluated only there, never over the whole frame.
//
// Channel order of dst (ifnet.py IFNet.forward):
//   block0 (first = 1, 15 channels): img0 (3), img1 (3), f0 (4), f1 (4), t (1)
//   blocks 1-4 (28 channels):       warp(img0) (3), warp(img1) (3), warp(f0) (4), warp(f1) (4),
//                                   t (1), mask logit (1), feat (8), flow / s (4)
//
// Warp (model/warp.rs, cpu_kernels.rs `warp`): grid_sample(bilinear, border, align_corners=True),
// i.e. a bilinear sample at (x + fx, y + fy) with the position clamped to the frame. img0/f0
// follow flow[0:2], img1/f1 flow[2:4].
// Resize taps (cpu_kernels.rs `resize_taps`): src = max((dst + 0.5) * in/out - 0.5, 0).
// The time map is given at the unpadded size and extended by edge replication (lib.rs
// `time_tensor`, PadMode::Edge): sampling it at the clamped position is the same thing.
//
// Layout: img0/img1 are the frames' padded RGB as PW x PH rgba32float textures (R, G, B, 0),
// feat0/feat1 their encoder features (4 per texel); flow [4][PH][PW] as two ranges of one buffer
// (flow_lo: planes 0, 1, the flow to frame 0; flow_hi: planes 2, 3, to frame 1); mask
// [1][PH][PW]; the previous block's feat as two rgba32float textures (state_lo: channels 0..4,
// state_hi: 4..8; block_upsample.wgsl writes them); tmap [img_h][img_w]; dst [C][out_h][out_w].
// Planar f32 in the buffers.
// Why textures and ranges: at 4K (3840x2160 at scale 0.5, padded to 3840x2304) one f32 plane is
// 35 MB and WebGPU's default storage binding limit is 128 MiB, so a binding holds at most 3
// planes; this kernel reads 28 full-resolution planes, which cannot fit the default 8 storage
// buffers of a shader stage. The frames and the 8 feat planes are textures (sampled textures have
// no size limit but the texture dimension, and 16 of them per stage); flow, mask, tmap and the
// two halves of dst are 6 storage bindings, each under 128 MiB at 4K.
// dst and dst_hi hold `Act`: planar f32 or f16, or in the packed form u32 channel pairs
// [ceil(C/2)][out_h][out_w] (storage.wgsl); channel 14 starts dst_hi, so it starts a word.
// Every invocation writes all the channels of its pixel, in pairs; block 0's t (channel 14,
// dst_hi's first) is the last of its 15 and would fill its word's low half alone (block 0's
// input is f32 in every engine, so the packed form never runs that case).
// Bindings: 0 params, 1 img0, 2 feat0, 3 img1, 4 feat1 (texture_2d<f32>), 5 flow_lo, 6 flow_hi,
//           7 mask (read), 8 state_lo, 9 state_hi (texture_2d<f32>), 10 tmap (read), 11 dst
//           (channels 0..14, the warped ones), 12 dst_hi (channels 14.., from its own start):
//           two ranges of one buffer, so that the 28-channel full-resolution input of the last
//           block at 1080p (scale 1) or 4K (scale 0.5) fits two bindings of WebGPU's default
//           128 MiB (conv3x3 `split`).
// Dispatch: (ceil(out_w / 8), ceil(out_h / 8), 1); one invocation = one output pixel, all channels.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`), or u32 in its packed form (the `// packed:` lines,
// storage.wgsl). Arithmetic and accumulation are f32 either way. Block 0's input is f32 in
// every form: the engine builds this kernel in f32 for it too (kernels.rs `Precision::of_block`).
// The bilinear helpers (Tap, resize_tap, warp_pos, lerp2, lerp2v) are in sampling.wgsl, which the
// engine puts in front of this file.

alias Act = f32; // packed: alias Act = u32;

struct Params {
    full_w: u32,
    full_h: u32,
    out_w: u32,
    out_h: u32,
    ratio_x: f32,
    ratio_y: f32,
    inv_s: f32,
    first: u32,
    t_mode: u32,
    t_value: f32,
    img_w: u32,
    img_h: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var img0: texture_2d<f32>;
@group(0) @binding(2) var feat0: texture_2d<f32>;
@group(0) @binding(3) var img1: texture_2d<f32>;
@group(0) @binding(4) var feat1: texture_2d<f32>;
@group(0) @binding(5) var<storage, read> flow_lo: array<f32>;
@group(0) @binding(6) var<storage, read> flow_hi: array<f32>;
@group(0) @binding(7) var<storage, read> mask: array<f32>;
@group(0) @binding(8) var state_lo: texture_2d<f32>;
@group(0) @binding(9) var state_hi: texture_2d<f32>;
@group(0) @binding(10) var<storage, read> tmap: array<f32>;
@group(0) @binding(11) var<storage, read_write> dst: array<Act>;
@group(0) @binding(12) var<storage, read_write> dst_hi: array<Act>;

// Channels c and c + 1 (c even) of one pixel, at addresses a = at(c, ..) and b = at(c + 1, ..)
// (storage.wgsl): one word in the packed form.
fn st_dst(a: u32, b: u32, v: vec2<f32>) {
    dst[a] = Act(v.x); dst[b] = Act(v.y); // packed: dst[a >> 1u] = pack2x16float(v);
}

fn st_dst_hi(a: u32, b: u32, v: vec2<f32>) {
    dst_hi[a] = Act(v.x); dst_hi[b] = Act(v.y); // packed: dst_hi[a >> 1u] = pack2x16float(v);
}

// The last channel of an odd count, alone (c even): packed, its word's high half is 0.
fn st_dst_hi_last(a: u32, v: f32) {
    dst_hi[a] = Act(v); // packed: dst_hi[a >> 1u] = pack2x16float(vec2<f32>(v, 0.0));
}

// The 2x2 source pixels (columns x0, x1, rows y0, y1) and weights of one warp sample.
struct WarpTap {
    x0: u32,
    x1: u32,
    y0: u32,
    y1: u32,
    wx: f32,
    wy: f32,
}

fn warp_tap(qx: u32, qy: u32, fx: f32, fy: f32) -> WarpTap {
    let tx = tap_at(warp_pos(f32(qx) + fx, p.full_w), p.full_w);
    let ty = tap_at(warp_pos(f32(qy) + fy, p.full_h), p.full_h);
    return WarpTap(tx.i0, tx.i1, ty.i0, ty.i1, tx.w1, ty.w1);
}

// One warp sample of every channel of a frame texture.
fn warp(t: texture_2d<f32>, w: WarpTap) -> vec4<f32> {
    return lerp2v(textureLoad(t, vec2<u32>(w.x0, w.y0), 0), textureLoad(t, vec2<u32>(w.x1, w.y0), 0),
                  textureLoad(t, vec2<u32>(w.x0, w.y1), 0), textureLoad(t, vec2<u32>(w.x1, w.y1), 0),
                  w.wx, w.wy);
}

// The downscale of the warped texture: its warp at the 2x2 full-resolution pixels (taps c00..c11),
// blended with the resize weights. A corner whose weight is 0 is not evaluated (nx, ny false):
// lerp2v then returns the other corner exactly.
fn warp_down(t: texture_2d<f32>, c00: WarpTap, c01: WarpTap, c10: WarpTap, c11: WarpTap,
             nx: bool, ny: bool, wx: f32, wy: f32) -> vec4<f32> {
    let v00 = warp(t, c00);
    var v01 = v00; var v10 = v00; var v11 = v00;
    if (nx) { v01 = warp(t, c01); }
    if (ny) {
        v10 = warp(t, c10);
        v11 = v10;
        if (nx) { v11 = warp(t, c11); }
    }
    return lerp2v(v00, v01, v10, v11, wx, wy);
}

fn time_at(qx: u32, qy: u32) -> f32 {
    if (p.t_mode == 0u) {
        return p.t_value;
    }
    return tmap[min(qy, p.img_h - 1u) * p.img_w + min(qx, p.img_w - 1u)];
}

fn warp_taps0(qx: u32, qy: u32) -> WarpTap {
    let plane = p.full_w * p.full_h;
    let q = qy * p.full_w + qx;
    if (p.first != 0u) {
        // block0 reads the frames unwarped: the pixel itself, weights 0 (lerp2v returns it).
        return WarpTap(qx, qx, qy, qy, 0.0, 0.0);
    }
    return warp_tap(qx, qy, flow_lo[q], flow_lo[plane + q]);
}

fn warp_taps1(qx: u32, qy: u32) -> WarpTap {
    let plane = p.full_w * p.full_h;
    let q = qy * p.full_w + qx;
    if (p.first != 0u) {
        return WarpTap(qx, qx, qy, qy, 0.0, 0.0);
    }
    return warp_tap(qx, qy, flow_hi[q], flow_hi[plane + q]);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let ox = gid.x;
    let oy = gid.y;
    if (ox >= p.out_w || oy >= p.out_h) {
        return;
    }
    let tx = resize_tap(ox, p.ratio_x, p.full_w);
    let ty = resize_tap(oy, p.ratio_y, p.full_h);
    let wx = tx.w1;
    let wy = ty.w1;
    // A corner whose weight is 0 is not evaluated: lerp2 then returns the other corner exactly.
    // That is every corner but one at s = 1 (the last block at scale 1, where the resize is the
    // identity), so the warps there run once per pixel instead of four times.
    let nx = wx != 0.0;
    let ny = wy != 0.0;
    // Warp taps of the 2x2 full-resolution pixels the downscale reads, for side 0 and side 1.
    let a00 = warp_taps0(tx.i0, ty.i0);
    let b00 = warp_taps1(tx.i0, ty.i0);
    var a01 = a00; var b01 = b00; var a10 = a00; var b10 = b00; var a11 = a00; var b11 = b00;
    if (nx) {
        a01 = warp_taps0(tx.i1, ty.i0);
        b01 = warp_taps1(tx.i1, ty.i0);
    }
    if (ny) {
        a10 = warp_taps0(tx.i0, ty.i1);
        b10 = warp_taps1(tx.i0, ty.i1);
        a11 = a10;
        b11 = b10;
        if (nx) {
            a11 = warp_taps0(tx.i1, ty.i1);
            b11 = warp_taps1(tx.i1, ty.i1);
        }
    }
    let op = p.out_w * p.out_h;
    let o = oy * p.out_w + ox;

    // Warped images (channels 0..3 and 3..6) and features (6..10 and 10..14), in pairs.
    let i0 = warp_down(img0, a00, a01, a10, a11, nx, ny, wx, wy);
    let i1 = warp_down(img1, b00, b01, b10, b11, nx, ny, wx, wy);
    let f0 = warp_down(feat0, a00, a01, a10, a11, nx, ny, wx, wy);
    let f1 = warp_down(feat1, b00, b01, b10, b11, nx, ny, wx, wy);
    st_dst(at(0u, o, op), at(1u, o, op), i0.xy);
    st_dst(at(2u, o, op), at(3u, o, op), vec2<f32>(i0.z, i1.x));
    st_dst(at(4u, o, op), at(5u, o, op), i1.yz);
    st_dst(at(6u, o, op), at(7u, o, op), f0.xy);
    st_dst(at(8u, o, op), at(9u, o, op), f0.zw);
    st_dst(at(10u, o, op), at(11u, o, op), f1.xy);
    st_dst(at(12u, o, op), at(13u, o, op), f1.zw);

    // t (channel 14, dst_hi's 0).
    let t = lerp2(time_at(tx.i0, ty.i0), time_at(tx.i1, ty.i0), time_at(tx.i0, ty.i1),
                  time_at(tx.i1, ty.i1), wx, wy);
    if (p.first != 0u) {
        st_dst_hi_last(at(0u, o, op), t);
        return;
    }
    // mask logit (15), feat (16..24) and flow / s (24..28): read, not warped. Written from
    // dst_hi's channel 0 (t) on, in pairs.
    let plane = p.full_w * p.full_h;
    let q00 = ty.i0 * p.full_w + tx.i0;
    let q01 = ty.i0 * p.full_w + tx.i1;
    let q10 = ty.i1 * p.full_w + tx.i0;
    let q11 = ty.i1 * p.full_w + tx.i1;
    let logit = lerp2(mask[q00], mask[q01], mask[q10], mask[q11], wx, wy);
    st_dst_hi(at(0u, o, op), at(1u, o, op), vec2<f32>(t, logit));
    let c00 = vec2<u32>(tx.i0, ty.i0);
    let c01 = vec2<u32>(tx.i1, ty.i0);
    let c10 = vec2<u32>(tx.i0, ty.i1);
    let c11 = vec2<u32>(tx.i1, ty.i1);
    let s_lo = lerp2v(textureLoad(state_lo, c00, 0), textureLoad(state_lo, c01, 0),
                      textureLoad(state_lo, c10, 0), textureLoad(state_lo, c11, 0), wx, wy);
    let s_hi = lerp2v(textureLoad(state_hi, c00, 0), textureLoad(state_hi, c01, 0),
                      textureLoad(state_hi, c10, 0), textureLoad(state_hi, c11, 0), wx, wy);
    st_dst_hi(at(2u, o, op), at(3u, o, op), s_lo.xy);
    st_dst_hi(at(4u, o, op), at(5u, o, op), s_lo.zw);
    st_dst_hi(at(6u, o, op), at(7u, o, op), s_hi.xy);
    st_dst_hi(at(8u, o, op), at(9u, o, op), s_hi.zw);
    var f: vec2<f32>;
    var g: vec2<f32>;
    for (var k = 0u; k < 2u; k++) {
        let b = k * plane;
        f[k] = lerp2(flow_lo[b + q00] * p.inv_s, flow_lo[b + q01] * p.inv_s,
                     flow_lo[b + q10] * p.inv_s, flow_lo[b + q11] * p.inv_s, wx, wy);
        g[k] = lerp2(flow_hi[b + q00] * p.inv_s, flow_hi[b + q01] * p.inv_s,
                     flow_hi[b + q10] * p.inv_s, flow_hi[b + q11] * p.inv_s, wx, wy);
    }
    st_dst_hi(at(10u, o, op), at(11u, o, op), f);
    st_dst_hi(at(12u, o, op), at(13u, o, op), g);
}
