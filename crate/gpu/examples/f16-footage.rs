//! `f16-footage`: the fast mode (f16 activation storage) against the f32 reference mode on real
//! photographs at 1080p and 4K (issue 9, item 4: ">= 48 dB PSNR against f32 on real 1080p and 4K
//! pairs, with no NaN or inf at 4K"). A bench that prints figures: nothing here asserts.
//!
//! Each pair is two windows of one large image: frame 0 is a `W x H` crop, frame 1 the window
//! moved by (dx, dy) and zoomed in by `zoom` about its centre (resampled, Catmull-Rom), so the flow
//! is a real, non-uniform field with large displacements, over real photographic detail at the
//! full resolution (no upscaling when the image is large enough: `--size` must fit in it).
//! `scripts/bench/f16-footage.sh` fetches the photos (Debian wallpaper packages) and runs this.
//!
//! ```text
//! cargo run -p inbetween-gpu --example f16-footage -- \
//!     --size 1920x1080 --scales 1,0.5 --motion 24,8 --zoom 1.01 IMAGE...
//! ```

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use image::imageops::{self, FilterType};
use inbetween_gpu::{Engine, Precision, Timestep, Weights, block_on};

#[derive(Parser)]
struct Args {
    /// The frame size, WxH.
    #[arg(long, default_value = "1920x1080")]
    size: String,
    /// Comma-separated RIFE scales.
    #[arg(long, default_value = "1,0.5")]
    scales: String,
    /// Frame 1's window offset from frame 0's, "dx,dy" in pixels.
    #[arg(long, default_value = "24,8", allow_hyphen_values = true)]
    motion: String,
    /// Frame 1's zoom about its window's centre (1 = a pure pan).
    #[arg(long, default_value_t = 1.01)]
    zoom: f32,
    /// Comma-separated storage modes to compare with f32: f16 (native `shader-f16` where the
    /// adapter has it), f16-packed (the `pack2x16float` form).
    #[arg(long, default_value = "f16")]
    modes: String,
    /// Also run the CPU port (burn, f32) and print the f32 engine's PSNR against it: the floor
    /// two f32 implementations of the same network reach on the case (summation order only).
    #[arg(long)]
    cpu: bool,
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// The photographs (PNG or JPEG), each at least the frame size plus the motion.
    images: Vec<PathBuf>,
}

/// One run's interpolated RGB and flow, as read back.
type Outputs = (Vec<f32>, Vec<f32>);

fn parse_pair<T: std::str::FromStr>(s: &str, sep: char) -> (T, T) {
    let (a, b) = s.split_once(sep).expect("a pair");
    let parse = |v: &str| v.trim().parse::<T>().ok().expect("a number");
    (parse(a), parse(b))
}

/// The two frames of one case, RGB8: a crop at the image's centre, and the same window moved by
/// (dx, dy) and zoomed.
fn pair(path: &PathBuf, w: u32, h: u32, dx: i64, dy: i64, zoom: f32) -> Option<(Vec<u8>, Vec<u8>)> {
    let img = image::open(path).ok()?.to_rgb8();
    let (iw, ih) = img.dimensions();
    let need_w = w as i64 + dx.abs() + 2;
    let need_h = h as i64 + dy.abs() + 2;
    if (iw as i64) < need_w || (ih as i64) < need_h {
        eprintln!(
            "{}: {iw}x{ih} is smaller than {need_w}x{need_h}; skipped (no upscaling)",
            path.display()
        );
        return None;
    }
    // Frame 0's window, centred so the moved one stays inside.
    let x0 = (iw as i64 - w as i64 - dx) / 2;
    let y0 = (ih as i64 - h as i64 - dy) / 2;
    let a = imageops::crop_imm(&img, x0 as u32, y0 as u32, w, h).to_image();
    // Frame 1: the moved window, shrunk by `zoom` about its centre, then resampled to W x H.
    let (zw, zh) = (
        (w as f32 / zoom).round() as u32,
        (h as f32 / zoom).round() as u32,
    );
    let cx = x0 + dx + (w as i64 - zw as i64) / 2;
    let cy = y0 + dy + (h as i64 - zh as i64) / 2;
    let crop = imageops::crop_imm(&img, cx as u32, cy as u32, zw, zh).to_image();
    let b = if (zw, zh) == (w, h) {
        crop
    } else {
        imageops::resize(&crop, w, h, FilterType::CatmullRom)
    };
    Some((a.into_raw(), b.into_raw()))
}

/// A photo's name: its file stem, or for a wallpaper package's `NAME/contents/images/WxH.jpg`
/// layout (the stem is only the size), NAME.
fn photo_name(p: &std::path::Path) -> String {
    let stem = p
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    if !stem.starts_with(|c: char| c.is_ascii_digit()) {
        return stem;
    }
    p.ancestors()
        .nth(3)
        .and_then(|d| d.file_name())
        .map_or(stem.clone(), |n| format!("{}", n.to_string_lossy()))
}

fn psnr(a: &[f32], b: &[f32]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, |m, d| if d.is_nan() { f32::NAN } else { m.max(d) })
}

fn precision(name: &str) -> Precision {
    match name {
        "f32" => Precision::F32,
        "f16" => Precision::F16,
        "f16-packed" => Precision::F16Packed,
        other => panic!("unknown storage mode '{other}'"),
    }
}

fn main() {
    let args = Args::parse();
    let (w, h) = parse_pair::<u32>(&args.size, 'x');
    let (dx, dy) = parse_pair::<i64>(&args.motion, ',');
    let scales: Vec<f32> = args
        .scales
        .split(',')
        .map(|s| s.trim().parse().expect("a scale"))
        .collect();
    let weights = Weights::from_bytes(std::fs::read(&args.model).expect("the model")).unwrap();
    let t = Timestep::Uniform(0.5);
    let cases: Vec<(String, Vec<u8>, Vec<u8>)> = args
        .images
        .iter()
        .filter_map(|p| {
            let (a, b) = pair(p, w, h, dx, dy, args.zoom)?;
            Some((photo_name(p), a, b))
        })
        .collect();
    println!(
        "{w}x{h}, motion ({dx}, {dy}) px, zoom {}, t 0.5, {} photos",
        args.zoom,
        cases.len()
    );

    // One engine at a time: at 4K each holds several hundred MB of plan buffers.
    let run_all = |prec: Precision| -> Option<Vec<Vec<Outputs>>> {
        let engine = match block_on(Engine::request_with(&weights, prec)) {
            Ok(e) => e,
            Err(e) => {
                println!("{prec:?}: no engine ({e})");
                return None;
            }
        };
        let mut out = Vec::new();
        for (name, a, b) in &cases {
            let mut per_scale = Vec::new();
            for &scale in &scales {
                let start = Instant::now();
                let fa = engine.prepare(a, w as usize, h as usize, 3, scale).unwrap();
                let fb = engine.prepare(b, w as usize, h as usize, 3, scale).unwrap();
                let res = engine.interpolate(&fa, &fb, &t).unwrap();
                let rgb = block_on(engine.read_rgb(&res)).unwrap();
                let flow = block_on(engine.read_flow(&res)).unwrap();
                eprintln!(
                    "  {prec:?} {name} scale {scale}: {:.1} s",
                    start.elapsed().as_secs_f64()
                );
                per_scale.push((rgb, flow));
            }
            out.push(per_scale);
        }
        Some(out)
    };
    let Some(reference) = run_all(Precision::F32) else {
        return;
    };
    if args.cpu {
        let cpu = inbetween::Interpolator::from_file(&args.model, inbetween::BackendKind::Cpu)
            .expect("the CPU port");
        println!("| photo | scale | f32 engine PSNR vs the CPU port (dB) | max abs diff |");
        println!("|---|---|---|---|");
        for (ci, (name, a, b)) in cases.iter().enumerate() {
            for (si, &scale) in scales.iter().enumerate() {
                let (wu, hu) = (w as usize, h as usize);
                let fa = cpu
                    .prepare(inbetween::ImageRef::new(a, wu, hu, 3).unwrap(), scale)
                    .unwrap();
                let fb = cpu
                    .prepare(inbetween::ImageRef::new(b, wu, hu, 3).unwrap(), scale)
                    .unwrap();
                let out = cpu.interpolate(&fa, &fb, &t).unwrap();
                let want = inbetween::read_f32(out.frame).unwrap();
                let got = &reference[ci][si].0;
                println!(
                    "| {name} | {scale} | {:.1} | {:.2e} |",
                    psnr(got, &want),
                    max_abs_diff(got, &want)
                );
            }
        }
    }
    for mode in args.modes.split(',').map(str::trim) {
        let Some(got) = run_all(precision(mode)) else {
            continue;
        };
        println!(
            "| photo | scale | {mode} PSNR vs f32 (dB) | max abs diff | flow max abs diff (px) | NaN/inf |"
        );
        println!("|---|---|---|---|---|---|");
        for (ci, (name, _, _)) in cases.iter().enumerate() {
            for (si, scale) in scales.iter().enumerate() {
                let (rgb, flow) = &got[ci][si];
                let (ref_rgb, ref_flow) = &reference[ci][si];
                let bad = rgb.iter().chain(flow).filter(|v| !v.is_finite()).count();
                println!(
                    "| {name} | {scale} | {:.1} | {:.2e} | {:.2e} | {bad} |",
                    psnr(rgb, ref_rgb),
                    max_abs_diff(rgb, ref_rgb),
                    max_abs_diff(flow, ref_flow),
                );
            }
        }
    }
}
