//! The bad-input corpus through the `inbetween` CLI (images, models, arguments; the Rust API's
//! side is crate/core/tests/corpus.rs). Each case must end within its
//! stated time with a clear error naming the problem, or with correct output; never a panic, a
//! hang, or a changed input. The cases are made at test time (ffmpeg for the image formats the
//! `image` crate cannot write), so nothing binary is committed. The browser side of the corpus is
//! tests/browser/corpus.test.mjs; the README's reliability section lists both by category.

#[path = "../../core/tests/common.rs"]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A fresh folder for the corpus files.
fn corpus_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inbetween-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ffmpeg(args: &[&str]) {
    let ok = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg (installed by scripts/setup.sh)")
        .success();
    assert!(ok, "ffmpeg {args:?}");
}

/// A smooth 64x40 test picture.
fn picture(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (40 + 150 * x / w.max(1)) as u8,
            (60 + 120 * y / h.max(1)) as u8,
            120,
        ])
    })
}

/// A PNG whose IHDR claims `w`x`h` (the CRC recomputed, so only the size lies).
fn png_claiming(real: &Path, w: u32, h: u32) -> Vec<u8> {
    let mut bytes = std::fs::read(real).unwrap();
    // Signature (8), chunk length (4), "IHDR" (4), then width and height.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// CRC-32 (IEEE), as PNG chunks use.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A baseline JPEG whose SOF0 claims `w`x`h`.
fn jpeg_claiming(real: &Path, w: u16, h: u16) -> Vec<u8> {
    let mut bytes = std::fs::read(real).unwrap();
    let sof = bytes
        .windows(2)
        .position(|m| m == [0xFF, 0xC0])
        .expect("a baseline JPEG");
    // Marker (2), length (2), precision (1), then height and width.
    bytes[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    bytes
}

struct CliCase {
    category: &'static str,
    name: &'static str,
    args: Vec<String>,
    model: Option<PathBuf>,
    /// `Ok(size)`: must succeed with an output of this size; `Err(s)`: must fail, saying `s`.
    expect: Result<(u32, u32), &'static str>,
    limit: Duration,
}

/// Runs the CLI with a deadline: a run past it is killed and fails the case as a hang.
fn run_cli(case: &CliCase, dir: &Path) -> Result<String, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inbetween"));
    cmd.current_dir(dir)
        .arg("--model")
        .arg(case.model.clone().unwrap_or_else(model_path))
        .args(&case.args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return if status.success() {
                Ok(stderr)
            } else {
                Err(stderr)
            };
        }
        if start.elapsed() > case.limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{}/{}: no answer within {:?} (a hang)",
                case.category, case.name, case.limit
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cli_corpus() {
    let dir = corpus_dir();
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let p = |name: &str| inputs.join(name);
    let s = |path: PathBuf| path.to_string_lossy().into_owned();

    // ---- The files.
    let good = picture(64, 40);
    good.save(p("good.png")).unwrap();
    good.save(p("good.jpg")).unwrap();
    picture(48, 40).save(p("other-size.png")).unwrap();
    std::fs::write(p("empty.png"), b"").unwrap();
    std::fs::write(p("empty.jpg"), b"").unwrap();
    let png = std::fs::read(p("good.png")).unwrap();
    std::fs::write(p("truncated.png"), &png[..png.len() / 2]).unwrap();
    let jpg = std::fs::read(p("good.jpg")).unwrap();
    std::fs::write(p("truncated.jpg"), &jpg[..jpg.len() / 2]).unwrap();
    std::fs::write(
        p("huge-header.png"),
        png_claiming(&p("good.png"), 100_000, 100_000),
    )
    .unwrap();
    std::fs::write(p("lying-size.png"), png_claiming(&p("good.png"), 64, 400)).unwrap();
    std::fs::write(
        p("huge-header.jpg"),
        jpeg_claiming(&p("good.jpg"), 60_000, 60_000),
    )
    .unwrap();
    std::fs::write(p("zero-header.jpg"), jpeg_claiming(&p("good.jpg"), 0, 40)).unwrap();
    std::fs::write(p("png-named.jpg"), &png).unwrap();
    std::fs::write(p("text.png"), b"this is not an image\n").unwrap();
    picture(1, 1).save(p("one.png")).unwrap();
    picture(1, 300).save(p("column.png")).unwrap();
    picture(300, 1).save(p("row.png")).unwrap();
    picture(8192, 2).save(p("side-8192.png")).unwrap();
    picture(8193, 2).save(p("side-8193.png")).unwrap();
    let src = s(p("good.png"));
    ffmpeg(&["-i", &src, "-pix_fmt", "pal8", &s(p("palette.png"))]);
    ffmpeg(&["-i", &src, "-pix_fmt", "rgb48be", &s(p("rgb16.png"))]);
    ffmpeg(&["-i", &src, "-pix_fmt", "ya8", &s(p("grey-alpha.png"))]);
    ffmpeg(&["-i", &src, "-pix_fmt", "gray16be", &s(p("grey16.png"))]);
    ffmpeg(&["-i", &src, "-pix_fmt", "rgba64be", &s(p("rgba16.png"))]);
    ffmpeg(&["-i", &src, "-pix_fmt", "gray", &s(p("grey.jpg"))]);
    std::fs::create_dir_all(p("a-folder.png")).unwrap();

    // Models.
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let m = |name: &str| models.join(name);
    let real = std::fs::read(model_path()).unwrap();
    std::fs::write(m("empty.bpk"), b"").unwrap();
    std::fs::write(m("truncated.bpk"), &real[..real.len() / 2]).unwrap();
    let mut flipped = real.clone();
    for b in flipped.iter_mut().take(64) {
        *b ^= 0xA5;
    }
    std::fs::write(m("bad-header.bpk"), flipped).unwrap();
    let mut seed = 7u32;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 24) as u8
        })
        .collect();
    std::fs::write(m("noise.bpk"), noise).unwrap();
    std::fs::write(m("other-model.bpk"), other_model_bytes()).unwrap();
    // A PyTorch checkpoint (a zip) where a converted model belongs.
    let mut zip = std::fs::File::create(m("checkpoint.pkl")).unwrap();
    zip.write_all(b"PK\x03\x04 a PyTorch zip checkpoint, not converted")
        .unwrap();
    let f16 = repo_root().join("models/rife-4.25-f16.bpk");

    // ---- The cases.
    let out = |name: &str| s(dir.join("out").join(name));
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let pair = |a: &str, b: &str, o: &str| vec![s(p(a)), s(p(b)), "-o".into(), out(o)];
    let fast = Duration::from_secs(20);
    let slow = Duration::from_secs(120);
    let mut cases = Vec::new();
    let mut add = |category, name, args: Vec<String>, expect, limit| {
        cases.push(CliCase {
            category,
            name,
            args,
            model: None,
            expect,
            limit,
        })
    };
    // Images that must fail, and why.
    for (name, file, says) in [
        ("0-byte PNG", "empty.png", "cannot decode"),
        ("0-byte JPEG", "empty.jpg", "cannot decode"),
        ("truncated PNG", "truncated.png", "cannot decode"),
        ("truncated JPEG", "truncated.jpg", "cannot decode"),
        (
            "PNG header claims 100000x100000",
            "huge-header.png",
            "100000x100000",
        ),
        (
            "PNG header lies about the height",
            "lying-size.png",
            "cannot decode",
        ),
        // The JPEG decoder may refuse these itself or hand the size on to our check: either
        // way the message names the file.
        (
            "JPEG header claims 60000x60000",
            "huge-header.jpg",
            "huge-header.jpg",
        ),
        (
            "JPEG header claims width 0",
            "zero-header.jpg",
            "zero-header.jpg",
        ),
        ("text named .png", "text.png", "cannot decode"),
        ("a folder named .png", "a-folder.png", "cannot"),
        (
            "8193 pixels wide",
            "side-8193.png",
            "at most 8192 pixels on a side",
        ),
        ("missing file", "missing.png", "cannot open"),
    ] {
        add(
            "images",
            name,
            pair(file, "good.png", &format!("{name}.png")),
            Err(says),
            fast,
        );
    }
    add(
        "images",
        "frames of two sizes",
        pair("good.png", "other-size.png", "sizes.png"),
        Err("same size"),
        fast,
    );
    // Images that must work.
    for (name, file, size) in [
        ("1x1", "one.png", (1, 1)),
        ("1x300 column", "column.png", (1, 300)),
        ("300x1 row", "row.png", (300, 1)),
        ("8192 pixels wide", "side-8192.png", (8192, 2)),
        ("palette PNG", "palette.png", (64, 40)),
        ("16-bit RGB PNG", "rgb16.png", (64, 40)),
        ("16-bit RGBA PNG", "rgba16.png", (64, 40)),
        ("grey + alpha PNG", "grey-alpha.png", (64, 40)),
        ("16-bit grey PNG", "grey16.png", (64, 40)),
        ("grey JPEG", "grey.jpg", (64, 40)),
        ("a PNG named .jpg", "png-named.jpg", (64, 40)),
    ] {
        add(
            "images",
            name,
            pair(file, file, &format!("ok-{file}.png")),
            Ok(size),
            slow,
        );
    }
    // Arguments.
    for (name, extra, says) in [
        ("t NaN", vec!["--t", "NaN"], "outside [0, 1]"),
        ("t inf", vec!["--t", "inf"], "outside [0, 1]"),
        ("t -inf", vec!["--t=-inf"], "outside [0, 1]"),
        ("t 1.0000001", vec!["--t", "1.0000001"], "outside [0, 1]"),
        ("t not a number", vec!["--t", "half"], "invalid value"),
        ("scale NaN", vec!["--scale", "NaN"], "outside [0.25, 4]"),
        ("scale inf", vec!["--scale", "inf"], "outside [0.25, 4]"),
        ("scale -0", vec!["--scale", "-0"], "outside [0.25, 4]"),
        (
            "scale 0.2499",
            vec!["--scale", "0.2499"],
            "outside [0.25, 4]",
        ),
        ("backend tpu", vec!["--backend", "tpu"], "unknown backend"),
    ] {
        let mut args = pair("good.png", "good.png", "args.png");
        args.extend(extra.iter().map(|s| s.to_string()));
        add("arguments", name, args, Err(says), fast);
    }
    let mut minus_zero = pair("good.png", "good.png", "t-minus-zero.png");
    minus_zero.extend(["--t".into(), "-0".into()]);
    add(
        "arguments",
        "t -0 (is 0: frame A)",
        minus_zero,
        Ok((64, 40)),
        slow,
    );
    let mut multi = vec![
        s(inputs.clone()),
        "--multi".into(),
        "100000".into(),
        "-o".into(),
        out("m"),
    ];
    add(
        "arguments",
        "--multi 100000",
        multi.clone(),
        Err("--multi must be from 2"),
        fast,
    );
    multi[2] = "0".into();
    add(
        "arguments",
        "--multi 0",
        multi,
        Err("--multi must be from 2"),
        fast,
    );
    // A folder whose frames cannot all be read: caught before any output is written.
    add(
        "arguments",
        "--multi over a folder with broken frames",
        vec![
            s(inputs.clone()),
            "--multi".into(),
            "2".into(),
            "-o".into(),
            out("multi-broken"),
        ],
        Err("cannot"),
        fast,
    );

    // Models.
    let mut model_cases = Vec::new();
    for (name, file, says) in [
        ("empty model", m("empty.bpk"), "not a valid inbetween model"),
        (
            "truncated model",
            m("truncated.bpk"),
            "not a valid inbetween model",
        ),
        (
            "model with a damaged header",
            m("bad-header.bpk"),
            "not a valid inbetween model",
        ),
        (
            "random bytes as a model",
            m("noise.bpk"),
            "not a valid inbetween model",
        ),
        (
            "another model's weights",
            m("other-model.bpk"),
            "missing tensors",
        ),
        (
            "an unconverted PyTorch checkpoint",
            m("checkpoint.pkl"),
            "not a valid inbetween model",
        ),
        ("a folder as the model", models.clone(), "model file"),
        ("missing model", m("missing.bpk"), "not found"),
    ] {
        model_cases.push(CliCase {
            category: "models",
            name,
            args: pair("good.png", "good.png", "model.png"),
            model: Some(file),
            expect: Err(says),
            limit: fast,
        });
    }
    model_cases.push(CliCase {
        category: "models",
        name: "the f16 model",
        args: pair("good.png", "good.png", "f16.png"),
        model: Some(f16),
        expect: Ok((64, 40)),
        limit: slow,
    });
    cases.extend(model_cases);

    // ---- Run them.
    let before = snapshot(&inputs);
    let models_before = snapshot(&models);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut failures = Vec::new();
    for case in &cases {
        *counts.entry(case.category).or_default() += 1;
        let t0 = Instant::now();
        let result = run_cli(case, &dir);
        let took = t0.elapsed();
        let stderr = match &result {
            Ok(s) | Err(s) => s.clone(),
        };
        let problem = if stderr.contains("panicked") {
            Some(format!("panicked: {stderr}"))
        } else {
            match (&case.expect, &result) {
                (Err(says), Err(stderr)) if stderr.contains(says) => None,
                (Err(says), Err(stderr)) => Some(format!("expected '{says}' in: {stderr}")),
                (Err(says), Ok(_)) => Some(format!("succeeded, expected an error saying '{says}'")),
                (Ok(_), Err(stderr)) => Some(format!("failed: {stderr}")),
                (Ok(size), Ok(_)) => {
                    let o =
                        case.args[case.args.iter().position(|a| a == "-o").unwrap() + 1].clone();
                    match image::open(&o) {
                        Ok(img) if (img.width(), img.height()) == *size => None,
                        Ok(img) => Some(format!(
                            "output is {}x{}, expected {size:?}",
                            img.width(),
                            img.height()
                        )),
                        Err(e) => Some(format!("no readable output: {e}")),
                    }
                }
            }
        };
        println!(
            "{:<9} {:<45} {:>6.2} s  {}",
            case.category,
            case.name,
            took.as_secs_f32(),
            problem.as_deref().unwrap_or("ok")
        );
        if let Some(p) = problem {
            failures.push(format!("{}/{}: {p}", case.category, case.name));
        }
    }
    assert_eq!(
        snapshot(&inputs),
        before,
        "an input image was changed or deleted"
    );
    assert_eq!(
        snapshot(&models),
        models_before,
        "a model file was changed or deleted"
    );
    println!("CLI corpus: {counts:?}, {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
