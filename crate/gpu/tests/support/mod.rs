//! Shared by the GPU engine's tests: the engine on whatever adapter exists (lavapipe on a
//! machine without a GPU), the golden cases (through the core's test helpers), and a max that
//! keeps NaN.
#![allow(dead_code)]

use inbetween_gpu::{Engine, Error, Precision, Weights, block_on, wgpu};

#[path = "../../../core/tests/common.rs"]
pub mod common;

/// The engine with the converted f32 model, or None (with a message) when no adapter exists at
/// all. Any other failure fails the test.
pub fn engine() -> Option<Engine> {
    let bytes = std::fs::read(common::model_path()).expect("reading the model");
    let weights = Weights::from_bytes(bytes).expect("packing the weights");
    engine_with(&weights)
}

pub fn engine_with(weights: &Weights) -> Option<Engine> {
    match block_on(Engine::request(weights)) {
        Ok(e) => Some(e),
        Err(Error::Gpu(m)) if m.starts_with("no GPU adapter") => {
            eprintln!(
                "SKIPPED: no wgpu adapter on this machine ({m}); install mesa-vulkan-drivers for lavapipe"
            );
            None
        }
        Err(e) => panic!("creating the GPU engine: {e}"),
    }
}

/// The engine on a device with the adapter's limits except a storage binding limit of `binding`
/// bytes and a buffer limit of `buffer` bytes (below the adapter's: WebGPU's defaults are 128
/// and 256 MiB, and a browser may give no more), or None when no adapter exists.
pub fn engine_limited(
    weights: &Weights,
    precision: Precision,
    binding: u64,
    buffer: u64,
) -> Option<Engine> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let Ok(adapter) = block_on(instance.request_adapter(&Default::default())) else {
        eprintln!("SKIPPED: no wgpu adapter on this machine");
        return None;
    };
    let mut limits = adapter.limits();
    assert!(
        binding <= limits.max_storage_buffer_binding_size && buffer <= limits.max_buffer_size,
        "the adapter's limits ({} / {}) are already below the ones asked for",
        limits.max_storage_buffer_binding_size,
        limits.max_buffer_size
    );
    limits.max_storage_buffer_binding_size = binding;
    limits.max_buffer_size = buffer;
    let (device, queue) = block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("limited"),
        required_limits: limits,
        required_features: adapter.features() & wgpu::Features::SHADER_F16,
        ..Default::default()
    }))
    .expect("a device with lowered limits");
    Some(Engine::with_precision(device, queue, weights, precision).expect("the engine"))
}

/// The golden demo pair (I0_0.png, I0_1.png, 448x256) resized to `w`x`h`, as RGB bytes: frames
/// of any size with real content (upscaled, so without real detail at large sizes).
pub fn demo_pair(w: usize, h: usize) -> (Vec<u8>, Vec<u8>) {
    let root = common::repo_root().join("tests/golden/images");
    let load = |name: &str| {
        let img = image::open(root.join(name)).unwrap().to_rgb8();
        image::imageops::resize(
            &img,
            w as u32,
            h as u32,
            image::imageops::FilterType::CatmullRom,
        )
        .into_raw()
    };
    (load("I0_0.png"), load("I0_1.png"))
}

/// Largest |a - b|, NaN if any difference is NaN (a plain `f32::max` fold would drop it).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    let mut m = 0.0f32;
    for (x, y) in a.iter().zip(b) {
        let d = (x - y).abs();
        if d.is_nan() {
            return f32::NAN;
        }
        if d > m {
            m = d;
        }
    }
    m
}

pub fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// Planar RGB floats that came from 8-bit pixels (v = byte / 255) → interleaved RGB bytes.
pub fn planar_to_rgb8(planar: &[f32], w: usize, h: usize) -> Vec<u8> {
    let plane = w * h;
    let mut out = vec![0u8; 3 * plane];
    for i in 0..plane {
        for c in 0..3 {
            out[3 * i + c] = (planar[c * plane + i] * 255.0).round() as u8;
        }
    }
    out
}

/// The golden case's two frames as interleaved RGB bytes, and their size.
pub fn rgb_inputs(case: &common::Golden) -> (Vec<u8>, Vec<u8>, usize, usize) {
    let (a, b, w, h) = case.inputs();
    (planar_to_rgb8(&a, w, h), planar_to_rgb8(&b, w, h), w, h)
}
