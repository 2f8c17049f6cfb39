//! The static-region guard (issue 12): a caption that must stay still. A 160x96 window pans
//! 2 x 12 px over the golden pair's first photo with a still caption (a box of stripes) drawn
//! at the same place on every frame; the truth is the window moved by 12 px with the caption.
//! RIFE alone drags the caption along with the pan; with the guard its pixels must come back
//! as they are. The guard off (`Options::default()`) fails the bound, which is the point.
//! One forward each way at 160x96: cheap.

mod common;

use common::*;
use inbetween::{BackendKind, ImageRef, Options, Timestep, read_f32};

/// The caption: a box of 3 px stripes, bright and dark, at the bottom centre.
fn caption(f: &mut image::RgbImage, region: &mut Vec<usize>) {
    for y in 70..86 {
        for x in 40..120 {
            let v = if (x / 3 + y / 4) % 2 == 0 { 250 } else { 30 };
            f.put_pixel(x, y, image::Rgb([v, v, v]));
            region.push((y * f.width() + x) as usize);
        }
    }
}

/// Mean |error| (8-bit levels) of `out` (planar `[3][h][w]` in 0..1) against `truth` at `px`.
fn mean_error(out: &[f32], truth: &image::RgbImage, px: &[usize]) -> f32 {
    let n = (truth.width() * truth.height()) as usize;
    let mut sum = 0f32;
    for &i in px {
        for c in 0..3 {
            sum +=
                (out[c * n + i].clamp(0.0, 1.0) * 255.0 - truth.as_raw()[3 * i + c] as f32).abs();
        }
    }
    sum / (3 * px.len()) as f32
}

#[test]
fn a_caption_over_a_pan_stays_still() {
    let interp = interpolator(BackendKind::Cpu);
    let src = image::open(repo_root().join("tests/golden/images/I0_0.png"))
        .unwrap()
        .to_rgb8();
    let (w, h) = (160u32, 96u32);
    let mut region = Vec::new();
    let mut frame = |x0: u32| {
        let mut f = image::imageops::crop_imm(&src, 100 + x0, 80, w, h).to_image();
        region.clear();
        caption(&mut f, &mut region);
        f
    };
    let (a, b, truth) = (frame(0), frame(24), frame(12));
    let (w, h) = (w as usize, h as usize);
    let fa = interp
        .prepare(ImageRef::new(a.as_raw(), w, h, 3).unwrap(), 1.0)
        .unwrap();
    let fb = interp
        .prepare(ImageRef::new(b.as_raw(), w, h, 3).unwrap(), 1.0)
        .unwrap();
    let t = Timestep::Uniform(0.5);
    let run = |options: &Options| {
        read_f32(
            interp
                .interpolate_with(&fa, &fb, &t, options)
                .unwrap()
                .frame,
        )
        .unwrap()
    };
    let guarded = mean_error(
        &run(&Options {
            static_guard: true,
            ..Options::default()
        }),
        &truth,
        &region,
    );
    let plain = mean_error(&run(&Options::default()), &truth, &region);
    println!("caption mean |error|: {plain:.2} levels without the guard, {guarded:.2} with it");
    // The caption's pixels come back nearly as drawn: under 2 of 255 on average.
    assert!(
        guarded < 2.0,
        "the caption moved: mean |error| {guarded:.2} levels"
    );
}
