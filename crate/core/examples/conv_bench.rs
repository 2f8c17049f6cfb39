//! Times the fused CPU conv kernels (`model::cpu_conv`) against burn flex's conv ops on RIFE's
//! layer shapes at 640x360 (padded 640x384), and Winograd against the direct kernel on the
//! ResConvs at 448x256, 640x360 and 1280x720, on the threads rayon gets (RAYON_NUM_THREADS).
//! `cargo run --example conv_bench`. Prints GMAC/s of each, and their ratio (same run).

use std::time::Instant;

use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor, TensorData};
use inbetween::model::cpu_conv::{Blocked, CB, Epilogue, Isa, PackedConv};
use inbetween::model::cpu_winograd::PackedWinograd;

fn time(f: &mut dyn FnMut()) -> f64 {
    f();
    let n = 5;
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() / n as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The instruction set of the Winograd-vs-direct comparison: `CONV_BENCH_ISA=avx2` (or
/// `scalar`) times the path a machine without AVX-512 takes.
fn isa() -> Isa {
    match std::env::var("CONV_BENCH_ISA").as_deref() {
        Ok("avx2") => Isa::Avx2,
        Ok("scalar") => Isa::Scalar,
        _ => Isa::Best,
    }
}

fn main() {
    let device = Device::flex();
    let init = Initializer::Uniform {
        min: -0.1,
        max: 0.1,
    };
    // (label, cin, cout, h, w, stride): per-layer shapes of RIFE at 640x384.
    let shapes = [
        ("block0 resconv", 192, 192, 6, 10, 1),
        ("block1 resconv", 128, 128, 12, 20, 1),
        ("block2 resconv", 96, 96, 24, 40, 1),
        ("block3 resconv", 64, 64, 48, 80, 1),
        ("block4 resconv", 32, 32, 96, 160, 1),
        ("block4 conv0a", 32, 16, 384, 640, 2),
        ("block4 conv0b", 16, 32, 192, 320, 2),
        ("head cnn1", 16, 16, 192, 320, 1),
        // The ResConvs at 448x256 and 1280x720 (padded 1280x768).
        ("448 b0 resconv", 192, 192, 4, 7, 1),
        ("448 b1 resconv", 128, 128, 8, 14, 1),
        ("448 b2 resconv", 96, 96, 16, 28, 1),
        ("448 b3 resconv", 64, 64, 32, 56, 1),
        ("448 b4 resconv", 32, 32, 64, 112, 1),
        ("720 b0 resconv", 192, 192, 12, 20, 1),
        ("720 b1 resconv", 128, 128, 24, 40, 1),
        ("720 b2 resconv", 96, 96, 48, 80, 1),
        ("720 b3 resconv", 64, 64, 96, 160, 1),
        ("720 b4 resconv", 32, 32, 192, 320, 1),
    ];
    for (label, cin, cout, h, w, s) in shapes {
        let conv = Conv2dConfig::new([cin, cout], [3, 3])
            .with_stride([s, s])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_initializer(init.clone())
            .init(&device);
        let n = cin * h * w;
        let x: Tensor<4> = Tensor::from_data(
            TensorData::new(
                (0..n).map(|i| (i % 7) as f32 * 0.1).collect(),
                [1, cin, h, w],
            ),
            &device,
        );
        let packed = PackedConv::conv3x3(&conv, CB);
        let xb = Blocked::from_tensor(x.clone(), CB);
        let ours = time(&mut || {
            let _ = packed.run(&xb, Epilogue::BiasLrelu);
        });
        let burn = time(&mut || {
            let _ = leaky_relu(conv.forward(x.clone()), 0.2).into_data();
        });
        let macs = (cin * cout * 9 * (h / s) * (w / s)) as f64;
        println!(
            "{label:>16} {cin:>3}->{cout:<3} {w}x{h} s{s}: ours {:6.2} ms ({:5.1} GMAC/s), burn {:6.2} ms ({:5.1} GMAC/s), ours/burn {:.2}",
            ours * 1e3,
            macs / ours / 1e9,
            burn * 1e3,
            macs / burn / 1e9,
            ours / burn
        );
        if s == 1 && cin == cout {
            // Winograd F(4x4, 3x3) against the direct kernel, interleaved (direct, Winograd,
            // direct, ...) so both see the same load; GMAC/s counts the direct conv's MACs.
            let wino = PackedWinograd::conv3x3(&conv);
            let isa = isa();
            let (mut direct, mut winograd) = (Vec::new(), Vec::new());
            for _ in 0..5 {
                direct.push(time(&mut || {
                    let _ = packed.run_isa(&xb, Epilogue::BiasResidualLrelu, isa);
                }));
                winograd.push(time(&mut || {
                    let _ = wino.run_isa(&xb, Epilogue::BiasResidualLrelu, isa);
                }));
            }
            let (d, wg) = (median(direct), median(winograd));
            println!(
                "{label:>16} {cin:>3}->{cout:<3} {w}x{h} {isa:?}: direct {:6.2} ms ({:5.1} GMAC/s), winograd {:6.2} ms ({:5.1} GMAC/s eq.), winograd/direct {:.2}",
                d * 1e3,
                macs / d / 1e9,
                wg * 1e3,
                macs / wg / 1e9,
                wg / d
            );
        }
    }
    for (label, cin, h, w) in [
        ("block4 lastconv", 32, 96, 160),
        ("block0 lastconv", 192, 6, 10),
    ] {
        let deconv = ConvTranspose2dConfig::new([cin, 52], [4, 4])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .with_initializer(init.clone())
            .init(&device);
        let x: Tensor<4> = Tensor::from_data(
            TensorData::new(vec![0.5f32; cin * h * w], [1, cin, h, w]),
            &device,
        );
        let packed = PackedConv::deconv4x4s2(&deconv);
        let xb = Blocked::from_tensor(x.clone(), CB);
        let ours = time(&mut || {
            let _ = packed.run_deconv(&xb, true);
        });
        let burn = time(&mut || {
            let _ = inbetween::model::pixel_shuffle2(deconv.forward(x.clone())).into_data();
        });
        let macs = (cin * 52 * 16 * h * w) as f64;
        println!(
            "{label:>16} {cin:>3}->52  {w}x{h}: ours {:6.2} ms ({:5.1} GMAC/s), burn {:6.2} ms ({:5.1} GMAC/s), ours/burn {:.2}",
            ours * 1e3,
            macs / ours / 1e9,
            burn * 1e3,
            macs / burn / 1e9,
            ours / burn
        );
    }
}
