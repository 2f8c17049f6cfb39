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

/// The inputs of IFBlocks 1–4 at full resolution, NCHW, batch N, H x W each.
pub struct WarpInputs<'a> {
    /// `[N, 7, H, W]` each: img (3 channels) then features (4) of each side.
    pub side0: &'a [f32],
    pub side1: &'a [f32],
    /// `[N, 1, H, W]`.
    pub t: &'a [f32],
    /// `[N, 1, H, W]`: the previous block's mask logit.
    pub mask: &'a [f32],
    /// `[N, 8, H, W]`: the previous block's features.
    pub feat: &'a [f32],
    /// `[N, 4, H, W]`: the accumulated flow.
    pub flow: &'a [f32],
}

/// Channels of a later block's input: warped img0, img1 (3+3), wf0, wf1 (4+4), t, mask (1+1),
/// feat (8), flow·(1/s) (4).
const WARPED_IN: usize = 28;

/// A raw pointer that may be shared by the threads of `block_input`, each writing its own rows.
#[derive(Clone, Copy)]
struct RowsPtr(*mut f32);
// SAFETY: only used by `block_input`, whose tasks write disjoint rows.
unsafe impl Send for RowsPtr {}
unsafe impl Sync for RowsPtr {}

impl RowsPtr {
    /// (A method, so that closures capture the whole wrapper and not its raw field.)
    fn add(self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

/// The input of IFBlocks 1–4 in one pass (ifnet.py `IFNet.forward` then `IFBlock.forward`):
/// `resize(cat([warp(img0, flow[:2]), warp(img1, flow[2:]), warp(f0, flow[:2]),
/// warp(f1, flow[2:]), t, mask, feat, flow·(1/s)]), 1/s)`, written in the blocked layout,
/// without any full-resolution intermediate. Each output pixel needs the full-resolution
/// values at its 2x2 resize taps only, so the warps are evaluated at those pixels (for s ≥ 4
/// a fraction of the image). The arithmetic is the same as `warp` followed by
/// `resize_into_blocked`, in the same order, so the result is the same.
/// Output: `[N][2][h+2][w+2][16]` (28 channels).
pub fn block_input(
    inp: &WarpInputs<'_>,
    n: usize,
    ih: usize,
    iw: usize,
    h: usize,
    w: usize,
    flow_factor: f32,
) -> Blocked {
    use super::cpu_conv::CB;
    let plane = ih * iw;
    assert!(inp.side0.len() == n * 7 * plane && inp.side1.len() == n * 7 * plane);
    assert!(inp.t.len() == n * plane && inp.mask.len() == n * plane);
    assert!(inp.feat.len() == n * 8 * plane && inp.flow.len() == n * 4 * plane);
    let mut out = Blocked::zeros(n, WARPED_IN, h, w, CB);
    let (ty, tx) = (resize_taps(ih, h), resize_taps(iw, w));
    let same = ih == h && iw == w;
    let wp = w + 2;
    let block_plane = (h + 2) * wp * CB;
    let ptr = RowsPtr(out.data.as_mut_ptr());
    let len = out.data.len();

    // The full-resolution planes of batch item b, sliced once per row task rather than per
    // sample: [side][channel] for the warped ones, then t, mask, feat, flow.
    struct Planes<'p> {
        side: [[&'p [f32]; 7]; 2],
        t: &'p [f32],
        mask: &'p [f32],
        feat: [&'p [f32]; 8],
        flow: [&'p [f32]; 4],
    }
    /// Channel k of batch item b of a `[N, c, H, W]` buffer.
    fn chan(data: &[f32], b: usize, c: usize, k: usize, plane: usize) -> &[f32] {
        &data[(b * c + k) * plane..][..plane]
    }
    let planes = |b: usize| Planes {
        side: [
            std::array::from_fn(|k| chan(inp.side0, b, 7, k, plane)),
            std::array::from_fn(|k| chan(inp.side1, b, 7, k, plane)),
        ],
        t: chan(inp.t, b, 1, 0, plane),
        mask: chan(inp.mask, b, 1, 0, plane),
        feat: std::array::from_fn(|k| chan(inp.feat, b, 8, k, plane)),
        flow: std::array::from_fn(|k| chan(inp.flow, b, 4, k, plane)),
    };
    // All 28 channels at full-resolution pixel (yy, xx), in output order.
    let sample = |p: &Planes<'_>, yy: usize, xx: usize, v: &mut [f32; WARPED_IN]| {
        let at = yy * iw + xx;
        for side in 0..2 {
            // Same tap as `warp`: grid_sample(align_corners=True, border) clamps the position.
            let sx = (xx as f32 + p.flow[2 * side][at]).clamp(0.0, (iw - 1) as f32);
            let sy = (yy as f32 + p.flow[2 * side + 1][at]).clamp(0.0, (ih - 1) as f32);
            let (sx, sy) = (
                if sx.is_nan() { 0.0 } else { sx },
                if sy.is_nan() { 0.0 } else { sy },
            );
            let (tx, ty) = (Tap::at(sx, iw), Tap::at(sy, ih));
            let (r0, r1) = (ty.i0 as usize * iw, ty.i1 as usize * iw);
            let (a, bb) = (tx.i0 as usize, tx.i1 as usize);
            for (ch, s) in p.side[side].iter().enumerate() {
                let top = s[r0 + a] + (s[r0 + bb] - s[r0 + a]) * tx.w1;
                let bottom = s[r1 + a] + (s[r1 + bb] - s[r1 + a]) * tx.w1;
                // img channels go to 0..3 / 3..6, feature channels to 6..10 / 10..14.
                let dst = if ch < 3 {
                    side * 3 + ch
                } else {
                    6 + side * 4 + ch - 3
                };
                v[dst] = top + (bottom - top) * ty.w1;
            }
        }
        v[14] = p.t[at];
        v[15] = p.mask[at];
        for k in 0..8 {
            v[16 + k] = p.feat[k][at];
        }
        for k in 0..4 {
            v[24 + k] = p.flow[k][at] * flow_factor;
        }
    };

    // One output row per task; a row lives in both channel-block planes of its batch item.
    let task = |r: usize| {
        let (b, y) = (r / h, r % h);
        let p = planes(b);
        let mut row = vec![[0.0f32; WARPED_IN]; w];
        if same {
            for (x, v) in row.iter_mut().enumerate() {
                sample(&p, y, x, v);
            }
        } else {
            let Tap { i0, i1, w1: wy } = ty[y];
            let (mut p00, mut p01, mut p10, mut p11) = (
                [0.0; WARPED_IN],
                [0.0; WARPED_IN],
                [0.0; WARPED_IN],
                [0.0; WARPED_IN],
            );
            for (x, t) in tx.iter().enumerate() {
                let (j0, j1) = (t.i0 as usize, t.i1 as usize);
                sample(&p, i0 as usize, j0, &mut p00);
                sample(&p, i0 as usize, j1, &mut p01);
                sample(&p, i1 as usize, j0, &mut p10);
                sample(&p, i1 as usize, j1, &mut p11);
                for c in 0..WARPED_IN {
                    // As `resize_into_blocked`: lerp along x on both rows, then along y.
                    let top = p00[c] + (p01[c] - p00[c]) * t.w1;
                    let bottom = p10[c] + (p11[c] - p10[c]) * t.w1;
                    row[x][c] = top + (bottom - top) * wy;
                }
            }
        }
        for blk in 0..2 {
            let start = (b * 2 + blk) * block_plane + ((y + 1) * wp + 1) * CB;
            assert!(start + w * CB <= len);
            // SAFETY: in bounds (asserted); row y of batch item b is written by this task only.
            let dst = unsafe { std::slice::from_raw_parts_mut(ptr.add(start), w * CB) };
            for (x, v) in row.iter().enumerate() {
                let k = (WARPED_IN - blk * CB).min(CB);
                dst[x * CB..x * CB + k].copy_from_slice(&v[blk * CB..blk * CB + k]);
            }
        }
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..n * h).into_par_iter().for_each(task);
    }
    #[cfg(not(feature = "rayon"))]
    (0..n * h).for_each(task);
    out
}

/// The state one IFBlock hands the next, as full-resolution NCHW planes.
pub struct BlockState {
    /// `[N, 4, H, W]`: the accumulated flow.
    pub flow: Vec<f32>,
    /// `[N, 1, H, W]`: the mask logit.
    pub mask: Vec<f32>,
    /// `[N, 8, H, W]`: the features.
    pub feat: Vec<f32>,
}

/// The end of an IFBlock in one pass (ifnet.py `IFBlock.forward` and `IFNet.forward`):
/// `tmp = resize(tmp, ×s)`; `flow = prev + tmp[:, :4]·s`, `mask = tmp[:, 4]`,
/// `feat = tmp[:, 5:]`. `tmp`: `[N, 13, hs, ws]` → planes at `h` x `w`. Same arithmetic as
/// `resize` followed by burn's `mul_scalar` and `add` (f32), in the same order.
#[allow(clippy::too_many_arguments)]
pub fn upsample_split(
    tmp: &[f32],
    n: usize,
    hs: usize,
    ws: usize,
    h: usize,
    w: usize,
    s: f32,
    prev_flow: Option<&[f32]>,
) -> BlockState {
    const C: usize = 13;
    assert_eq!(tmp.len(), n * C * hs * ws);
    if let Some(p) = prev_flow {
        assert_eq!(p.len(), n * 4 * h * w);
    }
    let (ty, tx) = (resize_taps(hs, h), resize_taps(ws, w));
    let same = hs == h && ws == w;
    /// One plane `src` ([hs·ws]) upsampled into `dst` ([h·w]), each value through `f`
    /// (generic, so that `f` inlines into the loop).
    fn plane<F: Fn(usize, f32) -> f32>(
        src: &[f32],
        dst: &mut [f32],
        taps: (&[Tap], &[Tap]),
        ws: usize,
        w: usize,
        same: bool,
        f: F,
    ) {
        if same {
            // Scale 1: resize is the identity.
            for (i, v) in dst.iter_mut().enumerate() {
                *v = f(i, src[i]);
            }
            return;
        }
        let (ty, tx) = taps;
        for (y, row) in dst.chunks_exact_mut(w).enumerate() {
            let Tap { i0, i1, w1: wy } = ty[y];
            let (r0, r1) = (
                &src[i0 as usize * ws..][..ws],
                &src[i1 as usize * ws..][..ws],
            );
            for (x, (v, t)) in row.iter_mut().zip(tx).enumerate() {
                let (a, bb) = (t.i0 as usize, t.i1 as usize);
                let top = r0[a] + (r0[bb] - r0[a]) * t.w1;
                let bottom = r1[a] + (r1[bb] - r1[a]) * t.w1;
                *v = f(y * w + x, top + (bottom - top) * wy);
            }
        }
    }
    let src = |b: usize, ch: usize| &tmp[(b * C + ch) * hs * ws..][..hs * ws];
    let taps = (ty.as_slice(), tx.as_slice());
    let hw = h * w;
    let mut flow = vec![0.0f32; n * 4 * hw];
    for_each_chunk(&mut flow, hw, |p, dst| {
        let (b, ch) = (p / 4, p % 4);
        match prev_flow {
            Some(prev) => {
                let prev = &prev[p * hw..][..hw];
                plane(src(b, ch), dst, taps, ws, w, same, |i, v| prev[i] + v * s)
            }
            None => plane(src(b, ch), dst, taps, ws, w, same, |_, v| v * s),
        }
    });
    let mut mask = vec![0.0f32; n * hw];
    for_each_chunk(&mut mask, hw, |b, dst| {
        plane(src(b, 4), dst, taps, ws, w, same, |_, v| v)
    });
    let mut feat = vec![0.0f32; n * 8 * hw];
    for_each_chunk(&mut feat, hw, |p, dst| {
        plane(src(p / 8, 5 + p % 8), dst, taps, ws, w, same, |_, v| v)
    });
    BlockState { flow, mask, feat }
}
