//! Shared helpers for the integration tests: the golden cases under `tests/golden/` and the
//! converted model under `models/`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use inbetween::{BackendKind, Frame, Interpolator, Timestep};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The converted f32 model. Missing weights fail the test (they are part of the setup), with a
/// message saying how to make them.
pub fn model_path() -> PathBuf {
    let path = std::env::var_os("INBETWEEN_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("models/rife-4.25.bpk"));
    assert!(
        path.exists(),
        "{} is missing: run `bash scripts/setup.sh` first",
        path.display()
    );
    path
}

pub fn interpolator(kind: BackendKind) -> Interpolator {
    Interpolator::from_file(&model_path(), kind)
        .unwrap_or_else(|e| panic!("loading the model on {kind}: {e}"))
}

pub struct Golden {
    pub name: String,
    pub dir: PathBuf,
    pub meta: serde_json::Value,
}

pub fn golden_cases() -> Vec<Golden> {
    let root = repo_root().join("tests/golden");
    let mut cases: Vec<Golden> = std::fs::read_dir(&root)
        .expect("tests/golden")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("meta.json").exists())
        .map(|dir| {
            let meta =
                serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap())
                    .unwrap();
            Golden {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                dir,
                meta,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        cases.len() >= 4,
        "expected the golden cases under {}",
        root.display()
    );
    cases
}

pub struct GoldenTensor {
    pub data: Vec<f32>,
    pub shape: Vec<usize>,
    pub stride: usize,
}

impl Golden {
    pub fn tensor(&self, name: &str) -> GoldenTensor {
        let info = &self.meta["tensors"][name];
        let file = info["file"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no tensor {name}", self.name));
        let bytes = std::fs::read(self.dir.join(file)).unwrap();
        let data: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let shape: Vec<usize> = info["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(
            data.len(),
            shape.iter().product::<usize>(),
            "{}: {name} size",
            self.name
        );
        GoldenTensor {
            data,
            shape,
            stride: info["stride"].as_u64().unwrap() as usize,
        }
    }

    pub fn scale(&self) -> f32 {
        self.meta["scale"].as_f64().unwrap() as f32
    }

    /// Loads the two input images (cropped as the case says) as planar RGB 0..1.
    pub fn inputs(&self) -> (Vec<f32>, Vec<f32>, usize, usize) {
        let load = |key: &str| {
            let img = image::open(self.dir.join(self.meta[key].as_str().unwrap()))
                .unwrap()
                .to_rgb8();
            let (x0, y0, w, h) = match self.meta["crop"].as_array() {
                Some(c) => {
                    let c: Vec<u32> = c.iter().map(|v| v.as_u64().unwrap() as u32).collect();
                    (c[2], c[0], c[3] - c[2], c[1] - c[0]) // [y0, y1, x0, x1]
                }
                None => (0, 0, img.width(), img.height()),
            };
            let img = image::imageops::crop_imm(&img, x0, y0, w, h).to_image();
            let view = inbetween::ImageRef::new(img.as_raw(), w as usize, h as usize, 3).unwrap();
            (view.to_planar_rgb(), w as usize, h as usize)
        };
        let (a, w, h) = load("image0");
        let (b, _, _) = load("image1");
        let size = &self.meta["size"];
        assert_eq!(
            [h, w],
            [
                size[0].as_u64().unwrap() as usize,
                size[1].as_u64().unwrap() as usize
            ]
        );
        (a, b, w, h)
    }

    pub fn timestep(&self, w: usize, h: usize) -> Timestep {
        match &self.meta["t"] {
            serde_json::Value::String(s) if s == "ramp" => Timestep::vertical_ramp(w, h, 0.0, 1.0),
            v => Timestep::Uniform(v.as_f64().unwrap() as f32),
        }
    }

    pub fn frames(&self, interp: &Interpolator) -> (Frame, Frame, Timestep) {
        let (a, b, w, h) = self.inputs();
        let fa = interp.prepare_planar(a, w, h, self.scale()).unwrap();
        let fb = interp.prepare_planar(b, w, h, self.scale()).unwrap();
        (fa, fb, self.timestep(w, h))
    }
}

/// `x[:, :, ::stride, ::stride]` of a `[N, C, H, W]` buffer.
pub fn subsample(data: &[f32], shape: [usize; 4], stride: usize) -> Vec<f32> {
    let [n, c, h, w] = shape;
    let mut out = Vec::new();
    for i in 0..n * c {
        for y in (0..h).step_by(stride) {
            for x in (0..w).step_by(stride) {
                out.push(data[i * h * w + y * w + x]);
            }
        }
    }
    out
}

/// The larger of two differences, NaN if either is NaN. `f32::max` returns the other operand
/// for a NaN, so a fold with it reports NaN output as a perfect match; with this one a NaN
/// makes every `d <= tol` check fail.
pub fn nan_max(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

/// Largest absolute difference (NaN when any element is NaN); panics on a length mismatch.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, nan_max)
}

pub fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

impl GoldenTensor {
    /// The top-left `rows`×`cols` of every channel (to compare a cropped result with a
    /// padded-resolution golden sampled at the same stride).
    pub fn top_left(&self, rows: usize, cols: usize) -> Vec<f32> {
        let (c, h, w) = (self.shape[1], self.shape[2], self.shape[3]);
        let mut out = Vec::with_capacity(c * rows * cols);
        for ch in 0..c {
            for y in 0..rows {
                out.extend_from_slice(&self.data[(ch * h + y) * w..(ch * h + y) * w + cols]);
            }
        }
        out
    }
}

/// Every file directly in `dir` with its bytes, sorted by name: taken before and after a run, it
/// proves the run changed or deleted none of them.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// A valid burnpack of a different model (one linear layer): the loader must name what is
/// missing instead of running with default weights.
pub fn other_model_bytes() -> Vec<u8> {
    use burn::nn::LinearConfig;
    use burn::store::{BurnpackStore, ModuleSnapshot};
    let device = burn::tensor::Device::flex();
    let linear = LinearConfig::new(4, 3).init(&device);
    let path = std::env::temp_dir().join(format!("inbetween-other-{}.bpk", std::process::id()));
    let mut store = BurnpackStore::from_file(&path).overwrite(true);
    linear.save_into(&mut store).expect("save a small module");
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

/// The pan the automatic-scale tests share: a `PAN_SIZE` window at (20 + `shift`, 20) over the
/// golden pair's first photo upscaled 3x (Lanczos), so two windows are one picture moved by a
/// known amount. The upscale is made once per test binary.
pub fn pan_window(shift: u32) -> image::RgbImage {
    static BIG: std::sync::OnceLock<image::RgbImage> = std::sync::OnceLock::new();
    let big = BIG.get_or_init(|| {
        let src = image::open(repo_root().join("tests/golden/images/I0_0.png"))
            .unwrap()
            .to_rgb8();
        image::imageops::resize(
            &src,
            src.width() * 3,
            src.height() * 3,
            image::imageops::FilterType::Lanczos3,
        )
    });
    let (w, h) = PAN_SIZE;
    image::imageops::crop_imm(big, 20 + shift, 20, w, h).to_image()
}

/// `pan_window`'s size: large enough (576 lines) for automatic scale to choose 0.5.
pub const PAN_SIZE: (u32, u32) = (960, 576);
