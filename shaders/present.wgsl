// present.wgsl: draws an interpolated frame into a render target (a WebGPU canvas's current
// texture, or any rgba8/bgra8 texture) with no readback to the CPU.
//
// Fuses nothing of the model: it is the last step of the frame's way out. merge.wgsl already
// wrote the cropped, clamped RGBA8 output (what `read_rgba8` returns); this pass unpacks those
// bytes into the target's format, so a canvas shows exactly the pixels a readback would give.
// When the target is another size than the frame, it samples the nearest output pixel.
//
// Layout: `rgba` is the output buffer [img_h][img_w] u32 (R in the low byte, as merge.wgsl
// writes it). The target is any color format; the fragment writes 0..1 RGBA, alpha 1.
//
// Bindings: 0 params (img_w, img_h, target_w, target_h), 1 rgba (read).
// Dispatch: a render pass, not a compute dispatch: one draw of 3 vertices (a triangle that
// covers the target), entry points `vs` and `fs`.

struct Params {
    img_w: u32,
    img_h: u32,
    target_w: u32,
    target_h: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rgba: array<u32>;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    // (-1,-1), (3,-1), (-1,3): one triangle over the whole clip square.
    let x = f32((i << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(i & 2u) * 2.0 - 1.0;
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fs(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    // Framebuffer coordinates: pixel centres at +0.5, y down, as the output rows.
    let tx = min(u32(pos.x), p.target_w - 1u);
    let ty = min(u32(pos.y), p.target_h - 1u);
    let x = min(tx * p.img_w / p.target_w, p.img_w - 1u);
    let y = min(ty * p.img_h / p.target_h, p.img_h - 1u);
    let c = unpack4x8unorm(rgba[y * p.img_w + x]);
    return vec4<f32>(c.rgb, 1.0);
}
