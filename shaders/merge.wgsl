// merge.wgsl: the last block's upscale + flow accumulation, fused with the final blend.
//
// Per full-resolution pixel (ifnet.rs `forward`, after the loop; ifnet.py lines 567-568):
//   flow  = flow + up(block4)[0:4] * s;  logit = up(block4)[4]      (as block_upsample.wgsl)
//   m     = sigmoid(logit)
//   out   = warp(img0, flow[0:2]) * m + warp(img1, flow[2:4]) * (1 - m)
// with the warp of block_input.wgsl (bilinear at (x + fx, y + fy), clamped to the frame).
// The flow and mask logit are written back over the whole padded frame (they are the outputs'
// flow/mask and the last block's trace); the image only inside the unpadded frame, cropped.
//
// Layout: src [13][src_h][src_w]; flow [4][H][W] as two ranges of one buffer (flow_lo: planes 0,
// 1; flow_hi: planes 2, 3: each under WebGPU's default 128 MiB binding at 4K, where the whole is
// 141 MB), mask [1][H][W]; img0/img1 the frames' padded RGB as W x H rgba32float textures (R, G,
// B, 0; head_conv0_unpack.wgsl writes them); out_rgb [3][img_h][img_w] f32 (not clamped, as the
// reference); out_rgba [img_h][img_w] u32 = RGBA8 (clamped to 0..1, rounded, alpha 255:
// image.rs `planar_to_u8`).
// Bindings: 0 params, 1 src (read), 2 flow_lo, 3 flow_hi, 4 mask (read_write), 5 img0, 6 img1
//           (texture_2d<f32>), 7 out_rgb, 8 out_rgba (read_write), 9 tmap [img_h][img_w] (read;
//           the guard's t).
//
// Also fused: the static-region guard of issue 12 (crate/core/src/guard.rs has the rule and
// why; same operations in the same order), when params.guard is 1: where both inputs agree at
// the pixel and most of its 3x3 patch, amid moving pixels, the output moves towards
// (1 - t) * img0 + t * img1. With params.guard 0 nothing of it runs: RIFE's output, bit for bit.
//
// Also fused: the average of `Options::mirror_average` (quality 'best'; lib.rs `interpolate_with`:
// `(out + mirrored_out.flip) * 0.5`, then the guard). The engine records the mirrored pass first,
// on the frames' mirror images, with params.combine = 1: its pixel (x, y) is written to out_rgb at
// column img_w - 1 - x, i.e. mirrored back, and nothing else (no RGBA; the guard is off there).
// The pass on the frames themselves follows in the same command buffer with combine = 2: each
// pixel is averaged with what out_rgb holds at its own place (the same invocation reads and writes
// that element, so it is race-free), and only then guarded and written, as the CPU path does.
// Running the mirrored pass first leaves the flow and mask buffers with the unmirrored pass's
// values, which the core's result keeps too (its `flow` and `mask` are the first pass's). So the
// average costs no dispatch: the mirrored path is two ordinary passes.
// Dispatch: (ceil(W / 8), ceil(H / 8), 1); one invocation = one full-resolution pixel.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`), or u32 in its packed form (the `// packed:` lines,
// storage.wgsl): there `src` is planar f16 halves two to a word along x (element i in half
// i & 1 of word i / 2, as deconv4x4s2.wgsl writes it). Arithmetic is f32 either way.
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
    img_w: u32,
    img_h: u32,
    guard: u32,
    // 0: every pixel at t_value; 1: each at tmap's value (as block_input.wgsl).
    t_mode: u32,
    t_value: f32,
    // 0: a plain pass; 1: the mirrored pass of mirror_average; 2: the pass that averages with it.
    combine: u32,
    _pad4: u32,
    _pad5: u32,
    _pad6: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<Act>;
@group(0) @binding(2) var<storage, read_write> flow_lo: array<f32>;
@group(0) @binding(3) var<storage, read_write> flow_hi: array<f32>;
@group(0) @binding(4) var<storage, read_write> mask: array<f32>;
@group(0) @binding(5) var img0: texture_2d<f32>;
@group(0) @binding(6) var img1: texture_2d<f32>;
@group(0) @binding(7) var<storage, read_write> out_rgb: array<f32>;
@group(0) @binding(8) var<storage, read_write> out_rgba: array<u32>;
@group(0) @binding(9) var<storage, read> tmap: array<f32>;

// Element i of src (planar [13][src_h][src_w]), as f32.
fn ld_src(i: u32) -> f32 {
    return f32(src[i]); // packed: return half_at(src[i >> 1u], i);
}

fn rgb0(x: u32, y: u32) -> vec4<f32> {
    return textureLoad(img0, vec2<u32>(x, y), 0);
}

fn rgb1(x: u32, y: u32) -> vec4<f32> {
    return textureLoad(img1, vec2<u32>(x, y), 0);
}

// The guard's constants: guard.rs LO, HI, STRUCT_LO, STRUCT_HI, PATCH_LO, PATCH_HI, CTX_LO, CTX_HI, CTX_R, CTX_STEP.
const G_LO: f32 = 3.0 / 255.0;
const G_HI: f32 = 6.0 / 255.0;
const G_STRUCT_LO: f32 = 32.0 / 255.0;
const G_STRUCT_HI: f32 = 64.0 / 255.0;
const G_PATCH_LO: f32 = 0.4;
const G_PATCH_HI: f32 = 0.7;
const G_CTX_LO: f32 = 0.15;
const G_CTX_HI: f32 = 0.35;
const G_CTX_R: i32 = 4;
const G_CTX_STEP: i32 = 6;

// guard.rs `smoothstep`, written out (not the builtin) so that both round alike.
fn sstep(lo: f32, hi: f32, x: f32) -> f32 {
    let u = clamp((x - lo) / (hi - lo), 0.0, 1.0);
    return u * u * (3.0 - 2.0 * u);
}

// How much the inputs agree at (x, y), clamped to the picture: 1 - smoothstep(max_c |a - b|).
fn agree(x: i32, y: i32) -> f32 {
    let cx = u32(clamp(x, 0, i32(p.img_w) - 1));
    let cy = u32(clamp(y, 0, i32(p.img_h) - 1));
    let a = rgb0(cx, cy);
    let b = rgb1(cx, cy);
    var m = 0.0;
    for (var c = 0u; c < 3u; c++) {
        m = max(m, abs(a[c] - b[c]));
    }
    return 1.0 - sstep(G_LO, G_HI, m);
}

// The guard's weight at (x, y) (guard.rs `apply`).
fn guard_weight(x: i32, y: i32) -> f32 {
    let here = agree(x, y);
    if (here <= 0.0) {
        return 0.0;
    }
    var near = 0.0;
    for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
            near += agree(x + dx, y + dy);
        }
    }
    var contrast = 0.0;
    for (var c = 0u; c < 3u; c++) {
        var mn = 3.4e38;
        var mx = -3.4e38;
        for (var dy = -2; dy <= 2; dy++) {
            for (var dx = -2; dx <= 2; dx++) {
                let cx = u32(clamp(x + dx, 0, i32(p.img_w) - 1));
                let cy = u32(clamp(y + dy, 0, i32(p.img_h) - 1));
                let v = rgb0(cx, cy)[c];
                mn = min(mn, v);
                mx = max(mx, v);
            }
        }
        contrast = max(contrast, mx - mn);
    }
    let s = here * sstep(G_PATCH_LO, G_PATCH_HI, near / 9.0) * sstep(G_STRUCT_LO, G_STRUCT_HI, contrast);
    if (s <= 0.0) {
        return 0.0;
    }
    var still = 0.0;
    for (var j = -G_CTX_R; j <= G_CTX_R; j++) {
        for (var i = -G_CTX_R; i <= G_CTX_R; i++) {
            still += agree(x + i * G_CTX_STEP, y + j * G_CTX_STEP);
        }
    }
    let n = f32((2 * G_CTX_R + 1) * (2 * G_CTX_R + 1));
    return s * sstep(G_CTX_LO, G_CTX_HI, 1.0 - still / n);
}

fn to_byte(v: f32) -> u32 {
    // Rust's f32::round rounds half away from zero; WGSL round() rounds half to even. For the
    // clamped, non-negative values here floor(v + 0.5) is the former.
    return u32(floor(clamp(v, 0.0, 1.0) * 255.0 + 0.5));
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
    var f: array<f32, 4>;
    for (var c = 0u; c < 4u; c++) {
        let b = c * sp;
        let up = lerp2(ld_src(b + r0 + tx.i0), ld_src(b + r0 + tx.i1), ld_src(b + r1 + tx.i0), ld_src(b + r1 + tx.i1), tx.w1, ty.w1);
        let i = (c & 1u) * plane + q;
        if (c < 2u) {
            f[c] = flow_lo[i] + up * p.s;
            flow_lo[i] = f[c];
        } else {
            f[c] = flow_hi[i] + up * p.s;
            flow_hi[i] = f[c];
        }
    }
    let b = 4u * sp;
    let logit = lerp2(ld_src(b + r0 + tx.i0), ld_src(b + r0 + tx.i1), ld_src(b + r1 + tx.i0), ld_src(b + r1 + tx.i1), tx.w1, ty.w1);
    mask[q] = logit;
    if (x >= p.img_w || y >= p.img_h) {
        return;
    }
    let m = 1.0 / (1.0 + exp(-logit));
    let ax = tap_at(warp_pos(f32(x) + f[0], p.full_w), p.full_w);
    let ay = tap_at(warp_pos(f32(y) + f[1], p.full_h), p.full_h);
    let bx = tap_at(warp_pos(f32(x) + f[2], p.full_w), p.full_w);
    let by = tap_at(warp_pos(f32(y) + f[3], p.full_h), p.full_h);
    let img_plane = p.img_w * p.img_h;
    let o = y * p.img_w + x;
    let w0 = lerp2v(rgb0(ax.i0, ay.i0), rgb0(ax.i1, ay.i0), rgb0(ax.i0, ay.i1), rgb0(ax.i1, ay.i1), ax.w1, ay.w1);
    let w1 = lerp2v(rgb1(bx.i0, by.i0), rgb1(bx.i1, by.i0), rgb1(bx.i0, by.i1), rgb1(bx.i1, by.i1), bx.w1, by.w1);
    var v: array<f32, 3>;
    for (var c = 0u; c < 3u; c++) {
        v[c] = w0[c] * m + w1[c] * (1.0 - m);
    }
    if (p.combine == 1u) {
        // The mirrored pass: mirrored back into place; the unmirrored pass finishes the pixel.
        let back = y * p.img_w + (p.img_w - 1u - x);
        for (var c = 0u; c < 3u; c++) {
            out_rgb[c * img_plane + back] = v[c];
        }
        return;
    }
    if (p.combine == 2u) {
        for (var c = 0u; c < 3u; c++) {
            v[c] = (v[c] + out_rgb[c * img_plane + o]) * 0.5;
        }
    }
    if (p.guard != 0u) {
        let g = guard_weight(i32(x), i32(y));
        if (g > 0.0) {
            let t = select(p.t_value, tmap[o], p.t_mode != 0u);
            let a = rgb0(x, y);
            let b = rgb1(x, y);
            for (var c = 0u; c < 3u; c++) {
                let still = a[c] * (1.0 - t) + b[c] * t;
                v[c] = still * g + v[c] * (1.0 - g);
            }
        }
    }
    var rgba = 255u << 24u;
    for (var c = 0u; c < 3u; c++) {
        out_rgb[c * img_plane + o] = v[c];
        rgba = rgba | (to_byte(v[c]) << (8u * c));
    }
    out_rgba[o] = rgba;
}
