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
    let src = image::open(repo_root().join("tests/golden/images/I0_0.png"))
        .unwrap()
        .to_rgb8();
    let big = image::imageops::resize(
        &src,
        src.width() * 3,
        src.height() * 3,
        image::imageops::FilterType::Lanczos3,
    );
    let (w, h) = (960u32, 576u32);
    let motion = |shift: u32| {
        let crop = |x0: u32| image::imageops::crop_imm(&big, 20 + x0, 20, w, h).to_image();
        let (a, b) = (crop(0), crop(shift));
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
