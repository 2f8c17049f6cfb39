//! IFBlock: one coarse-to-fine step of flow estimation (ifnet.py `IFBlock`).

use std::sync::OnceLock;

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor};

use super::LRELU_SLOPE;
use super::conv::{conv2d, deconv4x4s2};
use super::cpu_conv::{Blocked, CB, CpuPack, Epilogue, Isa, PackedConv, to_vec};
use super::cpu_kernels::{Part, resize_into_blocked};
use super::cpu_winograd::PackedWinograd;
use super::resconv::ResConv;
use super::warp::resize;

/// Channels produced by `lastconv` + PixelShuffle: 4 flow, 1 mask logit, 8 feature.
pub const OUT_CHANNELS: usize = 13;
/// Number of ResConv layers in each block (ifnet.py `IFBlock.convblock`).
pub const RESCONV_COUNT: usize = 8;

#[derive(Module, Debug)]
pub struct IFBlock {
    /// `conv0[0]`: conv 3x3 stride 2, `in → c/2`, then LReLU.
    pub conv0a: Conv2d,
    /// `conv0[1]`: conv 3x3 stride 2, `c/2 → c`, then LReLU.
    pub conv0b: Conv2d,
    pub convblock: Vec<ResConv>,
    /// `lastconv[0]`: ConvTranspose2d(c, 4·13, 4, 2, 1); PixelShuffle(2) follows in `forward`.
    pub lastconv: ConvTranspose2d,
    /// The convs above packed for the CPU kernels (filled on the first forward on flex).
    #[module(skip)]
    pub(crate) cpu: CpuPack<PackedBlock>,
}

/// An IFBlock's weights in the layout of `cpu_conv`, packed once.
#[derive(Debug)]
pub(crate) struct PackedBlock {
    conv0a: PackedConv,
    conv0b: PackedConv,
    /// The ResConvs for the direct kernel, and transformed for Winograd: each packed on first
    /// use (`model::set_cpu_winograd` picks), so the default path holds only one of them.
    convblock: OnceLock<Vec<PackedConv>>,
    convblock_winograd: OnceLock<Vec<PackedWinograd>>,
    lastconv: PackedConv,
}

/// What one block predicts, at the block's full input resolution.
pub struct IFBlockOutput {
    /// `[N, 4, H, W]`: flow update in pixels (x0, y0 for frame 0, x1, y1 for frame 1).
    pub flow: Tensor<4>,
    /// `[N, 1, H, W]`: blend mask logit (replaces the previous block's).
    pub mask: Tensor<4>,
    /// `[N, 8, H, W]`: hidden features handed to the next block.
    pub feat: Tensor<4>,
}

impl IFBlock {
    /// `in_channels` counts the flow channels too (15 for block0, 28 for the others).
    pub fn new(in_channels: usize, c: usize, device: &Device) -> Self {
        Self {
            conv0a: conv2d(in_channels, c / 2, 3, 2, 1, device),
            conv0b: conv2d(c / 2, c, 3, 2, 1, device),
            convblock: (0..RESCONV_COUNT)
                .map(|_| ResConv::new(c, device))
                .collect(),
            lastconv: deconv4x4s2(c, 4 * OUT_CHANNELS, device),
            cpu: CpuPack::default(),
        }
    }

    /// `x`: `[N, C, H, W]`; `flow`: the accumulated flow `[N, 4, H, W]` (None for block0);
    /// `s`: this block's downscale factor (`scale_list[i]` in ifnet.py).
    pub fn forward(&self, x: Tensor<4>, flow: Option<Tensor<4>>, s: f64) -> IFBlockOutput {
        self.forward_parts(vec![x], flow, s)
    }

    /// `forward` on `cat(parts, 1)`, without building the concatenation where the CPU kernels
    /// can read the parts directly.
    pub(crate) fn forward_parts(
        &self,
        parts: Vec<Tensor<4>>,
        flow: Option<Tensor<4>>,
        s: f64,
    ) -> IFBlockOutput {
        let [n, _, h, w] = parts[0].dims();
        let (hs, ws) = (scaled(h, s), scaled(w, s));
        // ifnet.py resizes x, and resizes the flow then multiplies it by 1/s. Both are linear per
        // channel, so scaling first and resizing the concatenation once is the same computation.
        let tmp = if super::use_cpu_conv(&parts[0]) {
            // The same in one pass, from the parts straight into the blocked layout.
            let mut list: Vec<Part> = parts
                .into_iter()
                .map(|t| Part {
                    channels: t.dims()[1],
                    data: to_vec(t),
                    factor: 1.0,
                })
                .collect();
            if let Some(flow) = flow {
                list.push(Part {
                    channels: 4,
                    data: to_vec(flow),
                    factor: (1.0 / s) as f32,
                });
            }
            let device = Device::flex();
            let x = resize_into_blocked(&list, n, h, w, hs, ws); // [N, C'/16, H/s+2, W/s+2, 16]
            self.convs_cpu(&x, &device)
        } else {
            let x = Tensor::cat(parts, 1); // [N, C, H, W]
            let x = match flow {
                Some(flow) => Tensor::cat(vec![x, flow.mul_scalar(1.0 / s)], 1), // [N, C+4, H, W]
                None => x,
            };
            let x = resize(x, hs, ws); // [N, C', H/s, W/s]
            self.convs_burn(x)
        }; // [N, 13, H/s, W/s]
        Self::split(tmp, h, w, s)
    }

    /// `tmp` `[N, 13, H/s, W/s]` → the block's output at `h` x `w` (ifnet.py `IFBlock.forward`).
    fn split(tmp: Tensor<4>, h: usize, w: usize, s: f64) -> IFBlockOutput {
        let tmp = resize(tmp, h, w); // [N, 13, H, W]

        IFBlockOutput {
            flow: tmp.clone().narrow(1, 0, 4).mul_scalar(s), // flow = tmp[:, :4] * scale
            mask: tmp.clone().narrow(1, 4, 1),               // mask = tmp[:, 4:5]
            feat: tmp.narrow(1, 5, 8),                       // feat = tmp[:, 5:]
        }
    }

    /// conv0, convblock, lastconv and PixelShuffle with the fused CPU kernels, in the blocked
    /// layout from the first conv to the last (ifnet.py `IFBlock.forward`, the same ops as
    /// `convs_burn`). `[N, C', h, w]` → `[N, 13, h, w]`.
    fn convs_cpu(&self, x: &Blocked, device: &Device) -> Tensor<4> {
        let (data, shape) = self.convs_cpu_vec(x);
        Tensor::from_data(burn::tensor::TensorData::new(data, shape), device)
    }

    /// `convs_cpu` returning the NCHW data `[N, 13, h, w]` and its shape.
    pub(crate) fn convs_cpu_vec(&self, x: &Blocked) -> (Vec<f32>, [usize; 4]) {
        let p = self.cpu.get(|| PackedBlock {
            conv0a: PackedConv::conv3x3(&self.conv0a, CB),
            conv0b: PackedConv::conv3x3(&self.conv0b, CB),
            convblock: OnceLock::new(),
            convblock_winograd: OnceLock::new(),
            lastconv: PackedConv::deconv4x4s2(&self.lastconv),
        });
        let mut feat = p.conv0a.run(x, Epilogue::BiasLrelu); // c/2 channels, h/2 x w/2
        feat = p.conv0b.run(&feat, Epilogue::BiasLrelu); // c channels, h/4 x w/4
        let mut spare = feat.clone();
        if super::cpu_winograd() {
            let layers = p.convblock_winograd.get_or_init(|| {
                self.convblock
                    .iter()
                    .map(|r| PackedWinograd::conv3x3(&r.conv))
                    .collect()
            });
            for layer in layers {
                layer.run_into(&feat, Epilogue::BiasResidualLrelu, Isa::Best, &mut spare);
                std::mem::swap(&mut feat, &mut spare);
            }
        } else {
            let layers = p.convblock.get_or_init(|| {
                self.convblock
                    .iter()
                    .map(|r| PackedConv::conv3x3(&r.conv, CB))
                    .collect()
            });
            for layer in layers {
                // lrelu(conv(x) + x), into the other buffer of the pair.
                layer.run_into(&feat, Epilogue::BiasResidualLrelu, Isa::Best, &mut spare);
                std::mem::swap(&mut feat, &mut spare);
            }
        }
        p.lastconv.run_deconv(&feat, true) // [N, 13, h, w]
    }

    /// The same with burn's ops (the GPU path, and the CPU one when the kernels are off).
    fn convs_burn(&self, x: Tensor<4>) -> Tensor<4> {
        let mut feat = leaky_relu(self.conv0a.forward(x), LRELU_SLOPE); // [N, c/2, H/2s, W/2s]
        feat = leaky_relu(self.conv0b.forward(feat), LRELU_SLOPE); // [N, c, H/4s, W/4s]
        for layer in &self.convblock {
            feat = layer.forward(feat); // [N, c, H/4s, W/4s]
        }
        let tmp = self.lastconv.forward(feat); // [N, 52, H/2s, W/2s]
        pixel_shuffle2(tmp) // [N, 13, H/s, W/s]
    }
}

/// Size of a side after downscaling by `s`. Exact for RIFE's padded sizes and power-of-two
/// scales; rounding keeps other scales within half a pixel of PyTorch's `floor(size / s)`.
pub(crate) fn scaled(size: usize, s: f64) -> usize {
    ((size as f64 / s).round() as usize).max(1)
}

/// PixelShuffle(2): `out[n, c, 2y+i, 2x+j] = in[n, 4c+2i+j, y, x]`.
/// `[N, 4C, H, W]` → `[N, C, 2H, 2W]`.
pub fn pixel_shuffle2(x: Tensor<4>) -> Tensor<4> {
    let [n, c4, h, w] = x.dims();
    let c = c4 / 4;
    x.reshape([n, c, 2, 2, h, w]) // [n, c, i, j, y, x]
        .permute([0, 1, 4, 2, 5, 3]) // [n, c, y, i, x, j]
        .reshape([n, c, 2 * h, 2 * w])
}
