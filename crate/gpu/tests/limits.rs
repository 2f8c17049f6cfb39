//! Frames under a device's storage binding limit (issue 9: frames above 1080p where WebGPU's
//! default `maxStorageBufferBindingSize` of 128 MiB is all a browser gives).
//!
//! - The arithmetic: at 3840x2160 (scale 0.5 and 0.25, f32 and f16) every binding the engine
//!   makes fits 128 MiB and every buffer WebGPU's default 256 MiB. No GPU needed.
//! - On a device whose binding limit is lowered to the size of the weights (the one binding
//!   every frame size has, 22.7 MB), 1280x720 at scale 0.5 interpolates, and bit for bit as on a
//!   device with the adapter's limits. Before the frames and the feat state became textures,
//!   that frame needed a 31.5 MB binding (the 8 feat planes) and was refused. wgpu checks every
//!   binding against the device's limit, so a binding larger than `largest_binding` says fails
//!   here (an error from the device), not only in the arithmetic.
//! - What cannot fit is still refused, with its message: 7680x4320 at scale 1.

mod support;

use inbetween_gpu::{Error, Options, Precision, Timestep, Weights, block_on};
use support::*;

const MIB: u64 = 1 << 20;

#[test]
fn every_binding_at_4k_fits_128_mib() {
    for precision in [Precision::F32, Precision::F16, Precision::F16Packed] {
        for scale in [0.5, 0.25] {
            let sizes = inbetween_gpu::binding_sizes(3840, 2160, scale, precision);
            let line: Vec<String> = sizes
                .iter()
                .map(|(name, b)| format!("{name} {:.1} MiB", *b as f64 / MIB as f64))
                .collect();
            println!("3840x2160 scale {scale} {precision:?}: {}", line.join(", "));
            let binding = inbetween_gpu::largest_binding(3840, 2160, scale, precision);
            let buffer = inbetween_gpu::largest_buffer(3840, 2160, scale, precision);
            println!(
                "  largest binding {:.1} MiB, largest buffer {:.1} MiB",
                binding as f64 / MIB as f64,
                buffer as f64 / MIB as f64
            );
            assert_eq!(binding, sizes.iter().map(|s| s.1).max().unwrap());
            assert!(
                binding <= 128 * MIB,
                "{precision:?} scale {scale}: {binding} bytes"
            );
            assert!(
                buffer <= 256 * MIB,
                "{precision:?} scale {scale}: {buffer} bytes"
            );
        }
    }
    // What fits where (the table in crate/gpu/README.md): largest binding / largest buffer.
    for (w, h) in [(1920, 1080), (2560, 1440), (3840, 2160), (7680, 4320)] {
        for scale in [1.0, 0.5, 0.25] {
            let cell = |p| {
                format!(
                    "{:.0} / {:.0} MiB",
                    inbetween_gpu::largest_binding(w, h, scale, p) as f64 / MIB as f64,
                    inbetween_gpu::largest_buffer(w, h, scale, p) as f64 / MIB as f64
                )
            };
            println!(
                "| {w}x{h} | {scale} | {} | {} |",
                cell(Precision::F32),
                cell(Precision::F16)
            );
        }
    }
    // 8K at scale 1 does not fit: its block input alone is 14 channels of 7680x4352.
    let binding = inbetween_gpu::largest_binding(7680, 4320, 1.0, Precision::F16);
    assert!(binding > 128 * MIB, "{binding}");
}

/// The weights' size, rounded up to 4 MiB: the lowest binding limit any frame can run under.
fn limited_binding(weights: &Weights) -> u64 {
    weights.size_bytes().div_ceil(4 * MIB) * 4 * MIB
}

#[test]
fn a_frame_under_a_lowered_binding_limit_equals_the_default_device() {
    let bytes = std::fs::read(common::model_path()).unwrap();
    let weights = Weights::from_bytes(bytes).unwrap();
    let limit = limited_binding(&weights);
    // 1280x720 at scale 0.5 is padded to 1280x768: main's engine kept the 8 feat planes in one
    // binding, 8 x 4 x 1280 x 768 = 31.5 MB (30 MiB), and refused the frame under this limit.
    // Its 16 encoder channels (640x384, 15 MiB) fit one binding, so they are bound whole.
    let (pw, ph) = (1280u64, 768u64);
    assert!(
        limit < 8 * 4 * pw * ph,
        "the limit {limit} would have fit before"
    );
    assert!(16 * 4 * (pw / 2) * (ph / 2) <= limit);
    lowered_limit_equals_default(&weights, limit, (1280, 720, 0.5));
}

/// The encoder's activations bound as two ranges (`Sizes::head_split`: conv3x3's and
/// deconv4x4s2's `split`), where one binding cannot hold its 16 channels, against a device that
/// binds them whole. 2000x1000 at scale 0.25 is padded to 2048x1024: the 16 f32 channels of 1024x512 are
/// 32 MiB, over the lowered limit, while every other binding is within it (the largest, the
/// output RGB, 22.9 MiB). This is what 4K at scale 0.5 does under 128 MiB.
#[test]
fn encoder_activations_as_two_ranges_equal_one_binding() {
    let bytes = std::fs::read(common::model_path()).unwrap();
    let weights = Weights::from_bytes(bytes).unwrap();
    let limit = limited_binding(&weights);
    let (pw, ph) = (2048u64, 1024u64);
    assert!(16 * 4 * (pw / 2) * (ph / 2) > limit);
    assert!(8 * 4 * (pw / 2) * (ph / 2) <= limit);
    lowered_limit_equals_default(&weights, limit, (2000, 1000, 0.25));
}

/// `w`x`h` at `scale` on a device whose storage binding limit is `limit` (buffers twice that)
/// gives bit for bit what a device with the adapter's limits gives: the output, the flow, the
/// features, and `mirror_average` with the guard, in f32 and in both f16 forms (against the
/// same form).
fn lowered_limit_equals_default(weights: &Weights, limit: u64, (w, h, scale): (usize, usize, f32)) {
    let need = inbetween_gpu::largest_binding(w, h, scale, Precision::F32);
    println!(
        "binding limit {:.1} MiB (weights {:.1} MiB); {w}x{h} at {scale} needs {:.1} MiB under 128 MiB",
        limit as f64 / MIB as f64,
        weights.size_bytes() as f64 / MIB as f64,
        need as f64 / MIB as f64
    );
    let Some(default) = engine_with(weights) else {
        return;
    };
    let (a, b) = demo_pair(w, h);
    let t = Timestep::Uniform(0.5);
    let mirror = Options {
        mirror_average: true,
        static_guard: true,
    };
    let run = |e: &inbetween_gpu::Engine| {
        let fa = e.prepare(&a, w, h, 3, scale).unwrap();
        let fb = e.prepare(&b, w, h, 3, scale).unwrap();
        let out = e.interpolate(&fa, &fb, &t).unwrap();
        let rgb = block_on(e.read_rgb(&out)).unwrap();
        let flow = block_on(e.read_flow(&out)).unwrap();
        let features = block_on(e.read_features(&fb)).unwrap();
        // quality 'best' with the guard: the mirrored pass and the guard's reads too.
        let best =
            block_on(e.read_rgb(&e.interpolate_with(&fa, &fb, &t, &mirror).unwrap())).unwrap();
        (rgb, flow, features, best)
    };
    let want = run(&default);
    drop(default);
    for precision in [Precision::F32, Precision::F16, Precision::F16Packed] {
        let Some(limited) = engine_limited(weights, precision, limit, 2 * limit) else {
            return;
        };
        // F16 without shader-f16 is the packed form, which has its own turn.
        let precision = limited.precision();
        let got = run(&limited);
        let reference = if precision == Precision::F32 {
            want.clone()
        } else {
            // f16 against the default device's f16 of the same form.
            let e = block_on(inbetween_gpu::Engine::request_with(weights, precision)).unwrap();
            assert_eq!(e.precision(), precision);
            run(&e)
        };
        for (name, g, r) in [
            ("output", &got.0, &reference.0),
            ("flow", &got.1, &reference.1),
            ("features", &got.2, &reference.2),
            ("mirror_average + guard", &got.3, &reference.3),
        ] {
            let d = max_abs_diff(g, r);
            println!("{w}x{h} {precision:?} {name}: max |diff| limited vs default {d:e}");
            assert_eq!(d, 0.0, "{w}x{h} {precision:?} {name}: {d}");
        }
        // A real picture, not zeros: the interpolation ran.
        let mean = got.0.iter().sum::<f32>() / got.0.len() as f32;
        assert!(mean > 0.1, "{precision:?}: mean output {mean}");
    }
}

#[test]
fn what_cannot_fit_is_still_refused() {
    let bytes = std::fs::read(common::model_path()).unwrap();
    let weights = Weights::from_bytes(bytes).unwrap();
    let limit = limited_binding(&weights);
    let Some(limited) = engine_limited(&weights, Precision::F32, limit, 2 * limit) else {
        return;
    };
    let (w, h) = (7680, 4320);
    let img = vec![0u8; w * h * 3];
    match limited.prepare(&img, w, h, 3, 1.0) {
        Err(e @ Error::TooLarge { need, limit: l, .. }) => {
            println!("{e}");
            // The buffer limit (twice the binding limit here) is checked first.
            assert!(l == limit || l == 2 * limit, "{l}");
            assert!(need > l);
            assert_eq!(e.code(), "out-of-memory");
            assert!(e.to_string().contains("over this device's limit"), "{e}");
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("8K at scale 1 was accepted under a {limit}-byte binding limit"),
    }
    // 1920x1080 at scale 1: the last block's input is 14 channels of 1920x1152 a range
    // (124 MB), over this limit though under 128 MiB.
    let (w, h) = (1920, 1080);
    let img = vec![0u8; w * h * 3];
    assert!(matches!(
        limited.prepare(&img, w, h, 3, 1.0),
        Err(Error::TooLarge { .. })
    ));
}

/// 3840x2160 at scale 0.5 and 0.25 on a device whose binding limit is WebGPU's default 128 MiB
/// (and buffers 256 MiB), against the burn port on flex: f32 within the goldens' output bound,
/// both f16 forms at >= 48 dB with no NaN or inf. The demo pair upscaled (no real 4K detail).
/// About 3 minutes on lavapipe and 2 cores (27 s an interpolation at 0.5), so not in the default
/// run.
#[test]
#[ignore = "about 3 min on lavapipe: cargo test -p inbetween-gpu --test limits -- --ignored"]
fn four_k_under_128_mib() {
    let bytes = std::fs::read(common::model_path()).unwrap();
    let weights = Weights::from_bytes(bytes).unwrap();
    let (w, h) = (3840, 2160);
    let (a, b) = demo_pair(w, h);
    let t = Timestep::Uniform(0.5);
    let cpu = common::interpolator(inbetween::BackendKind::Cpu);
    for scale in [0.5, 0.25] {
        let run = |precision| {
            let e = engine_limited(&weights, precision, 128 * MIB, 256 * MIB)?;
            let start = std::time::Instant::now();
            let fa = e.prepare(&a, w, h, 3, scale).unwrap();
            let fb = e.prepare(&b, w, h, 3, scale).unwrap();
            let out = block_on(e.read_rgb(&e.interpolate(&fa, &fb, &t).unwrap())).unwrap();
            println!(
                "{precision:?} 4K at {scale}: {:.1} s",
                start.elapsed().as_secs_f64()
            );
            Some(out)
        };
        let Some(got) = run(Precision::F32) else {
            return;
        };
        let ca = cpu
            .prepare(inbetween::ImageRef::new(&a, w, h, 3).unwrap(), scale)
            .unwrap();
        let cb = cpu
            .prepare(inbetween::ImageRef::new(&b, w, h, 3).unwrap(), scale)
            .unwrap();
        let want = inbetween::read_f32(cpu.interpolate(&ca, &cb, &t).unwrap().frame).unwrap();
        let d = max_abs_diff(&got, &want);
        println!("f32 3840x2160 at {scale}: max |diff| vs flex {d:.2e}");
        assert!(
            d <= 1e-3,
            "f32 at 4K, {scale}: max |diff| {d:.3e} (NaN fails too)"
        );
        for precision in [Precision::F16, Precision::F16Packed] {
            let Some(got) = run(precision) else {
                return;
            };
            let mse = got
                .iter()
                .zip(&want)
                .map(|(x, y)| ((x - y) as f64).powi(2))
                .sum::<f64>()
                / got.len() as f64;
            let db = 10.0 * (1.0 / mse).log10();
            println!("{precision:?} 3840x2160 at {scale}: PSNR vs flex {db:.1} dB");
            assert!(
                got.iter().all(|v| v.is_finite()),
                "{precision:?}: NaN or inf at 4K, {scale}"
            );
            assert!(db >= 48.0, "{precision:?} {scale}: PSNR {db:.1} dB < 48");
        }
    }
}
