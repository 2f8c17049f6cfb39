// deconv4x4s2.wgsl: ConvTranspose2d(cin, cout, kernel 4, stride 2, padding 1) + bias, optionally
// fused with PixelShuffle(2).
//
// Mirrors model/conv.rs `deconv4x4s2`, used twice:
// - Head.cnn3, ConvTranspose2d(16, 4) with no activation (head.rs): the pipeline constant
//   `FEATURES` = true, writing the 4 features of each pixel as one texel of the frame's
//   rgba32float feature texture (block_input.wgsl reads it with textureLoad). A texture has no
//   binding-size limit: the 4 f32 planes at 4K (141 MB at scale 0.5) would not fit one 128 MiB
//   storage binding.
// - IFBlock.lastconv, ConvTranspose2d(c, 52) then PixelShuffle(2) (ifblock.rs): `shuffle = 1`.
//   Group g computes deconv channels 4g..4g+3, which PixelShuffle(2) sends to channel g at the
//   2x2 sub-pixels: out[g, 2Y+i, 2X+j] = deconv[4g + 2i + j, Y, X] (NOTES.md). So the 13-channel
//   result is written directly, and the 52-channel tensor never exists.
//
// Transposed conv, per output pixel Y (same for X): out[o, Y] = b[o] + sum over ky with
// Y = 2 iy - 1 + ky of in[iy] * W[ci, o, ky]. Exactly two ky qualify, of parity (Y + 1) & 1:
// ky = py (iy = (Y + 1 - py) / 2) and ky = py + 2 (iy - 1). So 2x2 taps per input channel.
//
// Layout: src [cin][in_h][in_w] of `Act` (channels from `split` on in src_hi, from its start):
// planar f32 or f16, or in the packed form u32 channel pairs [ceil(cin/2)][in_h][in_w]
// (storage.wgsl). Output: the blocks' [cout / 4][4 in_h][4 in_w] (after PixelShuffle) of `Out`:
// planar f32 or f16, or in the packed form planar f16 halves two to a word along x (element i in
// half i & 1 of word i / 2; the row width 4 in_w is even and each invocation writes the two
// pixels of a pair together); or (FEATURES) texel (X, Y) of `features` = the 4 channels of
// pixel (X, Y) (cout = 4). `shuffle` is informational: the blocks always shuffle (an unshuffled
// planar output, which nothing used, was dropped with the packed form).
// Weights (vec4 units): weights[w_off + (g * cin + ci) * 16 + ky * 4 + kx] = W[ci, 4g..4g+3, ky, kx]
// (PyTorch/burn ConvTranspose2d weight [cin, cout, 4, 4]); bias weights[b_off + g].
//
// One invocation computes 8 consecutive deconv pixels of one row (X = 8q .. 8q + 7) for one group:
// pixels of the same column parity share their kernel taps, so each weight vec4 loaded feeds 4
// pixels, and the 8 pixels read only 6 input columns x 2 rows. Written out without private
// arrays (see conv3x3.wgsl).
//
// Bindings: 0 params, 1 weights, 2 src (read), 3 dst (read_write), 4 src_hi (read): input
//           channels from `split` on, so that the encoder's 16-channel half-resolution input
//           can be two ranges of one buffer where one binding cannot hold it (141 MB in f32 at
//           4K, scale 0.5: over 128 MiB); split = cin when unused (the engine then binds `src`
//           again here, unread), 5 features (texture_storage_2d<rgba32float, write>).
//           Both pipelines bind all six; the one that does not write dst (FEATURES) or
//           features (the blocks) gets a small spare buffer or texture there.
// Dispatch: (ceil(2 in_w / 64), ceil(2 in_h / 8), cout / 4); one invocation = 8 deconv pixels x 4
// channels, accumulated in f32.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`), or u32 in its packed form (the `// packed:` lines,
// storage.wgsl). Arithmetic and accumulation are f32 either way. Activations are read and
// written only through ld_* and st_* below. Block 0's input and output are f32 in every form:
// the engine builds the blocks' pipeline in f32 for it too (kernels.rs `Precision::of_block`).

alias Act = f32; // packed: alias Act = u32;
// The type of `dst`: Act for the blocks (the engine's `out_act` rewrite), f32 otherwise (the
// encoder writes its features into the frame's texture, not into `dst`). Packed: u32 in both
// pipelines (the encoder's never writes it).
alias Out = f32; // packed: alias Out = u32;

struct Params {
    cin: u32,
    in_h: u32,
    in_w: u32,
    shuffle: u32,
    w_off: u32,
    b_off: u32,
    // Input channels ci < split come from `src`, the others from `src_hi` (channel ci - split).
    split: u32,
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
@group(0) @binding(2) var<storage, read> src: array<Act>;
@group(0) @binding(3) var<storage, read_write> dst: array<Out>;
@group(0) @binding(4) var<storage, read> src_hi: array<Act>;
@group(0) @binding(5) var features: texture_storage_2d<rgba32float, write>;

// The encoder's variant: the output goes to the feature texture.
override FEATURES: bool = false;

// One activation at address a (storage.wgsl), as f32.
fn ld_src(a: u32) -> f32 {
    return f32(src[a]); // packed: return half_at(src[a >> 1u], a);
}

fn ld_src_hi(a: u32) -> f32 {
    return f32(src_hi[a]); // packed: return half_at(src_hi[a >> 1u], a);
}

// Output elements i (even) and i + 1 of one row: one word in the packed form.
fn st_out(i: u32, v: vec2<f32>) {
    dst[i] = Out(v.x); dst[i + 1u] = Out(v.y); // packed: dst[i >> 1u] = pack2x16float(v);
}

// Loop-invariant, computed once in `main`: the 6 input columns' clamped offsets k0..k5, and
// whether each is inside the plane on row a (va*) and on row b (vb*). Each of the 12 loads in
// the channel loops is then one add, one load and one select. Why hoisted: Chromium's SwiftShader
// (Dawn/Tint) compile time grows much faster than the loop body. With the clamps and compares
// inside the loop (an `at(r, row_ok, c)` function inlined 12 times) this pipeline took 4-5 s to
// create there; with one more branch in it, choosing `src` or `src_hi`, over 2 minutes, until
// Chromium killed the GPU process and every WebGPU test lost its device ("A valid external
// Instance reference no longer exists"). Hoisted, with both loops: 0.2-0.3 s (2026-12-01, on a
// loaded 2-core machine). lavapipe compiles all of them in milliseconds.
var<private> k0: u32;
var<private> k1: u32;
var<private> k2: u32;
var<private> k3: u32;
var<private> k4: u32;
var<private> k5: u32;
var<private> va0: bool;
var<private> va1: bool;
var<private> va2: bool;
var<private> va3: bool;
var<private> va4: bool;
var<private> va5: bool;
var<private> vb0: bool;
var<private> vb1: bool;
var<private> vb2: bool;
var<private> vb3: bool;
var<private> vb4: bool;
var<private> vb5: bool;

// The 8 deconv pixels' accumulators (4 channels each), per invocation.
var<private> p0: vec4<f32>;
var<private> p1: vec4<f32>;
var<private> p2: vec4<f32>;
var<private> p3: vec4<f32>;
var<private> p4: vec4<f32>;
var<private> p5: vec4<f32>;
var<private> p6: vec4<f32>;
var<private> p7: vec4<f32>;

// One input channel: its 6 columns on row "a" and on row "b", times the 2x2 taps of each pixel
// (weight rows at ka and kb), into the 8 accumulators.
fn taps(a0: f32, a1: f32, a2: f32, a3: f32, a4: f32, a5: f32,
        b0: f32, b1: f32, b2: f32, b3: f32, b4: f32, b5: f32, ka: u32, kb: u32) {
    let wa0 = weights[ka];
    let wa1 = weights[ka + 1u];
    let wa2 = weights[ka + 2u];
    let wa3 = weights[ka + 3u];
    let wb0 = weights[kb];
    let wb1 = weights[kb + 1u];
    let wb2 = weights[kb + 2u];
    let wb3 = weights[kb + 3u];
    // e = 0: a[j+1] wa1 + a[j] wa3 + b[j+1] wb1 + b[j] wb3
    p0 = fma(vec4(a1), wa1, fma(vec4(a0), wa3, fma(vec4(b1), wb1, fma(vec4(b0), wb3, p0))));
    p2 = fma(vec4(a2), wa1, fma(vec4(a1), wa3, fma(vec4(b2), wb1, fma(vec4(b1), wb3, p2))));
    p4 = fma(vec4(a3), wa1, fma(vec4(a2), wa3, fma(vec4(b3), wb1, fma(vec4(b2), wb3, p4))));
    p6 = fma(vec4(a4), wa1, fma(vec4(a3), wa3, fma(vec4(b4), wb1, fma(vec4(b3), wb3, p6))));
    // e = 1: a[j+2] wa0 + a[j+1] wa2 + b[j+2] wb0 + b[j+1] wb2
    p1 = fma(vec4(a2), wa0, fma(vec4(a1), wa2, fma(vec4(b2), wb0, fma(vec4(b1), wb2, p1))));
    p3 = fma(vec4(a3), wa0, fma(vec4(a2), wa2, fma(vec4(b3), wb0, fma(vec4(b2), wb2, p3))));
    p5 = fma(vec4(a4), wa0, fma(vec4(a3), wa2, fma(vec4(b4), wb0, fma(vec4(b3), wb2, p5))));
    p7 = fma(vec4(a5), wa0, fma(vec4(a4), wa2, fma(vec4(b5), wb0, fma(vec4(b4), wb2, p7))));
}

fn put(X: u32, Y: u32, g: u32, acc: vec4<f32>) {
    let ow = 2u * p.in_w;
    let oh = 2u * p.in_h;
    if (X >= ow) {
        return;
    }
    if (FEATURES) {
        textureStore(features, vec2<u32>(X, Y), acc);
        return;
    }
    // PixelShuffle(2): deconv channel 4g + 2i + j to channel g at sub-pixel (2Y + i, 2X + j).
    let sw = 2u * ow;
    let o = g * (4u * oh * ow) + (2u * Y) * sw + 2u * X;
    st_out(o, acc.xy);
    st_out(o + sw, acc.zw);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let X0 = gid.x * 8u;
    let Y = gid.y;
    let g = gid.z;
    if (X0 >= 2u * p.in_w || Y >= 2u * p.in_h) {
        return;
    }
    // Rows: kernel row py at input row iy ("a"), row py + 2 at iy - 1 ("b").
    let py = (Y + 1u) & 1u;
    let iy = (Y + 1u - py) / 2u;
    let ok_a = iy < p.in_h;
    let ok_b = iy >= 1u;
    let ra = min(iy, p.in_h - 1u) * p.in_w;
    let rb = (max(iy, 1u) - 1u) * p.in_w;
    // Columns m0 - 1 .. m0 + 4 with m0 = X0 / 2. Deconv pixel X = X0 + 2j + e reads, for e = 0
    // (kx parity 1): kx = 1 at column m0 + j, kx = 3 at m0 + j - 1; for e = 1 (kx parity 0):
    // kx = 0 at m0 + j + 1, kx = 2 at m0 + j.
    let c0 = i32(X0 / 2u) - 1;

    // The columns' clamped offsets and validity (padding taps read as 0), once for all channels.
    // Offsets in address units (PIX per pixel, storage.wgsl).
    let iw = i32(p.in_w);
    k0 = PIX * u32(clamp(c0, 0, iw - 1)); va0 = ok_a && c0 >= 0 && c0 < iw;
    k1 = PIX * u32(clamp(c0 + 1, 0, iw - 1)); va1 = ok_a && c0 + 1 >= 0 && c0 + 1 < iw;
    k2 = PIX * u32(clamp(c0 + 2, 0, iw - 1)); va2 = ok_a && c0 + 2 >= 0 && c0 + 2 < iw;
    k3 = PIX * u32(clamp(c0 + 3, 0, iw - 1)); va3 = ok_a && c0 + 3 >= 0 && c0 + 3 < iw;
    k4 = PIX * u32(clamp(c0 + 4, 0, iw - 1)); va4 = ok_a && c0 + 4 >= 0 && c0 + 4 < iw;
    k5 = PIX * u32(clamp(c0 + 5, 0, iw - 1)); va5 = ok_a && c0 + 5 >= 0 && c0 + 5 < iw;
    vb0 = ok_b && c0 >= 0 && c0 < iw;
    vb1 = ok_b && c0 + 1 >= 0 && c0 + 1 < iw;
    vb2 = ok_b && c0 + 2 >= 0 && c0 + 2 < iw;
    vb3 = ok_b && c0 + 3 >= 0 && c0 + 3 < iw;
    vb4 = ok_b && c0 + 4 >= 0 && c0 + 4 < iw;
    vb5 = ok_b && c0 + 5 >= 0 && c0 + 5 < iw;

    let bias = weights[p.b_off + g];
    p0 = bias; p1 = bias; p2 = bias; p3 = bias;
    p4 = bias; p5 = bias; p6 = bias; p7 = bias;
    let plane = p.in_h * p.in_w;
    var wi = p.w_off + g * p.cin * 16u;
    // Channels 0..split from `src`, split.. from `src_hi`: two loops, as in conv3x3.wgsl (WGSL
    // cannot pass a storage buffer to a function).
    let split = min(p.split, p.cin);
    for (var ci = 0u; ci < split; ci++) {
        let a = at(ci, ra, plane);
        let b = at(ci, rb, plane);
        taps(select(0.0, ld_src(a + k0), va0), select(0.0, ld_src(a + k1), va1),
             select(0.0, ld_src(a + k2), va2), select(0.0, ld_src(a + k3), va3),
             select(0.0, ld_src(a + k4), va4), select(0.0, ld_src(a + k5), va5),
             select(0.0, ld_src(b + k0), vb0), select(0.0, ld_src(b + k1), vb1),
             select(0.0, ld_src(b + k2), vb2), select(0.0, ld_src(b + k3), vb3),
             select(0.0, ld_src(b + k4), vb4), select(0.0, ld_src(b + k5), vb5),
             wi + py * 4u, wi + (py + 2u) * 4u);
        wi += 16u;
    }
    for (var ci = split; ci < p.cin; ci++) {
        let a = at(ci - split, ra, plane);
        let b = at(ci - split, rb, plane);
        taps(select(0.0, ld_src_hi(a + k0), va0), select(0.0, ld_src_hi(a + k1), va1),
             select(0.0, ld_src_hi(a + k2), va2), select(0.0, ld_src_hi(a + k3), va3),
             select(0.0, ld_src_hi(a + k4), va4), select(0.0, ld_src_hi(a + k5), va5),
             select(0.0, ld_src_hi(b + k0), vb0), select(0.0, ld_src_hi(b + k1), vb1),
             select(0.0, ld_src_hi(b + k2), vb2), select(0.0, ld_src_hi(b + k3), vb3),
             select(0.0, ld_src_hi(b + k4), vb4), select(0.0, ld_src_hi(b + k5), vb5),
             wi + py * 4u, wi + (py + 2u) * 4u);
        wi += 16u;
    }
    put(X0, Y, g, p0);
    put(X0 + 1u, Y, g, p1);
    put(X0 + 2u, Y, g, p2);
    put(X0 + 3u, Y, g, p3);
    put(X0 + 4u, Y, g, p4);
    put(X0 + 5u, Y, g, p5);
    put(X0 + 6u, Y, g, p6);
    put(X0 + 7u, Y, g, p7);
}
