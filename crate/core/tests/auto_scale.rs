//! Automatic scale per pair (issue 12, item 2): a fast pan on a large frame must pick a smaller
//! flow scale, a slow one must keep scale 1. The frames are windows over the golden pair's first
//! photo upscaled 3x (a pan: the same picture moved), so the true motion is known; only the
//! encoder and the first block run (`coarse_motion`), once per pair.

mod common;

use common::*;
use inbetween::{BackendKind, ImageRef, auto_scale};

#[test]
fn a_fast_pan_picks_a_smaller_scale() {
    let interp = interpolator(BackendKind::Cpu);
    let (w, h) = PAN_SIZE;
    let motion = |shift: u32| {
        let (a, b) = (pan_window(0), pan_window(shift));
        let fa = interp
            .prepare(
                ImageRef::new(a.as_raw(), w as usize, h as usize, 3).unwrap(),
                1.0,
            )
            .unwrap();
        let fb = interp
            .prepare(
                ImageRef::new(b.as_raw(), w as usize, h as usize, 3).unwrap(),
                1.0,
            )
            .unwrap();
        interp.coarse_motion(&fa, &fb).unwrap()
    };
    let (fast, slow) = (motion(160), motion(16));
    let (s_fast, s_slow) = (
        auto_scale(w as usize, h as usize, fast),
        auto_scale(w as usize, h as usize, slow),
    );
    println!(
        "coarse motion: {fast:.1} px for a 160 px pan (scale {s_fast}), {slow:.1} px for 16 px \
         (scale {s_slow})"
    );
    assert_eq!(s_fast, 0.5, "a 160 px pan at 960x576 must run at scale 0.5");
    assert_eq!(s_slow, 1.0, "a 16 px pan must keep scale 1");
    // Small frames keep scale 1 whatever the motion: there 0.5 makes the flow grid too coarse.
    assert_eq!(auto_scale(320, 192, fast), 1.0);
}

#[test]
fn the_rule_starts_from_the_size_and_halves_with_motion() {
    use inbetween::size_scale;
    // The size alone: what `scale: 'auto'` was before it measured motion, and its ceiling.
    assert_eq!(size_scale(1920, 1080), 1.0);
    assert_eq!(size_scale(3840, 2160), 0.5);
    assert_eq!(size_scale(7680, 4320), 0.25);
    // Slow motion never goes finer than the size's scale.
    assert_eq!(auto_scale(3840, 2160, 10.0), 0.5);
    // 4K: 0.5 from its size, 0.25 once the motion on the half-size grid passes 96 px.
    assert_eq!(auto_scale(3840, 2160, 150.0), 0.5);
    assert_eq!(auto_scale(3840, 2160, 250.0), 0.25);
    // 960x576 never reaches 0.25: its quarter-size grid would be 144 px high.
    assert_eq!(auto_scale(960, 576, 1000.0), 0.5);
    // Never below the scale range.
    assert_eq!(auto_scale(7680, 4320, 1e6), 0.25);
}

/// `rescaled` is `prepare` at the other scale: a pair measured at 1 and run at 0.5 gives what a
/// pair prepared at 0.5 gives, bit for bit.
#[test]
fn a_rescaled_frame_is_the_frame_prepared_at_that_scale() {
    let interp = interpolator(BackendKind::Cpu);
    let (pa, pb, w, h) = golden_cases()[0].inputs();
    let a = interp.prepare_planar(pa.clone(), w, h, 1.0).unwrap();
    let b = interp.prepare_planar(pb.clone(), w, h, 1.0).unwrap();
    let direct_a = interp.prepare_planar(pa, w, h, 0.5).unwrap();
    let direct_b = interp.prepare_planar(pb, w, h, 0.5).unwrap();
    let (ra, rb) = (
        interp.rescaled(&a, 0.5).unwrap(),
        interp.rescaled(&b, 0.5).unwrap(),
    );
    let t = inbetween::Timestep::Uniform(0.5);
    let want = interp.interpolate(&direct_a, &direct_b, &t).unwrap();
    let got = interp.interpolate(&ra, &rb, &t).unwrap();
    let (want, got) = (
        inbetween::read_f32(want.frame).unwrap(),
        inbetween::read_f32(got.frame).unwrap(),
    );
    assert_eq!(max_abs_diff(&want, &got), 0.0);
    assert!(interp.rescaled(&a, 9.0).is_err(), "the scale is checked");
}
