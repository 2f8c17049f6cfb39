// sampling.wgsl: the bilinear sampling helpers the resize and warp kernels share. Not a kernel
// of its own: the engine prepends it to block_input.wgsl, block_upsample.wgsl and merge.wgsl
// (kernels.rs `shader_source`), since WGSL has no includes. Pure functions, no bindings.

// One bilinear tap along an axis: indices i0, i1 and the weight of i1 (cpu_kernels.rs `Tap`).
struct Tap {
    i0: u32,
    i1: u32,
    w1: f32,
}

// `pos` already clamped to [0, size - 1].
fn tap_at(pos: f32, size: u32) -> Tap {
    let i0 = min(u32(floor(pos)), size - 1u);
    let i1 = min(i0 + 1u, size - 1u);
    return Tap(i0, i1, pos - f32(i0));
}

// Output index `o` of a resize with `ratio` = in / out, align_corners = false, no antialias
// (PyTorch's `area_pixel_compute_source_index`: `(o + 0.5) * ratio - 0.5`, floored at 0).
fn resize_tap(o: u32, ratio: f32, size: u32) -> Tap {
    let pos = max((f32(o) + 0.5) * ratio - 0.5, 0.0);
    return tap_at(min(pos, f32(size - 1u)), size);
}

// The warp's sampling position along one axis, clamped to the frame (border padding).
// NaN would clamp to NaN; sample pixel 0 then, as cpu_kernels.rs does.
fn warp_pos(pos: f32, size: u32) -> f32 {
    let q = select(pos, 0.0, !(pos >= 0.0));
    return min(q, f32(size - 1u));
}

// Same operation order as cpu_kernels.rs: top, bottom, then between them.
fn lerp2(a: f32, b: f32, c: f32, d: f32, wx: f32, wy: f32) -> f32 {
    let top = a + (b - a) * wx;
    let bottom = c + (d - c) * wx;
    return top + (bottom - top) * wy;
}

// lerp2 on each of four channels (one texel of an rgba32float texture): the same operations.
fn lerp2v(a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>, wx: f32, wy: f32) -> vec4<f32> {
    let top = a + (b - a) * wx;
    let bottom = c + (d - c) * wx;
    return top + (bottom - top) * wy;
}
