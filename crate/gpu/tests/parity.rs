//! Parity of the WGSL engine with the PyTorch reference (tests/golden, made by
//! tests/reference/make_goldens.py), on whatever wgpu adapter exists: lavapipe on a machine
//! without a GPU, so CI runs it.
//!
//! Bounds are those of crate/core/tests/parity.rs (output max |diff| <= 1e-3, mean <= 1e-5;
//! encoder features <= 1e-5; per-block flow and mask logit bounds growing along the chain),
//! and every max propagates NaN, so a NaN anywhere fails.

mod support;

use inbetween_gpu::block_on;
use support::common::{golden_cases, subsample};
use support::*;

const OUTPUT_TOL: f32 = 1e-3;
const OUTPUT_MEAN_TOL: f32 = 1e-5;
const ENCODE_TOL: f32 = 1e-5;
const FLOW_TOL: [f32; 5] = [2e-4, 3e-4, 4e-4, 8e-4, 1.5e-3];
const MASK_TOL: [f32; 5] = [2.5e-5, 1.5e-4, 3e-4, 2e-4, 5e-3];

#[test]
fn parity_with_pytorch_goldens() {
    let Some(engine) = engine() else { return };
    let mut failures = Vec::new();
    for case in golden_cases() {
        let (a, b, w, h) = rgb_inputs(&case);
        let scale = case.scale();
        let fa = engine.prepare(&a, w, h, 3, scale).unwrap();
        let fb = engine.prepare(&b, w, h, 3, scale).unwrap();
        let t = case.timestep(w, h);
        let out = engine.interpolate_traced(&fa, &fb, &t).unwrap();

        let mut rgba_failure = None;
        let mut check = |what: String, got: &[f32], want: &[f32], tol: f32| {
            let d = max_abs_diff(got, want);
            println!(
                "wgsl {:>14} {what:>12}: max |diff| {d:.2e} (mean {:.1e}, tol {tol:.0e})",
                case.name,
                mean_abs_diff(got, want)
            );
            // max_abs_diff keeps NaN, and NaN fails here.
            if d > tol || d.is_nan() {
                failures.push(format!(
                    "{} {what}: max |diff| {d:.3e} > {tol:.0e}",
                    case.name
                ));
            }
        };

        let want = case.tensor("output");
        let got = block_on(engine.read_rgb(&out)).unwrap();
        check("output".into(), &got, &want.data, OUTPUT_TOL);
        let mean = mean_abs_diff(&got, &want.data);
        let mean_failure = (mean > OUTPUT_MEAN_TOL || mean.is_nan()).then(|| {
            format!(
                "{} output: mean |diff| {mean:.3e} > {OUTPUT_MEAN_TOL:.0e}",
                case.name
            )
        });

        // The RGBA8 output is the f32 output clamped and rounded (image.rs planar_to_u8).
        let rgba = block_on(engine.read_rgba8(&out)).unwrap();
        let expect_u8 = inbetween::planar_to_u8(&got, 3, w, h, 4);
        let off_by_more = rgba
            .iter()
            .zip(&expect_u8)
            .filter(|(x, y)| x.abs_diff(**y) > 1)
            .count();
        let differ = rgba.iter().zip(&expect_u8).filter(|(x, y)| x != y).count();
        println!(
            "wgsl {:>14}        rgba8: {differ} bytes differ from rounding the f32 output",
            case.name
        );
        if off_by_more > 0 || differ > w * h / 1000 {
            rgba_failure = Some(format!(
                "{} rgba8: {differ} bytes differ ({off_by_more} by more than 1)",
                case.name
            ));
        }

        let (ph, pw) = inbetween::padded_size(w, h, scale);
        let enc = case.tensor("encode0");
        let feat = block_on(engine.read_features(&fa)).unwrap();
        check(
            "encode0".into(),
            &subsample(&feat, [1, 4, ph, pw], enc.stride),
            &enc.data,
            ENCODE_TOL,
        );
        let enc1 = case.tensor("encode1");
        let feat1 = block_on(engine.read_features(&fb)).unwrap();
        check(
            "encode1".into(),
            &subsample(&feat1, [1, 4, ph, pw], enc1.stride),
            &enc1.data,
            ENCODE_TOL,
        );

        let trace = block_on(engine.read_trace(&out)).unwrap();
        for (i, block) in trace.iter().enumerate() {
            let flow = case.tensor(&format!("block{i}.flow"));
            check(
                format!("block{i}.flow"),
                &subsample(&block.flow, [1, 4, ph, pw], flow.stride),
                &flow.data,
                FLOW_TOL[i],
            );
            let mask = case.tensor(&format!("block{i}.mask"));
            check(
                format!("block{i}.mask"),
                &subsample(&block.mask, [1, 1, ph, pw], mask.stride),
                &mask.data,
                MASK_TOL[i],
            );
        }

        // The cropped flow and mask handed to callers are the last block's, inside the frame.
        let (rows, cols) = (h.div_ceil(4), w.div_ceil(4));
        let flow = block_on(engine.read_flow(&out)).unwrap();
        check(
            "flow".into(),
            &subsample(&flow, [1, 4, h, w], 4),
            &case.tensor("block4.flow").top_left(rows, cols),
            FLOW_TOL[4],
        );
        let mask = block_on(engine.read_mask(&out)).unwrap();
        let want_mask: Vec<f32> = case
            .tensor("block4.mask")
            .top_left(rows, cols)
            .iter()
            .map(|v| 1.0 / (1.0 + (-v).exp()))
            .collect();
        check(
            "mask".into(),
            &subsample(&mask, [1, 1, h, w], 4),
            &want_mask,
            MASK_TOL[4] / 4.0,
        );
        failures.extend(mean_failure);
        failures.extend(rgba_failure);
    }
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn nan_propagating_max_fails_on_nan() {
    // The guard the parity bounds rely on: NaN must not vanish in the max.
    assert!(max_abs_diff(&[0.0, f32::NAN, 1.0], &[0.0, 0.0, 1.0]).is_nan());
    assert_eq!(max_abs_diff(&[0.0, 2.0], &[0.5, 0.0]), 2.0);
}
