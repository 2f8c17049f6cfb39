//! ResConv, in its folded inference form.
//!
//! Training form (ifnet.py `ResConv.forward`): `lrelu(conv(x) * beta + x)`, with `beta` of shape
//! `[1, c, 1, 1]`. Because `beta` scales each output channel, it folds exactly into the conv:
//! `W'[o] = W[o]·beta[o]`, `b'[o] = b[o]·beta[o]` (the structural re-parameterisation of ACNet /
//! RepVGG). The converter does that fold, so inference saves one multiply over the largest
//! activations in the network.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor};

use super::LRELU_SLOPE;
use super::conv::conv2d;

#[derive(Module, Debug)]
pub struct ResConv {
    pub conv: Conv2d,
}

impl ResConv {
    pub fn new(c: usize, device: &Device) -> Self {
        Self {
            conv: conv2d(c, c, 3, 1, 1, device),
        }
    }

    /// `[N, c, h, w]` → `[N, c, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        leaky_relu(self.conv.forward(x.clone()) + x, LRELU_SLOPE)
    }
}
