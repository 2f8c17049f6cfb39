//! Where the time goes: times each stage of one interpolation on the CPU backend, with a device
//! sync after each, at 640x360 (padded 640x384). `cargo run --example profile [--release]`.

use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use inbetween::model::warp::{resize, warp};
use inbetween::{BackendKind, Interpolator, Timestep};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kind: BackendKind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "cpu".into())
        .parse()?;
    let interp = Interpolator::from_file("models/rife-4.25.bpk".as_ref(), kind)?;
    let device: Device = interp.device().clone();
    let (w, h) = (640usize, 360usize);
    let data: Vec<f32> = (0..3 * w * h)
        .map(|i| ((i * 31) % 255) as f32 / 255.0)
        .collect();
    let time = |label: &str, f: &mut dyn FnMut()| {
        f();
        device.sync().unwrap();
        let n = 3;
        let start = Instant::now();
        for _ in 0..n {
            f();
            device.sync().unwrap();
        }
        println!(
            "{label:>36}: {:8.2} ms",
            start.elapsed().as_secs_f64() * 1000.0 / n as f64
        );
    };
    let a = interp.prepare_planar(data.clone(), w, h, 1.0)?;
    let b = interp.prepare_planar(data.clone(), w, h, 1.0)?;
    time("whole interpolate (prepared frames)", &mut || {
        let _ = interp.interpolate(&a, &b, &Timestep::Uniform(0.5)).unwrap();
    });
    time("prepare (pad + encode) one frame", &mut || {
        let _ = interp.prepare_planar(data.clone(), w, h, 1.0).unwrap();
    });
    let (ph, pw) = (384, 640);
    let model = interp.model();
    let x = Tensor::<4>::from_data(
        TensorData::new(vec![0.5f32; 24 * ph * pw], [1, 24, ph, pw]),
        &device,
    );
    let flow = Tensor::<4>::zeros([1, 4, ph, pw], &device);
    for (i, block) in model.blocks.iter().enumerate() {
        let s = inbetween::model::BLOCK_SCALES[i];
        let xi = if i == 0 {
            x.clone().narrow(1, 0, 15)
        } else {
            x.clone()
        };
        let fl = if i == 0 { None } else { Some(flow.clone()) };
        time(&format!("block{i} (s={s})"), &mut || {
            let _ = block.forward(xi.clone(), fl.clone(), s);
        });
        let (hs, ws) = (ph / s as usize, pw / s as usize);
        let c = inbetween::model::BLOCK_WIDTHS[i];
        let feat = Tensor::<4>::zeros([1, c, hs / 4, ws / 4], &device);
        time(
            &format!("  8 resconv c={c} at {}x{}", ws / 4, hs / 4),
            &mut || {
                let mut f = feat.clone();
                for r in &block.convblock {
                    f = r.forward(f);
                }
            },
        );
        time(&format!("  lastconv (deconv) c={c}"), &mut || {
            let _ = block.lastconv.forward(feat.clone());
        });
        let xs = resize(xi.clone(), hs, ws);
        let xs = if i == 0 {
            xs
        } else {
            Tensor::cat(vec![xs, Tensor::zeros([1, 4, hs, ws], &device)], 1)
        };
        time(&format!("  conv0a at {}x{}", ws, hs), &mut || {
            let _ = block.conv0a.forward(xs.clone());
        });
        let c0 = block.conv0a.forward(xs.clone());
        time("  conv0b", &mut || {
            let _ = block.conv0b.forward(c0.clone());
        });
        let tmp = block.lastconv.forward(feat.clone());
        time("  pixel shuffle", &mut || {
            let _ = inbetween::model::pixel_shuffle2(tmp.clone());
        });
        let ps = inbetween::model::pixel_shuffle2(tmp.clone());
        time(&format!("  resize 13ch up x{s}"), &mut || {
            let _ = resize(ps.clone(), ph, pw);
        });
        let up = resize(ps.clone(), ph, pw);
        time("  split + scale", &mut || {
            let _ = up.clone().narrow(1, 0, 4).mul_scalar(2.0);
            let _ = up.clone().narrow(1, 4, 1);
            let _ = up.clone().narrow(1, 5, 8);
        });
        time(&format!("  resize 28ch -> 1/{s}"), &mut || {
            let _ = resize(x.clone().narrow(1, 0, 24), hs, ws);
        });
    }
    let img = Tensor::<4>::zeros([2, 7, ph, pw], &device);
    let fl2 = Tensor::<4>::ones([2, 2, ph, pw], &device);
    time("warp 2x7ch full res", &mut || {
        let _ = warp(img.clone(), fl2.clone());
    });
    time("cat 7 tensors -> 24ch full res", &mut || {
        let _ = Tensor::cat(
            vec![
                x.clone().narrow(1, 0, 3),
                x.clone().narrow(1, 3, 3),
                x.clone().narrow(1, 6, 4),
                x.clone().narrow(1, 10, 4),
                x.clone().narrow(1, 14, 1),
                x.clone().narrow(1, 15, 1),
                x.clone().narrow(1, 16, 8),
            ],
            1,
        );
    });
    Ok(())
}
