//! The `inbetween` command end to end: a real image pair in, a PNG out that matches the PyTorch
//! golden; bad inputs give a message and a non-zero exit code.

#[path = "../../core/tests/common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The CLI with the converted model, or with `model` when given.
fn cli_with(model: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_inbetween"));
    c.current_dir(repo_root()).arg("--model");
    match model {
        Some(m) => c.arg(m),
        None => c.arg(model_path()),
    };
    c
}

fn cli() -> Command {
    cli_with(None)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inbetween-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn fails_with(args: &[&str], needle: &str) {
    fails_with_model(None, args, needle)
}

fn fails_with_model(model: Option<&str>, args: &[&str], needle: &str) {
    let out = cli_with(model).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(needle),
        "{args:?}: expected '{needle}' in: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
}

const A: &str = "tests/golden/images/I0_0.png";
const B: &str = "tests/golden/images/I0_1.png";

#[test]
fn pair_matches_reference_golden() {
    let out = tmp("mid.png");
    let status = cli()
        .args([A, B, "-o"])
        .arg(&out)
        .args(["--t", "0.5"])
        .status()
        .unwrap();
    assert!(status.success());
    let got = image::open(&out).unwrap().to_rgb8();
    let case = golden_cases()
        .into_iter()
        .find(|c| c.name == "i0_t0.5")
        .unwrap();
    let want = case.tensor("output"); // [1, 3, 256, 448] planar
    let (w, h) = got.dimensions();
    assert_eq!((w, h), (448, 256));
    let plane = (w * h) as usize;
    let mut worst = 0.0f32;
    for (i, px) in got.pixels().enumerate() {
        for c in 0..3 {
            let reference = want.data[c * plane + i].clamp(0.0, 1.0) * 255.0;
            worst = nan_max(worst, (px[c] as f32 - reference).abs());
        }
    }
    // Rounding to 8 bits is within half a step; parity is 1e-3 (0.26 of a step).
    assert!(worst <= 0.5 + 0.26, "8-bit output off by {worst} steps");
}

#[test]
fn multi_writes_the_full_sequence() {
    let dir = tmp("frames");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, src) in [A, B, A].iter().enumerate() {
        std::fs::copy(repo_root().join(src), dir.join(format!("{i}.png"))).unwrap();
    }
    let out = tmp("x3");
    let status = cli()
        .arg(&dir)
        .args(["--multi", "3", "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    // 3 sources + 2 pairs x 2 in-betweens.
    assert_eq!(names.len(), 7, "{names:?}");
    // Source frames land at 0, 3, 6, unchanged.
    let same =
        |a: &Path, b: &Path| image::open(a).unwrap().to_rgb8() == image::open(b).unwrap().to_rgb8();
    assert!(same(&out.join("000003.png"), &repo_root().join(B)));
    assert!(!same(&out.join("000001.png"), &repo_root().join(A)));
}

#[test]
fn bad_inputs_fail_clearly() {
    let out = tmp("x.png");
    let o = out.to_str().unwrap();
    fails_with(
        &["/nonexistent.png", B, "-o", o],
        "cannot open /nonexistent.png",
    );
    fails_with(&["Cargo.toml", B, "-o", o], "cannot decode Cargo.toml");
    fails_with(
        &[A, B, "-o", o, "--t", "1.5"],
        "timestep 1.5 is outside [0, 1]",
    );
    fails_with(
        &[A, B, "-o", o, "--scale", "8"],
        "scale 8 is outside [0.25, 4]",
    );
    fails_with(
        &[A, B, "-o", o, "--scale", "fast"],
        "'fast' is not a number or 'auto'",
    );
    fails_with(&[A, B, "-o", o, "--backend", "tpu"], "unknown backend");
    // Different sizes.
    let small = tmp("small.png");
    image::RgbImage::new(64, 32).save(&small).unwrap();
    fails_with(
        &[A, small.to_str().unwrap(), "-o", o],
        "must have the same size",
    );
    // Missing and corrupt model files.
    fails_with_model(Some("/nonexistent/m.bpk"), &[A, B, "-o", o], "not found");
    let corrupt = tmp("corrupt.bpk");
    std::fs::write(&corrupt, b"garbage").unwrap();
    fails_with_model(
        Some(corrupt.to_str().unwrap()),
        &[A, B, "-o", o],
        "not a valid inbetween model",
    );
}

/// `--scale auto` (issue 12, item 2): a fast pan at 960x576 runs at 0.5, the output identical
/// to `--scale 0.5`'s; a slow pan keeps 1 (`pan_window`: one picture moved by a known amount).
#[test]
fn scale_auto_picks_a_smaller_scale_for_a_fast_pan() {
    let window = |x0: u32, name: &str| {
        let path = tmp(name);
        pan_window(x0).save(&path).unwrap();
        path
    };
    let (a, fast, slow) = (
        window(0, "pan0.png"),
        window(160, "pan160.png"),
        window(16, "pan16.png"),
    );
    let run = |b: &Path, scale: &str, out: &str| {
        let out = tmp(out);
        let o = cli()
            .arg(&a)
            .arg(b)
            .arg("-o")
            .arg(&out)
            .args(["--scale", scale])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "--scale {scale}: {stderr}");
        (std::fs::read(&out).unwrap(), stderr)
    };
    let (auto_fast, said) = run(&fast, "auto", "auto-fast.png");
    assert!(said.contains("scale auto: 0.5"), "fast pan: {said}");
    let (half, _) = run(&fast, "0.5", "half-fast.png");
    assert!(
        auto_fast == half,
        "--scale auto on the fast pan is --scale 0.5"
    );
    let (_, said) = run(&slow, "auto", "auto-slow.png");
    assert!(said.contains("scale auto: 1"), "slow pan: {said}");
}

// ---- Hardening: the CLI never destroys or mixes up its input (issue 13) ----

/// A fresh, empty folder for one test.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = tmp(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn numbered_frames(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A folder holding A, B, A as the CLI's own output names would (000000.png, ...).
fn frames_named_like_output(name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    for (i, src) in [A, B, A].iter().enumerate() {
        std::fs::copy(repo_root().join(src), dir.join(format!("{i:06}.png"))).unwrap();
    }
    dir
}

#[test]
fn multi_refuses_to_write_into_its_input_folder() {
    let dir = frames_named_like_output("same-folder");
    let before = snapshot(&dir);
    for args in [vec!["--multi", "2"], vec!["--multi", "2", "--overwrite"]] {
        let out = cli()
            .arg(&dir)
            .args(&args)
            .arg("-o")
            .arg(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?}: wrote into its input folder"
        );
        assert!(stderr.contains("is the input folder"), "{stderr}");
        assert_eq!(snapshot(&dir), before, "{args:?}: the input frames changed");
    }
    // The same folder through another spelling of its path.
    let other = dir.join("..").join(dir.file_name().unwrap());
    let out = cli()
        .arg(&dir)
        .args(["--multi", "2", "-o"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn multi_refuses_a_non_empty_output_folder_and_overwrite_removes_stale_frames() {
    let src = frames_named_like_output("stale-src");
    let out = fresh_dir("stale-out");
    // An earlier, longer run: 3 frames x3 = 7 outputs.
    assert!(
        cli()
            .arg(&src)
            .args(["--multi", "3", "-o"])
            .arg(&out)
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(numbered_frames(&out).len(), 7);
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let before = snapshot(&out);
    // Without --overwrite: refused, and the folder is as it was.
    let run = cli()
        .arg(&src)
        .args(["--multi", "2", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "wrote into a non-empty folder");
    assert!(
        stderr.contains("not empty") && stderr.contains("--overwrite"),
        "{stderr}"
    );
    assert_eq!(snapshot(&out), before);
    // With --overwrite: exactly this run's 5 frames, and the user's own file kept.
    assert!(
        cli()
            .arg(&src)
            .args(["--multi", "2", "--overwrite", "-o"])
            .arg(&out)
            .status()
            .unwrap()
            .success()
    );
    let names = numbered_frames(&out);
    assert_eq!(
        names,
        [
            "000000.png",
            "000001.png",
            "000002.png",
            "000003.png",
            "000004.png",
            "notes.txt"
        ]
    );
}

#[test]
fn multi_takes_frames_in_natural_order() {
    let dir = fresh_dir("natural");
    // String order would be f1, f10, f2.
    std::fs::copy(repo_root().join(A), dir.join("f1.png")).unwrap();
    std::fs::copy(repo_root().join(B), dir.join("f2.png")).unwrap();
    std::fs::copy(
        repo_root().join("tests/golden/images/I2_0.png"),
        dir.join("f10.png"),
    )
    .unwrap();
    let out = tmp("natural-out");
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        cli()
            .arg(&dir)
            .args(["--multi", "2", "-o"])
            .arg(&out)
            .status()
            .unwrap()
            .success()
    );
    let same =
        |a: &Path, b: &Path| image::open(a).unwrap().to_rgb8() == image::open(b).unwrap().to_rgb8();
    assert!(same(&out.join("000000.png"), &repo_root().join(A)));
    assert!(
        same(&out.join("000002.png"), &repo_root().join(B)),
        "f2 must come second"
    );
    assert!(same(
        &out.join("000004.png"),
        &repo_root().join("tests/golden/images/I2_0.png")
    ));
}

#[test]
fn pair_only_options_are_refused_with_multi() {
    let dir = frames_named_like_output("pair-only");
    let out = tmp("pair-only-out");
    let o = out.to_str().unwrap();
    let d = dir.to_str().unwrap();
    for extra in [
        vec!["--t", "0.25"],
        vec!["--time-ramp"],
        vec!["--flow", "f.png"],
        vec!["--mask", "m.png"],
    ] {
        let mut args = vec![d, "--multi", "2", "-o", o];
        args.extend(&extra);
        fails_with(&args, "cannot be used with --multi");
    }
    assert!(!out.exists(), "a refused run created its output folder");
    fails_with(&[d, "--multi", "1", "-o", o], "--multi must be from 2");
    fails_with(&[d, "--multi", "100000", "-o", o], "--multi must be from 2");
}

#[test]
fn pair_outputs_are_checked_before_the_model_loads() {
    // A model path that does not exist: any error about the model means the output was checked
    // too late.
    let model = Some("/nonexistent/model.bpk");
    let bad_ext = tmp("mid.bmpx");
    fails_with_model(
        model,
        &[A, B, "-o", bad_ext.to_str().unwrap()],
        "must end in .png",
    );
    fails_with_model(
        model,
        &[A, B, "-o", "/nonexistent-dir/mid.png"],
        "cannot write",
    );
    let ok = tmp("ok.png");
    let o = ok.to_str().unwrap();
    fails_with_model(
        model,
        &[A, B, "-o", o, "--flow", "/nonexistent-dir/f.png"],
        "cannot write",
    );
    fails_with_model(
        model,
        &[A, B, "-o", o, "--mask", o],
        "named as two of the outputs",
    );
    fails_with_model(
        model,
        &[A, B, "-o", o, "--t", "0.3", "--time-ramp"],
        "give one",
    );
    assert!(!ok.exists(), "a refused run wrote its output");
}

#[test]
fn pair_refuses_to_overwrite_an_input() {
    let dir = fresh_dir("pair-input");
    let a = dir.join("a.png");
    let b = dir.join("b.png");
    std::fs::copy(repo_root().join(A), &a).unwrap();
    std::fs::copy(repo_root().join(B), &b).unwrap();
    let before = snapshot(&dir);
    let (sa, sb) = (a.to_str().unwrap(), b.to_str().unwrap());
    fails_with(&[sa, sb, "-o", sa], "is one of the input images");
    fails_with(
        &[sa, sb, "-o", "x.png", "--flow", sb],
        "is one of the input images",
    );
    // Through a path with `..` in it.
    let sneaky = dir.join("..").join(dir.file_name().unwrap()).join("b.png");
    fails_with(
        &[sa, sb, "-o", sneaky.to_str().unwrap()],
        "is one of the input images",
    );
    assert_eq!(snapshot(&dir), before, "an input image changed");
}

/// A JPEG of `w`x`h` with an EXIF orientation tag (1..8), as a phone writes it.
fn jpeg_with_orientation(img: &image::RgbImage, orientation: u16) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .encode_image(img)
        .unwrap();
    // APP1 "Exif": a little-endian TIFF header and one IFD entry, Orientation (0x0112, SHORT).
    let mut tiff = Vec::new();
    tiff.extend(b"II*\0");
    tiff.extend(8u32.to_le_bytes()); // first IFD right after the header
    tiff.extend(1u16.to_le_bytes()); // one entry
    tiff.extend(0x0112u16.to_le_bytes());
    tiff.extend(3u16.to_le_bytes()); // SHORT
    tiff.extend(1u32.to_le_bytes()); // count
    tiff.extend((orientation as u32).to_le_bytes()); // value, left-justified in 4 bytes
    tiff.extend(0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

#[test]
fn exif_rotated_jpegs_come_out_upright() {
    let dir = fresh_dir("exif");
    let src = image::open(repo_root().join(A)).unwrap().to_rgb8(); // 448x256
    let small = image::imageops::resize(&src, 96, 64, image::imageops::FilterType::Triangle);
    // Orientation 6: the stored picture is shown rotated 90° clockwise.
    let a = dir.join("a.jpg");
    std::fs::write(&a, jpeg_with_orientation(&small, 6)).unwrap();
    let out = dir.join("mid.png");
    let status = cli().arg(&a).arg(&a).arg("-o").arg(&out).status().unwrap();
    assert!(status.success());
    let got = image::open(&out).unwrap().to_rgb8();
    assert_eq!(
        got.dimensions(),
        (64, 96),
        "the EXIF rotation was not applied"
    );
    // The same picture in, so the in-between is that picture: compare with the rotated source.
    let want = image::imageops::rotate90(&small);
    let worst = got
        .pixels()
        .zip(want.pixels())
        .flat_map(|(p, q)| (0..3).map(move |c| (p[c] as i32 - q[c] as i32).abs()))
        .max()
        .unwrap();
    assert!(worst < 40, "not the rotated picture (worst {worst} levels)");
}

#[test]
fn unusual_png_formats_are_read() {
    // 16-bit RGB and grey with alpha: each a pair that must work, at the picture's size.
    let dir = fresh_dir("formats");
    let src = image::open(repo_root().join(A)).unwrap().to_rgb8();
    let small = image::imageops::resize(&src, 64, 40, image::imageops::FilterType::Triangle);
    let sixteen = DynamicImage::ImageRgb8(small.clone()).to_rgb16();
    sixteen.save(dir.join("rgb16.png")).unwrap();
    let grey_alpha = DynamicImage::ImageRgb8(small.clone()).to_luma_alpha8();
    grey_alpha.save(dir.join("la8.png")).unwrap();
    for name in ["rgb16.png", "la8.png"] {
        let p = dir.join(name);
        let out = dir.join(format!("out-{name}"));
        let run = cli().arg(&p).arg(&p).arg("-o").arg(&out).output().unwrap();
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let img = image::open(&out).unwrap();
        assert_eq!((img.width(), img.height()), (64, 40), "{name}");
    }
}

use image::DynamicImage;
