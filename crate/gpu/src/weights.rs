//! The model's parameters, packed once into the layouts the kernels read (one storage buffer).
//!
//! The weights come from the converted burnpack, loaded with the core's strict loader onto the
//! CPU (flex) device, so a file that does not fit the model fails here exactly as it does there.
//! ResConv's `beta` is already folded into its conv by the converter (crate/cli/src/convert.rs,
//! model/resconv.rs), which is what lets conv3x3.wgsl fuse the residual as `lrelu(conv(x) + x)`.

use burn::module::Param;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::{Device, Tensor};
use inbetween::model::{BLOCK_WIDTHS, IFNet};

use crate::{Error, Result};

/// Where one 3x3 conv's weights sit in the packed buffer, in vec4 units (conv3x3.wgsl).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvWeights {
    pub w_off: u32,
    pub b_off: u32,
    pub cin: u32,
    pub cout: u32,
}

/// Where one ConvTranspose2d(4, 2, 1)'s weights sit, in vec4 units (deconv4x4s2.wgsl).
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeconvWeights {
    pub w_off: u32,
    pub b_off: u32,
    pub cin: u32,
    /// Output channels / 4: one invocation computes 4 output channels.
    pub groups: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct BlockWeights {
    pub conv0a: ConvWeights,
    pub conv0b: ConvWeights,
    pub resconv: Vec<ConvWeights>,
    pub lastconv: DeconvWeights,
}

#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub head: [ConvWeights; 3],
    pub head_deconv: DeconvWeights,
    pub blocks: Vec<BlockWeights>,
}

/// The packed parameters: f32 values, every tensor starting on a vec4 boundary.
pub struct Weights {
    pub(crate) data: Vec<f32>,
    pub(crate) layout: Layout,
}

impl Weights {
    /// Bytes of the packed weights: one storage binding, bound whole by every conv at every
    /// frame size (so a device's binding limit must hold it too).
    pub fn size_bytes(&self) -> u64 {
        4 * self.data.len() as u64
    }

    /// Packs the parameters of a loaded model (any device; they are read back to the CPU).
    pub fn from_model(model: &IFNet) -> Result<Self> {
        let mut p = Packer { data: Vec::new() };
        let head = [
            p.conv(&model.encode.cnn0)?,
            p.conv(&model.encode.cnn1)?,
            p.conv(&model.encode.cnn2)?,
        ];
        let head_deconv = p.deconv(&model.encode.cnn3)?;
        let mut blocks = Vec::new();
        for (block, &c) in model.blocks.iter().zip(BLOCK_WIDTHS.iter()) {
            let b = BlockWeights {
                conv0a: p.conv(&block.conv0a)?,
                conv0b: p.conv(&block.conv0b)?,
                resconv: block
                    .convblock
                    .iter()
                    .map(|r| p.conv(&r.conv))
                    .collect::<Result<_>>()?,
                lastconv: p.deconv(&block.lastconv)?,
            };
            if b.conv0b.cout as usize != c {
                return Err(Error::Weights(format!(
                    "block width {} where the model has {c}",
                    b.conv0b.cout
                )));
            }
            blocks.push(b);
        }
        Ok(Self {
            data: p.data,
            layout: Layout {
                head,
                head_deconv,
                blocks,
            },
        })
    }

    /// Loads converted model bytes (burnpack, f32 or f16) with the core's strict loader on the
    /// CPU device, then packs them.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        let model = inbetween::weights::load_model_bytes(bytes, &Device::flex())?;
        Self::from_model(&model)
    }

    /// Number of f32 values in the packed buffer (padding included).
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

struct Packer {
    data: Vec<f32>,
}

fn values<const D: usize>(p: &Param<Tensor<D>>) -> Result<(Vec<f32>, [usize; D])> {
    let t = p.val();
    let dims = t.dims();
    // On the flex device this is a plain copy (and works on wasm too, unlike `read_f32`).
    let v = t
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Weights(format!("{e:?}")))?;
    Ok((v, dims))
}

impl Packer {
    /// Current offset in vec4 units, after padding to a vec4 boundary.
    fn align(&mut self) -> u32 {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0.0);
        }
        (self.data.len() / 4) as u32
    }

    fn bias(&mut self, b: &Option<Param<Tensor<1>>>, n: usize) -> Result<u32> {
        let off = self.align();
        match b {
            Some(b) => {
                let (v, [len]) = values(b)?;
                if len != n {
                    return Err(Error::Weights(format!("bias of {len} for {n} channels")));
                }
                self.data.extend_from_slice(&v);
            }
            None => self.data.extend(std::iter::repeat_n(0.0, n)),
        }
        Ok(off)
    }

    /// Conv2d weight `[cout, cin, 3, 3]` → blocks of 8 output channels (conv3x3.wgsl header).
    fn conv(&mut self, conv: &Conv2d) -> Result<ConvWeights> {
        let (w, [cout, cin, kh, kw]) = values(&conv.weight)?;
        if (kh, kw) != (3, 3) || !cout.is_multiple_of(8) {
            return Err(Error::Weights(format!(
                "conv weight [{cout}, {cin}, {kh}, {kw}]: expected 3x3 and a multiple of 8 outputs"
            )));
        }
        let w_off = self.align();
        for ob in 0..cout / 8 {
            for ci in 0..cin {
                for k in 0..9 {
                    for j in 0..8 {
                        self.data.push(w[((ob * 8 + j) * cin + ci) * 9 + k]);
                    }
                }
            }
        }
        let b_off = self.bias(&conv.bias, cout)?;
        Ok(ConvWeights {
            w_off,
            b_off,
            cin: cin as u32,
            cout: cout as u32,
        })
    }

    /// ConvTranspose2d weight `[cin, cout, 4, 4]` → groups of 4 output channels, as vec4s
    /// (deconv4x4s2.wgsl header).
    fn deconv(&mut self, deconv: &ConvTranspose2d) -> Result<DeconvWeights> {
        let (w, [cin, cout, kh, kw]) = values(&deconv.weight)?;
        if (kh, kw) != (4, 4) || !cout.is_multiple_of(4) {
            return Err(Error::Weights(format!(
                "deconv weight [{cin}, {cout}, {kh}, {kw}]: expected 4x4 and a multiple of 4 outputs"
            )));
        }
        let w_off = self.align();
        for g in 0..cout / 4 {
            for ci in 0..cin {
                for k in 0..16 {
                    for j in 0..4 {
                        self.data.push(w[(ci * cout + 4 * g + j) * 16 + k]);
                    }
                }
            }
        }
        let b_off = self.bias(&deconv.bias, cout)?;
        Ok(DeconvWeights {
            w_off,
            b_off,
            cin: cin as u32,
            groups: (cout / 4) as u32,
        })
    }
}
