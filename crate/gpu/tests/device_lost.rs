//! A lost GPU device (a driver reset, an unplugged GPU) is an error, never a crash, and a new
//! engine gets a new device and works: the native side of recovery. Each engine requests its
//! own wgpu device, so nothing of the lost one is cached. (burn's wgpu path, by contrast, keeps
//! one device per process.)

mod support;

use inbetween_gpu::{Timestep, block_on};
use support::*;

#[test]
fn lost_device_is_an_error_and_a_new_engine_recovers() {
    let Some(lost) = engine() else { return };
    let (w, h) = (64, 48);
    let img = vec![120u8; w * h * 3];
    let t = Timestep::Uniform(0.5);
    let a = lost.prepare(&img, w, h, 3, 1.0).unwrap();
    let out = lost.interpolate(&a, &a, &t).unwrap();
    block_on(lost.read_rgba8(&out)).unwrap();

    lost.device().destroy();
    let after = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let b = lost.prepare(&img, w, h, 3, 1.0)?;
        let out = lost.interpolate(&a, &b, &t)?;
        block_on(lost.read_rgba8(&out))
    }));
    match after {
        Ok(Err(e)) => {
            println!("after the loss: {e}");
            assert!(
                matches!(
                    e,
                    inbetween_gpu::Error::DeviceLost(_) | inbetween_gpu::Error::Gpu(_)
                ),
                "{e}"
            );
        }
        Ok(Ok(_)) => panic!("a destroyed device still produced a frame"),
        Err(_) => panic!("a lost device panicked instead of returning an error"),
    }

    let fresh = engine().expect("a second engine");
    let a = fresh.prepare(&img, w, h, 3, 1.0).unwrap();
    let out = fresh.interpolate(&a, &a, &t).unwrap();
    let rgba = block_on(fresh.read_rgba8(&out)).unwrap();
    assert_eq!(rgba.len(), w * h * 4);
}

/// `lose_device_for_testing` (what the browser's recovery test calls) reports the loss as
/// `DeviceLost`, with the message the worker looks for, on a readback of an output made before
/// it and on the next call. Natively wgpu runs the lost callback at once, so this holds even
/// without the loss recorded by hand; the web's timing is covered by tests/browser/parity.test.mjs.
#[test]
fn lose_device_for_testing_is_device_lost_at_once() {
    let Some(engine) = engine() else { return };
    let (w, h) = (64, 48);
    let img = vec![90u8; w * h * 3];
    let t = Timestep::Uniform(0.5);
    let a = engine.prepare(&img, w, h, 3, 1.0).unwrap();
    let out = engine.interpolate(&a, &a, &t).unwrap();
    engine.lose_device_for_testing();
    let read = block_on(engine.read_rgba8(&out));
    assert!(
        matches!(read, Err(inbetween_gpu::Error::DeviceLost(_))),
        "{:?}",
        read.err()
    );
    let again = engine.interpolate(&a, &a, &t);
    let Err(e) = again else {
        panic!("a destroyed device still interpolated")
    };
    assert!(matches!(e, inbetween_gpu::Error::DeviceLost(_)), "{e}");
    assert!(e.to_string().starts_with("the GPU device was lost"), "{e}");
}
