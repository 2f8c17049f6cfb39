//! `Options::mirror_average` (quality 'best', issue 12) on the WGSL engine against the CPU path
//! (crate/core/src/lib.rs `interpolate_with`): the mean of the pass on the pair and the pass on
//! its mirror image mirrored back, with the guard after it when that is on too.
//!
//! - An odd size (301x173: the padding on the right is 83 px, and must stay on the right of the
//!   mirrored frames), at scale 1 and 0.5, with a uniform time and a left-to-right time map (a
//!   map that is not mirrored with the frames gives a different result; a top-to-bottom ramp
//!   would not show it).
//! - The caption pair of guard.rs with the guard on as well.
//! - The mirrored frames are kept with the handles: a second pair with the same frames, or the
//!   same frames swapped, reuses them (and must still be right).
//! - The dispatch count of the mirrored path, and that the default path keeps its 69.

mod support;

use burn::tensor::Device;
use inbetween::model::IFNet;
use inbetween::{BackendKind, ImageRef, Options, Timestep, read_f32};
use inbetween_gpu::{Weights, block_on};
use support::*;

/// The parity bound of the goldens (f32): max |diff| against the CPU path.
const TOL: f32 = 1e-3;

/// A time map that runs from 0.2 on the left to 0.8 on the right.
fn horizontal_ramp(w: usize, h: usize) -> Timestep {
    Timestep::Map(
        (0..h)
            .flat_map(|_| (0..w).map(move |x| 0.2 + 0.6 * x as f32 / (w - 1) as f32))
            .collect(),
    )
}

#[test]
fn mirror_average_matches_the_cpu_path() {
    let Some(engine) = engine() else { return };
    let cpu = common::interpolator(BackendKind::Cpu);
    let root = common::repo_root().join("tests/golden/images");
    let i0 = image::open(root.join("I0_0.png")).unwrap().to_rgb8();
    let i1 = image::open(root.join("I0_1.png")).unwrap().to_rgb8();
    let crop = |img: &image::RgbImage, x0, y0, w, h| {
        image::imageops::crop_imm(img, x0, y0, w, h).to_image()
    };
    // guard.rs's pair: a 2 x 12 px pan with a still box of stripes (a caption).
    let caption = |x0: u32| {
        let mut f = crop(&i0, 100 + x0, 80, 160, 96);
        for y in 70..86 {
            for x in 40..120 {
                let v = if (x / 3 + y / 4) % 2 == 0 { 250 } else { 30 };
                f.put_pixel(x, y, image::Rgb([v, v, v]));
            }
        }
        f
    };
    let mirror = Options {
        mirror_average: true,
        ..Options::default()
    };
    let both = Options {
        mirror_average: true,
        static_guard: true,
    };
    let golden = (crop(&i0, 60, 40, 301, 173), crop(&i1, 60, 40, 301, 173));
    let captions = (caption(0), caption(24));
    let cases = [
        ("301x173 s1", &golden, 1.0f32, mirror),
        ("301x173 s0.5", &golden, 0.5, mirror),
        ("caption+guard", &captions, 1.0, both),
    ];
    let mut failures = Vec::new();
    for (name, (a, b), scale, options) in cases {
        let (w, h) = (a.width() as usize, a.height() as usize);
        let cpu_frame = |img: &image::RgbImage| {
            cpu.prepare(ImageRef::new(img.as_raw(), w, h, 3).unwrap(), scale)
                .unwrap()
        };
        let (ca, cb) = (cpu_frame(a), cpu_frame(b));
        let ga = engine.prepare(a.as_raw(), w, h, 3, scale).unwrap();
        let gb = engine.prepare(b.as_raw(), w, h, 3, scale).unwrap();
        // The same handles for every time, then swapped: the mirrors made by the first call
        // are reused by the others.
        let pairs = [
            (&ca, &cb, &ga, &gb, Timestep::Uniform(0.3), "t 0.3"),
            (&ca, &cb, &ga, &gb, horizontal_ramp(w, h), "ramp"),
            (&cb, &ca, &gb, &ga, Timestep::Uniform(0.5), "swapped"),
        ];
        for (ca, cb, ga, gb, t, what) in pairs {
            let want_out = cpu.interpolate_with(ca, cb, &t, &options).unwrap();
            let want_flow = read_f32(want_out.flow).unwrap();
            let want = read_f32(want_out.frame).unwrap();
            let plain = read_f32(cpu.interpolate(ca, cb, &t).unwrap().frame).unwrap();
            if options.static_guard {
                // The guard must matter here too, or its combination is not checked.
                let unguarded = Options {
                    static_guard: false,
                    ..options
                };
                let m = read_f32(cpu.interpolate_with(ca, cb, &t, &unguarded).unwrap().frame);
                let g = max_abs_diff(&want, &m.unwrap());
                if g < 0.05 {
                    failures.push(format!("{name} {what}: the guard changes only {g}"));
                }
            }
            let out = engine.interpolate_with(ga, gb, &t, &options).unwrap();
            let got = block_on(engine.read_rgb(&out)).unwrap();
            let got_flow = block_on(engine.read_flow(&out)).unwrap();
            let got_rgba = block_on(engine.read_rgba8(&out)).unwrap();
            let plain_gpu =
                block_on(engine.read_rgb(&engine.interpolate(ga, gb, &t).unwrap())).unwrap();

            let d = max_abs_diff(&got, &want);
            let changed = max_abs_diff(&want, &plain);
            let d_flow = max_abs_diff(&got_flow, &want_flow);
            println!(
                "{name} {what}: mirror_average GPU vs CPU max |diff| {d:.2e} (mean {:.1e}); \
                 the mirrored pass changes the output by up to {changed:.3}; flow {d_flow:.1e} px",
                mean_abs_diff(&got, &want)
            );
            // The RGBA bytes are the float output's, rounded (merge.wgsl `to_byte`).
            let bytes_ok = got_rgba.chunks_exact(4).enumerate().all(|(i, px)| {
                (0..3).all(|c| {
                    let v = (got[c * w * h + i].clamp(0.0, 1.0) * 255.0).round() as u8;
                    px[c] == v
                }) && px[3] == 255
            });
            if d > TOL || d.is_nan() {
                failures.push(format!("{name} {what}: max |diff| {d:.3e} > {TOL:.0e}"));
            }
            if changed < 0.01 || max_abs_diff(&got, &plain_gpu) < 0.01 {
                failures.push(format!(
                    "{name} {what}: the mirrored pass barely changes the output ({changed})"
                ));
            }
            // The result's flow is the plain pass's, as the core's.
            if d_flow > 1e-2 || d_flow.is_nan() {
                failures.push(format!("{name} {what}: flow differs by {d_flow:.3e} px"));
            }
            if !bytes_ok {
                failures.push(format!("{name} {what}: RGBA is not the float output"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The mirrored path's dispatches, counted where they are recorded (zero weights: the recording
/// does not depend on them), and the default path's, unchanged around it.
#[test]
fn mirror_average_dispatches() {
    let weights = Weights::from_model(&IFNet::new(&Device::flex())).unwrap();
    let Some(engine) = engine_with(&weights) else {
        return;
    };
    let (w, h) = (448, 256);
    let img = vec![128u8; w * h * 3];
    let t = Timestep::Uniform(0.5);
    let best = Options {
        mirror_average: true,
        static_guard: true,
    };
    let count = |f: &mut dyn FnMut()| {
        let (d, s) = (engine.dispatch_count(), engine.submission_count());
        f();
        (engine.dispatch_count() - d, engine.submission_count() - s)
    };
    let a = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let b = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    // First pair: two frames and two mirror images encoded, two passes of 65.
    let first = count(&mut || {
        engine.interpolate_with(&a, &b, &t, &best).unwrap();
    });
    assert_eq!(first, (146, 1));
    // A video: one new frame; the previous frame's mirror is reused.
    let c = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let per_frame = count(&mut || {
        engine.interpolate_with(&b, &c, &t, &best).unwrap();
    });
    // Every frame and mirror encoded: the two passes only.
    let encoded = count(&mut || {
        engine.interpolate_with(&b, &c, &t, &best).unwrap();
    });
    println!(
        "mirror_average: {} dispatches per new frame in {} command buffer, {} for a first pair, \
         {} for an encoded pair",
        per_frame.0, per_frame.1, first.0, encoded.0
    );
    assert_eq!(
        per_frame,
        (138, 1),
        "4 + 65 for the frame, 4 + 65 for its mirror"
    );
    assert_eq!(encoded, (130, 1));
    // The default path around it: still 69 per new frame, 65 for an encoded pair.
    let d = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let plain = count(&mut || {
        engine.interpolate(&c, &d, &t).unwrap();
    });
    assert_eq!(plain, (69, 1));
    let guarded = count(&mut || {
        engine
            .interpolate_with(
                &c,
                &d,
                &t,
                &Options {
                    static_guard: true,
                    ..Options::default()
                },
            )
            .unwrap();
    });
    assert_eq!(guarded, (65, 1));
    // A frame dropped with its mirror; the next pair makes the mirrors it lacks.
    drop(a);
    let e = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let mirrored_again = count(&mut || {
        engine.interpolate_with(&d, &e, &t, &best).unwrap();
    });
    assert_eq!(
        mirrored_again,
        (4 + 4 + 4 + 130, 1),
        "d's mirror, e and e's mirror"
    );
}
