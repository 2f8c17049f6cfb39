//! Constructors for the conv layers RIFE uses. Weights start as zeros: a model is always filled
//! from a converted checkpoint, so random init would be wasted work.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::tensor::Device;

/// `nn.Conv2d(cin, cout, k, stride, pad, bias=True)`.
pub fn conv2d(
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    pad: usize,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_initializer(Initializer::Zeros)
        .init(device)
}

/// `nn.ConvTranspose2d(cin, cout, 4, 2, 1)`: the exact 2x upsampler RIFE uses everywhere.
/// Output size is `2·in` because `(in-1)·2 - 2·1 + 4 = 2·in`.
pub fn deconv4x4s2(cin: usize, cout: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([cin, cout], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .with_initializer(Initializer::Zeros)
        .init(device)
}
