//! IFNet: the encoder plus five flow blocks (ifnet.py `IFNet`).

use burn::module::Module;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor, TensorData};

use super::cpu_conv::to_vec;
use super::cpu_kernels::{
    BlockState, Part, WarpInputs, block_input, resize_into_blocked, upsample_split,
};
use super::head::Head;
use super::ifblock::{IFBlock, scaled};
use super::warp::warp;

/// Width `c` of each block (ifnet.py `IFNet.__init__`: `IFBlock(7+8, c=192)`, then 128/96/64/32).
pub const BLOCK_WIDTHS: [usize; 5] = [192, 128, 96, 64, 32];
/// Downscale factor of each block at `scale = 1`; divided by `scale`
/// (rife.py `inference`: `scale_list = [16/scale, 8/scale, 4/scale, 2/scale, 1/scale]`).
pub const BLOCK_SCALES: [f64; 5] = [16.0, 8.0, 4.0, 2.0, 1.0];
/// block0 sees img0, img1 (3+3), f0, f1 (4+4) and t (1).
const BLOCK0_IN: usize = 15;
/// Later blocks see warped img0/img1 (3+3), warped f0/f1 (4+4), t (1), the mask logit (1),
/// the previous block's features (8) and the flow (4).
const BLOCKN_IN: usize = 28;

#[derive(Module, Debug)]
pub struct IFNet {
    pub encode: Head,
    pub blocks: Vec<IFBlock>,
}

/// The state after one block, kept for parity tests and for drawing.
#[derive(Clone)]
pub struct BlockTrace {
    /// `[N, 4, H, W]`: accumulated flow after this block.
    pub flow: Tensor<4>,
    /// `[N, 1, H, W]`: mask logit after this block.
    pub mask: Tensor<4>,
}

pub struct IFNetOutput {
    /// `[N, 3, H, W]`: the interpolated frame (not clamped).
    pub merged: Tensor<4>,
    /// `[N, 4, H, W]`: final flow from the middle frame to frame 0 (ch 0..2) and frame 1 (2..4).
    pub flow: Tensor<4>,
    /// `[N, 1, H, W]`: blend weight of warped frame 0, `sigmoid(mask logit)`.
    pub mask: Tensor<4>,
    /// One entry per block when tracing was asked for, else empty.
    pub trace: Vec<BlockTrace>,
}

impl IFNet {
    pub fn new(device: &Device) -> Self {
        let blocks = BLOCK_WIDTHS
            .iter()
            .enumerate()
            .map(|(i, &c)| IFBlock::new(if i == 0 { BLOCK0_IN } else { BLOCKN_IN }, c, device))
            .collect();
        Self {
            encode: Head::new(device),
            blocks,
        }
    }

    /// Features of one frame: `[N, 3, H, W]` → `[N, 4, H, W]`. Computed once per frame and reused
    /// for every pair and timestep the frame takes part in.
    pub fn encode(&self, img: Tensor<4>) -> Tensor<4> {
        self.encode.forward(img)
    }

    /// The first block alone (ifnet.py `IFNet.forward`, block 0, at `16 / scale`): its flow
    /// `[N, 4, H, W]` in pixels, the coarse motion estimate that automatic scale reads. Inputs as
    /// `forward`'s.
    pub fn coarse_flow(
        &self,
        img0: Tensor<4>,
        img1: Tensor<4>,
        f0: Tensor<4>,
        f1: Tensor<4>,
        t: Tensor<4>,
        scale: f64,
    ) -> Tensor<4> {
        let s = BLOCK_SCALES[0] / scale;
        self.blocks[0]
            .forward_parts(vec![img0, img1, f0, f1, t], None, s)
            .flow
    }

    /// Runs the five blocks (ifnet.py `IFNet.forward` with `ensemble=False`).
    ///
    /// `img0`, `img1`: `[N, 3, H, W]`; `f0`, `f1`: their features `[N, 4, H, W]`;
    /// `t`: the timestep map `[N, 1, H, W]`; `scale`: RIFE's scale (flow at 1/scale resolution).
    /// H and W must be multiples of `crate::pad_multiple(scale)`.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &self,
        img0: Tensor<4>,
        img1: Tensor<4>,
        f0: Tensor<4>,
        f1: Tensor<4>,
        t: Tensor<4>,
        scale: f64,
        trace: bool,
    ) -> IFNetOutput {
        if super::use_cpu_conv(&img0) {
            return self.forward_cpu(img0, img1, f0, f1, t, scale, trace);
        }
        let n = img0.dims()[0];
        // Image and features of each side, warped together: [N, 7, H, W] each.
        let side0 = Tensor::cat(vec![img0.clone(), f0.clone()], 1);
        let side1 = Tensor::cat(vec![img1.clone(), f1.clone()], 1);
        let mut flow: Option<Tensor<4>> = None;
        let mut mask: Option<Tensor<4>> = None;
        let mut feat: Option<Tensor<4>> = None;
        let mut traces = Vec::new();

        for (i, block) in self.blocks.iter().enumerate() {
            let s = BLOCK_SCALES[i] / scale;
            let out = match (&flow, &mask, &feat) {
                (Some(flow), Some(mask), Some(feat)) => {
                    // Warp image and features of both sides with the flow so far.
                    let (w0, w1) = warp_pair(side0.clone(), side1.clone(), flow.clone()); // [N,7,H,W] x2
                    // The block concatenates these: [N, 24, H, W] (ifnet.py IFNet.forward).
                    let x = vec![
                        w0.clone().narrow(1, 0, 3), // warped_img0
                        w1.clone().narrow(1, 0, 3), // warped_img1
                        w0.narrow(1, 3, 4),         // wf0
                        w1.narrow(1, 3, 4),         // wf1
                        t.clone(),
                        mask.clone(),
                        feat.clone(),
                    ];
                    block.forward_parts(x, Some(flow.clone()), s)
                }
                _ => {
                    // [N, 15, H, W] once concatenated by the block.
                    let x = vec![
                        img0.clone(),
                        img1.clone(),
                        f0.clone(),
                        f1.clone(),
                        t.clone(),
                    ];
                    block.forward_parts(x, None, s)
                }
            };
            // Flow accumulates across blocks; mask and features are replaced.
            let new_flow = match flow.take() {
                Some(prev) => prev + out.flow,
                None => out.flow,
            };
            if trace {
                traces.push(BlockTrace {
                    flow: new_flow.clone(),
                    mask: out.mask.clone(),
                });
            }
            flow = Some(new_flow);
            mask = Some(out.mask);
            feat = Some(out.feat);
        }

        let flow = flow.expect("IFNet has five blocks");
        let mask = sigmoid(mask.expect("IFNet has five blocks"));
        let (w0, w1) = warp_pair(img0, img1, flow.clone()); // [N, 3, H, W] x2
        // merged = warped_img0 * mask + warped_img1 * (1 - mask)
        let merged = w0 * mask.clone() + w1 * (mask.clone().neg().add_scalar(1.0));
        debug_assert_eq!(merged.dims()[0], n);
        IFNetOutput {
            merged,
            flow,
            mask,
            trace: traces,
        }
    }
}

impl IFNet {
    /// `forward` with the CPU kernels: the same computation, with the state between blocks
    /// (flow, mask, feat) kept as plain full-resolution planes. Each block's input is built in
    /// one pass (block0: the concat and downscale, `resize_into_blocked`; blocks 1–4 also the
    /// warps, `block_input`), and its output upsampled, split and added to the flow in one pass
    /// (`upsample_split`), with no burn op in between.
    #[allow(clippy::too_many_arguments)]
    fn forward_cpu(
        &self,
        img0: Tensor<4>,
        img1: Tensor<4>,
        f0: Tensor<4>,
        f1: Tensor<4>,
        t: Tensor<4>,
        scale: f64,
        trace: bool,
    ) -> IFNetOutput {
        let device = img0.device();
        let [n, _, h, w] = img0.dims();
        let tensor = |data: Vec<f32>, c: usize| {
            Tensor::<4>::from_data(TensorData::new(data, [n, c, h, w]), &device)
        };
        // Image and features of each side: [N, 7, H, W] each, read by every later block's warps.
        let side0 = to_vec(Tensor::cat(vec![img0.clone(), f0.clone()], 1));
        let side1 = to_vec(Tensor::cat(vec![img1.clone(), f1.clone()], 1));
        let t_v = to_vec(t.clone());
        let mut state: Option<BlockState> = None;
        let mut traces = Vec::new();

        for (i, block) in self.blocks.iter().enumerate() {
            let s = BLOCK_SCALES[i] / scale;
            let (hs, ws) = (scaled(h, s), scaled(w, s));
            let x = match &state {
                // block0: cat(img0, img1, f0, f1, t) downscaled, [N, 15, H/s, W/s].
                None => {
                    let part = |t: &Tensor<4>| Part {
                        channels: t.dims()[1],
                        data: to_vec(t.clone()),
                        factor: 1.0,
                    };
                    let parts = [part(&img0), part(&img1), part(&f0), part(&f1), part(&t)];
                    resize_into_blocked(&parts, n, h, w, hs, ws)
                }
                // Later blocks: warped img0/img1/f0/f1, t, mask, feat, flow/s: [N, 28, H/s, W/s].
                Some(st) => {
                    let inp = WarpInputs {
                        side0: &side0,
                        side1: &side1,
                        t: &t_v,
                        mask: &st.mask,
                        feat: &st.feat,
                        flow: &st.flow,
                    };
                    block_input(&inp, n, h, w, hs, ws, (1.0 / s) as f32)
                }
            };
            // [N, 13, H/s, W/s], or a pixel more per side when H/s is not a multiple of 4 (odd
            // scales): the stride-2 convs round up, and the upsample goes back to H x W anyway.
            let (tmp, [_, _, th, tw]) = block.convs_cpu_vec(&x);
            let prev = state.as_ref().map(|st| st.flow.as_slice());
            let next = upsample_split(&tmp, n, th, tw, h, w, s as f32, prev);
            if trace {
                traces.push(BlockTrace {
                    flow: tensor(next.flow.clone(), 4),
                    mask: tensor(next.mask.clone(), 1),
                });
            }
            state = Some(next);
        }

        let st = state.expect("IFNet has five blocks");
        let flow = tensor(st.flow, 4);
        let mask = sigmoid(tensor(st.mask, 1));
        let (w0, w1) = warp_pair(img0, img1, flow.clone()); // [N, 3, H, W] x2
        // merged = warped_img0 * mask + warped_img1 * (1 - mask)
        let merged = w0 * mask.clone() + w1 * (mask.clone().neg().add_scalar(1.0));
        IFNetOutput {
            merged,
            flow,
            mask,
            trace: traces,
        }
    }
}

/// Warps `a` by `flow[:, 0:2]` and `b` by `flow[:, 2:4]` in one `grid_sample` call, by stacking
/// the two sides along the batch axis. `a`, `b`: `[N, C, H, W]`; `flow`: `[N, 4, H, W]`.
fn warp_pair(a: Tensor<4>, b: Tensor<4>, flow: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let n = a.dims()[0];
    let input = Tensor::cat(vec![a, b], 0); // [2N, C, H, W]
    let flows = Tensor::cat(vec![flow.clone().narrow(1, 0, 2), flow.narrow(1, 2, 2)], 0); // [2N, 2, H, W]
    let warped = warp(input, flows);
    (warped.clone().narrow(0, 0, n), warped.narrow(0, n, n))
}
