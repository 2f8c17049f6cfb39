//! `quality`: the quality bench of issue 12 (a bench that prints figures, not a test). Cases with
//! exact ground truth, made from photos out of a package registry (scikit-image's sample data, in
//! its PyPI wheel), scored by PSNR and SSIM for a plain blend and for RIFE 4.25 at several flow
//! scales. What the cases are and where the photos come from: tests/quality/README.md.
//!
//! ```text
//! bash scripts/bench/quality.sh            # fetches the wheel once, builds, runs
//! cargo run -p inbetween-cli --example quality -- --wheel WHEEL [--scales 1,0.5,0.25] [--backend cpu]
//! ```
//!
//! Ground truth is exact because nothing is resampled: a pan moves a window over the photo by a
//! whole number of pixels `2d`, so the frame halfway is the window moved by `d`. A caption (the
//! `logo.png` sample, composited at a fixed place) rides on some pans: the static overlay of issue
//! 12, which the warps drag along with the motion around it.

use std::io::Read;
use std::path::PathBuf;

use clap::Parser;
use image::RgbImage;
use inbetween::{BackendKind, ImageRef, Interpolator, Timestep};

#[derive(Parser)]
struct Args {
    /// scikit-image's wheel (scripts/bench/quality.sh fetches scikit_image-0.25.2 from PyPI).
    #[arg(long)]
    wheel: PathBuf,
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// Flow scales to run RIFE at.
    #[arg(long, default_value = "1,0.5,0.25")]
    scales: String,
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    /// The window: the size of every frame.
    #[arg(long, default_value = "320x192")]
    size: String,
}

/// A case: two frames and the exact frame halfway between them.
struct Case {
    name: String,
    a: RgbImage,
    b: RgbImage,
    truth: RgbImage,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (w, h) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or("--size is WxH")?;
    let scales: Vec<f32> = args
        .scales
        .split(',')
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let photo = |name: &str| -> Result<RgbImage, Box<dyn std::error::Error>> {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&args.wheel)?)?;
        let mut bytes = Vec::new();
        zip.by_name(&format!("skimage/data/{name}"))?
            .read_to_end(&mut bytes)?;
        Ok(inbetween_cli::decode::load_bytes(&bytes)?)
    };
    let logo = photo("logo.png")?;
    let mut cases = Vec::new();
    // Photos large enough for a 320-wide window to pan 2 x 48 px across.
    for name in [
        "hubble_deep_field.jpg",
        "retina.jpg",
        "coffee.png",
        "astronaut.png",
        "chelsea.png",
    ] {
        let img = photo(name)?;
        for d in [2u32, 8, 24, 48] {
            for (dir, dx, dy) in [("right", 1i64, 0i64), ("down-left", -1, 1)] {
                let Some(case) = pan(&img, w, h, d, dx, dy, None) else {
                    continue;
                };
                cases.push(Case {
                    name: format!("{name} pan {dir} {d}px"),
                    ..case
                });
            }
            if d == 24
                && let Some(case) = pan(&img, w, h, d, 1, 0, Some(&logo))
            {
                cases.push(Case {
                    name: format!("{name} pan right {d}px + caption"),
                    ..case
                });
            }
        }
    }
    println!(
        "quality bench: {} cases at {w}x{h}, t = 0.5, backend {}",
        cases.len(),
        args.backend
    );
    let interp = Interpolator::from_file(&args.model, args.backend)?;
    let mut header = format!("{:<44} {:>13}", "case", "blend");
    for s in &scales {
        header += &format!(" {:>13}", format!("RIFE s={s}"));
    }
    println!("{header}\n{:<44} {:>13}", "", "PSNR / SSIM");
    let mut totals = vec![(0.0f64, 0.0f64); scales.len() + 1];
    for case in &cases {
        let mut line = format!("{:<44}", case.name);
        let blend = blend(&case.a, &case.b);
        let mut scored = vec![score(&blend, &case.truth)];
        for &s in &scales {
            let a = interp.prepare(
                ImageRef::new(case.a.as_raw(), w as usize, h as usize, 3)?,
                s,
            )?;
            let b = interp.prepare(
                ImageRef::new(case.b.as_raw(), w as usize, h as usize, 3)?,
                s,
            )?;
            let out = interp
                .interpolate(&a, &b, &Timestep::Uniform(0.5))?
                .frame_rgb8()?;
            let out = RgbImage::from_raw(w, h, out).ok_or("output size")?;
            scored.push(score(&out, &case.truth));
        }
        for (i, (p, q)) in scored.iter().enumerate() {
            line += &format!(" {p:>6.2} {q:.4}");
            totals[i].0 += p;
            totals[i].1 += q;
        }
        println!("{line}");
    }
    let n = cases.len() as f64;
    let mut line = format!("{:<44}", "mean");
    for (p, q) in &totals {
        line += &format!(" {:>6.2} {:.4}", p / n, q / n);
    }
    println!("{line}");
    Ok(())
}

/// Frames of a window `w x h` panning over `img`: at the start, moved by `2d` along (dx, dy), and
/// halfway (moved by `d`), optionally with `caption` composited at the same place on each (a
/// static overlay). None if the photo is too small for the move.
fn pan(
    img: &RgbImage,
    w: u32,
    h: u32,
    d: u32,
    dx: i64,
    dy: i64,
    caption: Option<&RgbImage>,
) -> Option<Case> {
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    let span_x = 2 * d as i64 * dx.abs();
    let span_y = 2 * d as i64 * dy.abs();
    if iw < w as i64 + span_x || ih < h as i64 + span_y {
        return None;
    }
    // Start where the whole move stays inside the photo, centred on what is left.
    let x0 = (iw - w as i64 - span_x) / 2 + if dx < 0 { span_x } else { 0 };
    let y0 = (ih - h as i64 - span_y) / 2 + if dy < 0 { span_y } else { 0 };
    let at = |k: i64| {
        let mut f =
            image::imageops::crop_imm(img, (x0 + k * dx) as u32, (y0 + k * dy) as u32, w, h)
                .to_image();
        if let Some(c) = caption {
            overlay(&mut f, c);
        }
        f
    };
    Some(Case {
        name: String::new(),
        a: at(0),
        b: at(2 * d as i64),
        truth: at(d as i64),
    })
}

/// `caption` shrunk to a quarter of the frame's width, pasted near the bottom where a subtitle
/// sits; its dark background is kept out (a caption covers only its letters).
fn overlay(frame: &mut RgbImage, caption: &RgbImage) {
    let cw = frame.width() / 4;
    let ch = (caption.height() * cw / caption.width()).max(1);
    let small = image::imageops::resize(caption, cw, ch, image::imageops::FilterType::Triangle);
    let (ox, oy) = (
        frame.width() / 2 - cw / 2,
        frame.height().saturating_sub(ch + 8),
    );
    for (x, y, p) in small.enumerate_pixels() {
        if p.0.iter().map(|&v| v as u32).sum::<u32>() > 3 * 96 {
            frame.put_pixel(ox + x, oy + y, *p);
        }
    }
}

fn blend(a: &RgbImage, b: &RgbImage) -> RgbImage {
    let mut out = a.clone();
    for (o, (x, y)) in out
        .as_mut()
        .iter_mut()
        .zip(a.as_raw().iter().zip(b.as_raw()))
    {
        *o = (*x as u16 + *y as u16).div_ceil(2) as u8;
    }
    out
}

/// PSNR (dB, 8-bit RGB) and SSIM (mean over 8x8 windows of luma, stride 4; the constants of Wang et
/// al. 2004, K1 = 0.01, K2 = 0.03, L = 255).
fn score(x: &RgbImage, y: &RgbImage) -> (f64, f64) {
    let mse = x
        .as_raw()
        .iter()
        .zip(y.as_raw())
        .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
        .sum::<f64>()
        / x.as_raw().len() as f64;
    let psnr = if mse == 0.0 {
        99.0
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    };
    let luma = |img: &RgbImage| -> Vec<f64> {
        img.pixels()
            .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
            .collect()
    };
    let (lx, ly) = (luma(x), luma(y));
    let (w, h) = (x.width() as usize, x.height() as usize);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut sum, mut n) = (0.0, 0usize);
    for y0 in (0..h.saturating_sub(7)).step_by(4) {
        for x0 in (0..w.saturating_sub(7)).step_by(4) {
            let (mut mx, mut my, mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for j in y0..y0 + 8 {
                for i in x0..x0 + 8 {
                    let (a, b) = (lx[j * w + i], ly[j * w + i]);
                    mx += a;
                    my += b;
                    xx += a * a;
                    yy += b * b;
                    xy += a * b;
                }
            }
            let k = 64.0;
            let (mx, my) = (mx / k, my / k);
            let (vx, vy, cov) = (xx / k - mx * mx, yy / k - my * my, xy / k - mx * my);
            sum += ((2.0 * mx * my + c1) * (2.0 * cov + c2))
                / ((mx * mx + my * my + c1) * (vx + vy + c2));
            n += 1;
        }
    }
    (psnr, sum / n.max(1) as f64)
}
