//! Loading a converted model (burn's burnpack format) into an `IFNet`, strictly.

use std::path::Path;

use burn::store::burn_pack::{Bytes, DType};
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::Device;

use crate::error::{Error, Result};
use crate::model::IFNet;

/// Model version written into every converted file's metadata and manifest.
pub const MODEL_VERSION: &str = "rife-4.25";

/// Builds an IFNet on `device` from burnpack bytes (full or half precision; the model always
/// computes in f32). Every tensor of the model must be present with the right shape, and the
/// file may hold nothing else: a foreign or partial file is an error that names the keys.
pub fn load_model_bytes(bytes: Vec<u8>, device: &Device) -> Result<IFNet> {
    if bytes.is_empty() {
        return Err(Error::Model("the model data is empty".into()));
    }
    // allow_partial: missing tensors come back in the result instead of as one error listing
    // every path, so the check below can name them briefly; any missing one is still an error.
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes)))
        .with_from_adapter(FloatCastAdapter::to(DType::F32))
        .allow_partial(true);
    let mut model = IFNet::new(device);
    // The store parses untrusted bytes; keep any panic inside it from escaping.
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.load_from(&mut store)))
            .map_err(|_| Error::Model("the model data could not be parsed".into()))?
            .map_err(|e| Error::Model(e.to_string()))?;
    let mut problems = Vec::new();
    if !result.missing.is_empty() {
        let names: Vec<_> = result.missing.iter().map(|(p, _)| p.as_str()).collect();
        problems.push(format!("missing tensors: {}", brief(&names)));
    }
    if !result.unused.is_empty() {
        let names: Vec<_> = result.unused.iter().map(String::as_str).collect();
        problems.push(format!("unexpected tensors: {}", brief(&names)));
    }
    if !result.missing.is_empty() && result.applied.is_empty() {
        problems.push("none of the model's tensors are there: this is another model's file".into());
    }
    if !result.errors.is_empty() {
        let errs: Vec<_> = result.errors.iter().map(|e| e.to_string()).collect();
        problems.push(errs.join("; "));
    }
    if !problems.is_empty() {
        return Err(Error::Model(problems.join("; ")));
    }
    Ok(model)
}

/// Reads and loads a converted model file. Errors name the file.
pub fn load_model_file(path: &Path, device: &Device) -> Result<IFNet> {
    let bytes = std::fs::read(path).map_err(|e| Error::ModelFile {
        path: path.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::NotFound {
            "not found (run `bash scripts/setup.sh` to download and convert the weights)".into()
        } else {
            e.to_string()
        },
    })?;
    load_model_bytes(bytes, device).map_err(|e| Error::ModelFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// A list of tensor names short enough for an error message: all of a few, else the first five
/// and how many more (another model's file would otherwise list every path of ours).
fn brief(names: &[&str]) -> String {
    if names.len() <= 8 {
        names.join(", ")
    } else {
        format!("{}, … and {} more", names[..5].join(", "), names.len() - 5)
    }
}
