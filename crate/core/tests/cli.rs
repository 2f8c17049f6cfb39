//! The `inbetween` command end to end: a real image pair in, a PNG out that matches the PyTorch
//! golden; bad inputs give a message and a non-zero exit code.

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
            worst = worst.max((px[c] as f32 - reference).abs());
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
