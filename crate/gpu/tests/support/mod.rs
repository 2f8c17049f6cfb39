//! Shared by the GPU engine's tests: the engine on whatever adapter exists (lavapipe on a
//! machine without a GPU), the golden cases (through the core's test helpers), and a max that
//! keeps NaN.
#![allow(dead_code)]

use inbetween_gpu::{Engine, Error, Weights, block_on};

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
