//! Every bad input gets a clear error, never a panic.

mod common;

use common::*;
use inbetween::{BackendKind, Error, ImageRef, Timestep};

#[test]
fn bad_images_are_rejected() {
    let px = vec![0u8; 8 * 4 * 3];
    assert!(matches!(
        ImageRef::new(&px, 8, 4, 2),
        Err(Error::Channels(2))
    ));
    assert!(matches!(
        ImageRef::new(&px, 8, 5, 3),
        Err(Error::BufferLength {
            got: 96,
            expected: 120,
            ..
        })
    ));
    assert!(matches!(
        ImageRef::new(&[], 0, 4, 3),
        Err(Error::EmptyImage { .. })
    ));
    assert!(matches!(
        ImageRef::new(&px, 9000, 1, 3),
        Err(Error::ImageTooLarge { .. })
    ));
    let msg = ImageRef::new(&px, 8, 5, 3).unwrap_err().to_string();
    assert!(msg.contains("96 bytes") && msg.contains("8x5"), "{msg}");
}

#[test]
fn bad_interpolation_arguments_are_rejected() {
    let interp = interpolator(BackendKind::Cpu);
    let (w, h) = (40, 24);
    let px = vec![128u8; w * h * 4];
    let img = ImageRef::new(&px, w, h, 4).unwrap();
    for scale in [0.1, 4.5, f32::NAN, -1.0] {
        assert!(
            matches!(interp.prepare(img, scale), Err(Error::Scale(_))),
            "scale {scale}"
        );
    }
    let a = interp.prepare(img, 1.0).unwrap();
    let b = interp.prepare(img, 1.0).unwrap();
    for t in [-0.01, 1.01, f32::NAN, f32::INFINITY] {
        let err = interp
            .interpolate(&a, &b, &Timestep::Uniform(t))
            .err()
            .expect("t out of range");
        assert!(matches!(err, Error::Timestep(_)), "t {t}: {err}");
    }
    let err = interp
        .interpolate(&a, &b, &Timestep::Map(vec![0.5; w * h - 1]))
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::TimeMapLength { got, expected, .. } if got == w * h - 1 && expected == w * h)
    );
    let mut map = vec![0.5; w * h];
    map[77] = 1.5;
    let err = interp
        .interpolate(&a, &b, &Timestep::Map(map))
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::TimeMapValue { index: 77, .. }),
        "{err}"
    );

    let small = vec![0u8; 20 * 24 * 3];
    let c = interp
        .prepare(ImageRef::new(&small, 20, 24, 3).unwrap(), 1.0)
        .unwrap();
    let err = interp
        .interpolate(&a, &c, &Timestep::Uniform(0.5))
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("40x24") && err.to_string().contains("20x24"),
        "{err}"
    );

    let d = interp.prepare(img, 0.5).unwrap();
    assert!(matches!(
        interp.interpolate(&a, &d, &Timestep::Uniform(0.5)),
        Err(Error::ScaleMismatch(..))
    ));
}

#[test]
fn odd_and_tiny_sizes_work() {
    // Any H×W: 1x1, a thin strip, and odd sizes pad and crop back exactly.
    let interp = interpolator(BackendKind::Cpu);
    for (w, h) in [(130, 3), (33, 17), (1, 1)] {
        // A smooth picture (RIFE's flow on noise is not exactly zero, and warping noise blurs it).
        let px: Vec<u8> = (0..w * h * 3)
            .map(|i| {
                let (p, c) = (i / 3, i % 3);
                let (x, y) = (p % w, p / w);
                (40 + c * 40 + 80 * x / w + 40 * y / h) as u8 // at most 238
            })
            .collect();
        let f = interp
            .prepare(ImageRef::new(&px, w, h, 3).unwrap(), 1.0)
            .unwrap();
        let out = interp.interpolate(&f, &f, &Timestep::Uniform(0.3)).unwrap();
        let rgb = out.frame_rgb8().unwrap();
        assert_eq!(rgb.len(), w * h * 3);
        // Interpolating a frame with itself gives the frame back.
        let worst = rgb
            .iter()
            .zip(&px)
            .map(|(a, b)| (*a as i32 - *b as i32).abs())
            .max()
            .unwrap();
        println!("{w}x{h}: self-interpolation off by {worst}");
        // Interpolating a frame with itself gives it back, except where the zero padding
        // dominates: the PyTorch reference itself is off by 8 (130x3) and 15 (1x1) 8-bit steps
        // on these pictures (measured 2026-11-28), so only a normal frame is held to 2.
        let bound = if w * h >= 500 { 2 } else { 16 };
        assert!(worst <= bound, "{w}x{h}: self-interpolation off by {worst}");
    }
}
