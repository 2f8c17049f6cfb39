//! Parity with the PyTorch reference (goldens in `tests/golden/`, made by
//! `tests/reference/make_goldens.py`), on the CPU backend (flex) and on wgpu (Vulkan; lavapipe
//! on machines without a GPU).
//!
//! Tolerances (0..1 pixel scale; flow in pixels; mask as a logit):
//! - output: max |diff| ≤ 1e-3 (the bar) and mean |diff| ≤ 1e-5;
//! - encoder features: ≤ 1e-5;
//! - accumulated flow after block i: ≤ FLOW_TOL[i] pixels; mask logit: ≤ MASK_TOL[i].
//!   The per-block bounds grow along the chain because each block sees the previous block's
//!   rounding through warping. They are about 4x the worst difference measured over the four
//!   cases on flex and on wgpu/lavapipe (2026-11-28: output 8e-5 max, 4e-7 mean; flow after
//!   block 0..4: 4e-5, 7e-5, 9e-5, 1.7e-4, 3.8e-4 px; mask logit: 5e-6, 2.8e-5, 6.9e-5, 4e-5,
//!   1.2e-3), so a real bug, which moves values by far more, fails.

mod common;

use common::*;
use inbetween::{BackendKind, read_f32};

const OUTPUT_TOL: f32 = 1e-3;
const OUTPUT_MEAN_TOL: f32 = 1e-5;
const ENCODE_TOL: f32 = 1e-5;
const FLOW_TOL: [f32; 5] = [2e-4, 3e-4, 4e-4, 8e-4, 1.5e-3];
const MASK_TOL: [f32; 5] = [2.5e-5, 1.5e-4, 3e-4, 2e-4, 5e-3];

fn check_backend(kind: BackendKind, label: &str) {
    let interp = interpolator(kind);
    let mut failures = Vec::new();
    for case in golden_cases() {
        let mut mean_failure = None;
        let (fa, fb, t) = case.frames(&interp);
        let (out, trace) = interp.interpolate_traced(&fa, &fb, &t, true).unwrap();

        let mut check = |what: String, got: &[f32], want: &[f32], tol: f32| {
            let d = max_abs_diff(got, want);
            println!(
                "{kind}{label} {:>14} {what:>12}: max |diff| {d:.2e} (mean {:.1e}, tol {tol:.0e})",
                case.name,
                mean_abs_diff(got, want)
            );
            if d > tol || d.is_nan() {
                failures.push(format!(
                    "{kind}{label} {} {what}: max |diff| {d:.3e} > {tol:.0e}",
                    case.name
                ));
            }
        };

        let want = case.tensor("output");
        let got = read_f32(out.frame.clone()).unwrap();
        let mean = mean_abs_diff(&got, &want.data);
        if mean > OUTPUT_MEAN_TOL || mean.is_nan() {
            mean_failure = Some(format!(
                "{kind}{label} {} output: mean |diff| {mean:.3e} > {OUTPUT_MEAN_TOL:.0e}",
                case.name
            ));
        }
        check("output".into(), &got, &want.data, OUTPUT_TOL);

        let enc = case.tensor("encode0");
        let feat = fa.features();
        let dims = feat.dims();
        check(
            "encode0".into(),
            &subsample(&read_f32(feat).unwrap(), dims, enc.stride),
            &enc.data,
            ENCODE_TOL,
        );

        // The cropped flow and mask handed to callers equal the last block's, inside the frame.
        let (rows, cols) = (out.height.div_ceil(4), out.width.div_ceil(4));
        let flow4 = case.tensor("block4.flow");
        let dims = out.flow.dims();
        check(
            "flow".into(),
            &subsample(&read_f32(out.flow.clone()).unwrap(), dims, 4),
            &flow4.top_left(rows, cols),
            FLOW_TOL[4],
        );
        let mask4: Vec<f32> = case
            .tensor("block4.mask")
            .top_left(rows, cols)
            .iter()
            .map(|v| 1.0 / (1.0 + (-v).exp()))
            .collect();
        let dims = out.mask.dims();
        check(
            "mask".into(),
            &subsample(&read_f32(out.mask.clone()).unwrap(), dims, 4),
            &mask4,
            MASK_TOL[4] / 4.0,
        );

        for (i, block) in trace.iter().enumerate() {
            let flow = case.tensor(&format!("block{i}.flow"));
            let dims = block.flow.dims();
            check(
                format!("block{i}.flow"),
                &subsample(&read_f32(block.flow.clone()).unwrap(), dims, flow.stride),
                &flow.data,
                FLOW_TOL[i],
            );
            let mask = case.tensor(&format!("block{i}.mask"));
            let dims = block.mask.dims();
            check(
                format!("block{i}.mask"),
                &subsample(&read_f32(block.mask.clone()).unwrap(), dims, mask.stride),
                &mask.data,
                MASK_TOL[i],
            );
        }
        failures.extend(mean_failure);
    }
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn parity_cpu_flex() {
    // The ResConvs on both CPU kernels, Winograd and direct, one after the other: the switch is
    // process-wide, and only the CPU path reads it (the GPU test may run meanwhile).
    let default = inbetween::model::cpu_winograd();
    for (winograd, label) in [(true, " winograd"), (false, " direct")] {
        inbetween::model::set_cpu_winograd(winograd);
        check_backend(BackendKind::Cpu, label);
    }
    inbetween::model::set_cpu_winograd(default);
}

#[test]
fn parity_gpu_wgpu() {
    check_backend(BackendKind::Gpu, "");
}

/// The comparisons above must fail on NaN output: `f32::max` drops a NaN, so a fold with it
/// once reported NaN frames as exact matches.
#[test]
// `!(d <= bound)` is the point here: it is how a bound check reads when NaN must fail it.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn comparisons_fail_on_nan() {
    let want = [0.25f32, 0.5, 0.75];
    for i in 0..want.len() {
        let mut got = want;
        got[i] = f32::NAN;
        let d = max_abs_diff(&got, &want);
        assert!(!(d <= 1e-3), "NaN at {i} passed as max |diff| {d}");
    }
    assert!(!(nan_max(0.0, f32::NAN) <= 1.0));
    assert!(!(nan_max(f32::NAN, 0.0) <= 1.0));
}
