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
// Layout: side0/side1 are the frames' 7-plane buffers [img 3 | feat 4][PH][PW]; flow [4][PH][PW],
// mask [1][PH][PW], feat [8][PH][PW]; tmap [img_h][img_w]; dst [C][out_h][out_w]. Planar f32.
// Bindings: 0 params, 1 side0, 2 side1, 3 flow, 4 mask, 5 feat, 6 tmap (all read), 7 dst
//           (channels 0..14, the warped ones), 8 dst_hi (channels 14.., from its own start):
//           two ranges of one buffer, so that the 28-channel full-resolution input of the last
//           block at 1080p fits two bindings of WebGPU's default 128 MiB (conv3x3 `split`).
// Dispatch: (ceil(out_w / 8), ceil(out_h / 8), 1); one invocation = one output pixel, all channels.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`). Arithmetic and accumulation are f32 either way.
// The bilinear helpers (Tap, resize_tap, warp_pos, lerp2) are in sampling.wgsl, which the engine
// puts in front of this file.

alias Act = f32;

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
@group(0) @binding(1) var<storage, read> side0: array<f32>;
@group(0) @binding(2) var<storage, read> side1: array<f32>;
@group(0) @binding(3) var<storage, read> flow: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> feat: array<f32>;
@group(0) @binding(6) var<storage, read> tmap: array<f32>;
@group(0) @binding(7) var<storage, read_write> dst: array<Act>;
@group(0) @binding(8) var<storage, read_write> dst_hi: array<Act>;

// The 2x2 source pixels (flat offsets in a plane) and weights of one warp sample.
struct WarpTap {
    o00: u32,
    o01: u32,
    o10: u32,
    o11: u32,
    wx: f32,
    wy: f32,
}

fn warp_tap(qx: u32, qy: u32, fx: f32, fy: f32) -> WarpTap {
    let tx = tap_at(warp_pos(f32(qx) + fx, p.full_w), p.full_w);
    let ty = tap_at(warp_pos(f32(qy) + fy, p.full_h), p.full_h);
    let r0 = ty.i0 * p.full_w;
    let r1 = ty.i1 * p.full_w;
    return WarpTap(r0 + tx.i0, r0 + tx.i1, r1 + tx.i0, r1 + tx.i1, tx.w1, ty.w1);
}

fn warp0(plane: u32, t: WarpTap) -> f32 {
    let b = plane * p.full_w * p.full_h;
    return lerp2(side0[b + t.o00], side0[b + t.o01], side0[b + t.o10], side0[b + t.o11], t.wx, t.wy);
}

fn warp1(plane: u32, t: WarpTap) -> f32 {
    let b = plane * p.full_w * p.full_h;
    return lerp2(side1[b + t.o00], side1[b + t.o01], side1[b + t.o10], side1[b + t.o11], t.wx, t.wy);
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
        // block0 reads the frames unwarped: the pixel itself, weights 0 (lerp2 returns it).
        return WarpTap(q, q, q, q, 0.0, 0.0);
    }
    return warp_tap(qx, qy, flow[q], flow[plane + q]);
}

fn warp_taps1(qx: u32, qy: u32) -> WarpTap {
    let plane = p.full_w * p.full_h;
    let q = qy * p.full_w + qx;
    if (p.first != 0u) {
        return WarpTap(q, q, q, q, 0.0, 0.0);
    }
    return warp_tap(qx, qy, flow[2u * plane + q], flow[3u * plane + q]);
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
    let out_plane = p.out_w * p.out_h;
    let o = oy * p.out_w + ox;

    // Warped image and features: frame planes k = 0..7 of each side. Side 0's image goes to
    // channels 0..3 and its features to 6..10; side 1's to 3..6 and 10..14.
    for (var k = 0u; k < 7u; k++) {
        var v00 = warp0(k, a00);
        var v01 = v00; var v10 = v00; var v11 = v00;
        if (nx) { v01 = warp0(k, a01); }
        if (ny) {
            v10 = warp0(k, a10);
            v11 = v10;
            if (nx) { v11 = warp0(k, a11); }
        }
        dst[select(k + 3u, k, k < 3u) * out_plane + o] = Act(lerp2(v00, v01, v10, v11, wx, wy));
        v00 = warp1(k, b00);
        v01 = v00; v10 = v00; v11 = v00;
        if (nx) { v01 = warp1(k, b01); }
        if (ny) {
            v10 = warp1(k, b10);
            v11 = v10;
            if (nx) { v11 = warp1(k, b11); }
        }
        dst[select(k + 7u, k + 3u, k < 3u) * out_plane + o] = Act(lerp2(v00, v01, v10, v11, wx, wy));
    }

    // t (channel 14).
    {
        let v00 = time_at(tx.i0, ty.i0);
        let v01 = time_at(tx.i1, ty.i0);
        let v10 = time_at(tx.i0, ty.i1);
        let v11 = time_at(tx.i1, ty.i1);
        dst_hi[o] = Act(lerp2(v00, v01, v10, v11, wx, wy));
    }
    if (p.first != 0u) {
        return;
    }
    // mask logit (15), feat (16..24) and flow / s (24..28): read, not warped.
    let plane = p.full_w * p.full_h;
    let q00 = ty.i0 * p.full_w + tx.i0;
    let q01 = ty.i0 * p.full_w + tx.i1;
    let q10 = ty.i1 * p.full_w + tx.i0;
    let q11 = ty.i1 * p.full_w + tx.i1;
    dst_hi[out_plane + o] = Act(lerp2(mask[q00], mask[q01], mask[q10], mask[q11], wx, wy));
    for (var k = 0u; k < 8u; k++) {
        let b = k * plane;
        dst_hi[(2u + k) * out_plane + o] =
            Act(lerp2(feat[b + q00], feat[b + q01], feat[b + q10], feat[b + q11], wx, wy));
    }
    for (var k = 0u; k < 4u; k++) {
        let b = k * plane;
        let f = lerp2(flow[b + q00] * p.inv_s, flow[b + q01] * p.inv_s, flow[b + q10] * p.inv_s,
                      flow[b + q11] * p.inv_s, wx, wy);
        dst_hi[(10u + k) * out_plane + o] = Act(f);
    }
}
