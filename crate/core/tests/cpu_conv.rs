//! The fused CPU conv kernels (`model::cpu_conv`) against burn's own ops on flex (im2col +
//! gemm), on random weights and inputs: odd sizes, stride 2, channel counts that are not
//! multiples of the 16-channel block, each epilogue, and every instruction set this CPU can run
//! (the best one, AVX2+FMA, scalar), since machines differ (NOTES.md).

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor, TensorData};
use inbetween::model::cpu_conv::{self, Epilogue, Isa};
use inbetween::model::cpu_winograd;
use inbetween::model::pixel_shuffle2;
use inbetween::model::warp::{resize_burn, warp_burn};
use inbetween::read_f32;

const ISAS: [Isa; 3] = [Isa::Best, Isa::Avx2, Isa::Scalar];

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

fn input(shape: [usize; 4], seed: u32) -> Tensor<4> {
    Tensor::from_data(
        TensorData::new(noise(shape.iter().product(), seed), shape),
        &Device::flex(),
    )
}

/// Random weights scaled like a trained layer's (outputs of order 1); nonzero bias.
fn init(seed: u32) -> Initializer {
    Initializer::Uniform {
        min: -0.3,
        max: 0.3 + seed as f64 * 1e-3,
    }
}

fn conv(cin: usize, cout: usize, stride: usize, seed: u32) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_initializer(init(seed))
        .init(&Device::flex())
}

/// Max |a − b| relative to the reference's largest magnitude; NaN fails.
fn check(what: &str, got: Tensor<4>, want: Tensor<4>) {
    check_within(what, got, want, 1e-5);
}

/// `check` with a chosen bound; returns the largest relative |diff|.
fn check_within(what: &str, got: Tensor<4>, want: Tensor<4>, bound: f32) -> f32 {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let (g, w) = (read_f32(got).unwrap(), read_f32(want).unwrap());
    let scale = w.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let mut worst = 0.0f32;
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        let d = (a - b).abs() / scale;
        assert!(
            d <= bound,
            "{what}: element {i}: {a} vs {b} (scale {scale})"
        );
        worst = worst.max(d);
    }
    println!("{what}: max relative |diff| {worst:.1e}");
    worst
}

#[test]
fn conv3x3_matches_burn() {
    // (cin, cout, h, w, stride): RIFE's shapes at small sizes, plus odd and ragged ones.
    let cases = [
        (16, 16, 8, 8, 1),
        (5, 20, 13, 11, 1),
        (32, 48, 10, 6, 2),
        (15, 96, 9, 7, 2),
        (33, 17, 1, 1, 1),
        (24, 8, 31, 3, 2),
        (192, 192, 3, 5, 1),
        (16, 16, 2, 40, 1),
        (48, 40, 7, 29, 2),
    ];
    for (k, &(cin, cout, h, w, stride)) in cases.iter().enumerate() {
        let layer = conv(cin, cout, stride, k as u32);
        let x = input([2, cin, h, w], 100 + k as u32);
        let plain = layer.forward(x.clone());
        let lrelu = leaky_relu(plain.clone(), 0.2);
        for isa in ISAS {
            let tag = format!("{cin}->{cout} {h}x{w} s{stride} {isa:?}");
            let got = cpu_conv::conv2d(x.clone(), &layer, Epilogue::Bias, false, isa);
            check(&format!("{tag} bias"), got, plain.clone());
            let got = cpu_conv::conv2d(x.clone(), &layer, Epilogue::BiasLrelu, false, isa);
            check(&format!("{tag} lrelu"), got, lrelu.clone());
        }
    }
}

#[test]
fn resconv_matches_burn() {
    // ResConv (beta folded): lrelu(conv(x) + x), stride 1, cin = cout.
    for (k, &(c, h, w)) in [(16, 5, 7), (32, 12, 30), (20, 3, 17), (96, 6, 10)]
        .iter()
        .enumerate()
    {
        let layer = conv(c, c, 1, 40 + k as u32);
        let x = input([1, c, h, w], 200 + k as u32);
        let want = leaky_relu(layer.forward(x.clone()) + x.clone(), 0.2);
        for isa in ISAS {
            let got = cpu_conv::conv2d(x.clone(), &layer, Epilogue::BiasResidualLrelu, false, isa);
            check(&format!("resconv {c} {h}x{w} {isa:?}"), got, want.clone());
        }
    }
}

#[test]
fn winograd_matches_burn() {
    // Winograd F(4x4, 3x3), stride 1: (cin, cout, n, h, w). Sizes that are not multiples of the
    // 4x4 tile (partial tiles at the bottom and right), 1x1, tile rows that are not a multiple
    // of the register group (15 tiles: a 14-group and an overlapping tail; 3, 5, 7 tiles), channel
    // counts that are not multiples of 16, batch 2, and RIFE's widths (32–192).
    let cases = [
        (16, 16, 1, 8, 8),
        (5, 20, 2, 13, 11),
        (33, 17, 1, 1, 1),
        (192, 192, 1, 6, 10),
        (32, 32, 2, 9, 30),
        (96, 96, 1, 7, 5),
        (20, 20, 1, 3, 17),
        (64, 64, 1, 5, 57),
        (128, 128, 1, 12, 20),
        (16, 16, 1, 2, 110),
    ];
    let mut worst = 0.0f32;
    for (k, &(cin, cout, n, h, w)) in cases.iter().enumerate() {
        let layer = conv(cin, cout, 1, 20 + k as u32);
        let x = input([n, cin, h, w], 600 + k as u32);
        let plain = layer.forward(x.clone());
        let mut want = vec![
            (Epilogue::Bias, plain.clone()),
            (Epilogue::BiasLrelu, leaky_relu(plain.clone(), 0.2)),
        ];
        if cin == cout {
            want.push((
                Epilogue::BiasResidualLrelu,
                leaky_relu(plain.clone() + x.clone(), 0.2),
            ));
        }
        for isa in ISAS {
            for (epilogue, want) in &want {
                let tag = format!("winograd {cin}->{cout} n{n} {h}x{w} {isa:?} {epilogue:?}");
                let got = cpu_winograd::conv2d(x.clone(), &layer, *epilogue, isa);
                worst = worst.max(check_within(&tag, got, want.clone(), WINOGRAD_BOUND));
            }
        }
    }
    println!("winograd: worst relative |diff| {worst:.1e} (bound {WINOGRAD_BOUND:.0e})");
}

/// Winograd's bound, relative to the output's largest magnitude. Looser than the direct
/// kernels' 1e-5: F(4x4, 3x3)'s transforms add terms up to 8x (Aᵀ) and 5x (Bᵀ) apart, so its
/// rounding error grows with the channel count (see `model::cpu_winograd`).
const WINOGRAD_BOUND: f32 = 1e-4;

#[test]
fn narrow_first_layer_matches_burn() {
    // The encoder's cnn0: 3 channels per pixel read unblocked, stride 2, odd and even sizes.
    for (k, &(cin, h, w)) in [(3, 16, 24), (3, 15, 9), (7, 5, 5), (16, 6, 4)]
        .iter()
        .enumerate()
    {
        let layer = conv(cin, 16, 2, 60 + k as u32);
        let x = input([1, cin, h, w], 300 + k as u32);
        let want = leaky_relu(layer.forward(x.clone()), 0.2);
        for isa in ISAS {
            let got = cpu_conv::conv2d(x.clone(), &layer, Epilogue::BiasLrelu, true, isa);
            check(&format!("narrow {cin} {h}x{w} {isa:?}"), got, want.clone());
        }
    }
}

#[test]
fn deconv_matches_burn() {
    // ConvTranspose2d(cin, cout, 4, 2, 1), alone (the encoder's cnn3: 16 -> 4) or followed by
    // PixelShuffle(2) (an IFBlock's lastconv: c -> 52).
    // cout ≤ 4 takes the stacked-phases path (one block for all four phases).
    let cases = [
        (16, 4, 9, 7, false),
        (7, 3, 5, 4, false),
        (24, 4, 6, 5, true),
        (32, 52, 5, 6, true),
        (20, 8, 3, 11, true),
        (64, 52, 1, 2, true),
    ];
    for (k, &(cin, cout, h, w, shuffle)) in cases.iter().enumerate() {
        let layer = ConvTranspose2dConfig::new([cin, cout], [4, 4])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .with_initializer(init(80 + k as u32))
            .init(&Device::flex());
        let x = input([2, cin, h, w], 400 + k as u32);
        let mut want = layer.forward(x.clone());
        if shuffle {
            want = pixel_shuffle2(want);
        }
        for isa in ISAS {
            let got = cpu_conv::conv_transpose2d(x.clone(), &layer, shuffle, isa);
            check(
                &format!("deconv {cin}->{cout} {h}x{w} {isa:?}"),
                got,
                want.clone(),
            );
        }
    }
}

#[test]
fn block_input_matches_burn() {
    // IFBlock's input: cat of the parts with the flow scaled by 1/s, resized by 1/s (and at
    // s = 1 not resized), against burn's cat + mul_scalar + interpolate. Sizes as RIFE's and odd.
    for (k, &(h, w, oh, ow, f)) in [
        (64, 96, 4, 6, 1.0 / 16.0),
        (40, 24, 20, 12, 0.5),
        (17, 13, 5, 4, 0.3),
        (12, 10, 12, 10, 1.0),
        (9, 7, 18, 14, 2.0),
    ]
    .iter()
    .enumerate()
    {
        let seed = 500 + 10 * k as u32;
        let parts = [(3, 1.0), (4, 1.0), (1, 1.0), (8, 1.0), (4, f)];
        let tensors: Vec<(Tensor<4>, f32)> = parts
            .iter()
            .enumerate()
            .map(|(i, &(c, f))| (input([2, c, h, w], seed + i as u32), f))
            .collect();
        let cat = Tensor::cat(
            tensors
                .iter()
                .map(|(t, f)| t.clone().mul_scalar(*f as f64))
                .collect(),
            1,
        );
        let want = if (oh, ow) == (h, w) {
            cat
        } else {
            resize_burn(cat, oh, ow)
        };
        let got = cpu_conv::resize_cat(tensors, oh, ow);
        check(
            &format!("block input {w}x{h} -> {ow}x{oh} f={f}"),
            got,
            want,
        );
    }
}

#[test]
fn warped_block_input_matches_burn() {
    // Blocks 1-4's input: warp both sides (image + features) with their half of the flow,
    // concatenate with t, mask, feat and flow/s, downscale by s: against burn's grid_sample,
    // cat, mul_scalar and interpolate. Flow of several pixels, so that taps clamp at borders.
    for (k, &(n, h, w, s)) in [
        (1, 32, 48, 4usize),
        (2, 16, 24, 2),
        (1, 12, 20, 1),
        (1, 64, 32, 16),
    ]
    .iter()
    .enumerate()
    {
        let seed = 700 + 10 * k as u32;
        let side0 = input([n, 7, h, w], seed);
        let side1 = input([n, 7, h, w], seed + 1);
        let t = input([n, 1, h, w], seed + 2);
        let mask = input([n, 1, h, w], seed + 3);
        let feat = input([n, 8, h, w], seed + 4);
        let flow = input([n, 4, h, w], seed + 5).mul_scalar(6.0);
        let (oh, ow) = (h / s, w / s);
        let f = 1.0 / s as f32;
        let w0 = warp_burn(side0.clone(), flow.clone().narrow(1, 0, 2));
        let w1 = warp_burn(side1.clone(), flow.clone().narrow(1, 2, 2));
        let cat = Tensor::cat(
            vec![
                w0.clone().narrow(1, 0, 3),
                w1.clone().narrow(1, 0, 3),
                w0.narrow(1, 3, 4),
                w1.narrow(1, 3, 4),
                t.clone(),
                mask.clone(),
                feat.clone(),
                flow.clone().mul_scalar(f as f64),
            ],
            1,
        );
        let want = if s == 1 {
            cat
        } else {
            resize_burn(cat, oh, ow)
        };
        let got = cpu_conv::warped_block_input(side0, side1, t, mask, feat, flow, oh, ow, f);
        check(&format!("warped input n={n} {w}x{h} s={s}"), got, want);
    }
}

#[test]
fn block_output_matches_burn() {
    // The end of a block: upsample the 13 channels by s, flow = prev + tmp[:, :4]·s,
    // mask = tmp[:, 4], feat = tmp[:, 5:], against burn's interpolate, narrow, mul and add.
    for (k, &(n, hs, ws, s, with_prev)) in [
        (1, 4, 6, 16usize, false),
        (2, 6, 5, 2, true),
        (1, 9, 7, 1, true),
        (1, 3, 8, 4, true),
    ]
    .iter()
    .enumerate()
    {
        let (h, w) = (hs * s, ws * s);
        let tmp = input([n, 13, hs, ws], 900 + k as u32);
        let prev = with_prev.then(|| input([n, 4, h, w], 950 + k as u32));
        let up = if s == 1 {
            tmp.clone()
        } else {
            resize_burn(tmp.clone(), h, w)
        };
        let mut want_flow = up.clone().narrow(1, 0, 4).mul_scalar(s as f64);
        if let Some(p) = &prev {
            want_flow = p.clone() + want_flow;
        }
        let (flow, mask, feat) = cpu_conv::upsample_split(tmp, prev, h, w, s as f32);
        let tag = format!("block output n={n} {ws}x{hs} x{s}");
        check(&format!("{tag} flow"), flow, want_flow);
        check(&format!("{tag} mask"), mask, up.clone().narrow(1, 4, 1));
        check(&format!("{tag} feat"), feat, up.narrow(1, 5, 8));
    }
}
