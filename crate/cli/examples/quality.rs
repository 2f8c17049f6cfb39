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
use inbetween::{BackendKind, ImageRef, Interpolator, Options, Timestep};

#[derive(Parser)]
struct Args {
    /// scikit-image's wheel (scripts/bench/quality.sh fetches scikit_image-0.25.2 from PyPI).
    #[arg(long)]
    wheel: PathBuf,
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// Methods to score, besides the blend: `s=1` (RIFE 4.25 at scale 1, the reference), `s=0.5`,
    /// `s=auto` (the scale chosen per pair from the coarse block's motion, `auto_scale`),
    /// `s=1+guard` (the static guard), `s=1+flip` / `s=1+rev` / `s=1+flip+rev` (test-time
    /// augmentation: a horizontally flipped and/or time-reversed pass averaged in).
    #[arg(long, default_value = "s=1,s=0.5,s=1+guard")]
    methods: String,
    #[arg(long, default_value = "cpu")]
    backend: BackendKind,
    /// The window: the size of every frame.
    #[arg(long, default_value = "320x192")]
    size: String,
    /// Upscale every photo by this factor (Lanczos) before the windows are cut, and scale the
    /// motions with it: larger frames with the same content (--size 960x576 --upscale 3 is the
    /// 320x192 bench at 3x). The truth stays exact: only the photo is resampled, once.
    #[arg(long, default_value_t = 1)]
    upscale: u32,
    /// Only the cases whose name contains this (or one of several, split by `|`).
    #[arg(long, default_value = "")]
    only: String,
}

/// What a case is for: the means of the bench's table are per kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    /// Pans of 2 x 2 and 2 x 8 px: ordinary footage.
    Ordinary,
    /// Pans of 2 x 24 and 2 x 48 px.
    Large,
    /// A static caption or logo over a pan; scored also on the overlay's pixels.
    Overlay,
    /// A thin bar moving fast over a still photo; scored also on the bar's pixels at t = 0.5. The
    /// guard must not freeze it (the bar is in neither input where it is halfway).
    Thin,
    /// Independent noise on every frame (sensor-like): the guard must not take it for motion or
    /// stillness it is not.
    Noise,
}

/// A case: two frames and the exact frame halfway between them.
struct Case {
    name: String,
    kind: Kind,
    a: RgbImage,
    b: RgbImage,
    truth: RgbImage,
    /// Pixels scored on their own (the overlay, the bar), if any.
    region: Option<Vec<bool>>,
}

/// One case's score: its kind, PSNR, SSIM and PSNR on its region.
type Scored = (Kind, f64, f64, Option<f64>);

/// One way of making the frame halfway.
#[derive(Clone)]
struct Method {
    name: String,
    /// None: `s=auto`, the scale chosen per pair (`inbetween::auto_scale`).
    scale: Option<f32>,
    guard: bool,
    flip: bool,
    rev: bool,
}

fn parse_method(s: &str) -> Result<Method, String> {
    let mut parts = s.split('+');
    let scale = match parts.next().and_then(|p| p.strip_prefix("s=")) {
        Some("auto") => None,
        Some(v) => Some(
            v.parse()
                .map_err(|_| format!("method {s}: starts with s=SCALE or s=auto"))?,
        ),
        None => return Err(format!("method {s}: starts with s=SCALE or s=auto")),
    };
    let mut m = Method {
        name: s.to_string(),
        scale,
        guard: false,
        flip: false,
        rev: false,
    };
    for p in parts {
        match p {
            "guard" => m.guard = true,
            "flip" => m.flip = true,
            "rev" => m.rev = true,
            _ => return Err(format!("method {s}: unknown part {p}")),
        }
    }
    Ok(m)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (w, h) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or("--size is WxH")?;
    let methods: Vec<Method> = args
        .methods
        .split(',')
        .map(parse_method)
        .collect::<Result<_, _>>()?;
    let photo = |name: &str| -> Result<RgbImage, Box<dyn std::error::Error>> {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&args.wheel)?)?;
        let mut bytes = Vec::new();
        zip.by_name(&format!("skimage/data/{name}"))?
            .read_to_end(&mut bytes)?;
        let img = inbetween_cli::decode::load_bytes(&bytes)?;
        Ok(if args.upscale > 1 {
            let k = args.upscale;
            image::imageops::resize(
                &img,
                img.width() * k,
                img.height() * k,
                image::imageops::FilterType::Lanczos3,
            )
        } else {
            img
        })
    };
    let k = args.upscale;
    let logo = photo("logo.png")?;
    let text = photo("text.png")?;
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
        for d in [2u32 * k, 8 * k, 24 * k, 48 * k] {
            let kind = if d <= 8 * k {
                Kind::Ordinary
            } else {
                Kind::Large
            };
            for (dir, dx, dy) in [("right", 1i64, 0i64), ("down-left", -1, 1)] {
                if let Some(case) = pan(&img, w, h, d, dx, dy, None) {
                    cases.push(Case {
                        name: format!("{name} pan {dir} {d}px"),
                        kind,
                        ..case
                    });
                }
            }
        }
        // Overlays: a subtitle (logo.png's letters) at the bottom, and a boxed HUD / score (a
        // crop of text.png, opaque) in the top-right corner, over pans of 2 x 8 and 2 x 24 px.
        for (d, dx, dy, dir) in [(24 * k, 1i64, 0i64, "right"), (8 * k, -1, 1, "down-left")] {
            for (what, ov) in [
                ("caption", Overlay::Caption(&logo)),
                ("hud", Overlay::Hud(&text)),
            ] {
                if let Some(case) = pan(&img, w, h, d, dx, dy, Some(ov)) {
                    cases.push(Case {
                        name: format!("{name} pan {dir} {d}px + {what}"),
                        kind: Kind::Overlay,
                        ..case
                    });
                }
            }
        }
    }
    // Thin fast objects over still photos: a 3 x 40 px bar crossing 2d px between the frames.
    for name in ["camera.png", "coffee.png", "astronaut.png"] {
        let img = photo(name)?;
        for d in [6u32, 12, 24, 40] {
            cases.push(Case {
                name: format!("{name} still, bar {d}px"),
                ..bar(&img, w, h, d)
            });
        }
    }
    // Noise (sigma 3 of 255, new on every frame, the truth too) on a still photo, a small pan and
    // a captioned pan.
    let coffee = photo("coffee.png")?;
    for (name, d, ov) in [
        ("coffee.png still + noise", 0u32, None),
        ("coffee.png pan right 8px + noise", 8, None),
        (
            "coffee.png pan right 24px + caption + noise",
            24,
            Some(Overlay::Caption(&logo)),
        ),
    ] {
        let mut case = pan(&coffee, w, h, d, 1, 0, ov).ok_or("coffee is large enough")?;
        for (k, f) in [&mut case.a, &mut case.b, &mut case.truth]
            .into_iter()
            .enumerate()
        {
            add_noise(f, 3.0, 1 + k as u64);
        }
        cases.push(Case {
            name: name.into(),
            kind: Kind::Noise,
            ..case
        });
    }
    cases.retain(|c| args.only.split('|').any(|o| c.name.contains(o)));
    println!(
        "quality bench: {} cases at {w}x{h}, t = 0.5, backend {}",
        cases.len(),
        args.backend
    );
    let interp = Interpolator::from_file(&args.model, args.backend)?;
    let mut header = format!("{:<52} {:>13}", "case", "blend");
    for m in &methods {
        header += &format!(" {:>13}", m.name);
    }
    println!("{header}\n{:<52} {:>13}", "", "PSNR / SSIM");
    // Per method (blend first): every case's (kind, psnr, ssim, region psnr).
    let mut scores: Vec<Vec<Scored>> = vec![Vec::new(); methods.len() + 1];
    let mut seconds = vec![0f64; methods.len()];
    for case in &cases {
        let mut line = format!("{:<52}", case.name);
        let mut outs = vec![blend(&case.a, &case.b)];
        for (i, m) in methods.iter().enumerate() {
            let start = std::time::Instant::now();
            outs.push(run(&interp, m, &case.a, &case.b)?);
            seconds[i] += start.elapsed().as_secs_f64();
        }
        for (i, out) in outs.iter().enumerate() {
            let (p, q) = score(out, &case.truth);
            let r = case.region.as_ref().map(|r| psnr_in(out, &case.truth, r));
            line += &format!(" {p:>6.2} {q:.4}");
            if let Some(r) = r {
                line += &format!(" [{r:.2}]");
            }
            scores[i].push((case.kind, p, q, r));
        }
        println!("{line}");
    }
    println!("\nmeans (PSNR dB / SSIM; [PSNR on the overlay or bar pixels])");
    let mut header = format!("{:<24} {:>5}", "cases", "n");
    for name in std::iter::once("blend").chain(methods.iter().map(|m| m.name.as_str())) {
        header += &format!(" {name:>22}");
    }
    println!("{header}");
    let kinds = [
        ("all", None),
        ("ordinary", Some(Kind::Ordinary)),
        ("large motion", Some(Kind::Large)),
        ("overlay", Some(Kind::Overlay)),
        ("thin fast bar", Some(Kind::Thin)),
        ("noise", Some(Kind::Noise)),
    ];
    for (label, kind) in kinds {
        let pick = |v: &Vec<Scored>| -> Vec<(f64, f64, Option<f64>)> {
            v.iter()
                .filter(|c| kind.is_none_or(|k| c.0 == k))
                .map(|c| (c.1, c.2, c.3))
                .collect()
        };
        let n = pick(&scores[0]).len();
        if n == 0 {
            continue;
        }
        let mut line = format!("{label:<24} {n:>5}");
        for s in &scores {
            let v = pick(s);
            let p = v.iter().map(|c| c.0).sum::<f64>() / n as f64;
            let q = v.iter().map(|c| c.1).sum::<f64>() / n as f64;
            let r: Vec<f64> = v.iter().filter_map(|c| c.2).collect();
            let cell = if kind.is_some() && !r.is_empty() {
                format!(
                    "{p:.2} {q:.3} [{:.2}]",
                    r.iter().sum::<f64>() / r.len() as f64
                )
            } else {
                format!("{p:.2} {q:.3}")
            };
            line += &format!(" {cell:>22}");
        }
        println!("{line}");
    }
    let base = seconds.first().copied().unwrap_or(1.0);
    let mut line = format!("{:<24} {:>5}", "time (ratio to first)", "");
    line += &format!(" {:>22}", "");
    for s in &seconds {
        line += &format!(" {:>22}", format!("{:.1} s ({:.2}x)", s, s / base));
    }
    println!("{line}");
    Ok(())
}

/// One method on one pair: RIFE at the method's scale, with its options.
fn run(
    interp: &Interpolator,
    m: &Method,
    a: &RgbImage,
    b: &RgbImage,
) -> Result<RgbImage, Box<dyn std::error::Error>> {
    let (w, h) = a.dimensions();
    // The mirrored pass is the library's own (`Options::mirror_average`); the time-reversed
    // one is run here, as the library has no such option (it did not win: see the README).
    let options = Options {
        static_guard: m.guard,
        mirror_average: m.flip,
    };
    let once = |a: &RgbImage, b: &RgbImage| -> Result<Vec<f32>, Box<dyn std::error::Error>> {
        let prep = |img: &RgbImage, scale: f32| {
            interp.prepare(
                ImageRef::new(img.as_raw(), w as usize, h as usize, 3)?,
                scale,
            )
        };
        // Automatic scale as the CLI and the package run it: prepared at the size's own scale,
        // measured there, made again from the frames only when another scale is chosen.
        let first = m
            .scale
            .unwrap_or_else(|| inbetween::size_scale(w as usize, h as usize));
        let (mut fa, mut fb) = (prep(a, first)?, prep(b, first)?);
        if m.scale.is_none() {
            let (scale, _motion) = interp.choose_scale(&fa, &fb)?;
            if scale != first {
                (fa, fb) = (interp.rescaled(&fa, scale)?, interp.rescaled(&fb, scale)?);
            }
        }
        let out = interp.interpolate_with(&fa, &fb, &Timestep::Uniform(0.5), &options)?;
        Ok(inbetween::read_f32(out.frame)?) // [3][h][w]
    };
    let mut sum = once(a, b)?;
    let mut n = 1.0;
    let mut add = |v: Vec<f32>| {
        for (s, v) in sum.iter_mut().zip(v) {
            *s += v;
        }
        n += 1.0;
    };
    if m.rev {
        add(once(b, a)?);
    }
    let planar: Vec<f32> = sum.iter().map(|v| v / n).collect();
    let rgb = inbetween::planar_to_u8(&planar, 3, w as usize, h as usize, 3);
    Ok(RgbImage::from_raw(w, h, rgb).ok_or("output size")?)
}

/// A static overlay drawn at the same place on every frame.
#[derive(Clone, Copy)]
enum Overlay<'a> {
    /// The bright letters of the image, a quarter of the frame wide, near the bottom (a subtitle).
    Caption(&'a RgbImage),
    /// An opaque box cut from the image's top-left, a fifth of the frame wide, in the top-right
    /// corner (a score, a HUD, a channel logo).
    Hud(&'a RgbImage),
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
    overlay: Option<Overlay<'_>>,
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
        let mut region = vec![false; (w * h) as usize];
        if let Some(o) = overlay {
            draw(&mut f, o, &mut region);
        }
        (f, region)
    };
    let (truth, region) = at(d as i64);
    Some(Case {
        name: String::new(),
        kind: Kind::Ordinary,
        a: at(0).0,
        b: at(2 * d as i64).0,
        truth,
        region: overlay.map(|_| region),
    })
}

/// A still `w x h` crop of `img` (its centre) with a bright 3 x 40 px bar that crosses `2d` px
/// to the right between the two frames; the truth has it halfway. The region is the bar there.
fn bar(img: &RgbImage, w: u32, h: u32, d: u32) -> Case {
    let (x0, y0) = ((img.width() - w) / 2, (img.height() - h) / 2);
    let still = image::imageops::crop_imm(img, x0, y0, w, h).to_image();
    let at = |bx: u32| {
        let mut f = still.clone();
        let mut region = vec![false; (w * h) as usize];
        for y in h / 2 - 20..h / 2 + 20 {
            for x in bx..bx + 3 {
                f.put_pixel(x, y, image::Rgb([250, 240, 60]));
                region[(y * w + x) as usize] = true;
            }
        }
        (f, region)
    };
    let start = w / 2 - d;
    let (truth, region) = at(start + d);
    Case {
        name: String::new(),
        kind: Kind::Thin,
        a: at(start).0,
        b: at(start + 2 * d).0,
        truth,
        region: Some(region),
    }
}

/// Adds Gaussian noise of `sigma` (8-bit levels) to every channel, from a fixed seed.
fn add_noise(img: &mut RgbImage, sigma: f64, seed: u64) {
    // splitmix64, then Box-Muller: deterministic and with no extra dependency.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    for v in img.as_mut() {
        let (u1, u2) = (next().max(1e-12), next());
        let n = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos() * sigma;
        *v = (*v as f64 + n).round().clamp(0.0, 255.0) as u8;
    }
}

/// PSNR (dB, 8-bit RGB) over the pixels where `region` is set.
fn psnr_in(x: &RgbImage, y: &RgbImage, region: &[bool]) -> f64 {
    let (mut se, mut n) = (0f64, 0usize);
    for (i, (p, q)) in x.pixels().zip(y.pixels()).enumerate() {
        if region[i] {
            for c in 0..3 {
                se += (p[c] as f64 - q[c] as f64).powi(2);
            }
            n += 3;
        }
    }
    if se == 0.0 {
        99.0
    } else {
        10.0 * (255.0f64 * 255.0 * n as f64 / se).log10()
    }
}

/// Draws `o` onto `frame`, marking its pixels in `region`.
fn draw(frame: &mut RgbImage, o: Overlay<'_>, region: &mut [bool]) {
    let fw = frame.width();
    match o {
        Overlay::Caption(caption) => {
            let cw = fw / 4;
            let ch = (caption.height() * cw / caption.width()).max(1);
            let small =
                image::imageops::resize(caption, cw, ch, image::imageops::FilterType::Triangle);
            let (ox, oy) = (fw / 2 - cw / 2, frame.height().saturating_sub(ch + 8));
            for (x, y, p) in small.enumerate_pixels() {
                // Its dark background is kept out: a caption covers only its letters.
                if p.0.iter().map(|&v| v as u32).sum::<u32>() > 3 * 96 {
                    frame.put_pixel(ox + x, oy + y, *p);
                    region[((oy + y) * fw + ox + x) as usize] = true;
                }
            }
        }
        Overlay::Hud(src) => {
            let (bw, bh) = (fw / 5, fw / 10);
            let (ox, oy) = (fw - bw - 6, 6);
            for y in 0..bh {
                for x in 0..bw {
                    let p = *src.get_pixel(x % src.width(), y % src.height());
                    frame.put_pixel(ox + x, oy + y, p);
                    region[((oy + y) * fw + ox + x) as usize] = true;
                }
            }
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
