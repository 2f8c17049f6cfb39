// deconv4x4s2.wgsl: ConvTranspose2d(cin, cout, kernel 4, stride 2, padding 1) + bias, optionally
// fused with PixelShuffle(2).
//
// Mirrors model/conv.rs `deconv4x4s2`, used twice:
// - Head.cnn3, ConvTranspose2d(16, 4) with no activation (head.rs): `shuffle = 0`, writing the 4
//   feature planes straight into the frame's 7-plane buffer at `dst_off`.
// - IFBlock.lastconv, ConvTranspose2d(c, 52) then PixelShuffle(2) (ifblock.rs): `shuffle = 1`.
//   Group g computes deconv channels 4g..4g+3, which PixelShuffle(2) sends to channel g at the
//   2x2 sub-pixels: out[g, 2Y+i, 2X+j] = deconv[4g + 2i + j, Y, X] (NOTES.md). So the 13-channel
//   result is written directly, and the 52-channel tensor never exists.
//
// Transposed conv, per output pixel Y (same for X): out[o, Y] = b[o] + sum over ky with
// Y = 2 iy - 1 + ky of in[iy] * W[ci, o, ky]. Exactly two ky qualify, of parity (Y + 1) & 1:
// ky = py (iy = (Y + 1 - py) / 2) and ky = py + 2 (iy - 1). So 2x2 taps per input channel.
//
// Layout: src [cin][in_h][in_w]; deconv output [cout][2 in_h][2 in_w] (shuffle = 0) or
// [cout / 4][4 in_h][4 in_w] (shuffle = 1), planar f32, from element dst_off.
// Weights (vec4 units): weights[w_off + (g * cin + ci) * 16 + ky * 4 + kx] = W[ci, 4g..4g+3, ky, kx]
// (PyTorch/burn ConvTranspose2d weight [cin, cout, 4, 4]); bias weights[b_off + g].
//
// Bindings: 0 params, 1 weights, 2 src (read), 3 dst (read_write).
// Dispatch: (ceil(2 in_w / 8), ceil(2 in_h / 8), cout / 4); one invocation = one deconv pixel x 4
// channels.

struct Params {
    cin: u32,
    in_h: u32,
    in_w: u32,
    shuffle: u32,
    w_off: u32,
    b_off: u32,
    dst_off: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
    _pad4: u32,
    _pad5: u32,
    _pad6: u32,
    _pad7: u32,
    _pad8: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let X = gid.x;
    let Y = gid.y;
    let g = gid.z;
    let ow = 2u * p.in_w;
    let oh = 2u * p.in_h;
    if (X >= ow || Y >= oh) {
        return;
    }
    let py = (Y + 1u) & 1u;
    let px = (X + 1u) & 1u;
    // First tap: kernel row py at input row iy; second: row py + 2 at iy - 1.
    let iy = (Y + 1u - py) / 2u;
    let ix = (X + 1u - px) / 2u;
    let vy_a = iy < p.in_h;
    let vy_b = iy >= 1u;
    let vx_a = ix < p.in_w;
    let vx_b = ix >= 1u;
    let ry_a = min(iy, p.in_h - 1u) * p.in_w;
    let ry_b = (max(iy, 1u) - 1u) * p.in_w;
    let cx_a = min(ix, p.in_w - 1u);
    let cx_b = max(ix, 1u) - 1u;
    // Kernel taps (ky * 4 + kx) of the four combinations.
    let k_aa = py * 4u + px;
    let k_ab = py * 4u + px + 2u;
    let k_ba = (py + 2u) * 4u + px;
    let k_bb = (py + 2u) * 4u + px + 2u;

    var acc = weights[p.b_off + g];
    let plane = p.in_h * p.in_w;
    var wi = p.w_off + g * p.cin * 16u;
    var base = 0u;
    for (var ci = 0u; ci < p.cin; ci++) {
        let v_aa = select(0.0, src[base + ry_a + cx_a], vy_a && vx_a);
        let v_ab = select(0.0, src[base + ry_a + cx_b], vy_a && vx_b);
        let v_ba = select(0.0, src[base + ry_b + cx_a], vy_b && vx_a);
        let v_bb = select(0.0, src[base + ry_b + cx_b], vy_b && vx_b);
        acc = fma(vec4<f32>(v_aa), weights[wi + k_aa], acc);
        acc = fma(vec4<f32>(v_ab), weights[wi + k_ab], acc);
        acc = fma(vec4<f32>(v_ba), weights[wi + k_ba], acc);
        acc = fma(vec4<f32>(v_bb), weights[wi + k_bb], acc);
        wi += 16u;
        base += plane;
    }

    if (p.shuffle != 0u) {
        let sw = 2u * ow;
        let o = p.dst_off + g * (4u * oh * ow) + (2u * Y) * sw + 2u * X;
        dst[o] = acc.x;
        dst[o + 1u] = acc.y;
        dst[o + sw] = acc.z;
        dst[o + sw + 1u] = acc.w;
    } else {
        let op = oh * ow;
        let o = p.dst_off + (4u * g) * op + Y * ow + X;
        dst[o] = acc.x;
        dst[o + op] = acc.y;
        dst[o + 2u * op] = acc.z;
        dst[o + 3u * op] = acc.w;
    }
}
