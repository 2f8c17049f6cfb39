//! Image files → upright 8-bit RGB, for the CLI (native only, `cli` feature). Kept in the
//! library rather than the binary so the fuzz tests can feed it arbitrary bytes in-process.
//!
//! Every size is checked from the header before a pixel is decoded (a lying header can claim
//! 100000x100000), and a JPEG's EXIF orientation is applied, as image viewers do.

use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use inbetween::image::check_size;

/// Why an image could not be read; the message names the file (or "the image").
pub type DecodeError = String;

fn reader_from_path(
    path: &Path,
) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, DecodeError> {
    ImageReader::open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The core's own size rule (`image::check_size`: 1 to MAX_SIDE a side), naming the file.
fn check_side(what: &str, w: u32, h: u32) -> Result<(), DecodeError> {
    check_size(w as usize, h as usize).map_err(|e| format!("{what}: {e}"))
}

fn decode<R: BufRead + Seek>(reader: ImageReader<R>, what: &str) -> Result<RgbImage, DecodeError> {
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("cannot decode {what}: {e}"))?;
    let orientation = decoder
        .orientation()
        .map_err(|e| format!("cannot decode {what}: {e}"))?;
    let (w, h) = decoder.dimensions();
    check_side(what, w, h)?;
    let mut img =
        DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode {what}: {e}"))?;
    img.apply_orientation(orientation);
    Ok(img.to_rgb8())
}

fn upright<R: BufRead + Seek>(
    reader: ImageReader<R>,
    what: &str,
) -> Result<(u32, u32), DecodeError> {
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("cannot decode {what}: {e}"))?;
    let (w, h) = decoder.dimensions();
    check_side(what, w, h)?;
    use image::metadata::Orientation::*;
    Ok(match decoder.orientation().unwrap_or(NoTransforms) {
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => (h, w),
        _ => (w, h),
    })
}

/// Decodes an image file upright (EXIF orientation applied) as RGB.
pub fn load(path: &Path) -> Result<RgbImage, DecodeError> {
    decode(reader_from_path(path)?, &path.display().to_string())
}

/// The upright size of an image file from its header alone (no pixel decoding).
pub fn upright_size(path: &Path) -> Result<(u32, u32), DecodeError> {
    upright(reader_from_path(path)?, &path.display().to_string())
}

/// `load` on bytes in memory (format guessed from the content).
pub fn load_bytes(bytes: &[u8]) -> Result<RgbImage, DecodeError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read the image: {e}"))?;
    decode(reader, "the image")
}
