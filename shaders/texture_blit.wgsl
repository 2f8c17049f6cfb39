// texture_blit.wgsl: a caller's GPUTexture drawn into a WebGPU canvas on the caller's own device
// (www/lib/src/gpu-texture.ts), so that the canvas's image can cross to the engine's device and
// worker as an ImageBitmap. Not part of RIFE, and not run by the engine: the package compiles it
// on the caller's device, from www/lib/src/generated/wgsl.ts (made by scripts/gen-wgsl.mjs).
//
// Layout: one fragment per texel of the canvas, which has the source's size (a full-screen
// triangle from the vertex index, no vertex buffers).
// Bindings: group 0, binding 0: the source texture's mip 0 as texture_2d<f32>
// (unfilterable-float, so any float format, rgba32float included); the output is colour target
// 0, a view of the canvas texture.
// Fuses the format conversion with the sRGB decode (a `-srgb` source, by textureLoad) and encode
// (an `-srgb` view of the canvas, by the hardware on store); alpha is written as 1.

@group(0) @binding(0) var src: texture_2d<f32>;

@vertex
fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  // Vertices (0, 0), (2, 0), (0, 2) in [0, 2]^2, i.e. (-1, -1), (3, -1), (-1, 3) in clip space:
  // one triangle that covers the whole target.
  let p = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  return vec4f(p * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs(@builtin(position) pos: vec4f) -> @location(0) vec4f {
  return vec4f(textureLoad(src, vec2u(pos.xy), 0).rgb, 1.0);
}
