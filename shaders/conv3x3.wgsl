// conv3x3.wgsl: 3x3 convolution, zero padding 1, stride 1 or 2, + bias + LeakyReLU(0.2), with
// the ResConv residual fused in.
//
// Mirrors, with `residual = 0`:  ifnet.py `conv()` = Conv2d(3, stride, pad 1) + LeakyReLU(0.2)
// (crate/core/src/model/ifblock.rs conv0a/conv0b, head.rs cnn1/cnn2);
// with `residual = 1`: ifnet.py `ResConv.forward` = lrelu(conv(x) * beta + x), beta already
// folded into the weights and bias by the converter (crate/core/src/model/resconv.rs), so
// here y = lrelu(conv(x) + x). The residual needs stride 1 and cin == cout.
//
// The stride is a pipeline-overridable constant (`STRIDE`): one pipeline per stride, so the
// column choice below is fixed once the pipeline is made. Written without private arrays or
// inner loops over pixels: on lavapipe a version with those measured 1.6x slower than one pixel
// per invocation, and this form 1.6x faster than one pixel per invocation.
//
// Layout: activations are planar [C][H][W] of `Act` (batch 1), flattened: f32, or f16 in the
// fast mode; in its packed form (F16Packed) u32 words of two f16 channels, [ceil(C/2)][H][W]
// (channel pairs, storage.wgsl). Each invocation writes whole channel pairs (8 channels a
// pixel), so no two invocations share a word.
// Weights (packed once at load by crate/gpu/src/weights.rs), in vec4 units:
//   weights[w_off + ((ob * cin + ci) * 9 + ky * 3 + kx) * 2 + j]
//     = W[8 ob + 4 j .. 8 ob + 4 j + 3, ci, ky, kx]   (ob: block of 8 output channels)
//   bias: weights[b_off + 2 ob + j] = b[8 ob + 4 j .. 8 ob + 4 j + 3]
// All invocations of a workgroup read the same two weight vec4s at each step (a broadcast), and
// each pair of weight loads feeds 4 pixels x 8 channels of FMAs.
//
// Bindings: 0 params (uniform), 1 weights (storage read), 2 src [cin][in_h][in_w] (read),
//           3 dst [cout][out_h][out_w] (read_write), 4 src_hi (read): input channels from
//           `split` on, so a 28-channel full-resolution block input can sit in two bindings
//           (each under the 128 MiB default limit at 1080p); split = cin when unused.
//           5 dst_hi (read_write): output channels from `dst_split` (a multiple of 8) on, from
//           its own start. The encoder's 16-channel half-resolution activations are two ranges
//           of one buffer, in and out (141 MB each in f32 at 4K and scale 0.5, over 128 MiB;
//           two 71 MB ranges); dst_split = cout when unused (dst_hi is then a small spare
//           buffer that is never written).
// Dispatch: (ceil(out_w / 32), ceil(out_h / 8), cout / 8); one invocation = 4 horizontally
// adjacent output pixels x 8 output channels, accumulated in f32.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`), or u32 in its packed form (the `// packed:` lines,
// storage.wgsl). Arithmetic and accumulation are f32 either way. Activations are read and
// written only through ld_* and st_* below and addressed with storage.wgsl's `at`. Block 0's
// activations are f32 in every form: the engine builds this kernel in f32 for it too (kernels.rs
// `Precision::of_block`); the encoder and blocks 1-4 use the engine's form.

alias Act = f32; // packed: alias Act = u32;

struct Params {
    cin: u32,
    in_h: u32,
    in_w: u32,
    // Informational: the kernel uses the pipeline constant STRIDE.
    stride: u32,
    out_h: u32,
    out_w: u32,
    w_off: u32,
    b_off: u32,
    residual: u32,
    lrelu: u32,
    // Input channels ci < split come from `src`, the others from `src_hi` (channel ci - split).
    split: u32,
    // Output channels co >= dst_split go to `dst_hi` (channel co - dst_split).
    dst_split: u32,
    _pad2: u32,
    _pad3: u32,
    _pad4: u32,
    _pad5: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<Act>;
@group(0) @binding(3) var<storage, read_write> dst: array<Act>;
@group(0) @binding(4) var<storage, read> src_hi: array<Act>;
@group(0) @binding(5) var<storage, read_write> dst_hi: array<Act>;

override STRIDE: u32 = 1u;
const SLOPE: f32 = 0.2;

// One activation at address a (storage.wgsl), as f32.
fn ld_src(a: u32) -> f32 {
    return f32(src[a]); // packed: return half_at(src[a >> 1u], a);
}

fn ld_src_hi(a: u32) -> f32 {
    return f32(src_hi[a]); // packed: return half_at(src_hi[a >> 1u], a);
}

// Channels c and c + 1 (c even) of one pixel, at addresses a = at(c, ..) and b = at(c + 1, ..):
// one word in the packed form.
fn st_dst(a: u32, b: u32, v: vec2<f32>) {
    dst[a] = Act(v.x); dst[b] = Act(v.y); // packed: dst[a >> 1u] = pack2x16float(v);
}

fn st_dst_hi(a: u32, b: u32, v: vec2<f32>) {
    dst_hi[a] = Act(v.x); dst_hi[b] = Act(v.y); // packed: dst_hi[a >> 1u] = pack2x16float(v);
}

fn lrelu(v: vec4<f32>) -> vec4<f32> {
    // burn/PyTorch leaky_relu: x if x >= 0 else x * slope.
    return select(v * SLOPE, v, v >= vec4<f32>(0.0));
}

// The 4 output pixels' accumulators (8 channels each, as two vec4) and the clamped input
// columns (as address offsets: PIX per pixel) with their validity, per invocation.
var<private> a0: vec4<f32>;
var<private> a1: vec4<f32>;
var<private> c0: vec4<f32>;
var<private> c1: vec4<f32>;
var<private> d0: vec4<f32>;
var<private> d1: vec4<f32>;
var<private> e0: vec4<f32>;
var<private> e1: vec4<f32>;
var<private> x0: u32;
var<private> x1: u32;
var<private> x2: u32;
var<private> x3: u32;
var<private> x4: u32;
var<private> x5: u32;
var<private> x6: u32;
var<private> x7: u32;
var<private> x8: u32;
var<private> v0: bool;
var<private> v1: bool;
var<private> v2: bool;
var<private> v3: bool;
var<private> v4: bool;
var<private> v5: bool;
var<private> v6: bool;
var<private> v7: bool;
var<private> v8: bool;

fn fma8(a: ptr<private, vec4<f32>>, b: ptr<private, vec4<f32>>, v: f32, w0: vec4<f32>, w1: vec4<f32>) {
    *a = fma(vec4<f32>(v), w0, *a);
    *b = fma(vec4<f32>(v), w1, *b);
}

// One kernel row (ky) of one input channel: the 9 (stride 2) or 6 (stride 1) input values s*
// of that row, times the row's 3 taps (weights at wk), into the 4 pixels.
fn row_fma(s0: f32, s1: f32, s2_: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32, s8: f32, wk: u32) {
    let s2 = STRIDE == 2u;
    // The three taps (kx = 0, 1, 2) of each pixel: columns j * STRIDE + kx.
    let q0 = vec3<f32>(s0, s1, s2_);
    let q1 = select(vec3<f32>(s1, s2_, s3), vec3<f32>(s2_, s3, s4), s2);
    let q2 = select(vec3<f32>(s2_, s3, s4), vec3<f32>(s4, s5, s6), s2);
    let q3 = select(vec3<f32>(s3, s4, s5), vec3<f32>(s6, s7, s8), s2);
    var w0 = weights[wk];
    var w1 = weights[wk + 1u];
    fma8(&a0, &a1, q0.x, w0, w1);
    fma8(&c0, &c1, q1.x, w0, w1);
    fma8(&d0, &d1, q2.x, w0, w1);
    fma8(&e0, &e1, q3.x, w0, w1);
    w0 = weights[wk + 2u];
    w1 = weights[wk + 3u];
    fma8(&a0, &a1, q0.y, w0, w1);
    fma8(&c0, &c1, q1.y, w0, w1);
    fma8(&d0, &d1, q2.y, w0, w1);
    fma8(&e0, &e1, q3.y, w0, w1);
    w0 = weights[wk + 4u];
    w1 = weights[wk + 5u];
    fma8(&a0, &a1, q0.z, w0, w1);
    fma8(&c0, &c1, q1.z, w0, w1);
    fma8(&d0, &d1, q2.z, w0, w1);
    fma8(&e0, &e1, q3.z, w0, w1);
}

// A row starting at r of `src` (the same code for `src_hi` below: WGSL cannot pass a storage
// buffer to a function).
fn row_lo(r: u32, ok: bool, wk: u32) {
    var s6 = 0.0;
    var s7 = 0.0;
    var s8 = 0.0;
    if (STRIDE == 2u) {
        s6 = select(0.0, ld_src(r + x6), ok && v6);
        s7 = select(0.0, ld_src(r + x7), ok && v7);
        s8 = select(0.0, ld_src(r + x8), ok && v8);
    }
    row_fma(select(0.0, ld_src(r + x0), ok && v0), select(0.0, ld_src(r + x1), ok && v1),
            select(0.0, ld_src(r + x2), ok && v2), select(0.0, ld_src(r + x3), ok && v3),
            select(0.0, ld_src(r + x4), ok && v4), select(0.0, ld_src(r + x5), ok && v5),
            s6, s7, s8, wk);
}

fn row_hi(r: u32, ok: bool, wk: u32) {
    var s6 = 0.0;
    var s7 = 0.0;
    var s8 = 0.0;
    if (STRIDE == 2u) {
        s6 = select(0.0, ld_src_hi(r + x6), ok && v6);
        s7 = select(0.0, ld_src_hi(r + x7), ok && v7);
        s8 = select(0.0, ld_src_hi(r + x8), ok && v8);
    }
    row_fma(select(0.0, ld_src_hi(r + x0), ok && v0), select(0.0, ld_src_hi(r + x1), ok && v1),
            select(0.0, ld_src_hi(r + x2), ok && v2), select(0.0, ld_src_hi(r + x3), ok && v3),
            select(0.0, ld_src_hi(r + x4), ok && v4), select(0.0, ld_src_hi(r + x5), ok && v5),
            s6, s7, s8, wk);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let x_out = gid.x * 4u;
    let y = gid.y;
    let ob = gid.z;
    if (x_out >= p.out_w || y >= p.out_h) {
        return;
    }
    // Input columns x_in .. x_in + 3 STRIDE + 2 feed the 4 output pixels; i32 so that -1 (the
    // zero padding) is representable. Clamped offsets and validity (padding taps read as 0).
    let x_in = i32(x_out * STRIDE) - 1;
    let y_in = i32(y * STRIDE) - 1;
    let iw = i32(p.in_w);
    let ih = i32(p.in_h);
    x0 = PIX * u32(clamp(x_in, 0, iw - 1)); v0 = x_in >= 0 && x_in < iw;
    x1 = PIX * u32(clamp(x_in + 1, 0, iw - 1)); v1 = x_in + 1 >= 0 && x_in + 1 < iw;
    x2 = PIX * u32(clamp(x_in + 2, 0, iw - 1)); v2 = x_in + 2 >= 0 && x_in + 2 < iw;
    x3 = PIX * u32(clamp(x_in + 3, 0, iw - 1)); v3 = x_in + 3 >= 0 && x_in + 3 < iw;
    x4 = PIX * u32(clamp(x_in + 4, 0, iw - 1)); v4 = x_in + 4 >= 0 && x_in + 4 < iw;
    x5 = PIX * u32(clamp(x_in + 5, 0, iw - 1)); v5 = x_in + 5 >= 0 && x_in + 5 < iw;
    x6 = PIX * u32(clamp(x_in + 6, 0, iw - 1)); v6 = x_in + 6 >= 0 && x_in + 6 < iw;
    x7 = PIX * u32(clamp(x_in + 7, 0, iw - 1)); v7 = x_in + 7 >= 0 && x_in + 7 < iw;
    x8 = PIX * u32(clamp(x_in + 8, 0, iw - 1)); v8 = x_in + 8 >= 0 && x_in + 8 < iw;
    let plane = p.in_h * p.in_w;

    let b0 = weights[p.b_off + 2u * ob];
    let b1 = weights[p.b_off + 2u * ob + 1u];
    a0 = b0; a1 = b1; // pixel 0
    c0 = b0; c1 = b1; // pixel 1
    d0 = b0; d1 = b1; // pixel 2
    e0 = b0; e1 = b1; // pixel 3
    var wi = p.w_off + ob * p.cin * 18u;
    let split = min(p.split, p.cin);
    for (var ci = 0u; ci < split; ci++) {
        for (var ky = 0u; ky < 3u; ky++) {
            let yy = y_in + i32(ky);
            row_lo(at(ci, u32(clamp(yy, 0, ih - 1)) * p.in_w, plane), yy >= 0 && yy < ih, wi + ky * 6u);
        }
        wi += 18u;
    }
    for (var ci = split; ci < p.cin; ci++) {
        for (var ky = 0u; ky < 3u; ky++) {
            let yy = y_in + i32(ky);
            row_hi(at(ci - split, u32(clamp(yy, 0, ih - 1)) * p.in_w, plane), yy >= 0 && yy < ih, wi + ky * 6u);
        }
        wi += 18u;
    }
    store(x_out, y, ob, a0, a1);
    store(x_out + 1u, y, ob, c0, c1);
    store(x_out + 2u, y, ob, d0, d1);
    store(x_out + 3u, y, ob, e0, e1);
}

// Residual, activation and the write of one output pixel's 8 channels.
fn store(x: u32, y: u32, ob: u32, acc0: vec4<f32>, acc1: vec4<f32>) {
    if (x >= p.out_w) {
        return;
    }
    let op = p.out_h * p.out_w;
    let px = y * p.out_w + x;
    let c = 8u * ob;
    var a0 = acc0;
    var a1 = acc1;
    if (p.residual != 0u) {
        // ResConv: conv(x) + x, read at the same pixel (stride 1: src has dst's shape).
        a0 += vec4<f32>(ld_src(at(c, px, op)), ld_src(at(c + 1u, px, op)),
                        ld_src(at(c + 2u, px, op)), ld_src(at(c + 3u, px, op)));
        a1 += vec4<f32>(ld_src(at(c + 4u, px, op)), ld_src(at(c + 5u, px, op)),
                        ld_src(at(c + 6u, px, op)), ld_src(at(c + 7u, px, op)));
    }
    if (p.lrelu != 0u) {
        a0 = lrelu(a0);
        a1 = lrelu(a1);
    }
    if (c >= p.dst_split) {
        // dst_split is a multiple of 8, so the pairs stay pairs there.
        let h = c - p.dst_split;
        st_dst_hi(at(h, px, op), at(h + 1u, px, op), a0.xy);
        st_dst_hi(at(h + 2u, px, op), at(h + 3u, px, op), a0.zw);
        st_dst_hi(at(h + 4u, px, op), at(h + 5u, px, op), a1.xy);
        st_dst_hi(at(h + 6u, px, op), at(h + 7u, px, op), a1.zw);
        return;
    }
    st_dst(at(c, px, op), at(c + 1u, px, op), a0.xy);
    st_dst(at(c + 2u, px, op), at(c + 3u, px, op), a0.zw);
    st_dst(at(c + 4u, px, op), at(c + 5u, px, op), a1.xy);
    st_dst(at(c + 6u, px, op), at(c + 7u, px, op), a1.zw);
}
