//! Backward warping and resizing, the two resampling ops of RIFE.

use burn::tensor::module::interpolate;
use burn::tensor::ops::{
    GridSampleOptions, GridSamplePaddingMode, InterpolateMode, InterpolateOptions,
};
use burn::tensor::{Device, Int, Tensor};

/// Backward warp: `out[n,c,y,x] = input[n,c, y+fy, x+fx]`, bilinear, coordinates clamped to the
/// image (border padding).
///
/// Mirrors ifnet.py `warp()`: `grid_sample(bilinear, padding_mode="border", align_corners=True)`
/// on `linspace(-1,1) + flow / ((size-1)/2)`. With `align_corners=True` that grid maps back to the
/// pixel position `x + fx` exactly, so we build it from pixel coordinates.
///
/// The grid is built by `stack` on its last axis, so it is contiguous: burn 0.22.1's wgpu
/// `grid_sample_2d` ignores the stride of the grid's last dimension (see NOTES.md), and a grid
/// made by `permute` reads wrong values there. `tests/parity.rs` keeps a cross-backend check.
///
/// `input`: `[N, C, H, W]`, `flow`: `[N, 2, H, W]` (x then y, in pixels) → `[N, C, H, W]`.
pub fn warp(input: Tensor<4>, flow: Tensor<4>) -> Tensor<4> {
    if on_cpu(&flow) {
        return super::cpu_kernels::warp(input, flow);
    }
    warp_burn(input, flow)
}

/// Whether a tensor lives on the flex CPU device, where the hand-written kernels are faster.
pub(crate) fn on_cpu(t: &Tensor<4>) -> bool {
    t.device() == Device::flex()
}

/// `warp` with burn's `grid_sample_2d`: what runs on the GPU (and the reference the CPU kernel
/// is tested against).
pub fn warp_burn(input: Tensor<4>, flow: Tensor<4>) -> Tensor<4> {
    let [n, _, h, w] = flow.dims();
    let device = flow.device();
    // Pixel coordinates, shaped to broadcast over [N, H, W].
    let xs = Tensor::<1, Int>::arange(0..w as i64, &device)
        .float()
        .reshape([1, 1, w]);
    let ys = Tensor::<1, Int>::arange(0..h as i64, &device)
        .float()
        .reshape([1, h, 1]);
    let fx = flow.clone().narrow(1, 0, 1).reshape([n, h, w]);
    let fy = flow.narrow(1, 1, 1).reshape([n, h, w]);
    // Normalise to [-1, 1] with align_corners=True: -1 is pixel 0, +1 is pixel size-1.
    let gx = (fx + xs)
        .mul_scalar(2.0 / (w as f64 - 1.0).max(1.0))
        .sub_scalar(1.0); // [N, H, W]
    let gy = (fy + ys)
        .mul_scalar(2.0 / (h as f64 - 1.0).max(1.0))
        .sub_scalar(1.0); // [N, H, W]
    let grid: Tensor<4> = Tensor::stack(vec![gx, gy], 3); // [N, H, W, 2], contiguous
    let options = GridSampleOptions::new(InterpolateMode::Bilinear)
        .with_padding_mode(GridSamplePaddingMode::Border)
        .with_align_corners(true);
    input.grid_sample_2d(grid, options)
}

/// Bilinear resize to `[h, w]` with PyTorch's `align_corners=False` and no antialiasing, as
/// `F.interpolate(..., mode="bilinear", align_corners=False)` in ifnet.py `IFBlock.forward`.
///
/// RIFE calls it with a scale factor; we pass the output size instead. When the size is an exact
/// multiple (always so with the reference padding and a power-of-two `scale`) both give the same
/// sampling positions, and for other scales the size-based form keeps the shapes consistent.
///
/// Note burn's `InterpolateOptions::new` defaults to `align_corners = true`; it is set here.
pub fn resize(x: Tensor<4>, h: usize, w: usize) -> Tensor<4> {
    let [_, _, xh, xw] = x.dims();
    if xh == h && xw == w {
        // Scale 1 is the identity in PyTorch too (source = destination pixel centres).
        return x;
    }
    if on_cpu(&x) {
        return super::cpu_kernels::resize(x, h, w);
    }
    resize_burn(x, h, w)
}

/// `resize` with burn's `interpolate`: what runs on the GPU.
pub fn resize_burn(x: Tensor<4>, h: usize, w: usize) -> Tensor<4> {
    let options = InterpolateOptions::new(InterpolateMode::Bilinear)
        .with_align_corners(false)
        .with_output_size([h, w]);
    interpolate(x, options)
}
