//! A lost GPU device (a driver reset, a GPU that went away) is an error, not a crash. This file
//! is its own test binary because losing the device breaks every later GPU call in the process.

mod common;

use common::*;
use inbetween::{BackendKind, Error, ImageRef, Timestep};

#[test]
fn lost_gpu_device_is_an_error_and_a_new_interpolator_gets_a_new_device() {
    let interp = interpolator(BackendKind::Gpu);
    let px = vec![100u8; 64 * 48 * 3];
    let img = ImageRef::new(&px, 64, 48, 3).unwrap();
    // A second picture, so that the in-between is not trivially one of them.
    let px2: Vec<u8> = (0..64 * 48 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let img2 = ImageRef::new(&px2, 64, 48, 3).unwrap();
    let a = interp.prepare(img, 1.0).unwrap();
    // Healthy first.
    let healthy = interp
        .prepare(img2, 1.0)
        .and_then(|b| {
            interp
                .interpolate(&a, &b, &Timestep::Uniform(0.5))?
                .frame_rgb8()
        })
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

    // Recovery: a new interpolator gets a new device (before, the process kept handing out the
    // dead one, and this failed with DeviceLost again), and it computes the same frame.
    let fresh = interpolator(BackendKind::Gpu);
    let again = fresh
        .prepare(img, 1.0)
        .and_then(|a| {
            let b = fresh.prepare(img2, 1.0)?;
            fresh
                .interpolate(&a, &b, &Timestep::Uniform(0.5))?
                .frame_rgb8()
        })
        .unwrap_or_else(|e| panic!("a new interpolator after the loss: {e}"));
    let worst = healthy
        .iter()
        .zip(&again)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap();
    assert!(
        worst <= 1,
        "the new device's frame differs by {worst} steps"
    );
    // The old interpolator's device stays lost: it is not silently revived.
    assert!(matches!(
        interp
            .interpolate(&a, &a, &Timestep::Uniform(0.5))
            .and_then(|o| o.frame_rgb8()),
        Err(Error::DeviceLost(_))
    ));
}
