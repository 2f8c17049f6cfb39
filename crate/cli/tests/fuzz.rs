//! Fuzzing the CLI's image decoding (`inbetween_cli::decode`) with proptest: mutated PNG and JPEG
//! seeds (flips, truncation, insertions, header numbers). As crate/core/tests/fuzz.rs: a fixed
//! time (`INBETWEEN_FUZZ_SECONDS`, default 20 s), failures shrunk and kept in
//! `fuzz.proptest-regressions` beside this file. The property: a clear `Err`, or an image within
//! the size limits whose buffer matches its size; never a panic.

#[path = "../../core/tests/support/mutate.rs"]
mod mutate;

use std::sync::OnceLock;
use std::time::Instant;

use mutate::{apply, mutation, spent};
use proptest::prelude::*;

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

proptest! {
    #![proptest_config(ProptestConfig { cases: 100_000, max_shrink_iters: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_image_decoding(seed in 0usize..5, mutations in proptest::collection::vec(mutation(), 0..6)) {
        static START: OnceLock<Instant> = OnceLock::new();
        if spent(&START) { return Ok(()); }
        let bytes = apply(seeds()[seed].clone(), &mutations, 64);
        if let Ok(img) = inbetween_cli::decode::load_bytes(&bytes) {
            let (w, h) = img.dimensions();
            prop_assert!(w >= 1 && h >= 1 && w as usize <= inbetween::MAX_SIDE && h as usize <= inbetween::MAX_SIDE);
            prop_assert_eq!(img.as_raw().len(), (w * h * 3) as usize);
        }
    }
}
