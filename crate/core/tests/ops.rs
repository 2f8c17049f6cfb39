//! Small, exact checks of the resampling ops, and the cross-backend check for the wgpu
//! `grid_sample_2d` stride bug of burn 0.22.1 (`known_failure_wgpu_grid_sample_permuted_grid` below shows it).

use burn::tensor::ops::{GridSampleOptions, GridSamplePaddingMode, InterpolateMode};
use burn::tensor::{Device, Tensor, TensorData};
use inbetween::model::pixel_shuffle2;
use inbetween::model::warp::{resize, resize_burn, warp, warp_burn};
use inbetween::{BackendKind, read_f32};

fn t4(data: Vec<f32>, shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// Deterministic pseudo-random values in [-1, 1).
fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2654435761).max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn pixel_shuffle_matches_pytorch_layout() {
    // out[c, 2y+i, 2x+j] = in[4c+2i+j, y, x]
    let device = Device::flex();
    let (c, h, w) = (2, 2, 3);
    let input: Vec<f32> = (0..4 * c * h * w).map(|v| v as f32).collect();
    let out = read_f32(pixel_shuffle2(t4(input.clone(), [1, 4 * c, h, w], &device))).unwrap();
    for ch in 0..c {
        for y in 0..h {
            for x in 0..w {
                for i in 0..2 {
                    for j in 0..2 {
                        let src = input[((4 * ch + 2 * i + j) * h + y) * w + x];
                        let dst = out[(ch * 2 * h + 2 * y + i) * 2 * w + 2 * x + j];
                        assert_eq!(src, dst, "c={ch} y={y} x={x} i={i} j={j}");
                    }
                }
            }
        }
    }
}

#[test]
fn resize_half_pixel_centres() {
    // PyTorch: F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False) on a
    // 1x4 ramp [0,1,2,3] samples at 0.5 and 2.5 → [0.5, 2.5]; upsampling [0, 1] to 4 gives
    // [0, 0.25, 0.75, 1] (source coords -0.25, 0.25, 0.75, 1.25, clamped).
    let device = Device::flex();
    let down = read_f32(resize(
        t4(vec![0., 1., 2., 3.], [1, 1, 1, 4], &device),
        1,
        2,
    ))
    .unwrap();
    assert_eq!(down, vec![0.5, 2.5]);
    let up = read_f32(resize(t4(vec![0., 1.], [1, 1, 1, 2], &device), 1, 4)).unwrap();
    let want = [0.0, 0.25, 0.75, 1.0];
    for (g, w) in up.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{up:?} vs {want:?}");
    }
}

#[test]
fn warp_integer_flow_shifts_and_clamps() {
    // flow x = +1 everywhere: out[x] = in[x+1], and the last column repeats (border padding).
    let device = Device::flex();
    let (h, w) = (2, 4);
    let img: Vec<f32> = (0..h * w).map(|v| v as f32).collect();
    let mut flow = vec![1.0f32; h * w];
    flow.extend(vec![0.0f32; h * w]);
    let out = read_f32(warp(
        t4(img, [1, 1, h, w], &device),
        t4(flow, [1, 2, h, w], &device),
    ))
    .unwrap();
    assert_eq!(out, vec![1., 2., 3., 3., 5., 6., 7., 7.]);
    // Half-pixel flow blends bilinearly.
    let img: Vec<f32> = vec![0., 2., 4., 6.];
    let flow = vec![0.5, 0.5, 0.5, 0.5, 0., 0., 0., 0.];
    let out = read_f32(warp(
        t4(img, [1, 1, 1, 4], &device),
        t4(flow, [1, 2, 1, 4], &device),
    ))
    .unwrap();
    let want = [1., 3., 5., 6.];
    assert!(
        out.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-5),
        "{out:?} vs {want:?}"
    );
}

fn gpu() -> Device {
    inbetween::device(BackendKind::Gpu)
        .expect("wgpu device (install mesa-vulkan-drivers for lavapipe)")
}

/// Our warp builds its grid contiguous; on wgpu it must agree with flex.
#[test]
fn warp_agrees_across_backends() {
    let (n, c, h, w) = (2, 7, 24, 40);
    let img = noise(n * c * h * w, 1);
    let flow: Vec<f32> = noise(n * 2 * h * w, 2)
        .into_iter()
        .map(|v| v * 6.0)
        .collect();
    let run = |device: &Device| {
        read_f32(warp(
            t4(img.clone(), [n, c, h, w], device),
            t4(flow.clone(), [n, 2, h, w], device),
        ))
        .unwrap()
    };
    let (cpu, gpu) = (run(&Device::flex()), run(&gpu()));
    let d = max_diff(&cpu, &gpu);
    assert!(d < 1e-5, "warp differs between flex and wgpu by {d}");
}

/// Known failure in burn 0.22.1: wgpu's grid_sample_2d ignores the stride of the
/// grid's last axis, so a grid made by `cat(..., 1).permute([0, 2, 3, 1])` reads wrong values.
/// This test asserts the bug is still there. When burn fixes it, this fails: then delete this
/// test and drop the contiguity note in `warp`.
#[test]
fn known_failure_wgpu_grid_sample_permuted_grid() {
    let (h, w) = (8, 12);
    let img = noise(3 * h * w, 3);
    let grid_nchw: Vec<f32> = noise(2 * h * w, 4).into_iter().map(|v| v * 0.9).collect();
    let run = |device: &Device| {
        let grid = t4(grid_nchw.clone(), [1, 2, h, w], device).permute([0, 2, 3, 1]); // strided view
        let options = GridSampleOptions::new(InterpolateMode::Bilinear)
            .with_padding_mode(GridSamplePaddingMode::Border)
            .with_align_corners(true);
        read_f32(t4(img.clone(), [1, 3, h, w], device).grid_sample_2d(grid, options)).unwrap()
    };
    let (cpu, gpu) = (run(&Device::flex()), run(&gpu()));
    let d = max_diff(&cpu, &gpu);
    assert!(
        d > 1e-3,
        "wgpu grid_sample_2d now handles a permuted grid (max diff {d}): the burn bug is fixed, remove this known-failure test"
    );
}

/// Largest absolute difference, NaN when any element is NaN (a fold with `f32::max` would
/// drop a NaN and call broken output a match).
fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, |m, d| {
            if m.is_nan() || d.is_nan() {
                f32::NAN
            } else {
                m.max(d)
            }
        })
}

#[test]
fn max_diff_sees_nan() {
    assert!(max_diff(&[0.0, f32::NAN], &[0.0, 0.0]).is_nan());
    assert!(max_diff(&[f32::NAN, 1.0], &[0.0, 1.0]).is_nan());
}

/// On the CPU, `warp` and `resize` run hand-written kernels; they must equal burn's ops
/// (`grid_sample_2d`, `interpolate`), which match PyTorch.
#[test]
fn cpu_kernels_match_burn_ops() {
    let device = Device::flex();
    let (n, c, h, w) = (2, 5, 33, 47);
    let img = noise(n * c * h * w, 5);
    // Flow up to ±20 px, so plenty of samples clamp at the border.
    let flow: Vec<f32> = noise(n * 2 * h * w, 6)
        .into_iter()
        .map(|v| v * 20.0)
        .collect();
    let fast = read_f32(warp(
        t4(img.clone(), [n, c, h, w], &device),
        t4(flow.clone(), [n, 2, h, w], &device),
    ))
    .unwrap();
    let slow = read_f32(warp_burn(
        t4(img.clone(), [n, c, h, w], &device),
        t4(flow, [n, 2, h, w], &device),
    ))
    .unwrap();
    let d = max_diff(&fast, &slow);
    assert!(d < 1e-5, "warp kernel differs from grid_sample_2d by {d}");
    // Down by 16/8/2 and up by 2/4/16 as RIFE does, and an uneven ratio.
    for (oh, ow) in [
        (2, 3),
        (4, 6),
        (16, 23),
        (66, 94),
        (132, 188),
        (528, 752),
        (50, 31),
    ] {
        let x = t4(img.clone(), [n, c, h, w], &device);
        let fast = read_f32(resize(x.clone(), oh, ow)).unwrap();
        let slow = read_f32(resize_burn(x, oh, ow)).unwrap();
        let d = max_diff(&fast, &slow);
        assert!(
            d < 1e-5,
            "resize kernel to {oh}x{ow} differs from interpolate by {d}"
        );
    }
}
