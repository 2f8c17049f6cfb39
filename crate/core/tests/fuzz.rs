//! Fuzzing on stable Rust with proptest: the model loader and the `Interpolator` API with random
//! sizes, scales and time maps (image decoding is fuzzed with the CLI, in crate/cli/tests/fuzz.rs).
//! Each target runs for a fixed time (`INBETWEEN_FUZZ_SECONDS`, default 20 s a target: CI's share)
//! and then passes the remaining cases through at once; longer runs are for a bench machine
//! (`INBETWEEN_FUZZ_SECONDS=600`). A failure is shrunk by proptest and saved in
//! `fuzz.proptest-regressions`, which is committed and replayed first on every later run.
//!
//! The property everywhere: a clear `Err` or a correct `Ok`, never a panic.

mod common;
mod support {
    pub mod mutate;
}

use std::sync::OnceLock;
use std::time::Instant;

use common::*;
use inbetween::{BackendKind, ImageRef, Interpolator, Timestep};
use proptest::prelude::*;
use support::mutate::{apply, mutation, spent};

fn f16_model() -> &'static [u8] {
    static MODEL: OnceLock<Vec<u8>> = OnceLock::new();
    MODEL.get_or_init(|| {
        std::fs::read(repo_root().join("models/rife-4.25-f16.bpk"))
            .expect("models/ (scripts/setup.sh)")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_model_loader(mutations in proptest::collection::vec(mutation(), 1..4)) {
        static START: OnceLock<Instant> = OnceLock::new();
        if spent(&START) { return Ok(()); }
        // The burnpack header (names, shapes, offsets) is in the first few KB.
        let bytes = apply(f16_model().to_vec(), &mutations, 16 * 1024);
        match Interpolator::from_bytes(bytes, burn::tensor::Device::flex()) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

fn interp() -> &'static Interpolator {
    // One model for every case (loading it takes longer than a small forward). proptest runs
    // the cases on one thread, so a per-thread value suffices (burn tensors need not be Sync).
    thread_local! {
        static I: &'static Interpolator = Box::leak(Box::new(interpolator(BackendKind::Cpu)));
    }
    I.with(|i| *i)
}

/// A time: mostly valid, sometimes an edge or an invalid value.
fn time() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => 0.0f32..=1.0,
        1 => Just(0.0f32),
        1 => Just(1.0f32),
        1 => Just(-0.0f32),
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(-1e-6f32), Just(1.000001f32), Just(-3.0f32)],
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_interpolator_api(
        w in 1usize..80,
        h in 1usize..80,
        scale in prop_oneof![Just(0.25f32), Just(0.5), Just(1.0), Just(2.0), 0.25f32..=4.0, Just(f32::NAN), Just(0.0), Just(4.5)],
        channels in prop_oneof![Just(3usize), Just(4)],
        seed in any::<u8>(),
        t in time(),
        map in proptest::option::of(proptest::collection::vec(time(), 0..8)),
    ) {
        static START: OnceLock<Instant> = OnceLock::new();
        if spent(&START) { return Ok(()); }
        let px: Vec<u8> = (0..w * h * channels).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let image = ImageRef::new(&px, w, h, channels).unwrap();
        let scale_ok = scale.is_finite() && (0.25..=4.0).contains(&scale);
        let a = interp().prepare(image, scale);
        prop_assert_eq!(a.is_ok(), scale_ok, "scale {}", scale);
        let Ok(a) = a else { return Ok(()) };
        // A time map tiled from the few generated values, so invalid ones land anywhere.
        let (timestep, valid) = match &map {
            Some(v) if !v.is_empty() => {
                let full: Vec<f32> = (0..w * h).map(|i| v[i % v.len()]).collect();
                let valid = full.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x));
                (Timestep::Map(full), valid)
            }
            Some(_) => (Timestep::Map(vec![]), false),
            None => (Timestep::Uniform(t), t.is_finite() && (0.0..=1.0).contains(&t)),
        };
        let out = interp().interpolate(&a, &a, &timestep);
        prop_assert_eq!(out.is_ok(), valid, "timestep {:?}", timestep);
        if let Ok(out) = out {
            prop_assert_eq!((out.width, out.height), (w, h));
            let rgb = inbetween::read_f32(out.frame).unwrap();
            prop_assert!(rgb.iter().all(|v| v.is_finite()), "non-finite output at {}x{} scale {}", w, h, scale);
        }
    }
}
