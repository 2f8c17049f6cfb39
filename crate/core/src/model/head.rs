//! The feature encoder (`Head` in ifnet.py). Runs once per frame; its 4-channel output is what
//! the flow blocks see besides the pixels.

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor};

use super::LRELU_SLOPE;
use super::conv::{conv2d, deconv4x4s2};
use super::cpu_conv::{Blocked, CB, CpuPack, Epilogue, PackedConv};

#[derive(Module, Debug)]
pub struct Head {
    pub cnn0: Conv2d,
    pub cnn1: Conv2d,
    pub cnn2: Conv2d,
    pub cnn3: ConvTranspose2d,
    /// The convs above packed for the CPU kernels (filled on the first forward on flex).
    #[module(skip)]
    pub(crate) cpu: CpuPack<[PackedConv; 4]>,
}

impl Head {
    pub fn new(device: &Device) -> Self {
        // ifnet.py Head.__init__: Conv2d(3,16,3,2,1), Conv2d(16,16,3,1,1) x2, ConvTranspose2d(16,4,4,2,1)
        Self {
            cnn0: conv2d(3, 16, 3, 2, 1, device),
            cnn1: conv2d(16, 16, 3, 1, 1, device),
            cnn2: conv2d(16, 16, 3, 1, 1, device),
            cnn3: deconv4x4s2(16, 4, device),
            cpu: CpuPack::default(),
        }
    }

    /// `[N, 3, H, W]` (RGB, 0..1, H and W even) → `[N, 4, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        if super::use_cpu_conv(&x) {
            return self.forward_cpu(x);
        }
        let x = leaky_relu(self.cnn0.forward(x), LRELU_SLOPE); // [N, 16, H/2, W/2]
        let x = leaky_relu(self.cnn1.forward(x), LRELU_SLOPE); // [N, 16, H/2, W/2]
        let x = leaky_relu(self.cnn2.forward(x), LRELU_SLOPE); // [N, 16, H/2, W/2]
        self.cnn3.forward(x) // [N, 4, H, W], no activation (ifnet.py Head.forward)
    }

    /// `forward` with the fused CPU kernels. The image is read with 3 channels per pixel (not
    /// padded to a block of 16); the rest stays blocked until the transposed conv.
    fn forward_cpu(&self, x: Tensor<4>) -> Tensor<4> {
        let device = x.device();
        let cin = x.dims()[1];
        let p = self.cpu.get(|| {
            [
                PackedConv::conv3x3(&self.cnn0, cin),
                PackedConv::conv3x3(&self.cnn1, CB),
                PackedConv::conv3x3(&self.cnn2, CB),
                PackedConv::deconv4x4s2(&self.cnn3),
            ]
        });
        let x = Blocked::from_tensor(x, cin); // [N, 1, H+2, W+2, 3]
        let x = p[0].run(&x, Epilogue::BiasLrelu); // 16 ch, H/2 x W/2
        let x = p[1].run(&x, Epilogue::BiasLrelu);
        let x = p[2].run(&x, Epilogue::BiasLrelu);
        let (data, shape) = p[3].run_deconv(&x, false); // [N, 4, H, W]
        Tensor::from_data(burn::tensor::TensorData::new(data, shape), &device)
    }
}
