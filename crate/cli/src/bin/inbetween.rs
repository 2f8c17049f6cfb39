//! `inbetween`: RIFE 4.25 frame interpolation from the command line.
//!
//! ```text
//! inbetween A.png B.png -o OUT.png [--t 0.5] [--scale 1|auto] [--backend cpu|gpu]
//! inbetween FRAMES_DIR --multi 4 -o OUT_DIR [--overwrite]
//! ```
//!
//! The rule of this file: the input is never touched, and every check that can fail runs before
//! the model is loaded. Outputs are written to a temporary name and renamed into place, so an
//! interrupted or failed run never leaves a half-written image under the final name.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use image::{DynamicImage, ImageFormat};
use inbetween::{
    BackendKind, Frame, ImageRef, Interpolated, Interpolator, Options, SCALE_RANGE, Timestep,
    read_f32,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Largest `--multi`. Each in-between is written as soon as it is made, so memory does not grow
/// with N; the bound only catches typos (`--multi 40000`) before hours of work.
const MAX_MULTI: usize = 1000;

#[derive(Parser)]
#[command(version, about = "Make in-between frames with RIFE 4.25")]
struct Args {
    /// Two images (A B), or one folder of frames with --multi.
    #[arg(required = true, num_args = 1..=2)]
    inputs: Vec<PathBuf>,
    /// Output image (pair mode: .png, .jpg or .jpeg) or output folder (--multi).
    #[arg(short, long)]
    output: PathBuf,
    /// Time of the new frame between A (0) and B (1); 0.5 when not given. Pair mode only.
    #[arg(long, allow_negative_numbers = true)]
    t: Option<f32>,
    /// Flow resolution factor, 0.25 to 4: below 1 for 4K or large motion, above 1 for small detail.
    /// `auto`: chosen for each pair from the motion RIFE's coarsest block sees and the frame size
    /// (issue 12; 1 for most footage up to 1080p, 0.5 for fast motion from 480 lines up).
    #[arg(long, default_value = "1", allow_negative_numbers = true, value_parser = parse_scale)]
    scale: Scale,
    /// Keep still regions (burnt-in captions, logos, scores) from the inputs instead of what the
    /// warps drag in from the motion around them (issue 12's static guard; off: RIFE's output).
    #[arg(long)]
    static_guard: bool,
    /// `best`: also run the mirrored pair and average (about 1.9x the time, +1.2 dB on the
    /// quality bench); `fast`: RIFE once.
    #[arg(long, default_value = "fast")]
    quality: Quality,
    /// Compute backend.
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    /// Converted model file (made by `inbetween-weights`).
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// Folder mode: write N-1 in-betweens between each pair of consecutive frames, so the
    /// output folder holds the full sequence at N times the frame rate. Frames are taken in
    /// natural order (f2 before f10).
    #[arg(long)]
    multi: Option<usize>,
    /// With --multi: the output folder may hold an earlier run's frames; they are replaced, and
    /// numbered frames beyond this run's last one are removed. Other files are left alone.
    #[arg(long)]
    overwrite: bool,
    /// Use a per-pixel time map: a top-to-bottom ramp from 0 to 1 (a rolling-shutter look).
    /// Replaces --t. Pair mode only.
    #[arg(long)]
    time_ramp: bool,
    /// Also write the flow to frame A as a colour-coded image. Pair mode only.
    #[arg(long)]
    flow: Option<PathBuf>,
    /// Also write the blend mask (white = taken from A) as a grey image. Pair mode only.
    #[arg(long)]
    mask: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq)]
enum Scale {
    Fixed(f32),
    Auto,
}

/// `auto` or a number; the range is checked in `run`, with the core's message.
fn parse_scale(s: &str) -> Result<Scale, String> {
    if s == "auto" {
        return Ok(Scale::Auto);
    }
    s.parse::<f32>()
        .map(Scale::Fixed)
        .map_err(|_| format!("'{s}' is not a number or 'auto'"))
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Quality {
    Fast,
    Best,
}

fn main() -> ExitCode {
    inbetween_cli::alloc::keep_freed_memory();
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
    // Cheap arguments first: nothing is read, loaded or written before they pass.
    if let Some(t) = args.t
        && !(t.is_finite() && (0.0..=1.0).contains(&t))
    {
        return Err(inbetween::Error::Timestep(t).into());
    }
    if let Scale::Fixed(scale) = args.scale
        && !(scale.is_finite() && (SCALE_RANGE.0..=SCALE_RANGE.1).contains(&scale))
    {
        return Err(inbetween::Error::Scale(scale).into());
    }
    match (args.multi, args.inputs.len()) {
        (Some(n), 1) => {
            check_multi_args(&args, n)?;
            let frames = list_frames(&args.inputs[0])?;
            let size = check_frame_sizes(&frames)?;
            let plan = OutputFolder::check(&args.inputs[0], &args.output, args.overwrite)?;
            let interp = Interpolator::from_file(&args.model, args.backend)?;
            run_multi(&interp, &frames, size, n, &plan, &args)
        }
        (Some(_), _) => Err("--multi takes one folder of frames".into()),
        (None, 2) => {
            if args.overwrite {
                return Err(
                    "--overwrite is for --multi folders; in pair mode -o replaces its file".into(),
                );
            }
            if args.t.is_some() && args.time_ramp {
                return Err("--t and --time-ramp both set the time: give one".into());
            }
            let outputs = check_pair_outputs(&args)?;
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
            let mut pa = prepare(&interp, &a, args.scale)?;
            let mut pb = prepare(&interp, &b, args.scale)?;
            let (fa, fb, scale) = pair_at_scale(&interp, &mut pa, &mut pb, args.scale)?;
            if args.scale == Scale::Auto {
                eprintln!("scale auto: {scale}");
            }
            let t = if args.time_ramp {
                Timestep::vertical_ramp(fa.width, fa.height, 0.0, 1.0)
            } else {
                Timestep::Uniform(args.t.unwrap_or(0.5))
            };
            let out = interp.interpolate_with(fa, fb, &t, &options(&args))?;
            save(&out, &outputs[0])?;
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

/// Options that only mean something for one pair; with --multi they would be ignored, so they
/// are refused instead.
/// The options of issue 12 that the flags ask for.
fn options(args: &Args) -> Options {
    Options {
        static_guard: args.static_guard,
        mirror_average: args.quality == Quality::Best,
    }
}

fn check_multi_args(args: &Args, n: usize) -> AnyResult<()> {
    if !(2..=MAX_MULTI).contains(&n) {
        return Err(format!(
            "--multi must be from 2 to {MAX_MULTI} (2 doubles the frame rate); got {n}"
        )
        .into());
    }
    let mut pair_only = Vec::new();
    if args.t.is_some() {
        pair_only.push("--t");
    }
    if args.time_ramp {
        pair_only.push("--time-ramp");
    }
    if args.flow.is_some() {
        pair_only.push("--flow");
    }
    if args.mask.is_some() {
        pair_only.push("--mask");
    }
    if !pair_only.is_empty() {
        return Err(format!(
            "{} cannot be used with --multi: --multi {n} makes the in-betweens at t = k/{n}; \
             use pair mode (A B -o OUT) for one time or a time map",
            pair_only.join(", ")
        )
        .into());
    }
    Ok(())
}

/// The image format for an output path, from its extension.
fn output_format(path: &Path) -> AnyResult<ImageFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => Ok(ImageFormat::Png),
        Some("jpg" | "jpeg") => Ok(ImageFormat::Jpeg),
        _ => Err(format!(
            "cannot write {}: the file name must end in .png, .jpg or .jpeg",
            path.display()
        )
        .into()),
    }
}

/// `path` made absolute with symbolic links resolved, also when `path` itself does not exist yet
/// (its parent must). Two paths name the same file exactly when these are equal.
fn resolved(path: &Path) -> AnyResult<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Ok(p);
    }
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let parent = parent.canonicalize().map_err(|e| {
        format!(
            "cannot write {}: folder {} ({e})",
            path.display(),
            parent.display()
        )
    })?;
    Ok(parent.join(name))
}

/// Pair mode: each output has a known format and an existing folder, names no input, and no two
/// outputs name the same file. Returns the outputs (image, flow, mask) in that order.
fn check_pair_outputs(args: &Args) -> AnyResult<Vec<PathBuf>> {
    let inputs = args
        .inputs
        .iter()
        .map(|p| {
            p.canonicalize()
                .map_err(|e| format!("cannot open {}: {e}", p.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs: Vec<&PathBuf> = std::iter::once(&args.output)
        .chain(args.flow.iter())
        .chain(args.mask.iter())
        .collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    for out in &outputs {
        output_format(out)?;
        let real = resolved(out)?;
        if inputs.contains(&real) {
            return Err(format!(
                "{} is one of the input images: writing it would destroy that input; \
                 choose another output name",
                out.display()
            )
            .into());
        }
        if seen.contains(&real) {
            return Err(format!("{} is named as two of the outputs", out.display()).into());
        }
        if real.is_dir() {
            return Err(format!("cannot write {}: it is a folder", out.display()).into());
        }
        seen.push(real);
    }
    Ok(outputs.into_iter().cloned().collect())
}

/// What the output folder of a --multi run holds before the run, checked before any work.
struct OutputFolder {
    dir: PathBuf,
    /// Frames named like ours (`NNNNNN.png`) left by an earlier run (only with --overwrite).
    earlier: Vec<(usize, PathBuf)>,
}

impl OutputFolder {
    fn check(input: &Path, output: &Path, overwrite: bool) -> AnyResult<Self> {
        let input = input
            .canonicalize()
            .map_err(|e| format!("cannot read folder {}: {e}", input.display()))?;
        if output.exists() && !output.is_dir() {
            return Err(format!("{} exists and is not a folder", output.display()).into());
        }
        if output.exists() && output.canonicalize()? == input {
            return Err(format!(
                "the output folder {} is the input folder: the sequence would overwrite the \
                 frames it is made from; choose another folder (nothing was written)",
                output.display()
            )
            .into());
        }
        let mut earlier = Vec::new();
        if output.exists() {
            let mut others = 0usize;
            for entry in std::fs::read_dir(output)
                .map_err(|e| format!("cannot read folder {}: {e}", output.display()))?
            {
                let path = entry?.path();
                match our_frame_index(&path) {
                    Some(i) => earlier.push((i, path)),
                    None => others += 1,
                }
            }
            if !overwrite && (!earlier.is_empty() || others > 0) {
                return Err(format!(
                    "the output folder {} is not empty ({} entries): pass --overwrite to replace \
                     an earlier run's frames, or choose an empty or new folder (nothing was written)",
                    output.display(),
                    earlier.len() + others
                )
                .into());
            }
        }
        Ok(Self {
            dir: output.to_path_buf(),
            earlier,
        })
    }
}

/// `Some(i)` for a file this tool writes in --multi mode: six or more digits, then `.png`.
fn our_frame_index(path: &Path) -> Option<usize> {
    if path.extension()? != "png" || !path.is_file() {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    if stem.len() < 6 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

fn load(path: &Path) -> AnyResult<image::RgbImage> {
    Ok(inbetween_cli::decode::load(path)?)
}

fn upright_size(path: &Path) -> AnyResult<(u32, u32)> {
    Ok(inbetween_cli::decode::upright_size(path)?)
}

/// Reads every frame's header before the model loads, so a frame of another size or an
/// unreadable file is reported before any work (and before the output folder is touched).
fn check_frame_sizes(frames: &[PathBuf]) -> AnyResult<(u32, u32)> {
    let size = upright_size(&frames[0])?;
    for path in &frames[1..] {
        let s = upright_size(path)?;
        if s != size {
            return Err(format!(
                "{} is {}x{} but {} is {}x{}: all frames must have the same size",
                path.display(),
                s.0,
                s.1,
                frames[0].display(),
                size.0,
                size.1
            )
            .into());
        }
    }
    Ok(size)
}

/// A prepared frame and, with `--scale auto`, the same frame at the smaller scale its last pair
/// chose: the next pair often chooses it too, and then the frame is not encoded again.
struct Prepared {
    base: Frame,
    other: Option<Frame>,
}

/// Prepares `img` at the fixed scale, or for `auto` at the size's own scale (`size_scale`), which
/// automatic scale measures the motion at and never goes above.
fn prepare(interp: &Interpolator, img: &image::RgbImage, scale: Scale) -> AnyResult<Prepared> {
    let (w, h) = img.dimensions();
    let scale = match scale {
        Scale::Fixed(s) => s,
        Scale::Auto => inbetween::size_scale(w as usize, h as usize),
    };
    let base = interp.prepare(
        ImageRef::new(img.as_raw(), w as usize, h as usize, 3)?,
        scale,
    )?;
    Ok(Prepared { base, other: None })
}

/// `p` at `scale`: the frame as prepared, or made again from its pixels (`rescaled`) once.
fn at_scale<'p>(interp: &Interpolator, p: &'p mut Prepared, scale: f32) -> AnyResult<&'p Frame> {
    if p.base.scale == scale {
        return Ok(&p.base);
    }
    if p.other.as_ref().is_none_or(|f| f.scale != scale) {
        p.other = Some(interp.rescaled(&p.base, scale)?);
    }
    Ok(p.other.as_ref().expect("just made"))
}

/// The pair's two frames at the scale it runs at: the fixed one, or for `auto` the scale
/// `choose_scale` picks from the pair's motion (measured on the frames as prepared).
fn pair_at_scale<'p>(
    interp: &Interpolator,
    a: &'p mut Prepared,
    b: &'p mut Prepared,
    scale: Scale,
) -> AnyResult<(&'p Frame, &'p Frame, f32)> {
    let scale = match scale {
        Scale::Fixed(s) => s,
        Scale::Auto => interp.choose_scale(&a.base, &b.base)?.0,
    };
    Ok((
        at_scale(interp, a, scale)?,
        at_scale(interp, b, scale)?,
        scale,
    ))
}

/// Writes `img` to a temporary name beside `path`, then renames it into place: `path` is either
/// its old self or the whole new image, never a truncated file.
fn write_image(img: &DynamicImage, path: &Path) -> AnyResult<()> {
    let format = output_format(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = img
        .save_with_format(&tmp, format)
        .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn save(out: &Interpolated, path: &Path) -> AnyResult<()> {
    let rgb = out.frame_rgb8()?;
    let img =
        image::RgbImage::from_raw(out.width as u32, out.height as u32, rgb).expect("sized buffer");
    write_image(&DynamicImage::ImageRgb8(img), path)
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
    write_image(&DynamicImage::ImageRgb8(img), path)
}

fn save_mask(out: &Interpolated, path: &Path) -> AnyResult<()> {
    let mask = read_f32(out.mask.clone())?;
    let grey: Vec<u8> = mask
        .iter()
        .map(|m| (m.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let img = image::GrayImage::from_raw(out.width as u32, out.height as u32, grey)
        .expect("sized buffer");
    write_image(&DynamicImage::ImageLuma8(img), path)
}

/// Natural order of file names: runs of digits compare as numbers, so `f2` comes before `f10`
/// (frame dumps are often numbered without zero padding). Ties (`1` and `01`) fall back to the
/// plain string order, so the order is total and stable.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let dx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let dy = y.iter().take_while(|c| c.is_ascii_digit()).count();
                // Compare the digit runs as numbers of any length: without leading zeros, the
                // longer one is larger; equal lengths compare digit by digit.
                let trim = |d: &[u8]| {
                    let z = d.iter().take_while(|&&c| c == b'0').count();
                    d[z..].to_vec()
                };
                let (nx, ny) = (trim(&x[..dx]), trim(&y[..dy]));
                let ord = nx.len().cmp(&ny.len()).then_with(|| nx.cmp(&ny));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[dx..];
                y = &y[dy..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn list_frames(dir: &Path) -> AnyResult<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?;
    let mut frames: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        })
        .collect();
    frames.sort_by(|a, b| {
        natural_cmp(
            &a.file_name().unwrap_or_default().to_string_lossy(),
            &b.file_name().unwrap_or_default().to_string_lossy(),
        )
    });
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
/// pairs it belongs to; each in-between is written as soon as it is made, so memory stays flat
/// for any n.
fn run_multi(
    interp: &Interpolator,
    frames: &[PathBuf],
    size: (u32, u32),
    n: usize,
    out: &OutputFolder,
    args: &Args,
) -> AnyResult<()> {
    std::fs::create_dir_all(&out.dir)
        .map_err(|e| format!("cannot create {}: {e}", out.dir.display()))?;
    let bar = ProgressBar::new((frames.len() - 1) as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} pairs  {per_sec}  eta {eta}")
            .expect("template"),
    );
    let mut index = 0usize;
    let frame_path = |i: usize| out.dir.join(format!("{i:06}.png"));
    // Takes the frame: by then it is prepared (encoded), and only the file needs its pixels.
    let write_source = |img: image::RgbImage, index: &mut usize| -> AnyResult<()> {
        write_image(&DynamicImage::ImageRgb8(img), &frame_path(*index))?;
        *index += 1;
        Ok(())
    };
    let load_sized = |path: &Path| -> AnyResult<image::RgbImage> {
        let img = load(path)?;
        // The headers were checked up front; a file changed since then is still caught.
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
        Ok(img)
    };
    let first = load_sized(&frames[0])?;
    let mut prev = prepare(interp, &first, args.scale)?;
    write_source(first, &mut index)?;
    // With --scale auto: how many pairs ran at each scale, for the closing line.
    let mut scales: Vec<(f32, usize)> = Vec::new();
    for path in &frames[1..] {
        let img = load_sized(path)?;
        let mut next = prepare(interp, &img, args.scale)?;
        let (a, b, scale) = pair_at_scale(interp, &mut prev, &mut next, args.scale)?;
        match scales.iter_mut().find(|(s, _)| *s == scale) {
            Some((_, count)) => *count += 1,
            None => scales.push((scale, 1)),
        }
        for k in 1..n {
            let t = Timestep::Uniform(k as f32 / n as f32);
            save(
                &interp.interpolate_with(a, b, &t, &options(args))?,
                &frame_path(index),
            )?;
            index += 1;
        }
        write_source(img, &mut index)?;
        prev = next;
        bar.inc(1);
    }
    bar.finish();
    // An earlier, longer run's frames past this run's end would read as part of the sequence.
    for (i, path) in &out.earlier {
        if *i >= index {
            std::fs::remove_file(path)
                .map_err(|e| format!("cannot remove the stale frame {}: {e}", path.display()))?;
        }
    }
    eprintln!("wrote {index} frames to {}", out.dir.display());
    if args.scale == Scale::Auto {
        scales.sort_by(|x, y| y.0.total_cmp(&x.0));
        let counts: Vec<String> = scales.iter().map(|(s, n)| format!("{n} at {s}")).collect();
        eprintln!("scale auto: pairs {}", counts.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn natural_order() {
        let mut names = vec!["f10.png", "f2.png", "f1.png", "f02.png", "g.png", "f.png"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["f.png", "f1.png", "f02.png", "f2.png", "f10.png", "g.png"]
        );
        assert_eq!(
            natural_cmp("a99999999999999999999999", "a100000000000000000000000"),
            Less
        );
        assert_eq!(natural_cmp("frame_0009", "frame_0010"), Less);
        assert_eq!(natural_cmp("x", "x"), Equal);
    }
}
