//! inbetween core: RIFE 4.25 video frame interpolation with burn.
//!
//! ```no_run
//! # fn main() -> inbetween::Result<()> {
//! use inbetween::{BackendKind, ImageRef, Interpolator, Timestep};
//! let interp = Interpolator::from_file("models/rife-4.25.bpk".as_ref(), BackendKind::Cpu)?;
//! # let (a, b) = (vec![0u8; 64 * 64 * 3], vec![0u8; 64 * 64 * 3]);
//! let f0 = interp.prepare(ImageRef::new(&a, 64, 64, 3)?, 1.0)?; // encoded once
//! let f1 = interp.prepare(ImageRef::new(&b, 64, 64, 3)?, 1.0)?;
//! let mid = interp.interpolate(&f0, &f1, &Timestep::Uniform(0.5))?;
//! let rgb = mid.frame_rgb8()?;
//! # Ok(()) }
//! ```
//!
//! Layers: `model` (burn modules only), `weights` (loading), and this file's `Interpolator`, the
//! pipeline that pads, encodes once per frame, runs the flow blocks and crops. The converter
//! (PyTorch → burnpack), image-file decoding, the CLI and the bench are in crate/cli.

pub mod backend;
pub mod error;
pub mod guard;
pub mod image;
pub mod model;
pub mod weights;

use std::path::Path;

use burn::tensor::ops::PadMode;
use burn::tensor::{Device, Tensor, TensorData};

pub use backend::{BackendKind, device, device_async, lose_gpu_device_for_testing};
pub use error::{Error, Result};
pub use image::{ImageRef, MAX_SIDE, planar_to_u8};
use model::{BlockTrace, IFNet};

/// Largest total size of the results of one `interpolate_many` call.
pub const MANY_BUDGET_BYTES: usize = 2 << 30;

/// The interpolation times accepted: 0 is the first frame, 1 the second.
pub const T_RANGE: (f32, f32) = (0.0, 1.0);

/// Smallest and largest `scale` accepted (RIFE's `--scale`, flow computed at `1/scale`).
pub const SCALE_RANGE: (f32, f32) = (0.25, 4.0);

/// The padding multiple the reference engine uses for `scale`
/// (saibyo engine.py: `tmp = max(128, int(128 / scale))`). Padding to a smaller multiple would
/// still give consistent shapes but changes the output by up to 0.07, so parity needs this one.
///
/// An odd multiple (scales that are not powers of two: 0.509 gives 251) is made even: the
/// encoder halves the size with a stride-2 conv and doubles it back with a transposed conv, so
/// an odd padded side would come back one pixel larger and the shapes would not meet (the
/// reference engine fails there too). Power-of-two scales, the ones the reference supports,
/// keep exactly its multiple (128, 256, 512).
pub fn pad_multiple(scale: f32) -> usize {
    let m = 128usize.max((128.0 / scale as f64) as usize);
    m + m % 2
}

fn check_scale(scale: f32) -> Result<()> {
    if !(scale.is_finite() && (SCALE_RANGE.0..=SCALE_RANGE.1).contains(&scale)) {
        return Err(Error::Scale(scale));
    }
    Ok(())
}

/// A frame ready for interpolation: padded and encoded once, reusable across pairs and timesteps.
#[derive(Clone)]
pub struct Frame {
    /// `[1, 3, PH, PW]`, RGB 0..1, zero-padded right and bottom.
    pub(crate) img: Tensor<4>,
    /// `[1, 4, PH, PW]`: encoder features of `img`.
    pub(crate) feat: Tensor<4>,
    pub width: usize,
    pub height: usize,
    pub scale: f32,
}

/// The target time of the in-between frame.
#[derive(Clone, Debug)]
pub enum Timestep {
    /// One time for every pixel: 0 is the first frame, 1 the second.
    Uniform(f32),
    /// One time per pixel, `height·width` values row by row, each in [0, 1]. A top-to-bottom ramp
    /// simulates a rolling shutter. The map is extended into the padding by repeating its edge.
    Map(Vec<f32>),
}

impl Timestep {
    /// A vertical ramp: row 0 at `top`, the last row at `bottom` (a rolling shutter).
    pub fn vertical_ramp(width: usize, height: usize, top: f32, bottom: f32) -> Self {
        let mut v = Vec::with_capacity(width * height);
        for y in 0..height {
            let a = if height > 1 {
                y as f32 / (height - 1) as f32
            } else {
                0.0
            };
            v.extend(std::iter::repeat_n(top + (bottom - top) * a, width));
        }
        Timestep::Map(v)
    }
}

/// An interpolated frame with the flow and mask that made it, all cropped to the input size.
pub struct Interpolated {
    /// `[1, 3, h, w]` RGB, not clamped.
    pub frame: Tensor<4>,
    /// `[1, 4, h, w]`: flow in pixels from the new frame to frame 0 (ch 0,1 = x,y) and to frame 1
    /// (ch 2,3). Warping another layer (alpha, depth) of frame 0 by it keeps it in step.
    pub flow: Tensor<4>,
    /// `[1, 1, h, w]`: weight of warped frame 0 in the blend (1 − weight for frame 1).
    pub mask: Tensor<4>,
    pub width: usize,
    pub height: usize,
}

#[cfg(not(target_family = "wasm"))]
impl Interpolated {
    /// The frame as interleaved 8-bit RGB (synchronous readback; native only).
    pub fn frame_rgb8(&self) -> Result<Vec<u8>> {
        let planar = read_f32(self.frame.clone())?;
        Ok(planar_to_u8(&planar, 3, self.width, self.height, 3))
    }
}

impl Interpolated {
    /// The frame as interleaved 8-bit RGBA (alpha 255), read back asynchronously (any target).
    pub async fn frame_rgba8_async(&self) -> Result<Vec<u8>> {
        let planar = read_f32_async(self.frame.clone()).await?;
        Ok(planar_to_u8(&planar, 3, self.width, self.height, 4))
    }
}

/// Asynchronous readback of a float tensor: works on every backend and target.
pub async fn read_f32_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data_async()
        .await
        .map_err(execution_error)?
        .try_into_vec::<f32>()
        .map_err(|e| read_error(format!("{e:?}")))
}

/// A failed readback. cubecl marks a wgpu device poisoned when wgpu reports it lost (driver
/// reset, GPU removed, tab backgrounded too long), and every later sync point fails with it.
fn execution_error(e: burn::tensor::ExecutionError) -> Error {
    // burn 0.22.1 wraps the poison of a readback in a generic storage error, so the variant
    // alone does not tell; the message does ("The device is poisoned").
    if e.is_device_poisoned() {
        Error::DeviceLost(e.reason().to_string())
    } else {
        read_error(e.reason().to_string())
    }
}

/// burn 0.22.1 hands back the data of a poisoned device lazily and reports the poison as a
/// storage access error when the bytes are read, so the message is what tells.
fn read_error(message: String) -> Error {
    // The message arrives Debug-formatted, with its newlines escaped.
    let message = message.replace("\\n", "\n");
    if message.contains("device is poisoned") {
        let reason = message.split("Caused by:").nth(1).unwrap_or(&message);
        let reason = reason.split("Backtrace").next().unwrap_or(reason);
        Error::DeviceLost(reason.trim().trim_end_matches(':').to_string())
    } else {
        Error::Backend(message)
    }
}

/// Synchronous readback of a float tensor (native only; the browser reads back asynchronously).
#[cfg(not(target_family = "wasm"))]
pub fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.try_into_data()
        .map_err(execution_error)?
        .try_into_vec::<f32>()
        .map_err(|e| read_error(format!("{e:?}")))
}

/// What an interpolation may do beyond RIFE 4.25 itself (issue 12). The default is the reference:
/// everything off, output bit for bit that of `Interpolator::interpolate`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// Keep still regions (captions, logos) from the inputs instead of what the warps carry in;
    /// see `guard`.
    pub static_guard: bool,
    /// Test-time augmentation (`quality: 'best'`): also run the horizontally mirrored pair and
    /// average the two frames, mirrored back. RIFE's flow is not mirror-symmetric, so the two
    /// passes err differently and the mean is closer to the truth: +1.2 dB over the quality
    /// bench for 1.85x the time (tests/quality/README.md). The flow and mask returned are the
    /// unmirrored pass's.
    pub mirror_average: bool,
}

/// The RIFE model on one device, plus the pre- and post-processing around it.
pub struct Interpolator {
    model: IFNet,
    device: Device,
}

impl Interpolator {
    /// Wraps an already loaded model.
    pub fn new(model: IFNet, device: Device) -> Self {
        Self { model, device }
    }

    /// Loads converted model bytes (burnpack, f32 or f16) onto `device`.
    pub fn from_bytes(bytes: Vec<u8>, device: Device) -> Result<Self> {
        let model = weights::load_model_bytes(bytes, &device)?;
        Ok(Self { model, device })
    }

    /// Loads a converted model file onto a new device of `kind` (native).
    pub fn from_file(path: &Path, kind: BackendKind) -> Result<Self> {
        let device = backend::device(kind)?;
        let model = weights::load_model_file(path, &device)?;
        Ok(Self { model, device })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn model(&self) -> &IFNet {
        &self.model
    }

    /// Pads and encodes one 8-bit frame for interpolation at `scale`.
    pub fn prepare(&self, image: ImageRef<'_>, scale: f32) -> Result<Frame> {
        let image = ImageRef::new(image.data, image.width, image.height, image.channels)?;
        self.prepare_planar(image.to_planar_rgb(), image.width, image.height, scale)
    }

    /// Pads and encodes one frame given as planar RGB floats `[3][height][width]` in 0..1.
    pub fn prepare_planar(
        &self,
        rgb: Vec<f32>,
        width: usize,
        height: usize,
        scale: f32,
    ) -> Result<Frame> {
        check_scale(scale)?;
        image::check_size(width, height)?;
        if rgb.len() != 3 * width * height {
            return Err(Error::BufferLength {
                got: rgb.len(),
                expected: 3 * width * height,
                width,
                height,
                channels: 3,
            });
        }
        let img = Tensor::<4>::from_data(TensorData::new(rgb, [1, 3, height, width]), &self.device);
        Ok(self.pad_and_encode(img, scale))
    }

    /// The frame of an unpadded picture `img` `[1, 3, h, w]` at `scale`: zero padding on the
    /// right and bottom only (engine.py `F.pad(img, (0, pw-w, 0, ph-h))`), then the encoder.
    fn pad_and_encode(&self, img: Tensor<4>, scale: f32) -> Frame {
        let [_, _, height, width] = img.dims();
        let (ph, pw) = padded_size(width, height, scale);
        let img = img.pad([(0, ph - height), (0, pw - width)], PadMode::Constant(0.0)); // [1, 3, PH, PW]
        let feat = self.model.encode(img.clone()); // [1, 4, PH, PW]
        Frame {
            img,
            feat,
            width,
            height,
            scale,
        }
    }

    /// One in-between frame of `a` and `b` at time `t`.
    pub fn interpolate(&self, a: &Frame, b: &Frame, t: &Timestep) -> Result<Interpolated> {
        self.interpolate_traced(a, b, t, false).map(|(out, _)| out)
    }

    /// `interpolate` with the options of issue 12 (see `Options`); with all of them off it is
    /// `interpolate` exactly.
    pub fn interpolate_with(
        &self,
        a: &Frame,
        b: &Frame,
        t: &Timestep,
        options: &Options,
    ) -> Result<Interpolated> {
        let mut out = self.interpolate(a, b, t)?;
        if options.mirror_average {
            let t_mirrored = match t {
                Timestep::Uniform(t) => Timestep::Uniform(*t),
                Timestep::Map(v) => Timestep::Map(
                    v.chunks(a.width)
                        .flat_map(|row| row.iter().rev().copied())
                        .collect(),
                ),
            };
            let m = self.interpolate(&self.mirrored(a)?, &self.mirrored(b)?, &t_mirrored)?;
            // [1, 3, h, w]: the mean of the two passes, the second mirrored back.
            out.frame = (out.frame + m.frame.flip([3])).mul_scalar(0.5);
        }
        if options.static_guard {
            let [_, _, ph, pw] = a.img.dims();
            let (w, h) = (out.width, out.height);
            let read = |x: &Tensor<4>| -> Result<Vec<f32>> {
                x.clone()
                    .into_data()
                    .try_into_vec::<f32>()
                    .map_err(|e| read_error(format!("{e:?}")))
            };
            let mut frame = read(&out.frame)?; // [3][h][w]
            let times = match t {
                Timestep::Uniform(t) => vec![*t],
                Timestep::Map(v) => v.clone(),
            };
            guard::apply(
                &mut frame,
                &read(&a.img)?,
                &read(&b.img)?,
                (pw, ph),
                (w, h),
                &times,
            );
            out.frame = Tensor::<4>::from_data(TensorData::new(frame, [1, 3, h, w]), &self.device);
        }
        Ok(out)
    }

    /// How far things move between `a` and `b`, in pixels, as RIFE's first (coarsest) block
    /// sees it: the 95th percentile over the frame of the displacement between the two frames
    /// (`|flow to frame 0| + |flow to frame 1|` at t = 0.5). One block at 1/16 of the frame
    /// (1/(16·scale)): a few percent of an interpolation. For `auto_scale`.
    pub fn coarse_motion(&self, a: &Frame, b: &Frame) -> Result<f32> {
        if (a.width, a.height) != (b.width, b.height) || a.scale != b.scale {
            return Err(Error::SizeMismatch {
                a_w: a.width,
                a_h: a.height,
                b_w: b.width,
                b_h: b.height,
            });
        }
        let [_, _, ph, pw] = a.img.dims();
        let t = Tensor::<4>::full([1, 1, ph, pw], 0.5, &self.device);
        let flow = self.model.coarse_flow(
            a.img.clone(),
            b.img.clone(),
            a.feat.clone(),
            b.feat.clone(),
            t,
            a.scale as f64,
        ); // [1, 4, PH, PW]
        let flow = flow.narrow(2, 0, a.height).narrow(3, 0, a.width);
        let v = flow
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| read_error(format!("{e:?}")))?;
        let n = a.width * a.height;
        let mut d: Vec<f32> = (0..n)
            .map(|i| v[i].hypot(v[n + i]) + v[2 * n + i].hypot(v[3 * n + i]))
            .collect();
        let k = (n * 95 / 100).min(n - 1);
        let (_, p95, _) = d.select_nth_unstable_by(k, f32::total_cmp);
        Ok(*p95)
    }

    /// `f` mirrored left to right, padded and encoded again (the padding stays right and bottom,
    /// as `prepare` puts it, so this is `prepare` of the mirrored picture).
    fn mirrored(&self, f: &Frame) -> Result<Frame> {
        let img = f.img.clone().narrow(2, 0, f.height).narrow(3, 0, f.width); // [1, 3, h, w]
        Ok(self.pad_and_encode(img.flip([3]), f.scale))
    }

    /// `f` prepared again at another flow scale, from its own pixels: the padding is cut off,
    /// the picture padded for `scale` (`padded_size`) and encoded. For `scale: 'auto'`, which
    /// measures a pair at one scale (`choose_scale`) and may then run it at a smaller one,
    /// after the caller has let the source pixels go. Exactly `prepare` of the same picture at
    /// `scale`.
    pub fn rescaled(&self, f: &Frame, scale: f32) -> Result<Frame> {
        check_scale(scale)?;
        let img = f.img.clone().narrow(2, 0, f.height).narrow(3, 0, f.width); // [1, 3, h, w]
        Ok(self.pad_and_encode(img, scale))
    }

    /// The scale automatic scale picks for the pair (`auto_scale` of `coarse_motion`), with the
    /// motion it measured. The frames may be at any scale; the usual start is `size_scale`.
    /// Where no motion would change the choice (frames under 480 lines), nothing is measured
    /// and the motion is `None`.
    pub fn choose_scale(&self, a: &Frame, b: &Frame) -> Result<(f32, Option<f32>)> {
        let (w, h) = (a.width, a.height);
        if auto_scale(w, h, 0.0) == auto_scale(w, h, f32::INFINITY) {
            return Ok((auto_scale(w, h, 0.0), None));
        }
        let motion = self.coarse_motion(a, b)?;
        Ok((auto_scale(w, h, motion), Some(motion)))
    }

    /// Several in-between frames of one pair; each frame was encoded once, in `prepare`.
    ///
    /// Every result is kept (with its flow and mask), so the list is bounded: at most
    /// `MANY_BUDGET_BYTES` of results in one call. Running out of memory aborts a Rust process
    /// outright, so a huge list must be refused before it starts; callers with more timesteps
    /// call `interpolate` one at a time (the CLI does).
    pub fn interpolate_many(&self, a: &Frame, b: &Frame, ts: &[f32]) -> Result<Vec<Interpolated>> {
        // 3 + 4 + 1 channels of f32 per pixel: the frame, the flow and the mask.
        let need = ts.len().saturating_mul(a.width * a.height * 8 * 4);
        if need > MANY_BUDGET_BYTES {
            return Err(Error::TooManyTimesteps {
                count: ts.len(),
                width: a.width,
                height: a.height,
                need_mib: need >> 20,
                budget_mib: MANY_BUDGET_BYTES >> 20,
            });
        }
        if let Some(&t) = ts
            .iter()
            .find(|t| !(t.is_finite() && (T_RANGE.0..=T_RANGE.1).contains(*t)))
        {
            return Err(Error::Timestep(t));
        }
        ts.iter()
            .map(|&t| self.interpolate(a, b, &Timestep::Uniform(t)))
            .collect()
    }

    /// Like `interpolate`, also returning the accumulated flow and mask logit after each block,
    /// at the padded size (for parity tests and visualisation).
    pub fn interpolate_traced(
        &self,
        a: &Frame,
        b: &Frame,
        t: &Timestep,
        trace: bool,
    ) -> Result<(Interpolated, Vec<BlockTrace>)> {
        if (a.width, a.height) != (b.width, b.height) {
            return Err(Error::SizeMismatch {
                a_w: a.width,
                a_h: a.height,
                b_w: b.width,
                b_h: b.height,
            });
        }
        if a.scale != b.scale {
            return Err(Error::ScaleMismatch(a.scale, b.scale));
        }
        let (w, h) = (a.width, a.height);
        let [_, _, ph, pw] = a.img.dims();
        let t = self.time_tensor(t, w, h, ph, pw)?; // [1, 1, PH, PW]
        let out = self.model.forward(
            a.img.clone(),
            b.img.clone(),
            a.feat.clone(),
            b.feat.clone(),
            t,
            a.scale as f64,
            trace,
        );
        let crop = |x: Tensor<4>| x.narrow(2, 0, h).narrow(3, 0, w);
        Ok((
            Interpolated {
                frame: crop(out.merged),
                flow: crop(out.flow),
                mask: crop(out.mask),
                width: w,
                height: h,
            },
            out.trace,
        ))
    }

    /// The timestep as a `[1, 1, PH, PW]` map.
    fn time_tensor(
        &self,
        t: &Timestep,
        w: usize,
        h: usize,
        ph: usize,
        pw: usize,
    ) -> Result<Tensor<4>> {
        match t {
            Timestep::Uniform(t) => {
                if !(t.is_finite() && (T_RANGE.0..=T_RANGE.1).contains(t)) {
                    return Err(Error::Timestep(*t));
                }
                Ok(Tensor::<4>::full([1, 1, ph, pw], *t, &self.device))
            }
            Timestep::Map(values) => {
                if values.len() != w * h {
                    return Err(Error::TimeMapLength {
                        got: values.len(),
                        expected: w * h,
                        width: w,
                        height: h,
                    });
                }
                if let Some((index, &value)) = values
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(v.is_finite() && (T_RANGE.0..=T_RANGE.1).contains(*v)))
                {
                    return Err(Error::TimeMapValue { index, value });
                }
                let map = Tensor::<4>::from_data(
                    TensorData::new(values.clone(), [1, 1, h, w]),
                    &self.device,
                );
                Ok(map.pad([(0, ph - h), (0, pw - w)], PadMode::Edge))
            }
        }
    }
}

/// The flow scale for a frame size alone, before any motion is measured: 1 up to 1080p, 0.5 up to
/// 4K, 0.25 above (Practical-RIFE suggests 0.5 for 4K; we step at 1080p and 4K). This is what the
/// package's `scale: 'auto'` was before it looked at motion, and it stays `auto_scale`'s ceiling:
/// automatic scale never runs a pair finer, so never slower, than this.
pub fn size_scale(width: usize, height: usize) -> f32 {
    let pixels = width * height;
    if pixels <= 1920 * 1088 {
        1.0
    } else if pixels <= 3840 * 2176 {
        0.5
    } else {
        0.25
    }
}

/// The flow scale for one pair from its motion (`Interpolator::coarse_motion`, px between the
/// two frames) and its size (issue 12, item 2). Measured on the quality bench
/// (tests/quality/README.md): at 320x192 every pan, even 2 x 48 px, is best at scale 1 (scale
/// 0.5 loses 3.6 dB on large motion there: the flow grid gets too coarse); at 960x576, pans of
/// 2 x 72 and 2 x 144 px are better at 0.5 (+3.8 and +5.0 dB on hubble), 2 x 24 px still at 1.
///
/// The rule: start from `size_scale`, and halve while the motion, in pixels of the grid the
/// blocks run on (`motion · scale`), passes `AUTO_MOTION_HALF` and the halved grid keeps a short
/// side of at least `AUTO_MIN_SIDE / 2`. At 960x576 that is the measured rule (0.5 above 96 px,
/// never 0.25); at 4K it gives 0.5, then 0.25 above 192 px, which extrapolates the same
/// measurement to a grid we could not measure on (no 4K ground truth at bench speed here).
pub fn auto_scale(width: usize, height: usize, motion: f32) -> f32 {
    let short = width.min(height) as f32;
    let mut scale = size_scale(width, height);
    while scale > SCALE_RANGE.0
        && motion * scale > AUTO_MOTION_HALF
        && short * scale / 2.0 >= AUTO_MIN_SIDE as f32 / 2.0
    {
        scale /= 2.0;
    }
    scale
}

/// `auto_scale`: a frame's short side must be at least this for scale 0.5 (and half of it, on
/// the halved grid, for each further halving).
pub const AUTO_MIN_SIDE: usize = 480;
/// `auto_scale`: the motion (px between the frames, 95th percentile, on the grid of the current
/// scale) above which the scale is halved.
pub const AUTO_MOTION_HALF: f32 = 96.0;

/// Pixels of work one interpolation of a `width`×`height` frame does at `scale`, for memory
/// budgets: the padded area, times `scale²` above 1, because the scale list
/// `[16, 8, 4, 2, 1] / scale` then runs the last blocks above the frame's own resolution
/// (at scale 4 the last block works at 4x the width and height).
pub fn work_pixels(width: usize, height: usize, scale: f32) -> usize {
    let (ph, pw) = padded_size(width, height, scale);
    let up = (scale.max(1.0) as f64).powi(2);
    ((ph * pw) as f64 * up).ceil() as usize
}

/// Padded size `(PH, PW)` of a `width`×`height` frame at `scale`
/// (engine.py: `ph = ((h - 1) // tmp + 1) * tmp`).
pub fn padded_size(width: usize, height: usize, scale: f32) -> (usize, usize) {
    let m = pad_multiple(scale);
    (height.div_ceil(m) * m, width.div_ceil(m) * m)
}

impl Frame {
    /// `[1, 4, PH, PW]`: the encoder features computed when the frame was prepared.
    pub fn features(&self) -> Tensor<4> {
        self.feat.clone()
    }
}
