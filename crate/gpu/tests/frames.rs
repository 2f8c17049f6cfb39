//! Dispatch count and frame handles.
//!
//! - A new in-between frame of a video (encode the new frame, 5 blocks, merge) is one command
//!   buffer with at most 70 compute dispatches, counted where the engine records them. This
//!   runs on any adapter and needs no model file (the count does not depend on the weights).
//! - A prepared frame is a handle: reused across two pairs it gives exactly what freshly
//!   prepared frames give.

mod support;

use burn::tensor::Device;
use inbetween::model::IFNet;
use inbetween_gpu::{Engine, Precision, Timestep, Weights, block_on};
use support::*;

const MAX_DISPATCHES: u64 = 70;

#[test]
fn dispatches_per_new_frame() {
    // Zero weights: the recording is the same whatever the values are.
    let weights = Weights::from_model(&IFNet::new(&Device::flex())).unwrap();
    let Some(f32_engine) = engine_with(&weights) else {
        return;
    };
    // The packed f16 form (what browsers without shader-f16 run) records the same dispatches.
    let packed = block_on(Engine::request_with(&weights, Precision::F16Packed)).unwrap();
    let (w, h) = (448, 256);
    let img = vec![128u8; w * h * 3];
    let t = Timestep::Uniform(0.5);
    for (engine, scale) in [(&f32_engine, 1.0), (&f32_engine, 0.5), (&packed, 0.5)] {
        print!("{:?}, ", engine.precision());
        let d0 = engine.dispatch_count();
        let a = engine.prepare(&img, w, h, 3, scale).unwrap();
        let b = engine.prepare(&img, w, h, 3, scale).unwrap();
        // prepare only uploads; the encoders are recorded with the interpolation.
        assert_eq!(engine.dispatch_count(), d0);
        engine.interpolate(&a, &b, &t).unwrap();
        let first_pair = engine.dispatch_count() - d0;

        // The steady state of a video: one new frame per in-between frame.
        let c = engine.prepare(&img, w, h, 3, scale).unwrap();
        let (d1, s1) = (engine.dispatch_count(), engine.submission_count());
        let out = engine.interpolate(&b, &c, &t).unwrap();
        let per_frame = engine.dispatch_count() - d1;
        let submissions = engine.submission_count() - s1;
        block_on(engine.read_rgba8(&out)).unwrap();
        println!(
            "scale {scale}: {per_frame} dispatches per new in-between frame, {submissions} command buffer; {first_pair} for the first pair (two encodes)"
        );
        assert!(
            per_frame <= MAX_DISPATCHES,
            "{per_frame} dispatches > {MAX_DISPATCHES}"
        );
        assert_eq!(submissions, 1, "one command buffer per new frame");
        // The first pair encodes both frames: 4 more dispatches than the steady state.
        assert_eq!(first_pair, per_frame + 4);

        // Both frames already encoded: only the blocks and the merge.
        let d2 = engine.dispatch_count();
        engine.interpolate(&b, &c, &t).unwrap();
        assert_eq!(engine.dispatch_count() - d2, per_frame - 4);
    }
}

#[test]
fn frame_handles_reused_across_pairs() {
    let Some(engine) = engine() else { return };
    let cases = support::common::golden_cases();
    let case = cases
        .iter()
        .find(|c| c.name == "i0_t0.5")
        .expect("case i0_t0.5");
    let (a, b, w, h) = rgb_inputs(case);
    // A third frame: the first one mirrored, so the second pair has real motion too.
    let c: Vec<u8> = a
        .chunks_exact(3 * w)
        .flat_map(|row| {
            row.chunks_exact(3)
                .rev()
                .flatten()
                .copied()
                .collect::<Vec<_>>()
        })
        .collect();
    let t = Timestep::Uniform(0.5);
    let run = |x: &inbetween_gpu::GpuFrame, y: &inbetween_gpu::GpuFrame| {
        let out = engine.interpolate(x, y, &t).unwrap();
        (
            block_on(engine.read_rgb(&out)).unwrap(),
            block_on(engine.read_flow(&out)).unwrap(),
        )
    };

    // Prepared once; b is used by both pairs.
    let fa = engine.prepare(&a, w, h, 3, 1.0).unwrap();
    let fb = engine.prepare(&b, w, h, 3, 1.0).unwrap();
    let fc = engine.prepare(&c, w, h, 3, 1.0).unwrap();
    let ab = run(&fa, &fb);
    let bc = run(&fb, &fc);
    let ab_again = run(&fa, &fb);

    // Freshly prepared frames (other buffers: the handles above are still alive).
    let fresh = |px: &[u8]| engine.prepare(px, w, h, 3, 1.0).unwrap();
    let ab_fresh = run(&fresh(&a), &fresh(&b));
    let bc_fresh = run(&fresh(&b), &fresh(&c));

    assert!(max_abs_diff(&ab.0, &bc.0) > 0.01, "the two pairs differ");
    assert_eq!(
        ab.0, ab_fresh.0,
        "pair (a, b): reused handles = fresh frames"
    );
    assert_eq!(ab.1, ab_fresh.1);
    assert_eq!(bc.0, bc_fresh.0, "pair (b, c) with b reused = fresh frames");
    assert_eq!(bc.1, bc_fresh.1);
    assert_eq!(
        ab.0, ab_again.0,
        "a pair run again after another is unchanged"
    );

    // An output is overwritten by the next interpolation of the size, and says so.
    let first = engine.interpolate(&fa, &fb, &t).unwrap();
    let _second = engine.interpolate(&fb, &fc, &t).unwrap();
    assert!(matches!(
        block_on(engine.read_rgb(&first)),
        Err(inbetween_gpu::Error::Stale)
    ));
}

#[test]
fn rgba_input_time_maps_and_errors() {
    let Some(engine) = engine() else { return };
    let cases = support::common::golden_cases();
    let case = cases
        .iter()
        .find(|c| c.name == "i2_crop_s0.5")
        .expect("case i2_crop_s0.5");
    let (a, b, w, h) = rgb_inputs(case);
    let scale = case.scale();
    let rgba = |rgb: &[u8]| -> Vec<u8> {
        rgb.chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 7])
            .collect()
    };
    let read = |out| block_on(engine.read_rgb(&out)).unwrap();

    let fa = engine.prepare(&a, w, h, 3, scale).unwrap();
    let fb = engine.prepare(&b, w, h, 3, scale).unwrap();
    let uniform = read(
        engine
            .interpolate(&fa, &fb, &Timestep::Uniform(0.5))
            .unwrap(),
    );

    // RGBA input (alpha ignored) = RGB input, bit for bit.
    let ga = engine.prepare(&rgba(&a), w, h, 4, scale).unwrap();
    let gb = engine.prepare(&rgba(&b), w, h, 4, scale).unwrap();
    let from_rgba = read(
        engine
            .interpolate(&ga, &gb, &Timestep::Uniform(0.5))
            .unwrap(),
    );
    assert_eq!(uniform, from_rgba, "RGBA input gives the RGB result");

    // A constant time map = the uniform time; the map's edge replication into the padding
    // (this case pads 301x173 to 512x256) must not change that.
    let map = Timestep::Map(vec![0.5; w * h]);
    let from_map = read(engine.interpolate(&fa, &fb, &map).unwrap());
    assert_eq!(uniform, from_map, "constant time map = uniform time");
    let other = read(
        engine
            .interpolate(&fa, &fb, &Timestep::Uniform(0.25))
            .unwrap(),
    );
    assert!(
        max_abs_diff(&uniform, &other) > 1e-3,
        "the time changes the result"
    );

    // Errors, as the core reports them.
    use inbetween_gpu::Error;
    let small = engine.prepare(&a[..3 * 64 * 32], 64, 32, 3, scale).unwrap();
    assert!(matches!(
        engine.interpolate(&fa, &small, &Timestep::Uniform(0.5)),
        Err(Error::Core(inbetween::Error::SizeMismatch { .. }))
    ));
    assert!(matches!(
        engine.interpolate(&fa, &fb, &Timestep::Uniform(1.5)),
        Err(Error::Core(inbetween::Error::Timestep(_)))
    ));
    assert!(matches!(
        engine.interpolate(&fa, &fb, &Timestep::Map(vec![0.5; 3])),
        Err(Error::Core(inbetween::Error::TimeMapLength { .. }))
    ));
    assert!(matches!(
        engine.prepare(&a, w, h, 4, scale),
        Err(Error::Core(inbetween::Error::BufferLength { .. }))
    ));
    assert!(matches!(
        engine.prepare(&a, w, h, 3, 8.0),
        Err(Error::Core(inbetween::Error::Scale(_)))
    ));
    let zero = Weights::from_model(&IFNet::new(&Device::flex())).unwrap();
    let other_engine = engine_with(&zero).unwrap();
    assert!(matches!(
        other_engine.interpolate(&fa, &fb, &Timestep::Uniform(0.5)),
        Err(Error::ForeignFrame)
    ));
}

/// `rescaled` (for `scale: 'auto'`): a frame prepared at 1 and made again at 0.5 on the GPU gives
/// what the same pixels prepared at 0.5 give, bit for bit; RGBA input keeps its layout, and the
/// frame it came from still works.
#[test]
fn rescaled_frames_are_frames_prepared_at_that_scale() {
    let Some(engine) = engine() else { return };
    let cases = support::common::golden_cases();
    let case = cases
        .iter()
        .find(|c| c.name == "i0_t0.5")
        .expect("case i0_t0.5");
    let (a, b, w, h) = rgb_inputs(case);
    let rgba = |rgb: &[u8]| -> Vec<u8> {
        rgb.chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect()
    };
    let (a4, b4) = (rgba(&a), rgba(&b));
    let t = Timestep::Uniform(0.5);
    let read = |x: &inbetween_gpu::GpuFrame, y: &inbetween_gpu::GpuFrame| {
        block_on(engine.read_rgb(&engine.interpolate(x, y, &t).unwrap())).unwrap()
    };
    let fa = engine.prepare(&a4, w, h, 4, 1.0).unwrap();
    let fb = engine.prepare(&b4, w, h, 4, 1.0).unwrap();
    let at_one = read(&fa, &fb);
    let (ra, rb) = (
        engine.rescaled(&fa, 0.5).unwrap(),
        engine.rescaled(&fb, 0.5).unwrap(),
    );
    assert_eq!(ra.scale, 0.5);
    let direct = read(
        &engine.prepare(&a, w, h, 3, 0.5).unwrap(),
        &engine.prepare(&b, w, h, 3, 0.5).unwrap(),
    );
    assert_eq!(read(&ra, &rb), direct, "rescaled = prepared at 0.5");
    assert!(max_abs_diff(&direct, &at_one) > 1e-3, "the scale matters");
    assert_eq!(read(&fa, &fb), at_one, "the frames at 1 are untouched");
    assert!(engine.rescaled(&fa, 9.0).is_err(), "the scale is checked");
}
