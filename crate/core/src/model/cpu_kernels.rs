//! Hand-written CPU versions of RIFE's two resampling ops, used when the tensors live on the
//! flex (CPU) device.
//!
//! Why: profiling one 640x360 interpolation on flex (2 threads, `examples/profile.rs`) showed
//! the five warps (`grid_sample_2d`: single-threaded, f64 math, a closure per tap) at ~40 ms
//! each and the four 13-channel full-resolution upsamples at ~22 ms each: about 40% of the
//! whole. These versions precompute the sampling positions once per image instead of once per
//! channel, stay in f32, and split the planes across threads. They compute the same samples as
//! the burn ops they replace (checked against them in `tests/ops.rs`), so parity is unchanged.

use burn::tensor::{Tensor, TensorData};

use super::cpu_conv::Blocked;
pub(crate) use super::cpu_conv::{for_each_chunk, to_vec};

/// One bilinear tap: the two source indices along an axis and the weight of the second.
#[derive(Clone, Copy)]
struct Tap {
    i0: u32,
    i1: u32,
    w1: f32,
}

impl Tap {
    /// Source position `p` (already clamped to `[0, size-1]`).
    fn at(p: f32, size: usize) -> Self {
        // `p ≥ 0`, so truncation is floor; `f32::floor` is a libm call on baseline x86-64
        // (no SSE4.1 `roundss`), which showed in profiles at ~1.5% of a frame.
        let i0 = (p as usize).min(size - 1);
        let i1 = (i0 + 1).min(size - 1);
        Tap {
            i0: i0 as u32,
            i1: i1 as u32,
            w1: p - i0 as f32,
        }
    }
}

/// Bilinear resize with `align_corners=False`: the taps of each output index along one axis.
/// PyTorch (`area_pixel_compute_source_index`): `src = (dst + 0.5)·in/out − 0.5`, floored at 0.
fn resize_taps(input: usize, output: usize) -> Vec<Tap> {
    let ratio = input as f64 / output as f64;
    (0..output)
        .map(|o| {
            let p = (((o as f64 + 0.5) * ratio - 0.5).max(0.0)) as f32;
            Tap::at(p.min((input - 1) as f32), input)
        })
        .collect()
}

/// `[N, C, H, W]` → `[N, C, h, w]`, same result as `burn::tensor::module::interpolate` bilinear
/// with `align_corners = false`.
pub fn resize(x: Tensor<4>, h: usize, w: usize) -> Tensor<4> {
    let device = x.device();
    let [n, c, ih, iw] = x.dims();
    let input = to_vec(x);
    let (ty, tx) = (resize_taps(ih, h), resize_taps(iw, w));
    let mut out = vec![0.0f32; n * c * h * w];
    for_each_chunk(&mut out, h * w, |plane, dst| {
        let src = &input[plane * ih * iw..(plane + 1) * ih * iw];
        for (y, row) in dst.chunks_exact_mut(w).enumerate() {
            let Tap { i0, i1, w1: wy } = ty[y];
            let (r0, r1) = (
                &src[i0 as usize * iw..][..iw],
                &src[i1 as usize * iw..][..iw],
            );
            for (v, t) in row.iter_mut().zip(&tx) {
                let (a, b) = (t.i0 as usize, t.i1 as usize);
                let top = r0[a] + (r0[b] - r0[a]) * t.w1;
                let bottom = r1[a] + (r1[b] - r1[a]) * t.w1;
                *v = top + (bottom - top) * wy;
            }
        }
    });
    Tensor::from_data(TensorData::new(out, [n, c, h, w]), &device)
}

/// Backward warp with border clamping (see `warp::warp`): `[N, C, H, W]` by `[N, 2, H, W]`.
pub fn warp(input: Tensor<4>, flow: Tensor<4>) -> Tensor<4> {
    let device = input.device();
    let [n, c, h, w] = input.dims();
    let (img, flow) = (to_vec(input), to_vec(flow));
    let plane = h * w;
    // Taps per pixel of each batch item, shared by all its channels: [N][H][W] (x tap, y tap),
    // computed row by row in parallel.
    let zero = Tap {
        i0: 0,
        i1: 0,
        w1: 0.0,
    };
    let mut taps = vec![(zero, zero); n * plane];
    for_each_chunk(&mut taps, w, |row, dst| {
        let (b, y) = (row / h, row % h);
        let fx = &flow[(2 * b) * plane + y * w..][..w];
        let fy = &flow[(2 * b + 1) * plane + y * w..][..w];
        for (x, tap) in dst.iter_mut().enumerate() {
            // grid_sample(align_corners=True, padding_mode=border) clamps the source position.
            let sx = (x as f32 + fx[x]).clamp(0.0, (w - 1) as f32);
            let sy = (y as f32 + fy[x]).clamp(0.0, (h - 1) as f32);
            // NaN flow (never from the model) would clamp to NaN; sample pixel 0 instead.
            let (sx, sy) = (
                if sx.is_nan() { 0.0 } else { sx },
                if sy.is_nan() { 0.0 } else { sy },
            );
            *tap = (Tap::at(sx, w), Tap::at(sy, h));
        }
    });
    let mut out = vec![0.0f32; n * c * plane];
    for_each_chunk(&mut out, plane, |p, dst| {
        let src = &img[p * plane..(p + 1) * plane];
        let taps = &taps[(p / c) * plane..][..plane];
        for (v, (tx, ty)) in dst.iter_mut().zip(taps) {
            let (r0, r1) = (ty.i0 as usize * w, ty.i1 as usize * w);
            let (a, b) = (tx.i0 as usize, tx.i1 as usize);
            let top = src[r0 + a] + (src[r0 + b] - src[r0 + a]) * tx.w1;
            let bottom = src[r1 + a] + (src[r1 + b] - src[r1 + a]) * tx.w1;
            *v = top + (bottom - top) * ty.w1;
        }
    });
    Tensor::from_data(TensorData::new(out, [n, c, h, w]), &device)
}

/// One input of `resize_into_blocked`: `[N, channels, H, W]` NCHW data and a factor applied to
/// it before resizing.
pub struct Part {
    pub data: Vec<f32>,
    pub channels: usize,
    pub factor: f32,
}

/// An IFBlock's input in one pass: the parts' channels concatenated in order, each multiplied by
/// its factor, resized bilinearly (`align_corners=False`) from `ih`x`iw` to `h`x`w`, written in
/// the blocked layout of `cpu_conv`. This is `resize(cat([x, flow * (1/s)], 1))` of
/// `IFBlock::forward` without the full-resolution concatenation and the NCHW round trip, with
/// the same samples: the factor scales each tap before the interpolation, as the reference's
/// `flow * 1/s` does before its resize.
pub fn resize_into_blocked(
    parts: &[Part],
    n: usize,
    ih: usize,
    iw: usize,
    h: usize,
    w: usize,
) -> Blocked {
    use super::cpu_conv::CB;
    let c: usize = parts.iter().map(|p| p.channels).sum();
    for p in parts {
        assert_eq!(p.data.len(), n * p.channels * ih * iw, "part shape");
    }
    // Channel ch → (part, channel in part).
    let owner: Vec<(usize, usize)> = parts
        .iter()
        .enumerate()
        .flat_map(|(i, p)| (0..p.channels).map(move |k| (i, k)))
        .collect();
    let mut out = Blocked::zeros(n, c, h, w, CB);
    let (ty, tx) = (resize_taps(ih, h), resize_taps(iw, w));
    let same = ih == h && iw == w;
    let blocks = c.div_ceil(CB);
    let wp = w + 2;
    // One padded plane (one batch item and channel block) per task.
    for_each_chunk(&mut out.data, (h + 2) * wp * CB, |plane, dst| {
        let (b, blk) = (plane / blocks, plane % blocks);
        for l in 0..CB.min(c - blk * CB) {
            let (pi, k) = owner[blk * CB + l];
            let part = &parts[pi];
            let src = &part.data[(b * part.channels + k) * ih * iw..][..ih * iw];
            let f = part.factor;
            for y in 0..h {
                let row = &mut dst[((y + 1) * wp + 1) * CB..][..w * CB];
                if same {
                    // Scale 1: resize is the identity (source = destination pixel centres).
                    for (x, &v) in src[y * iw..][..iw].iter().enumerate() {
                        row[x * CB + l] = v * f;
                    }
                    continue;
                }
                let Tap { i0, i1, w1: wy } = ty[y];
                let (r0, r1) = (
                    &src[i0 as usize * iw..][..iw],
                    &src[i1 as usize * iw..][..iw],
                );
                for (x, t) in tx.iter().enumerate() {
                    let (a, bb) = (t.i0 as usize, t.i1 as usize);
                    let (a0, b0, a1, b1) = (r0[a] * f, r0[bb] * f, r1[a] * f, r1[bb] * f);
                    let top = a0 + (b0 - a0) * t.w1;
                    let bottom = a1 + (b1 - a1) * t.w1;
                    row[x * CB + l] = top + (bottom - top) * wy;
                }
            }
        }
    });
    out
}
