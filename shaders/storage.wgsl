// storage.wgsl: how the kernels address the activations they keep in storage buffers. Not a
// kernel of its own: the engine prepends it to every kernel (kernels.rs `shader_source`), since
// WGSL has no includes. Pure functions and constants, no bindings.
//
// The storage forms (kernels.rs `Precision`), all with f32 arithmetic and accumulation:
// - F32 and F16 (`shader-f16`): planar [C][H][W] arrays of `Act` (f32 or f16): element
//   (c, pix) at index c * plane + pix.
// - F16Packed (no extension needed, for adapters without `shader-f16` such as SwiftShader):
//   `Act` is u32, each word two f16 halves (`pack2x16float`, the first in the low half), in
//   channel pairs: word (c / 2) * plane + pix holds channels 2k and 2k + 1 of pixel pix, i.e.
//   [ceil(C / 2)][H][W] words. Two invocations never share a word as long as each writes both
//   channels of a pair: every conv writes 8 channels of its pixels, block_input.wgsl all of
//   them. An odd count leaves the high half of the last word unused (block 0's 15 inputs,
//   though block 0's storage is f32 in every engine: kernels.rs `Precision::of_block`).
//   The deconv's PixelShuffle output (deconv4x4s2.wgsl `Out`, read by block_upsample.wgsl and
//   merge.wgsl) is instead packed in horizontal pixel pairs: element i of the planar
//   [13][H][W] array is half i & 1 of word i / 2 (W = 4 b_w is even, and each invocation writes
//   the pixels 2X, 2X + 1 of a sub-pixel row together).
//
// An address counts elements (f32/f16 forms) or halves (packed: half a & 1 of word a / 2), so
// one load helper per binding serves both packed layouts. Along a row it steps by PIX:
//   at(c, pix + d, plane) = at(c, pix, plane) + PIX * d.
//
// A line `CODE // packed: ALT` is compiled as CODE in the f32 and f16 forms and as ALT (with
// CODE's indentation) in the packed one: the kernels' load/store helpers say both in one place.

// Address steps per pixel along a plane.
const PIX: u32 = 1u; // packed: const PIX: u32 = 2u;

// The address of channel c at pixel pix of planes of `plane` pixels.
fn at(c: u32, pix: u32, plane: u32) -> u32 {
    return c * plane + pix; // packed: return 2u * ((c >> 1u) * plane + pix) + (c & 1u);
}

// The f16 half that address a picks from its word w (the low half for even a), as f32. Only
// the packed form calls it; the others compile it without the unpack, since naga counts
// `unpack2x16float` as a capability (core in WebGPU, a downlevel flag on native backends) that
// the f32 and f16 forms should not need.
fn half_at(w: u32, a: u32) -> f32 {
    return 0.0; // packed: return unpack2x16float(w >> ((a & 1u) << 4u)).x;
}
