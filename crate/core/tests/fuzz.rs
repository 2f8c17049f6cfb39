//! Fuzzing on stable Rust with proptest: image decoding, the model loader and the
//! `Interpolator` API with random sizes, scales and time maps. Each target runs for a fixed time
//! (`INBETWEEN_FUZZ_SECONDS`, default 20 s a target: CI's share) and then passes the remaining
//! cases through at once; longer runs are for a bench machine (`INBETWEEN_FUZZ_SECONDS=600`).
//! A failure is shrunk by proptest and saved under `proptest-regressions/fuzz.txt`, which is
//! committed and replayed first on every later run.
//!
//! The property everywhere: a clear `Err` or a correct `Ok`, never a panic.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;
use inbetween::{BackendKind, ImageRef, Interpolator, Timestep};
use proptest::prelude::*;

fn budget() -> Duration {
    let s = std::env::var("INBETWEEN_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20.0);
    Duration::from_secs_f64(s)
}

/// True once this target has used its time; later cases return at once.
fn spent(start: &OnceLock<Instant>) -> bool {
    start.get_or_init(Instant::now).elapsed() > budget()
}

/// Seed images for the decoder: small PNGs and JPEGs of a few layouts.
fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let rgb =
            image::RgbImage::from_fn(19, 11, |x, y| image::Rgb([x as u8 * 13, y as u8 * 23, 77]));
        let dynimg = image::DynamicImage::ImageRgb8(rgb);
        let mut out = Vec::new();
        for (img, fmt) in [
            (dynimg.clone(), image::ImageFormat::Png),
            (dynimg.clone(), image::ImageFormat::Jpeg),
            (
                image::DynamicImage::ImageRgba16(dynimg.to_rgba16()),
                image::ImageFormat::Png,
            ),
            (
                image::DynamicImage::ImageLumaA8(dynimg.to_luma_alpha8()),
                image::ImageFormat::Png,
            ),
            (
                image::DynamicImage::ImageLuma8(dynimg.to_luma8()),
                image::ImageFormat::Jpeg,
            ),
        ] {
            let mut bytes = Vec::new();
            img.write_to(&mut std::io::Cursor::new(&mut bytes), fmt)
                .unwrap();
            out.push(bytes);
        }
        out
    })
}

/// One mutation of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Set {
        at: usize,
        value: u8,
    },
    Truncate {
        keep: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    /// A 32-bit big-endian number written at `at` (sizes in PNG and JPEG headers).
    Number {
        at: usize,
        value: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Set { at, value }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(8192),
                Just(8193),
                Just(65535),
                Just(u32::MAX),
                any::<u32>()
            ]
        )
            .prop_map(|(at, value)| Mutation::Number { at, value }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation], header: usize) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        // Most interesting structure is near the start: aim there half the time.
        let pick = |at: usize, len: usize| {
            if at % 2 == 0 {
                (at / 2) % len.min(header).max(1)
            } else {
                (at / 2) % len
            }
        };
        match m {
            Mutation::Flip { at, mask } => {
                let i = pick(*at, bytes.len());
                bytes[i] ^= mask;
            }
            Mutation::Set { at, value } => {
                let i = pick(*at, bytes.len());
                bytes[i] = *value;
            }
            Mutation::Truncate { keep } => bytes.truncate(keep % bytes.len()),
            Mutation::Insert { at, bytes: extra } => {
                let i = pick(*at, bytes.len());
                bytes.splice(i..i, extra.iter().copied());
            }
            Mutation::Number { at, value } => {
                if bytes.len() >= 4 {
                    let i = pick(*at, bytes.len() - 3);
                    bytes[i..i + 4].copy_from_slice(&value.to_be_bytes());
                }
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, max_shrink_iters: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_image_decoding(seed in 0usize..5, mutations in proptest::collection::vec(mutation(), 0..6)) {
        static START: OnceLock<Instant> = OnceLock::new();
        if spent(&START) { return Ok(()); }
        let bytes = apply(seeds()[seed].clone(), &mutations, 64);
        if let Ok(img) = inbetween::decode::load_bytes(&bytes) {
            let (w, h) = img.dimensions();
            prop_assert!(w >= 1 && h >= 1 && w as usize <= inbetween::MAX_SIDE && h as usize <= inbetween::MAX_SIDE);
            prop_assert_eq!(img.as_raw().len(), (w * h * 3) as usize);
        }
    }
}

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
