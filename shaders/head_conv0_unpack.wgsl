// head_conv0_unpack.wgsl: the encoder's first layer, fused with the upload of the frame.
//
// Fuses (crate/core/src/lib.rs `prepare_planar` + model/head.rs `cnn0`):
//   1. 8-bit RGB/RGBA interleaved -> planar RGB f32 / 255 (image.rs `to_planar_rgb`),
//   2. zero padding on the right and bottom to the padded size (engine.py `F.pad`),
//   3. Head.cnn0: Conv2d(3, 16, 3, stride 2, pad 1) + LeakyReLU(0.2).
// Each invocation also writes the 2x2 padded input pixels its output pixel sits on, so the padded
// image planes (needed later by every warp) are produced by this same dispatch.
//
// Layout: `pixels` holds the frame bytes (row-major, `channels` bytes a pixel, alpha ignored),
// packed 4 to a u32, little-endian. A row starts every `row_bytes` bytes: `img_w * channels` for
// an upload from the CPU, and WebGPU's 256-byte-aligned `bytes_per_row` when the engine copied an
// rgba8/bgra8 texture into this buffer (`Engine::prepare_texture`: a VideoFrame or ImageBitmap
// imported in the browser never visits the CPU). `swap_rb` = 1 reads B, G, R byte order (bgra8).
// `mirror` = 1 reads each row right to left: the frame's horizontal mirror image, for the
// mirrored pass of `Options::mirror_average` (lib.rs `Interpolator::mirrored`). Only the picture
// is mirrored; the padding stays on the right and bottom, as for any prepared frame, so the
// mirrored frame is exactly what preparing the mirrored picture would give. The engine copies the
// frame's pixel buffer into the mirrored frame's slot, so the mirror costs no dispatch of its own:
// its encoder is the usual 4. `image` is the frame's padded RGB as a PW x PH rgba32float texture
// (R, G, B, 0 per texel), which block_input.wgsl and merge.wgsl read with textureLoad; head.rs
// `cnn3` (deconv4x4s2.wgsl) writes the frame's features into a second such texture. Textures,
// not storage buffers, so that a frame has no binding-size limit (the 3 + 4 f32 planes of a 4K
// frame are 248 MB; WebGPU's default binding limit is 128 MiB), and so that block_input.wgsl,
// which reads both frames, stays within 8 storage buffers.
// Weights as conv3x3.wgsl (blocks of 8 output channels, two of them here).
// dst and dst_hi hold `Act`: planar f32 or f16, or in the packed form u32 channel pairs
// [4][PH/2][PW/2] each (storage.wgsl); each invocation writes all 16 channels of its pixel.
//
// Bindings: 0 params, 1 weights, 2 pixels (read), 3 image (texture_storage_2d<rgba32float,
//           write>), 4 dst: output channels 0..8 [8][PH/2][PW/2], 5 dst_hi: channels 8..16, from
//           its start (two ranges of one buffer: 16 f32 channels at half of 4K are 141 MB,
//           over 128 MiB; conv3x3.wgsl `dst_split`).
// Dispatch: (ceil(PW/2 / 8), ceil(PH/2 / 8), 1); one invocation = one output pixel x 16 channels.
//
// `Act` is the storage type of the activations: f32, or f16 in the engine's fast mode (which
// rewrites the alias and adds `enable f16;`), or u32 in its packed form (the `// packed:` lines,
// storage.wgsl). Arithmetic and accumulation are f32 either way.

alias Act = f32; // packed: alias Act = u32;

struct Params {
    img_w: u32,
    img_h: u32,
    channels: u32,
    pad_w: u32,
    pad_h: u32,
    out_w: u32,
    out_h: u32,
    w_off: u32,
    b_off: u32,
    row_bytes: u32,
    swap_rb: u32,
    mirror: u32,
    _pad3: u32,
    _pad4: u32,
    _pad5: u32,
    _pad6: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> pixels: array<u32>;
@group(0) @binding(3) var image: texture_storage_2d<rgba32float, write>;
@group(0) @binding(4) var<storage, read_write> dst: array<Act>;
@group(0) @binding(5) var<storage, read_write> dst_hi: array<Act>;

const SLOPE: f32 = 0.2;

// Channels c and c + 1 (c even) of one pixel, at addresses a = at(c, ..) and b = at(c + 1, ..)
// (storage.wgsl): one word in the packed form.
fn st_dst(a: u32, b: u32, v: vec2<f32>) {
    dst[a] = Act(v.x); dst[b] = Act(v.y); // packed: dst[a >> 1u] = pack2x16float(v);
}

fn st_dst_hi(a: u32, b: u32, v: vec2<f32>) {
    dst_hi[a] = Act(v.x); dst_hi[b] = Act(v.y); // packed: dst_hi[a >> 1u] = pack2x16float(v);
}

// Channel c of the padded image at (x, y): 0 in the padding and outside the frame.
fn pixel(c: u32, x: i32, y: i32) -> f32 {
    if (x < 0 || y < 0 || x >= i32(p.img_w) || y >= i32(p.img_h)) {
        return 0.0;
    }
    // bgra8: channel 0 (R) is byte 2, channel 2 (B) is byte 0.
    let cc = select(c, 2u - c, p.swap_rb == 1u);
    // Mirrored: picture column x comes from column img_w - 1 - x (inside the picture only).
    let sx = select(u32(x), p.img_w - 1u - u32(x), p.mirror == 1u);
    let i = u32(y) * p.row_bytes + sx * p.channels + cc;
    let byte = (pixels[i >> 2u] >> ((i & 3u) * 8u)) & 255u;
    return f32(byte) / 255.0;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let x = gid.x;
    let y = gid.y;
    if (x >= p.out_w || y >= p.out_h) {
        return;
    }
    // The padded image: output pixel (x, y) of a stride-2 conv covers input (2x..2x+1, 2y..2y+1).
    for (var dy = 0u; dy < 2u; dy++) {
        for (var dx = 0u; dx < 2u; dx++) {
            let px = 2u * x + dx;
            let py = 2u * y + dy;
            let rgb = vec4<f32>(pixel(0u, i32(px), i32(py)), pixel(1u, i32(px), i32(py)),
                                pixel(2u, i32(px), i32(py)), 0.0);
            textureStore(image, vec2<u32>(px, py), rgb);
        }
    }

    var acc: array<vec4<f32>, 4>;
    for (var j = 0u; j < 4u; j++) {
        acc[j] = weights[p.b_off + j];
    }
    let x0 = i32(2u * x) - 1;
    let y0 = i32(2u * y) - 1;
    for (var ci = 0u; ci < 3u; ci++) {
        for (var k = 0u; k < 9u; k++) {
            let v = vec4<f32>(pixel(ci, x0 + i32(k % 3u), y0 + i32(k / 3u)));
            // Two blocks of 8 output channels: ob = 0 (acc 0, 1) and ob = 1 (acc 2, 3).
            let w0 = p.w_off + (ci * 9u + k) * 2u;
            let w1 = p.w_off + ((3u + ci) * 9u + k) * 2u;
            acc[0] = fma(v, weights[w0], acc[0]);
            acc[1] = fma(v, weights[w0 + 1u], acc[1]);
            acc[2] = fma(v, weights[w1], acc[2]);
            acc[3] = fma(v, weights[w1 + 1u], acc[3]);
        }
    }
    let op = p.out_w * p.out_h;
    let o = y * p.out_w + x;
    for (var j = 0u; j < 2u; j++) {
        let a = select(acc[j] * SLOPE, acc[j], acc[j] >= vec4<f32>(0.0));
        let c = 4u * j;
        st_dst(at(c, o, op), at(c + 1u, o, op), a.xy);
        st_dst(at(c + 2u, o, op), at(c + 3u, o, op), a.zw);
    }
    // Channels 8..16.
    for (var j = 0u; j < 2u; j++) {
        let a = select(acc[j + 2u] * SLOPE, acc[j + 2u], acc[j + 2u] >= vec4<f32>(0.0));
        let c = 4u * j;
        st_dst_hi(at(c, o, op), at(c + 1u, o, op), a.xy);
        st_dst_hi(at(c + 2u, o, op), at(c + 3u, o, op), a.zw);
    }
}
