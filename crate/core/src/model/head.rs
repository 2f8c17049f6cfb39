//! The feature encoder (`Head` in ifnet.py). Runs once per frame; its 4-channel output is what
//! the flow blocks see besides the pixels.

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor};

use super::LRELU_SLOPE;
use super::conv::{conv2d, deconv4x4s2};

#[derive(Module, Debug)]
pub struct Head {
    pub cnn0: Conv2d,
    pub cnn1: Conv2d,
    pub cnn2: Conv2d,
    pub cnn3: ConvTranspose2d,
}

impl Head {
    pub fn new(device: &Device) -> Self {
        // ifnet.py Head.__init__: Conv2d(3,16,3,2,1), Conv2d(16,16,3,1,1) x2, ConvTranspose2d(16,4,4,2,1)
        Self {
            cnn0: conv2d(3, 16, 3, 2, 1, device),
            cnn1: conv2d(16, 16, 3, 1, 1, device),
            cnn2: conv2d(16, 16, 3, 1, 1, device),
            cnn3: deconv4x4s2(16, 4, device),
        }
    }

    /// `[N, 3, H, W]` (RGB, 0..1, H and W even) → `[N, 4, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = leaky_relu(self.cnn0.forward(x), LRELU_SLOPE); // [N, 16, H/2, W/2]
        let x = leaky_relu(self.cnn1.forward(x), LRELU_SLOPE); // [N, 16, H/2, W/2]
        let x = leaky_relu(self.cnn2.forward(x), LRELU_SLOPE); // [N, 16, H/2, W/2]
        self.cnn3.forward(x) // [N, 4, H, W], no activation (ifnet.py Head.forward)
    }
}
