//! `inbetween`: RIFE 4.25 frame interpolation from the command line.
//!
//! ```text
//! inbetween A.png B.png -o OUT.png [--t 0.5] [--scale 1] [--backend cpu|gpu]
//! inbetween FRAMES_DIR --multi 4 -o OUT_DIR
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use inbetween::{BackendKind, Frame, ImageRef, Interpolated, Interpolator, Timestep, read_f32};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(version, about = "Make in-between frames with RIFE 4.25")]
struct Args {
    /// Two images (A B), or one folder of frames with --multi.
    #[arg(required = true, num_args = 1..=2)]
    inputs: Vec<PathBuf>,
    /// Output image (pair mode) or output folder (--multi).
    #[arg(short, long)]
    output: PathBuf,
    /// Time of the new frame between A (0) and B (1).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    t: f32,
    /// Flow resolution factor, 0.25 to 4: below 1 for 4K or large motion, above 1 for small detail.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    scale: f32,
    /// Compute backend.
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    /// Converted model file (made by `inbetween-weights`).
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// Folder mode: write N-1 in-betweens between each pair of consecutive frames, so the
    /// output folder holds the full sequence at N times the frame rate.
    #[arg(long)]
    multi: Option<usize>,
    /// Use a per-pixel time map: a top-to-bottom ramp from 0 to 1 (a rolling-shutter look).
    /// Replaces --t.
    #[arg(long)]
    time_ramp: bool,
    /// Also write the flow to frame A as a colour-coded image.
    #[arg(long)]
    flow: Option<PathBuf>,
    /// Also write the blend mask (white = taken from A) as a grey image.
    #[arg(long)]
    mask: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

fn run(args: Args) -> AnyResult<()> {
    // Check cheap arguments before loading the model.
    if !(args.t.is_finite() && (0.0..=1.0).contains(&args.t)) {
        return Err(inbetween::Error::Timestep(args.t).into());
    }
    if !(args.scale.is_finite() && (0.25..=4.0).contains(&args.scale)) {
        return Err(inbetween::Error::Scale(args.scale).into());
    }
    match (args.multi, args.inputs.len()) {
        (Some(n), 1) => {
            if n < 2 {
                return Err("--multi must be at least 2 (2 doubles the frame rate)".into());
            }
            let frames = list_frames(&args.inputs[0])?;
            let interp = Interpolator::from_file(&args.model, args.backend)?;
            run_multi(&interp, &frames, n, &args)
        }
        (Some(_), _) => Err("--multi takes one folder of frames".into()),
        (None, 2) => {
            let a = load(&args.inputs[0])?;
            let b = load(&args.inputs[1])?;
            if a.dimensions() != b.dimensions() {
                let (aw, ah) = a.dimensions();
                let (bw, bh) = b.dimensions();
                return Err(format!(
                    "{} is {aw}x{ah} but {} is {bw}x{bh}: both images must have the same size",
                    args.inputs[0].display(),
                    args.inputs[1].display()
                )
                .into());
            }
            let interp = Interpolator::from_file(&args.model, args.backend)?;
            let fa = prepare(&interp, &a, args.scale)?;
            let fb = prepare(&interp, &b, args.scale)?;
            let t = if args.time_ramp {
                Timestep::vertical_ramp(fa.width, fa.height, 0.0, 1.0)
            } else {
                Timestep::Uniform(args.t)
            };
            let out = interp.interpolate(&fa, &fb, &t)?;
            save(&out, &args.output)?;
            if let Some(path) = &args.flow {
                save_flow(&out, path)?;
            }
            if let Some(path) = &args.mask {
                save_mask(&out, path)?;
            }
            Ok(())
        }
        (None, _) => Err("give two images (A B), or one folder with --multi N".into()),
    }
}

fn load(path: &Path) -> AnyResult<image::RgbImage> {
    let img = image::ImageReader::open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .decode()
        .map_err(|e| format!("cannot decode {}: {e}", path.display()))?;
    Ok(img.to_rgb8())
}

fn prepare(interp: &Interpolator, img: &image::RgbImage, scale: f32) -> AnyResult<Frame> {
    let (w, h) = img.dimensions();
    Ok(interp.prepare(
        ImageRef::new(img.as_raw(), w as usize, h as usize, 3)?,
        scale,
    )?)
}

fn save(out: &Interpolated, path: &Path) -> AnyResult<()> {
    let rgb = out.frame_rgb8()?;
    let img =
        image::RgbImage::from_raw(out.width as u32, out.height as u32, rgb).expect("sized buffer");
    img.save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Flow to frame A as colour: hue is the direction, saturation the length (normalised to the
/// largest motion in the frame), the usual optical-flow colour wheel.
fn save_flow(out: &Interpolated, path: &Path) -> AnyResult<()> {
    let flow = read_f32(out.flow.clone())?; // [4][h][w]
    let plane = out.width * out.height;
    let (fx, fy) = (&flow[..plane], &flow[plane..2 * plane]);
    let max = fx
        .iter()
        .zip(fy)
        .map(|(x, y)| x.hypot(*y))
        .fold(1e-6f32, f32::max);
    let mut rgb = Vec::with_capacity(plane * 3);
    for (x, y) in fx.iter().zip(fy) {
        let hue = (y.atan2(*x) / std::f32::consts::TAU).rem_euclid(1.0) * 6.0;
        let sat = (x.hypot(*y) / max).min(1.0);
        let c = |k: f32| {
            let v = ((hue + k).rem_euclid(6.0) - 3.0).abs() - 1.0; // triangle wave, 0..1 after clamp
            (255.0 * (1.0 - sat * (1.0 - v.clamp(0.0, 1.0)))).round() as u8
        };
        rgb.extend([c(0.0), c(4.0), c(2.0)]);
    }
    let img =
        image::RgbImage::from_raw(out.width as u32, out.height as u32, rgb).expect("sized buffer");
    img.save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn save_mask(out: &Interpolated, path: &Path) -> AnyResult<()> {
    let mask = read_f32(out.mask.clone())?;
    let grey: Vec<u8> = mask
        .iter()
        .map(|m| (m.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let img = image::GrayImage::from_raw(out.width as u32, out.height as u32, grey)
        .expect("sized buffer");
    img.save(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn list_frames(dir: &Path) -> AnyResult<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?;
    let mut frames: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    frames.sort();
    if frames.len() < 2 {
        return Err(format!(
            "{} holds {} PNG/JPEG frames; at least 2 are needed",
            dir.display(),
            frames.len()
        )
        .into());
    }
    Ok(frames)
}

/// Writes the whole sequence: each source frame followed by its n-1 in-betweens, numbered
/// `000000.png`, ... Each source frame is decoded and encoded once and then reused for both
/// pairs it belongs to.
fn run_multi(interp: &Interpolator, frames: &[PathBuf], n: usize, args: &Args) -> AnyResult<()> {
    std::fs::create_dir_all(&args.output)
        .map_err(|e| format!("cannot create {}: {e}", args.output.display()))?;
    let ts: Vec<f32> = (1..n).map(|k| k as f32 / n as f32).collect();
    let bar = ProgressBar::new((frames.len() - 1) as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} pairs  {per_sec}  eta {eta}")
            .expect("template"),
    );
    let mut index = 0usize;
    let write_source = |img: &image::RgbImage, index: &mut usize| -> AnyResult<()> {
        let path = args.output.join(format!("{:06}.png", *index));
        img.save(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        *index += 1;
        Ok(())
    };
    let first = load(&frames[0])?;
    let size = first.dimensions();
    write_source(&first, &mut index)?;
    let mut prev = prepare(interp, &first, args.scale)?;
    for path in &frames[1..] {
        let img = load(path)?;
        if img.dimensions() != size {
            return Err(format!(
                "{} is {}x{} but the first frame is {}x{}",
                path.display(),
                img.width(),
                img.height(),
                size.0,
                size.1
            )
            .into());
        }
        let next = prepare(interp, &img, args.scale)?;
        for out in interp.interpolate_many(&prev, &next, &ts)? {
            save(&out, &args.output.join(format!("{index:06}.png")))?;
            index += 1;
        }
        write_source(&img, &mut index)?;
        prev = next;
        bar.inc(1);
    }
    bar.finish();
    eprintln!("wrote {index} frames to {}", args.output.display());
    Ok(())
}
