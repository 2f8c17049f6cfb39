// conv3x3.wgsl: 3x3 convolution, zero padding 1, stride 1 or 2, + bias + LeakyReLU(0.2), with
// the ResConv residual fused in.
//
// Mirrors, with `residual = 0`:  ifnet.py `conv()` = Conv2d(3, stride, pad 1) + LeakyReLU(0.2)
// (crate/core/src/model/ifblock.rs conv0a/conv0b, head.rs cnn0..cnn2);
// with `residual = 1`: ifnet.py `ResConv.forward` = lrelu(conv(x) * beta + x), beta already
// folded into the weights and bias by the converter (crate/core/src/model/resconv.rs), so
// here y = lrelu(conv(x) + x). The residual needs stride 1 and cin == cout.
//
// Layout: activations are planar f32 [C][H][W] (batch 1), flattened.
// Weights (packed once at load by crate/gpu/src/weights.rs), in vec4 units:
//   weights[w_off + ((ob * cin + ci) * 9 + ky * 3 + kx) * 2 + j]
//     = W[8 ob + 4 j .. 8 ob + 4 j + 3, ci, ky, kx]   (ob: block of 8 output channels)
//   bias: weights[b_off + 2 ob + j] = b[8 ob + 4 j .. 8 ob + 4 j + 3]
// so the 8 invocations' weights of one step are the same two vec4s (a broadcast load).
//
// Bindings: 0 params (uniform), 1 weights (storage read), 2 src [cin][in_h][in_w] (read),
//           3 dst [cout][out_h][out_w] (read_write).
// Dispatch: (ceil(out_w / 8), ceil(out_h / 8), cout / 8); one invocation = one output pixel x 8
// output channels, accumulated in f32.

struct Params {
    cin: u32,
    in_h: u32,
    in_w: u32,
    stride: u32,
    out_h: u32,
    out_w: u32,
    w_off: u32,
    b_off: u32,
    residual: u32,
    lrelu: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
    _pad4: u32,
    _pad5: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

const SLOPE: f32 = 0.2;

fn lrelu(v: vec4<f32>) -> vec4<f32> {
    // burn/PyTorch leaky_relu: x if x >= 0 else x * slope.
    return select(v * SLOPE, v, v >= vec4<f32>(0.0));
}

// acc += v * (the two weight vec4s at wi).
fn tap(a0: ptr<function, vec4<f32>>, a1: ptr<function, vec4<f32>>, v: f32, wi: u32) {
    *a0 = fma(vec4<f32>(v), weights[wi], *a0);
    *a1 = fma(vec4<f32>(v), weights[wi + 1u], *a1);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let x = gid.x;
    let y = gid.y;
    let ob = gid.z;
    if (x >= p.out_w || y >= p.out_h) {
        return;
    }
    // Top-left input tap; i32 so that -1 (the zero padding) is representable.
    let x0 = i32(x * p.stride) - 1;
    let y0 = i32(y * p.stride) - 1;
    let iw = i32(p.in_w);
    let ih = i32(p.in_h);
    // The centre tap (x * stride, y * stride) is always inside; the outer ones may fall into the
    // padding. Offsets are clamped into the plane and the taps outside read as 0.
    let vx0 = x0 >= 0;
    let vx2 = x0 + 2 < iw;
    let vy0 = y0 >= 0;
    let vy2 = y0 + 2 < ih;
    let cx0 = u32(max(x0, 0));
    let cx1 = u32(x0 + 1);
    let cx2 = u32(min(x0 + 2, iw - 1));
    let ry0 = u32(max(y0, 0)) * p.in_w;
    let ry1 = u32(y0 + 1) * p.in_w;
    let ry2 = u32(min(y0 + 2, ih - 1)) * p.in_w;
    let plane = p.in_h * p.in_w;

    var a0 = weights[p.b_off + 2u * ob];
    var a1 = weights[p.b_off + 2u * ob + 1u];
    var wi = p.w_off + ob * p.cin * 18u;
    var base = 0u;
    for (var ci = 0u; ci < p.cin; ci++) {
        let r0 = base + ry0;
        let r1 = base + ry1;
        let r2 = base + ry2;
        tap(&a0, &a1, select(0.0, src[r0 + cx0], vy0 && vx0), wi);
        tap(&a0, &a1, select(0.0, src[r0 + cx1], vy0), wi + 2u);
        tap(&a0, &a1, select(0.0, src[r0 + cx2], vy0 && vx2), wi + 4u);
        tap(&a0, &a1, select(0.0, src[r1 + cx0], vx0), wi + 6u);
        tap(&a0, &a1, src[r1 + cx1], wi + 8u);
        tap(&a0, &a1, select(0.0, src[r1 + cx2], vx2), wi + 10u);
        tap(&a0, &a1, select(0.0, src[r2 + cx0], vy2 && vx0), wi + 12u);
        tap(&a0, &a1, select(0.0, src[r2 + cx1], vy2), wi + 14u);
        tap(&a0, &a1, select(0.0, src[r2 + cx2], vy2 && vx2), wi + 16u);
        wi += 18u;
        base += plane;
    }

    let out_plane = p.out_h * p.out_w;
    let o = 8u * ob * out_plane + y * p.out_w + x;
    if (p.residual != 0u) {
        // ResConv: conv(x) + x, read at the same pixel (stride 1, so src has dst's shape).
        a0 += vec4<f32>(src[o], src[o + out_plane], src[o + 2u * out_plane], src[o + 3u * out_plane]);
        let o4 = o + 4u * out_plane;
        a1 += vec4<f32>(src[o4], src[o4 + out_plane], src[o4 + 2u * out_plane], src[o4 + 3u * out_plane]);
    }
    if (p.lrelu != 0u) {
        a0 = lrelu(a0);
        a1 = lrelu(a1);
    }
    dst[o] = a0.x;
    dst[o + out_plane] = a0.y;
    dst[o + 2u * out_plane] = a0.z;
    dst[o + 3u * out_plane] = a0.w;
    dst[o + 4u * out_plane] = a1.x;
    dst[o + 5u * out_plane] = a1.y;
    dst[o + 6u * out_plane] = a1.z;
    dst[o + 7u * out_plane] = a1.w;
}
