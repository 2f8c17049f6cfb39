//! The one error type of the core. Every fallible public function returns it, so the CLI and the
//! wasm layer can show a message instead of a panic.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the two frames differ in size: {a_w}x{a_h} and {b_w}x{b_h}")]
    SizeMismatch {
        a_w: usize,
        a_h: usize,
        b_w: usize,
        b_h: usize,
    },

    #[error(
        "image buffer has {got} bytes, expected {expected} for {width}x{height} with {channels} channels"
    )]
    BufferLength {
        got: usize,
        expected: usize,
        width: usize,
        height: usize,
        channels: usize,
    },

    #[error("unsupported channel count {0}: expected 3 (RGB) or 4 (RGBA)")]
    Channels(usize),

    #[error("image is empty ({width}x{height})")]
    EmptyImage { width: usize, height: usize },

    #[error("image {width}x{height} is too large: at most {max} pixels on a side")]
    ImageTooLarge {
        width: usize,
        height: usize,
        max: usize,
    },

    #[error(
        "{width}x{height} at scale {scale} needs about {need_mib} MiB here, more than the {budget_mib} MiB \
         this engine can use; use smaller frames (or a lower scale)"
    )]
    TooLarge {
        width: usize,
        height: usize,
        scale: f32,
        need_mib: usize,
        budget_mib: usize,
    },

    #[error(
        "{count} timesteps of {width}x{height} make {need_mib} MiB of output, more than {budget_mib} MiB in one call; split the list"
    )]
    TooManyTimesteps {
        count: usize,
        width: usize,
        height: usize,
        need_mib: usize,
        budget_mib: usize,
    },

    #[error("timestep {0} is outside [{lo}, {hi}]", lo = crate::T_RANGE.0, hi = crate::T_RANGE.1)]
    Timestep(f32),

    #[error("time map has {got} values, expected {expected} ({width}x{height})")]
    TimeMapLength {
        got: usize,
        expected: usize,
        width: usize,
        height: usize,
    },

    #[error(
        "time map value {value} at index {index} is outside [{lo}, {hi}]",
        lo = crate::T_RANGE.0,
        hi = crate::T_RANGE.1
    )]
    TimeMapValue { index: usize, value: f32 },

    #[error("scale {0} is outside [{lo}, {hi}]", lo = crate::SCALE_RANGE.0, hi = crate::SCALE_RANGE.1)]
    Scale(f32),

    #[error(
        "the frames were prepared at different scales ({0} and {1}); prepare both at one scale"
    )]
    ScaleMismatch(f32, f32),

    #[error("model file {path}: {reason}")]
    ModelFile { path: PathBuf, reason: String },

    #[error("model data is not a valid inbetween model: {0}")]
    Model(String),

    #[error("GPU backend unavailable: {0}")]
    Gpu(String),

    #[error("the GPU device was lost ({0}); create a new interpolator to continue")]
    DeviceLost(String),

    #[error("backend error: {0}")]
    Backend(String),

    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Every code `code()` can return. The wasm layer exports this list (`limits().errorCodes`)
    /// and the npm package's `ERROR_CODES` must hold each of them (tests/unit/limits.test.mjs).
    pub const CODES: &'static [&'static str] = &[
        "size-mismatch",
        "bad-image",
        "image-too-large",
        "out-of-memory",
        "too-many-timesteps",
        "bad-time",
        "bad-scale",
        "bad-model",
        "gpu",
        "device-lost",
        "backend",
    ];

    /// The kind of error as a stable code, for callers across a boundary that must not match
    /// messages (the wasm layer sets it as the JS Error's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::SizeMismatch { .. } => "size-mismatch",
            Error::BufferLength { .. } | Error::Channels(_) | Error::EmptyImage { .. } => {
                "bad-image"
            }
            Error::ImageTooLarge { .. } => "image-too-large",
            Error::TooLarge { .. } => "out-of-memory",
            Error::TooManyTimesteps { .. } => "too-many-timesteps",
            Error::Timestep(_) | Error::TimeMapLength { .. } | Error::TimeMapValue { .. } => {
                "bad-time"
            }
            Error::Scale(_) | Error::ScaleMismatch(..) => "bad-scale",
            Error::ModelFile { .. } | Error::Model(_) => "bad-model",
            Error::Gpu(_) => "gpu",
            Error::DeviceLost(_) => "device-lost",
            Error::Backend(_) | Error::Io(_) => "backend",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
