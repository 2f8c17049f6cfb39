//! Each interpolation's GPU time (timestamp queries, read back asynchronously), which the
//! extension's adaptive ladder runs on (issue 10, item 2).
//!
//! - Where the device has `timestamp-query` (lavapipe has it), the figure is positive, finite,
//!   below the wall time of the same interpolation, and larger for a larger frame.
//! - Timing adds no dispatch and no submission (the counts `frames.rs` asserts stay as they are).
//! - Without `timestamp-query` the engine says so (None), and the caller falls back to wall time.

mod support;

use std::time::Instant;

use burn::tensor::Device;
use inbetween::model::IFNet;
use inbetween_gpu::{Engine, Timestep, Weights, block_on, wgpu};
use support::*;

/// Zero weights: the work (and so its time) does not depend on the values.
fn weights() -> Weights {
    Weights::from_model(&IFNet::new(&Device::flex())).unwrap()
}

/// Wall time and GPU time of the second interpolation of a `w`x`h` pair (the first one builds
/// the plan and encodes both frames), with the dispatches and submissions it took.
fn timed(engine: &Engine, w: usize, h: usize) -> (f64, Option<f64>, u64, u64) {
    let img = vec![100u8; w * h * 3];
    let a = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let b = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let t = Timestep::Uniform(0.5);
    engine.interpolate(&a, &b, &t).unwrap();
    block_on(engine.latest_gpu_time());
    let (d, s) = (engine.dispatch_count(), engine.submission_count());
    let start = Instant::now();
    engine.interpolate(&a, &b, &t).unwrap();
    let (d, s) = (engine.dispatch_count() - d, engine.submission_count() - s);
    // Waits for the device (natively), then for the 16-byte map.
    let gpu = block_on(engine.latest_gpu_time());
    (start.elapsed().as_secs_f64() * 1e3, gpu, d, s)
}

#[test]
fn gpu_time_per_interpolation() {
    let Some(engine) = engine_with(&weights()) else {
        return;
    };
    if !engine
        .device()
        .features()
        .contains(wgpu::Features::TIMESTAMP_QUERY)
    {
        // Said, not silently passed: a skip here means this adapter lacks the feature.
        eprintln!("SKIPPED: this adapter has no timestamp-query");
        assert!(!engine.measures_gpu_time());
        assert_eq!(engine.gpu_time_ms(), None);
        assert_eq!(block_on(engine.latest_gpu_time()), None);
        return;
    }
    assert!(engine.measures_gpu_time());
    let (small_wall, small, d, s) = timed(&engine, 64, 64);
    let (large_wall, large, _, _) = timed(&engine, 512, 256);
    println!(
        "64x64: GPU {small:?} ms, wall {small_wall:.2} ms; 512x256: GPU {large:?} ms, wall {large_wall:.2} ms"
    );
    // Both frames encoded: 65 dispatches (5 blocks of 13), one command buffer, as without timing.
    assert_eq!((d, s), (65, 1));
    for (gpu, wall) in [(small, small_wall), (large, large_wall)] {
        let gpu = gpu.expect("a GPU time (the timestamps never came back, or were unusable)");
        assert!(gpu.is_finite() && gpu > 0.0, "GPU time {gpu} ms");
        assert!(
            gpu < wall,
            "GPU time {gpu} ms is not below the wall time {wall} ms"
        );
    }
    let (small, large) = (small.unwrap(), large.unwrap());
    // 8x the padded pixels (128x128 against 512x256): loosely more time.
    assert!(
        large > 1.5 * small,
        "512x256 took {large} ms of GPU time, 64x64 {small} ms"
    );
    // The cheap read gives the latest figure without waiting.
    assert_eq!(engine.gpu_time_ms(), Some(large));
}

/// A caller that never waits still gets every interpolation submitted: once all the readback
/// slots are in flight, later ones are just not timed (None), and none blocks.
#[test]
fn gpu_time_never_blocks() {
    let Some(engine) = engine_with(&weights()) else {
        return;
    };
    if !engine.measures_gpu_time() {
        eprintln!("SKIPPED: this adapter has no timestamp-query");
        return;
    }
    let (w, h) = (64, 64);
    let img = vec![100u8; w * h * 3];
    let a = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let b = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let t = Timestep::Uniform(0.5);
    for _ in 0..12 {
        engine.interpolate(&a, &b, &t).unwrap();
    }
    // After the device is done, the latest was either timed or said not to be; either way a
    // later interpolation is timed again, as the slots have come back.
    let _ = block_on(engine.latest_gpu_time());
    engine.interpolate(&a, &b, &t).unwrap();
    let ms = block_on(engine.latest_gpu_time()).expect("timed again once the slots are free");
    assert!(ms.is_finite() && ms > 0.0);
}

/// A device without `timestamp-query`: no figure, and the same work as ever.
#[test]
fn gpu_time_without_the_feature() {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let Ok(adapter) = block_on(instance.request_adapter(&Default::default())) else {
        eprintln!("SKIPPED: no wgpu adapter on this machine");
        return;
    };
    let (device, queue) = block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .unwrap();
    let engine = Engine::new(device, queue, &weights()).unwrap();
    assert!(!engine.measures_gpu_time());
    let (_, gpu, d, s) = timed(&engine, 64, 64);
    assert_eq!(gpu, None);
    assert_eq!(engine.gpu_time_ms(), None);
    assert_eq!((d, s), (65, 1));
}
