//! Sizes and scales the goldens do not cover, against the burn port on the CPU (flex), which
//! itself matches PyTorch (crate/core/tests/parity.rs): odd sizes, scale 2 (the last block works
//! at twice the resolution: its "downscale" is an upscale) and scale 0.25 (padding to 512).

mod support;

use inbetween::{BackendKind, ImageRef, Timestep, read_f32};
use inbetween_gpu::block_on;
use support::*;

/// The two engines differ only in rounding: measured (2026-12-01, lavapipe) 3e-6..5e-6 max,
/// so 1e-4 leaves 20x room and still catches what the goldens' 1e-3 would let through.
const TOL: f32 = 1e-4;

#[test]
fn odd_sizes_and_scales_match_the_burn_port() {
    let Some(engine) = engine() else { return };
    let cpu = common::interpolator(BackendKind::Cpu);
    let root = common::repo_root().join("tests/golden/images");
    let a = image::open(root.join("I0_0.png")).unwrap().to_rgb8();
    let b = image::open(root.join("I0_1.png")).unwrap().to_rgb8();
    let mut failures = Vec::new();
    for (w, h, scale, x0, y0) in [
        (97u32, 61u32, 2.0f32, 200u32, 100u32),
        (97, 61, 0.25, 10, 30),
        (130, 70, 1.0, 300, 150),
    ] {
        let crop = |img: &image::RgbImage| image::imageops::crop_imm(img, x0, y0, w, h).to_image();
        let (ca, cb) = (crop(&a), crop(&b));
        let (w, h) = (w as usize, h as usize);
        let t = Timestep::Uniform(0.5);

        let fa = cpu
            .prepare(ImageRef::new(ca.as_raw(), w, h, 3).unwrap(), scale)
            .unwrap();
        let fb = cpu
            .prepare(ImageRef::new(cb.as_raw(), w, h, 3).unwrap(), scale)
            .unwrap();
        let want = read_f32(cpu.interpolate(&fa, &fb, &t).unwrap().frame).unwrap();

        let ga = engine.prepare(ca.as_raw(), w, h, 3, scale).unwrap();
        let gb = engine.prepare(cb.as_raw(), w, h, 3, scale).unwrap();
        let got = block_on(engine.read_rgb(&engine.interpolate(&ga, &gb, &t).unwrap())).unwrap();

        let d = max_abs_diff(&got, &want);
        println!(
            "{w}x{h} scale {scale}: max |diff| vs flex {d:.2e} (mean {:.1e})",
            mean_abs_diff(&got, &want)
        );
        if d > TOL || d.is_nan() {
            failures.push(format!(
                "{w}x{h} scale {scale}: max |diff| {d:.3e} > {TOL:.0e}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
