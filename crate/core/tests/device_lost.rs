//! A lost GPU device (a driver reset, a GPU that went away) is an error, not a crash. This file
//! is its own test binary because losing the device breaks every later GPU call in the process.

mod common;

use common::*;
use inbetween::{BackendKind, Error, ImageRef, Timestep};

#[test]
fn lost_gpu_device_is_an_error() {
    let interp = interpolator(BackendKind::Gpu);
    let px = vec![100u8; 64 * 48 * 3];
    let img = ImageRef::new(&px, 64, 48, 3).unwrap();
    let a = interp.prepare(img, 1.0).unwrap();
    // Healthy first.
    interp
        .interpolate(&a, &a, &Timestep::Uniform(0.5))
        .unwrap()
        .frame_rgb8()
        .unwrap();
    assert!(inbetween::lose_gpu_device_for_testing());
    let result = interp.prepare(img, 1.0).and_then(|b| {
        interp
            .interpolate(&a, &b, &Timestep::Uniform(0.5))?
            .frame_rgb8()
    });
    match result {
        Err(Error::DeviceLost(reason)) => println!("device lost: {reason}"),
        Err(other) => panic!("expected DeviceLost, got: {other}"),
        Ok(_) => panic!("a destroyed device still produced a frame"),
    }
}
