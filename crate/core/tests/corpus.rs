//! The bad-input corpus through the Rust API (arguments, buffers, models): each case must end with
//! a clear error naming the problem, or with correct output; never a panic. The CLI's side is
//! crate/cli/tests/corpus.rs, the browser's tests/browser/corpus.test.mjs; the README's
//! reliability section lists all of them by category.

mod common;

use common::*;
use inbetween::{BackendKind, Error, ImageRef, Interpolator, Timestep};

/// The Rust API's side: arguments and buffers that must be refused (or, for -0, accepted).
#[test]
fn api_corpus() {
    let interp = interpolator(BackendKind::Cpu);
    let (w, h) = (48, 32);
    let px = vec![90u8; w * h * 3];
    let img = ImageRef::new(&px, w, h, 3).unwrap();
    let a = interp.prepare(img, 1.0).unwrap();
    let mut n = 0;
    let mut refused = |what: &str, r: inbetween::Result<()>, says: &str| {
        n += 1;
        match r {
            Err(e) if e.to_string().contains(says) => {}
            Err(e) => panic!("{what}: expected '{says}', got: {e}"),
            Ok(()) => panic!("{what}: accepted"),
        }
    };
    let run = |t: Timestep| interp.interpolate(&a, &a, &t).map(|_| ());
    for t in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -1e-7,
        1.0 + 1e-6,
    ] {
        refused(
            &format!("t {t}"),
            run(Timestep::Uniform(t)),
            "outside [0, 1]",
        );
    }
    for scale in [f32::NAN, f32::INFINITY, -0.0, 0.0, 0.2499, 4.0001] {
        refused(
            &format!("scale {scale}"),
            interp.prepare(img, scale).map(|_| ()),
            "outside [0.25, 4]",
        );
    }
    let mut map = vec![0.5f32; w * h];
    map[3] = f32::NAN;
    refused(
        "NaN in a time map",
        run(Timestep::Map(map)),
        "outside [0, 1]",
    );
    refused(
        "short time map",
        run(Timestep::Map(vec![0.5; 7])),
        "time map has 7 values",
    );
    refused(
        "empty time map",
        run(Timestep::Map(vec![])),
        "time map has 0 values",
    );
    let huge: Vec<f32> = vec![0.5; 1_000_000];
    refused(
        "a million timesteps",
        interp.interpolate_many(&a, &a, &huge).map(|_| ()),
        "split the list",
    );
    refused(
        "NaN among timesteps",
        interp
            .interpolate_many(&a, &a, &[0.5, f32::NAN])
            .map(|_| ()),
        "outside [0, 1]",
    );
    refused(
        "RGBA length for RGB",
        ImageRef::new(&px, w, h, 4).map(|_| ()),
        "bytes",
    );
    refused(
        "2 channels",
        ImageRef::new(&px, w, h, 2).map(|_| ()),
        "channel count",
    );
    refused("0x0", ImageRef::new(&[], 0, 0, 3).map(|_| ()), "empty");
    refused(
        "9000x1",
        ImageRef::new(&vec![0; 27_000], 9000, 1, 3).map(|_| ()),
        "too large",
    );
    refused(
        "width·height overflows",
        ImageRef::new(&px, usize::MAX / 2, 3, 3).map(|_| ()),
        "too large",
    );
    refused(
        "empty model bytes",
        Interpolator::from_bytes(vec![], burn::tensor::Device::flex()).map(|_| ()),
        "empty",
    );
    refused(
        "another model's bytes",
        Interpolator::from_bytes(other_model_bytes(), burn::tensor::Device::flex()).map(|_| ()),
        "missing tensors",
    );
    // Found by fuzzing (fuzz_interpolator_api, minimised): a scale that is not a power of two
    // made an odd padding multiple (251) and the encoder's shapes no longer met (a panic).
    for (w, h, scale) in [
        (1, 1, 0.509_127_56f32),
        (33, 17, 0.3),
        (40, 24, 0.7),
        (5, 9, 3.3),
    ] {
        n += 1;
        let px = vec![128u8; w * h * 3];
        let f = interp
            .prepare(ImageRef::new(&px, w, h, 3).unwrap(), scale)
            .unwrap();
        let out = interp.interpolate(&f, &f, &Timestep::Uniform(0.5)).unwrap();
        assert_eq!((out.width, out.height), (w, h), "scale {scale}");
    }
    // -0 is 0: a valid time, giving frame A.
    n += 1;
    let out = interp
        .interpolate(&a, &a, &Timestep::Uniform(-0.0))
        .unwrap();
    let rgb = out.frame_rgb8().unwrap();
    assert!(
        rgb.iter().all(|&v| v.abs_diff(90) <= 2),
        "t = -0 is frame A"
    );
    println!("API corpus: {n} cases");
    assert!(matches!(
        interp.interpolate_many(&a, &a, &vec![0.5; 1_000_000]),
        Err(Error::TooManyTimesteps { .. })
    ));
}
