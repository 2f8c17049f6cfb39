//! inbetween-gpu: RIFE 4.25 on the GPU as hand-written, fused WGSL kernels (`shaders/` at the
//! top of the repo), run through wgpu directly.
//!
//! burn stays for the CPU path, the weight conversion and the parity reference; this crate only
//! borrows its loader (the converted burnpack, read on the CPU) and packs the weights once into
//! the layouts the kernels read.
//!
//! ```no_run
//! # fn main() -> inbetween_gpu::Result<()> {
//! use inbetween_gpu::{Engine, Timestep, Weights, block_on};
//! let weights = Weights::from_bytes(std::fs::read("models/rife-4.25.bpk").unwrap())?;
//! let engine = block_on(Engine::request(&weights))?;
//! # let (a, b) = (vec![0u8; 64 * 64 * 3], vec![0u8; 64 * 64 * 3]);
//! let f0 = engine.prepare(&a, 64, 64, 3, 1.0)?; // a handle: uploaded now, encoded once
//! let f1 = engine.prepare(&b, 64, 64, 3, 1.0)?;
//! let mid = engine.interpolate(&f0, &f1, &Timestep::Uniform(0.5))?; // one command buffer
//! let rgba = block_on(engine.read_rgba8(&mid))?; // readback only when asked
//! # Ok(()) }
//! ```
//!
//! Per (width, height, scale) the engine builds a plan once: buffers, uniform parameters and
//! bind groups. A new in-between frame of a video is then one command buffer, submitted once,
//! with 69 compute dispatches: 4 to encode the new frame and 13 per block (the last block's
//! 13th is the merge). `interpolate_with` and `Options::mirror_average` run the mirrored pair too,
//! in the same command buffer (138); `coarse_motion`, for `inbetween::auto_scale`, runs block 0
//! alone (12).

// On wasm32 wgpu's handles are neither Send nor Sync (the browser's WebGPU objects live on one
// thread), so the plans and frame slots shared through `Arc` are too. `Arc` still gives the
// shared ownership the handles need, and one type serves both targets.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

mod engine;
mod kernels;
mod plan;
mod readback;
mod timer;
mod weights;

pub use engine::{BlockTrace, Engine, GpuFrame, GpuOutput, Presenter};
pub use inbetween::{Options, Timestep};
pub use kernels::{PRELUDE, PRESENT, Precision, SHADERS, STORAGE, shader_source};
#[cfg(not(target_arch = "wasm32"))]
pub use readback::block_on;
pub use timer::TimeFuture;
pub use weights::Weights;
/// The wgpu this engine is built on (its types appear in `prepare_texture`, `draw` and
/// `Presenter`), so that callers such as crate/wasm name the same version.
pub use wgpu;

/// What can go wrong in the GPU engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input (sizes, timestep, scale) or a model file that does not fit, as in the core.
    #[error(transparent)]
    Core(#[from] inbetween::Error),
    #[error("GPU: {0}")]
    Gpu(String),
    /// The device is gone (driver reset, GPU removed, `destroy`): this engine cannot continue;
    /// a new engine requests a new device.
    #[error("the GPU device was lost ({0}); create a new engine to continue")]
    DeviceLost(String),
    #[error("model weights do not fit the GPU kernels: {0}")]
    Weights(String),
    #[error("the frame was prepared by another engine")]
    ForeignFrame,
    #[error("this output was overwritten by a later interpolation of the same size")]
    Stale,
    #[error("this output was made without tracing (use interpolate_traced)")]
    NoTrace,
    #[error(
        "a {width}x{height} frame needs a {need}-byte buffer or binding, over this device's limit of {limit}"
    )]
    TooLarge {
        width: usize,
        height: usize,
        need: u64,
        limit: u64,
    },
    /// The frames are textures of the padded size, which the device's largest 2D texture must
    /// hold (`max_texture_dimension_2d`: 8192 by default in WebGPU).
    #[error(
        "a {width}x{height} frame is padded to {}x{}, over this device's largest texture side of {limit}",
        padded.0, padded.1
    )]
    TooWide {
        width: usize,
        height: usize,
        padded: (usize, usize),
        limit: usize,
    },
}

impl Error {
    /// The kind of error as a stable code (`inbetween::Error::code`'s, whose list holds every
    /// one of these).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Core(e) => e.code(),
            Error::Gpu(_) => "gpu",
            Error::DeviceLost(_) => "device-lost",
            Error::Weights(_) => "bad-model",
            Error::TooLarge { .. } | Error::TooWide { .. } => "out-of-memory",
            Error::ForeignFrame | Error::Stale | Error::NoTrace => "backend",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every storage binding the engine makes for a `width`x`height` frame at `scale`, by name, with
/// its size in bytes (the largest of its kind; the 22.7 MB weights, bound whole at every size,
/// are not listed), on a device with WebGPU's default 128 MiB storage binding limit (which
/// decides whether the encoder's activations are bound whole or as two halves). No GPU is
/// needed: this is the arithmetic `Engine` checks against the device's
/// `max_storage_buffer_binding_size` before it builds anything.
pub fn binding_sizes(
    width: usize,
    height: usize,
    scale: f32,
    precision: Precision,
) -> Vec<(&'static str, u64)> {
    sizes(width, height, scale, precision).bindings()
}

/// The largest of `binding_sizes`: what a device's `max_storage_buffer_binding_size` must hold
/// (with the weights) for this frame size.
pub fn largest_binding(width: usize, height: usize, scale: f32, precision: Precision) -> u64 {
    sizes(width, height, scale, precision).largest_binding()
}

/// The largest buffer the engine makes for this frame size (a buffer bound as two ranges counts
/// whole): what the device's `max_buffer_size` must hold.
pub fn largest_buffer(width: usize, height: usize, scale: f32, precision: Precision) -> u64 {
    sizes(width, height, scale, precision).largest_buffer()
}

fn sizes(width: usize, height: usize, scale: f32, precision: Precision) -> plan::Sizes {
    let (ph, pw) = inbetween::padded_size(width, height, scale);
    // 256: WebGPU's default (and largest) storage offset alignment; 128 MiB: its default storage
    // binding limit, which decides whether the encoder's activations are bound as two ranges.
    plan::Sizes::new((width, height), (pw, ph), scale, precision, 256, 128 << 20)
}
