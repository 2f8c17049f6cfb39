//! Conversions between 8-bit interleaved pixels and the model's planar RGB floats.

use crate::error::{Error, Result};

/// Largest side accepted. WebGPU's default `maxTextureDimension2D` is 8192, and the padded
/// activations of a larger frame exceed common storage-buffer limits.
pub const MAX_SIDE: usize = 8192;

/// A borrowed 8-bit image: rows top to bottom, pixels interleaved RGB or RGBA.
#[derive(Clone, Copy, Debug)]
pub struct ImageRef<'a> {
    pub data: &'a [u8],
    pub width: usize,
    pub height: usize,
    /// 3 (RGB) or 4 (RGBA; alpha is ignored by the model).
    pub channels: usize,
}

impl<'a> ImageRef<'a> {
    pub fn new(data: &'a [u8], width: usize, height: usize, channels: usize) -> Result<Self> {
        if channels != 3 && channels != 4 {
            return Err(Error::Channels(channels));
        }
        check_size(width, height)?;
        let expected = width * height * channels;
        if data.len() != expected {
            return Err(Error::BufferLength {
                got: data.len(),
                expected,
                width,
                height,
                channels,
            });
        }
        Ok(Self {
            data,
            width,
            height,
            channels,
        })
    }

    /// Planar RGB in 0..1, `[3][height][width]` flattened (the model's channel order is RGB).
    pub fn to_planar_rgb(&self) -> Vec<f32> {
        let plane = self.width * self.height;
        let mut out = vec![0.0f32; 3 * plane];
        for (i, px) in self.data.chunks_exact(self.channels).enumerate() {
            for c in 0..3 {
                out[c * plane + i] = px[c] as f32 / 255.0;
            }
        }
        out
    }
}

/// Checks a frame size against the limits every entry point shares (the CLI's decoder too).
pub fn check_size(width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::EmptyImage { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::ImageTooLarge {
            width,
            height,
            max: MAX_SIDE,
        });
    }
    Ok(())
}

/// Planar floats `[channels][h][w]` → interleaved 8-bit with `out_channels` (3 or 4; alpha 255).
/// Values are clamped to 0..1 and rounded. (The reference engine truncates with `.byte()`,
/// which also wraps out-of-range values; rounding after a clamp is the faithful conversion.)
pub fn planar_to_u8(
    planar: &[f32],
    channels: usize,
    width: usize,
    height: usize,
    out_channels: usize,
) -> Vec<u8> {
    let plane = width * height;
    let mut out = vec![255u8; plane * out_channels];
    for i in 0..plane {
        for c in 0..channels.min(out_channels) {
            let v = planar[c * plane + i];
            out[i * out_channels + c] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    out
}
