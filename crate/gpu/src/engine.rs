//! The engine: the device, the pipelines, the packed weights, and one plan per frame size.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use inbetween::{Options, SCALE_RANGE, Timestep, padded_size};
use wgpu::util::DeviceExt;

use crate::kernels::{Kernels, Precision};
use crate::plan::{Plan, Profile, Recorder, Sizes, Slot};
use crate::readback::{read_f32, read_texture};
use crate::timer::{TimeFuture, Timer};
use crate::weights::{Layout, Weights};
use crate::{Error, Result};

static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// RIFE 4.25 on one wgpu device.
pub struct Engine {
    id: u64,
    device: wgpu::Device,
    queue: wgpu::Queue,
    kernels: Kernels,
    precision: Precision,
    weights: wgpu::Buffer,
    layout: Layout,
    plans: Mutex<HashMap<(usize, usize, u32), Arc<Plan>>>,
    dispatches: AtomicU64,
    submissions: AtomicU64,
    health: Arc<Health>,
    /// present.wgsl's pipelines, one per target format, made on the first draw into it.
    present: Mutex<HashMap<wgpu::TextureFormat, wgpu::RenderPipeline>>,
    /// The staging texture `prepare_external` imports browser images into, kept for its size.
    #[cfg(target_arch = "wasm32")]
    import: Mutex<Option<wgpu::Texture>>,
    /// Each interpolation's GPU time (timer.rs), where the device has `timestamp-query`.
    timer: Option<Timer>,
}

/// What the device reported behind our back. wgpu's default handler panics on any validation
/// error, and a lost device turns every later call into one, so a driver reset would crash the
/// process (or trap the wasm). Both are recorded here instead and returned as errors by the
/// next call.
#[derive(Default)]
struct Health {
    lost: Mutex<Option<String>>,
    error: Mutex<Option<String>>,
}

/// A prepared frame: its padded image and (once encoded) its features, on the GPU. Keep the
/// handle to reuse the frame in the next pair; dropping it frees its buffers for a later frame
/// of the same size.
#[derive(Clone)]
pub struct GpuFrame {
    engine: u64,
    plan: Arc<Plan>,
    slot: Arc<Slot>,
    /// How the bytes in `slot.pixels` are laid out, so `rescaled` can unpack them again.
    layout: PixelLayout,
    /// The frame's mirror image, prepared and encoded on the GPU by the first `mirror_average`
    /// interpolation that needs it, then kept (shared by every clone of the handle, freed with
    /// the last) so that the next pair of a video reuses it, as it reuses the frame itself.
    mirror: Arc<Mutex<Option<Arc<Slot>>>>,
    pub width: usize,
    pub height: usize,
    pub scale: f32,
}

/// The layout of a frame's source bytes in its slot's pixel buffer (head_conv0_unpack.wgsl's
/// parameters 2, 9 and 10).
#[derive(Clone, Copy)]
struct PixelLayout {
    channels: usize,
    row_bytes: usize,
    swap_rb: bool,
}

/// A surface the engine presents outputs to (`Engine::present`): in the browser, a WebGPU
/// canvas. Made by `Presenter::new` from a surface of any wgpu instance on the same backend.
pub struct Presenter {
    surface: wgpu::Surface<'static>,
    format: wgpu::TextureFormat,
    configured: Option<(u32, u32)>,
}

impl Presenter {
    /// `rgba8unorm` is a format every WebGPU canvas accepts, whatever the preferred one is.
    pub fn new(surface: wgpu::Surface<'static>) -> Self {
        Self {
            surface,
            format: wgpu::TextureFormat::Rgba8Unorm,
            configured: None,
        }
    }

    /// A WebGPU canvas (an `OffscreenCanvas`, e.g. one transferred to a worker).
    #[cfg(target_arch = "wasm32")]
    pub fn offscreen_canvas(canvas: wgpu::web_sys::OffscreenCanvas) -> Result<Self> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let surface = instance
            .create_surface(wgpu::SurfaceTarget::OffscreenCanvas(canvas))
            .map_err(|e| Error::Gpu(format!("the canvas has no WebGPU context: {e}")))?;
        Ok(Self::new(surface))
    }
}

/// An interpolated frame, on the GPU. Its buffers belong to the size's plan: the next
/// interpolation of the same size overwrites them (reads then fail with `Error::Stale`).
pub struct GpuOutput {
    plan: Arc<Plan>,
    generation: u64,
    traced: bool,
    pub width: usize,
    pub height: usize,
}

/// The accumulated flow and the mask logit after one block, at the padded size.
pub struct BlockTrace {
    /// `[4][PH][PW]`, pixels.
    pub flow: Vec<f32>,
    /// `[1][PH][PW]`, a logit.
    pub mask: Vec<f32>,
    pub padded_width: usize,
    pub padded_height: usize,
}

impl GpuOutput {
    /// `[img_h][img_w]` RGBA8 packed in u32 (R in the low byte), cropped: what a canvas shows.
    pub fn rgba_buffer(&self) -> &wgpu::Buffer {
        &self.plan.out_rgba
    }

    /// `[3][img_h][img_w]` f32, cropped and not clamped.
    pub fn rgb_buffer(&self) -> &wgpu::Buffer {
        &self.plan.out_rgb
    }
}

impl Engine {
    /// Requests an adapter and a device with the adapter's own limits (large frames need more
    /// than WebGPU's default 128 MiB storage binding), then builds the f32 engine.
    pub async fn request(weights: &Weights) -> Result<Self> {
        Self::request_with(weights, Precision::F32).await
    }

    /// As `request`, in the given precision. The device gets `shader-f16` whenever the adapter
    /// has it; `Precision::F16` without it runs the packed form (`with_precision`).
    pub async fn request_with(weights: &Weights, precision: Precision) -> Result<Self> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("no GPU adapter: {e}")))?;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("inbetween-gpu"),
                required_limits: adapter.limits(),
                required_features: adapter.features()
                    & (wgpu::Features::SHADER_F16 | wgpu::Features::TIMESTAMP_QUERY),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("requesting a device: {e}")))?;
        Self::with_precision(device, queue, weights, precision)
    }

    /// Builds the f32 pipelines and uploads the packed weights once.
    pub fn new(device: wgpu::Device, queue: wgpu::Queue, weights: &Weights) -> Result<Self> {
        Self::with_precision(device, queue, weights, Precision::F32)
    }

    /// As `new`, storing activations in `precision`. `Precision::F16` uses WGSL's `f16` where
    /// the device has `shader-f16` and the `pack2x16float` form (`Precision::F16Packed`)
    /// otherwise; `precision()` then says which. `F16Packed` is used as asked, on any device.
    pub fn with_precision(
        device: wgpu::Device,
        queue: wgpu::Queue,
        weights: &Weights,
        precision: Precision,
    ) -> Result<Self> {
        let precision = match precision {
            Precision::F16 if !device.features().contains(wgpu::Features::SHADER_F16) => {
                Precision::F16Packed
            }
            p => p,
        };
        let health = Arc::new(Health::default());
        {
            let h = health.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                h.error.lock().unwrap().get_or_insert_with(|| e.to_string());
            }));
            let h = health.clone();
            device.set_device_lost_callback(move |reason, message| {
                *h.lost.lock().unwrap() = Some(format!("{reason:?}: {message}"));
            });
        }
        let kernels = Kernels::new(&device, precision);
        let timer = Timer::new(&device, &queue);
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("weights"),
            contents: bytemuck::cast_slice(&weights.data),
            usage: wgpu::BufferUsages::STORAGE,
        });
        Ok(Self {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            device,
            queue,
            kernels,
            precision,
            weights: buffer,
            layout: weights.layout.clone(),
            plans: Mutex::new(HashMap::new()),
            dispatches: AtomicU64::new(0),
            submissions: AtomicU64::new(0),
            health,
            present: Mutex::new(HashMap::new()),
            #[cfg(target_arch = "wasm32")]
            import: Mutex::new(None),
            timer,
        })
    }

    /// The activation storage this engine runs: as asked, except that `F16` on a device
    /// without `shader-f16` is `F16Packed`.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Compute dispatches recorded so far (all calls together).
    pub fn dispatch_count(&self) -> u64 {
        self.dispatches.load(Ordering::Relaxed)
    }

    /// Command buffers submitted for compute so far (readbacks not counted).
    pub fn submission_count(&self) -> u64 {
        self.submissions.load(Ordering::Relaxed)
    }

    /// Whether interpolations are timed on the GPU (`gpu_time_ms`): the device has
    /// `timestamp-query` (`request` asks for it when the adapter has it). Without it callers
    /// measure wall time instead.
    pub fn measures_gpu_time(&self) -> bool {
        self.timer.is_some()
    }

    /// The GPU time of the last interpolation whose timestamps have been read back, in
    /// milliseconds: from the start of its first compute pass to the end of its last (the
    /// encoders of new frames, the blocks and the merge; with `mirror_average` both passes).
    /// Never waits: the figure comes back through an asynchronous map of 16 bytes that the
    /// interpolation scheduled itself (natively, completed by any device poll, which this does
    /// without blocking). None without `timestamp-query`, or before any figure is in.
    pub fn gpu_time_ms(&self) -> Option<f64> {
        let timer = self.timer.as_ref()?;
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::Poll);
        timer.last()
    }

    /// The GPU time of the latest interpolation, once its timestamps are read back: None when
    /// there is no `timestamp-query`, when it was not timed (every readback slot was still in
    /// flight) or when the timestamps were unusable. The future owns what it needs (the browser
    /// build hands it to JS as a Promise). Natively it waits for the device here, as the
    /// readbacks do.
    pub fn latest_gpu_time(&self) -> TimeFuture {
        let future = match &self.timer {
            Some(timer) => timer.wait_latest(),
            None => TimeFuture::none(),
        };
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
        future
    }

    /// Destroys the device, as a driver reset would, so callers can check that a lost device
    /// gives `Error::DeviceLost` and not a panic. The loss is recorded at once: on the web the
    /// device's `lost` promise resolves only on a later turn of the event loop. (In Chromium 156
    /// it had resolved by the time the next call's readback failed, which `read_error` then
    /// reports as the loss, so the browser test also passes without this; it is kept so that the
    /// next call does not depend on that timing.)
    pub fn lose_device_for_testing(&self) {
        self.health
            .lost
            .lock()
            .unwrap()
            .get_or_insert_with(|| "Destroyed: destroyed for testing".into());
        self.device.destroy();
    }

    /// A readback's error, as `DeviceLost` when the device went away meanwhile: a map of a
    /// destroyed device's buffer fails with a generic error, and callers retire the engine only
    /// on a loss.
    fn read_error(&self, e: Error) -> Error {
        let _ = self.device.poll(wgpu::PollType::Poll);
        match self.health.lost.lock().unwrap().clone() {
            Some(reason) => Error::DeviceLost(reason),
            None => e,
        }
    }

    /// The plan for this size, built on first use.
    fn plan(&self, width: usize, height: usize, scale: f32) -> Result<Arc<Plan>> {
        let key = (width, height, scale.to_bits());
        let mut plans = self.plans.lock().unwrap();
        if let Some(p) = plans.get(&key) {
            return Ok(p.clone());
        }
        // (PH, PW): height first, as the core returns it.
        let (ph, pw) = padded_size(width, height, scale);
        let padded = (pw, ph);
        let limits = self.device.limits();
        // Every binding and buffer the plan will make (`Sizes`), with the weights, which every
        // conv binds whole. The frames and the feat state are textures: no binding-size limit,
        // but a largest dimension.
        let sizes = Sizes::new(
            (width, height),
            padded,
            scale,
            self.precision,
            limits.min_storage_buffer_offset_alignment as u64,
            limits.max_storage_buffer_binding_size,
        );
        let max_texture = limits.max_texture_dimension_2d as usize;
        if pw > max_texture || ph > max_texture {
            return Err(Error::TooWide {
                width,
                height,
                padded: (pw, ph),
                limit: max_texture,
            });
        }
        let need = sizes.largest_binding().max(self.weights.size());
        let limit = limits.max_storage_buffer_binding_size;
        let buffer = sizes.largest_buffer().max(self.weights.size());
        let (need, limit) = if buffer > limits.max_buffer_size {
            (buffer, limits.max_buffer_size)
        } else {
            (need, limit)
        };
        if need > limit {
            return Err(Error::TooLarge {
                width,
                height,
                need,
                limit,
            });
        }
        let plan = Arc::new(Plan::new(
            &self.device,
            &self.kernels,
            &self.weights,
            &self.layout,
            width,
            height,
            scale,
            padded,
            self.precision,
        ));
        plans.insert(key, plan.clone());
        Ok(plan)
    }

    /// Uploads one 8-bit frame (interleaved RGB or RGBA, rows top to bottom) for interpolation
    /// at `scale`. The encoder runs in the next interpolation's command buffer.
    pub fn prepare(
        &self,
        pixels: &[u8],
        width: usize,
        height: usize,
        channels: usize,
        scale: f32,
    ) -> Result<GpuFrame> {
        self.check_health()?;
        inbetween::ImageRef::new(pixels, width, height, channels)?;
        let (plan, slot) = self.frame_slot(width, height, scale)?;
        let mut bytes = pixels.to_vec();
        bytes.resize(pixels.len().div_ceil(4) * 4, 0);
        self.queue.write_buffer(&slot.pixels, 0, &bytes);
        Ok(self.finish_prepare(plan, slot, channels, width * channels, false))
    }

    /// Prepares a frame from a 2D texture that is already on this device (`Rgba8Unorm`,
    /// `Rgba8UnormSrgb`, `Bgra8Unorm` or `Bgra8UnormSrgb`, with `COPY_SRC` usage; alpha is
    /// ignored), without a CPU readback. The texels are copied as bytes into the frame slot's
    /// pixel buffer (a copy command, submitted now, so the caller may reuse the texture at once),
    /// and the same `head_conv0_unpack.wgsl` dispatch as `prepare` unpacks them: no dispatch
    /// is added. An sRGB format is read as its stored bytes, as `prepare` reads its input.
    pub fn prepare_texture(&self, texture: &wgpu::Texture, scale: f32) -> Result<GpuFrame> {
        self.check_health()?;
        let swap_rb = match texture.format() {
            wgpu::TextureFormat::Rgba8Unorm | wgpu::TextureFormat::Rgba8UnormSrgb => false,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb => true,
            other => {
                return Err(Error::Gpu(format!(
                    "a frame texture must be rgba8unorm or bgra8unorm, not {other:?}"
                )));
            }
        };
        if texture.dimension() != wgpu::TextureDimension::D2
            || texture.depth_or_array_layers() != 1
            || texture.sample_count() != 1
        {
            return Err(Error::Gpu(
                "a frame texture must be a single 2D image (one layer, one sample)".into(),
            ));
        }
        if !texture.usage().contains(wgpu::TextureUsages::COPY_SRC) {
            return Err(Error::Gpu(
                "a frame texture needs COPY_SRC usage (the engine copies it into the frame)".into(),
            ));
        }
        let (width, height) = (texture.width() as usize, texture.height() as usize);
        if width == 0 || height == 0 {
            return Err(inbetween::Error::EmptyImage { width, height }.into());
        }
        let (plan, slot) = self.frame_slot(width, height, scale)?;
        let row_bytes = crate::plan::texture_row_bytes(width);
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame texture copy"),
            });
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &slot.pixels,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(row_bytes as u32),
                    rows_per_image: None,
                },
            },
            texture.size(),
        );
        // A copy, not compute: counted with neither the dispatches nor the submissions (like
        // `prepare`'s `write_buffer`).
        self.queue.submit([encoder.finish()]);
        Ok(self.finish_prepare(plan, slot, 4, row_bytes, swap_rb))
    }

    /// The rgba8unorm texture a browser image (a `VideoFrame`, `ImageBitmap`, ...) is imported
    /// into before `prepare_texture`: one, kept for the last size (a new size replaces and
    /// destroys it). Its usage is what `copyExternalImageToTexture` needs. The caller does that
    /// copy itself (crate/wasm, through the JS queue): wgpu's own `copy_external_image_to_texture`
    /// unwraps the JS call, so a closed VideoFrame or a cross-origin image would panic and trap
    /// the wasm instead of giving an error. Queue order keeps the reuse safe: the copy into the
    /// frame slot that `prepare_texture` submits runs before the next import overwrites it.
    #[cfg(target_arch = "wasm32")]
    pub fn import_texture(&self, width: u32, height: u32) -> Result<wgpu::Texture> {
        self.check_health()?;
        if width == 0 || height == 0 {
            return Err(inbetween::Error::EmptyImage {
                width: width as usize,
                height: height as usize,
            }
            .into());
        }
        let max = self.device.limits().max_texture_dimension_2d;
        if width > max || height > max {
            return Err(Error::Gpu(format!(
                "a {width}x{height} image is larger than this device's textures ({max} px)"
            )));
        }
        let mut staging = self.import.lock().unwrap();
        if let Some(t) = staging
            .as_ref()
            .filter(|t| (t.width(), t.height()) == (width, height))
        {
            return Ok(t.clone());
        }
        if let Some(old) = staging.take() {
            old.destroy();
        }
        let texture = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("imported frame"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            // copyExternalImageToTexture needs RENDER_ATTACHMENT and COPY_DST.
            usage: wgpu::TextureUsages::COPY_DST
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::RENDER_ATTACHMENT,
            view_formats: &[],
        });
        *staging = Some(texture.clone());
        Ok(texture)
    }

    /// A free frame slot of this size (the plan is built on first use).
    fn frame_slot(
        &self,
        width: usize,
        height: usize,
        scale: f32,
    ) -> Result<(Arc<Plan>, Arc<Slot>)> {
        if !(scale.is_finite() && (SCALE_RANGE.0..=SCALE_RANGE.1).contains(&scale)) {
            return Err(inbetween::Error::Scale(scale).into());
        }
        let plan = self.plan(width, height, scale)?;
        let slot = plan.free_slot(&self.device, &self.kernels, &self.weights);
        Ok((plan, slot))
    }

    /// `frame` prepared again at another flow scale, without leaving the GPU: its source bytes
    /// are copied into a slot of the other scale's plan (a copy command, no dispatch) and
    /// unpacked and encoded there as `prepare` would (the encoder runs in the next
    /// interpolation's command buffer). For `scale: 'auto'` (issue 12), which measures a pair at
    /// one scale and may run it at a smaller one once the source image is gone. Same output as
    /// `prepare` of the same pixels at `scale`.
    pub fn rescaled(&self, frame: &GpuFrame, scale: f32) -> Result<GpuFrame> {
        self.check_health()?;
        if frame.engine != self.id {
            return Err(Error::ForeignFrame);
        }
        let (plan, slot) = self.frame_slot(frame.width, frame.height, scale)?;
        let bytes = frame.slot.pixels.size().min(slot.pixels.size());
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame rescale copy"),
            });
        encoder.copy_buffer_to_buffer(&frame.slot.pixels, 0, &slot.pixels, 0, bytes);
        self.queue.submit([encoder.finish()]);
        let l = frame.layout;
        Ok(self.finish_prepare(plan, slot, l.channels, l.row_bytes, l.swap_rb))
    }

    /// Writes head_conv0_unpack.wgsl's parameters for the pixels now in `slot.pixels` and marks
    /// the frame for encoding.
    fn finish_prepare(
        &self,
        plan: Arc<Plan>,
        slot: Arc<Slot>,
        channels: usize,
        row_bytes: usize,
        swap_rb: bool,
    ) -> GpuFrame {
        let (width, height, scale) = (plan.width, plan.height, plan.scale);
        let l = &self.layout.head[0];
        let params = crate::kernels::Params::new()
            .u(0, width as u32)
            .u(1, height as u32)
            .u(2, channels as u32)
            .u(3, plan.pw as u32)
            .u(4, plan.ph as u32)
            .u(5, (plan.pw / 2) as u32)
            .u(6, (plan.ph / 2) as u32)
            .u(7, l.w_off)
            .u(8, l.b_off)
            .u(9, row_bytes as u32)
            .u(10, swap_rb as u32);
        self.queue.write_buffer(&slot.params, 0, params.bytes());
        *slot.head.lock().unwrap() = params;
        slot.pending.store(true, Ordering::Release);
        GpuFrame {
            engine: self.id,
            plan,
            slot,
            layout: PixelLayout {
                channels,
                row_bytes,
                swap_rb,
            },
            mirror: Arc::new(Mutex::new(None)),
            width,
            height,
            scale,
        }
    }

    /// The slot of `frame`'s mirror image, and whether it was made just now. A new one is a
    /// free slot of the size whose head_conv0_unpack.wgsl parameters are the frame's with
    /// `mirror` = 1 (word 11), marked for encoding; its pixels are the frame's, which the caller
    /// copies into it (`copy_buffer_to_buffer`, in the command buffer that encodes it). The
    /// frame's own pixel buffer still holds them: a slot is only written again once every handle
    /// to it is gone. So the mirror is prepared on the GPU, from the same bytes, with the padding
    /// on the right and bottom as `prepare` puts it (lib.rs `Interpolator::mirrored`).
    fn mirror_of(&self, frame: &GpuFrame) -> (Arc<Slot>, bool) {
        let mut cell = frame.mirror.lock().unwrap();
        if let Some(m) = cell.as_ref() {
            return (m.clone(), false);
        }
        let m = frame
            .plan
            .free_slot(&self.device, &self.kernels, &self.weights);
        let params = frame.slot.head.lock().unwrap().u(11, 1);
        self.queue.write_buffer(&m.params, 0, params.bytes());
        *m.head.lock().unwrap() = params;
        m.pending.store(true, Ordering::Release);
        *cell = Some(m.clone());
        (m, true)
    }

    /// One in-between frame of `a` and `b` at time `t`: one command buffer, submitted once
    /// (with the encoder of any frame not encoded yet).
    pub fn interpolate(&self, a: &GpuFrame, b: &GpuFrame, t: &Timestep) -> Result<GpuOutput> {
        self.run(a, b, t, &Options::default(), false, None)
    }

    /// `interpolate` with the options of issue 12 (`inbetween::Options`), as the core's
    /// `Interpolator::interpolate_with` combines them. All off: `interpolate`.
    ///
    /// - `static_guard` is folded into the merge: the dispatch count is the same (69 per new
    ///   frame of a video).
    /// - `mirror_average` (quality 'best') also interpolates the frames' mirror images (made on
    ///   the GPU on first use and kept with the handles; a `Timestep::Map` is mirrored too) and
    ///   averages the two results, the second mirrored back; the guard, when on, then runs on
    ///   the average. Still one command buffer: the mirrored pass, then the plain one, whose
    ///   merge does the average (merge.wgsl `combine`). **138 dispatches per new frame of a
    ///   video** (4 + 65 for the frame, 4 + 65 for its mirror image), 146 for a first pair, 130
    ///   for a pair whose frames and mirrors are all encoded. The output's flow and mask are the
    ///   plain pass's, as the core's.
    pub fn interpolate_with(
        &self,
        a: &GpuFrame,
        b: &GpuFrame,
        t: &Timestep,
        options: &Options,
    ) -> Result<GpuOutput> {
        self.run(a, b, t, options, false, None)
    }

    /// How far things move between `a` and `b`, in pixels, as RIFE's first (coarsest) block sees
    /// it: the statistic of the core's `Interpolator::coarse_motion` (the 95th percentile over
    /// the `width`x`height` frame of `|flow to frame 0| + |flow to frame 1|` at t = 0.5), for
    /// `inbetween::auto_scale`. It depends on the frames' scale (block 0 works at
    /// 1/(16·scale)), as the core's does; a pair that `auto_scale` moves to another scale must
    /// be prepared again at that scale.
    ///
    /// One command buffer with **12 dispatches** (block 0's input, its 2 stride-2 convs, 8
    /// ResConvs and lastconv; not its upscale), plus the usual 4 for each frame not encoded yet,
    /// which the next interpolation of the pair then skips. So in a video it adds 12 dispatches
    /// and one readback per new frame. Only block 0's flow at its own resolution comes back
    /// (4 × (PW/16·scale) × (PH/16·scale) values: 160 KB at 1080p and scale 1, f32); the CPU
    /// upscales it, with the taps of block_upsample.wgsl, and takes the percentile. Nothing an
    /// earlier `GpuOutput` reads is written (only the size's scratch buffers), so earlier
    /// outputs stay readable.
    ///
    /// Async like the reads: natively `block_on(engine.coarse_motion(&a, &b))`; in the browser,
    /// await it.
    pub async fn coarse_motion(&self, a: &GpuFrame, b: &GpuFrame) -> Result<f32> {
        self.check_health()?;
        self.check_pair(a, b)?;
        let plan = &a.plan;
        // Block 0's time: 0.5 everywhere (words 8, t_mode, and 9, t_value, of its block_input
        // slot). Every interpolation writes all the time words again, so this one stays here.
        let words = [0u32, 0.5f32.to_bits()];
        self.queue.write_buffer(
            &plan.params,
            plan.input_param[0] * plan.param_stride + 32,
            bytemuck::cast_slice(&words),
        );
        let pair = plan.pair_groups(&self.device, &self.kernels, &a.slot, &b.slot, false);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let dispatches = {
            let mut r = Recorder::new(&mut encoder, None);
            for slot in [&a.slot, &b.slot] {
                if Plan::take_pending(slot) {
                    plan.record_encode(&self.kernels, &mut r, slot);
                }
            }
            plan.record_block_core(&self.kernels, &mut r, &pair, 0);
            r.dispatches
        };
        self.queue.submit([encoder.finish()]);
        self.dispatches.fetch_add(dispatches, Ordering::Relaxed);
        self.submissions.fetch_add(1, Ordering::Relaxed);
        self.check_health()?;
        // lastconv's output, [13][t_h][t_w] after PixelShuffle: the flow is channels 0..4.
        let b0 = plan.blocks[0];
        let n = 4 * b0.t_w * b0.t_h;
        // Block 0's storage is f32 in every form (`Precision::of_block`).
        let low = read_f32(&self.device, &self.queue, &plan.tbuf, 0, n).await;
        let low = low.map_err(|e| self.read_error(e))?;
        Ok(coarse_motion_of(
            &low,
            (b0.t_w, b0.t_h),
            (plan.pw, plan.ph),
            b0.s as f32,
            (a.width, a.height),
        ))
    }

    /// As `interpolate`, also keeping each block's flow and mask for `read_trace`.
    pub fn interpolate_traced(
        &self,
        a: &GpuFrame,
        b: &GpuFrame,
        t: &Timestep,
    ) -> Result<GpuOutput> {
        self.run(a, b, t, &Options::default(), true, None)
    }

    /// Runs one interpolation with every dispatch in its own pass between GPU timestamps, and
    /// returns (dispatch, milliseconds) in recording order. For choosing tiles by measurement;
    /// the separate passes add a little time of their own. Needs the `timestamp-query` feature
    /// (`request` asks for it when the adapter has it).
    pub async fn profile(
        &self,
        a: &GpuFrame,
        b: &GpuFrame,
        t: &Timestep,
    ) -> Result<Vec<(String, f64)>> {
        if !self
            .device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
        {
            return Err(Error::Gpu(
                "profiling needs the timestamp-query feature".into(),
            ));
        }
        // Up to 73 dispatches (two encodes): 2 timestamps each.
        let count = 2 * 80;
        let mut profile = Profile {
            queries: self.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("profile"),
                ty: wgpu::QueryType::Timestamp,
                count,
            }),
            labels: Vec::new(),
        };
        self.run(a, b, t, &Options::default(), false, Some(&mut profile))?;
        let resolved = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("profile"),
            size: 8 * count as u64,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let n = 2 * profile.labels.len() as u32;
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.resolve_query_set(&profile.queries, 0..n, &resolved, 0);
        self.queue.submit([encoder.finish()]);
        let bytes =
            crate::readback::read_bytes(&self.device, &self.queue, &resolved, 0, 8 * n as u64)
                .await?;
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        let period = self.queue.get_timestamp_period() as f64; // ns per tick
        Ok(profile
            .labels
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let dt = ticks[2 * i + 1].saturating_sub(ticks[2 * i]);
                (l, dt as f64 * period * 1e-6)
            })
            .collect())
    }

    fn check_pair(&self, a: &GpuFrame, b: &GpuFrame) -> Result<()> {
        if a.engine != self.id || b.engine != self.id {
            return Err(Error::ForeignFrame);
        }
        if (a.width, a.height) != (b.width, b.height) {
            return Err(inbetween::Error::SizeMismatch {
                a_w: a.width,
                a_h: a.height,
                b_w: b.width,
                b_h: b.height,
            }
            .into());
        }
        if a.scale != b.scale {
            return Err(inbetween::Error::ScaleMismatch(a.scale, b.scale).into());
        }
        Ok(())
    }

    /// Validates the timestep and writes it where block_input.wgsl reads it.
    /// Also writes the guard's switch and time into the merge's slot (merge.wgsl `Params`), and
    /// with `mirror_average` the merge's `combine` word and the mirrored time map.
    fn write_time(&self, plan: &Plan, t: &Timestep, options: &Options) -> Result<()> {
        let (w, h) = (plan.width, plan.height);
        let (mode, value) = match t {
            Timestep::Uniform(t) => {
                if !(t.is_finite() && (0.0..=1.0).contains(t)) {
                    return Err(inbetween::Error::Timestep(*t).into());
                }
                (0u32, *t)
            }
            Timestep::Map(values) => {
                if values.len() != w * h {
                    return Err(inbetween::Error::TimeMapLength {
                        got: values.len(),
                        expected: w * h,
                        width: w,
                        height: h,
                    }
                    .into());
                }
                if let Some((index, &value)) = values
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(v.is_finite() && (0.0..=1.0).contains(*v)))
                {
                    return Err(inbetween::Error::TimeMapValue { index, value }.into());
                }
                self.queue
                    .write_buffer(&plan.tmap, 0, bytemuck::cast_slice(values));
                if options.mirror_average {
                    // The mirrored pass's time at its pixel (x, y) is the time of (w-1-x, y), as
                    // the core mirrors the map.
                    let mirrored: Vec<f32> = values
                        .chunks(w)
                        .flat_map(|row| row.iter().rev().copied())
                        .collect();
                    self.queue.write_buffer(
                        plan.tmap_mirror(&self.device),
                        0,
                        bytemuck::cast_slice(&mirrored),
                    );
                }
                (1, 0.0)
            }
        };
        // Words 8 (t_mode) and 9 (t_value) of each block_input slot.
        let words = [mode, value.to_bits()];
        for &slot in &plan.input_param {
            self.queue.write_buffer(
                &plan.params,
                slot * plan.param_stride + 32,
                bytemuck::cast_slice(&words),
            );
        }
        // Words 9 (guard), 10 (t_mode), 11 (t_value) and 12 (combine: 2 averages with the
        // mirrored pass, which runs before it in the same command buffer) of the merge's slot.
        let combine = if options.mirror_average { 2 } else { 0 };
        let words = [options.static_guard as u32, mode, value.to_bits(), combine];
        self.queue.write_buffer(
            &plan.params,
            plan.merge_param * plan.param_stride + 36,
            bytemuck::cast_slice(&words),
        );
        Ok(())
    }

    fn run(
        &self,
        a: &GpuFrame,
        b: &GpuFrame,
        t: &Timestep,
        options: &Options,
        traced: bool,
        profile: Option<&mut Profile>,
    ) -> Result<GpuOutput> {
        self.check_health()?;
        self.check_pair(a, b)?;
        let plan = &a.plan;
        self.write_time(plan, t, options)?;
        let pair = plan.pair_groups(&self.device, &self.kernels, &a.slot, &b.slot, false);
        let trace = traced.then(|| plan.trace(&self.device));
        let mut encoder = self.device.create_command_encoder(&Default::default());
        // mirror_average: the frames' mirror images (new ones get their pixels copied here,
        // before the pass, and are encoded with the frames) and their pair's bind groups.
        let mut slots = vec![a.slot.clone(), b.slot.clone()];
        let mirror_pair = options.mirror_average.then(|| {
            let [ma, mb] = [a, b].map(|f| {
                let (m, new) = self.mirror_of(f);
                if new {
                    let bytes = f.slot.pixels.size();
                    encoder.copy_buffer_to_buffer(&f.slot.pixels, 0, &m.pixels, 0, bytes);
                }
                m
            });
            let groups = plan.pair_groups(&self.device, &self.kernels, &ma, &mb, true);
            slots.extend([ma, mb]);
            groups
        });
        // One pair of timestamps around the whole recording (not while profiling: every
        // dispatch then has its own).
        let mut ticket = match (&self.timer, &profile) {
            (Some(timer), None) => Some(timer.start()),
            _ => None,
        };
        let span = ticket.as_ref().and_then(|t| self.timer.as_ref()?.span(t));
        let (dispatches, timed) = {
            let mut r = match profile {
                Some(p) => Recorder::new(&mut encoder, Some(p)),
                None => Recorder::timed(&mut encoder, span),
            };
            for slot in &slots {
                if Plan::take_pending(slot) {
                    plan.record_encode(&self.kernels, &mut r, slot);
                }
            }
            // The mirrored pass first: its merge leaves its pixels, mirrored back, in out_rgb,
            // and the plain pass's merge (after it) averages them in. The flow and mask
            // buffers then end with the plain pass's values.
            if let Some(mp) = &mirror_pair {
                for i in 0..5 {
                    plan.record_block(&self.kernels, &mut r, mp, i);
                }
            }
            for i in 0..5 {
                plan.record_block(&self.kernels, &mut r, &pair, i);
                if let Some(trace) = &trace {
                    plan.record_trace_copy(r.encoder(), trace, i);
                }
            }
            (r.dispatches, r.span_started)
        };
        if let (Some(timer), Some(t)) = (&self.timer, ticket.as_mut()) {
            timer.record(&mut encoder, t, timed);
        }
        self.queue.submit([encoder.finish()]);
        if let (Some(timer), Some(t)) = (&self.timer, ticket) {
            timer.submitted(t);
        }
        self.dispatches.fetch_add(dispatches, Ordering::Relaxed);
        self.submissions.fetch_add(1, Ordering::Relaxed);
        // A validation error or loss during this recording surfaces here, not as a panic.
        self.check_health()?;
        let mut state = plan.state.lock().unwrap();
        state.generation += 1;
        Ok(GpuOutput {
            plan: plan.clone(),
            generation: state.generation,
            traced,
            width: a.width,
            height: a.height,
        })
    }

    /// Draws `out` into `target` (a view of a 2D color texture with `RENDER_ATTACHMENT` usage,
    /// e.g. a WebGPU canvas's current texture) with one render pass of present.wgsl: the pixels
    /// `read_rgba8` would return, with no readback. A target of another size gets the nearest
    /// output pixel. Submitted at once (not counted as a compute submission or dispatch).
    pub fn draw(
        &self,
        out: &GpuOutput,
        target: &wgpu::TextureView,
        format: wgpu::TextureFormat,
        target_width: u32,
        target_height: u32,
    ) -> Result<()> {
        self.check_fresh(out)?;
        if target_width == 0 || target_height == 0 {
            return Err(Error::Gpu("the draw target is empty".into()));
        }
        let pipeline = self.present_pipeline(format);
        let params: [u32; 4] = [
            out.width as u32,
            out.height as u32,
            target_width,
            target_height,
        ];
        // Small and made per draw: the output buffer a GpuOutput points at is the plan's, but
        // the target size is the caller's, and a 16-byte uniform costs less than a cache.
        let uniform = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("present params"),
                contents: bytemuck::cast_slice(&params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("present"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: out.plan.out_rgba.as_entire_binding(),
                },
            ],
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("present"),
            });
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("present"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        // Every pixel is drawn: nothing to load.
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.draw(0..3, 0..1);
        }
        self.queue.submit([encoder.finish()]);
        self.check_health()
    }

    fn present_pipeline(&self, format: wgpu::TextureFormat) -> wgpu::RenderPipeline {
        let mut pipelines = self.present.lock().unwrap();
        pipelines
            .entry(format)
            .or_insert_with(|| {
                let module = self
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(crate::kernels::PRESENT.0),
                        source: wgpu::ShaderSource::Wgsl(crate::kernels::PRESENT.1.into()),
                    });
                self.device
                    .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                        label: Some("present"),
                        layout: None,
                        vertex: wgpu::VertexState {
                            module: &module,
                            entry_point: Some("vs"),
                            compilation_options: Default::default(),
                            buffers: &[],
                        },
                        fragment: Some(wgpu::FragmentState {
                            module: &module,
                            entry_point: Some("fs"),
                            compilation_options: Default::default(),
                            targets: &[Some(wgpu::ColorTargetState {
                                format,
                                blend: None,
                                write_mask: wgpu::ColorWrites::ALL,
                            })],
                        }),
                        primitive: Default::default(),
                        depth_stencil: None,
                        multisample: Default::default(),
                        multiview_mask: None,
                        cache: None,
                    })
            })
            .clone()
    }

    /// Draws `out` into a surface (in the browser: a WebGPU canvas, `create_surface` of an
    /// `OffscreenCanvas`) and presents it. The surface is (re)configured for this device when
    /// its size is not `out`'s yet, so the canvas shows the frame 1:1.
    pub fn present(&self, out: &GpuOutput, surface: &mut Presenter) -> Result<()> {
        self.check_fresh(out)?;
        let (w, h) = (out.width as u32, out.height as u32);
        if surface.configured != Some((w, h)) {
            surface.surface.configure(
                &self.device,
                &wgpu::SurfaceConfiguration {
                    usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                    format: surface.format,
                    width: w,
                    height: h,
                    present_mode: wgpu::PresentMode::Fifo,
                    desired_maximum_frame_latency: 2,
                    alpha_mode: wgpu::CompositeAlphaMode::Opaque,
                    view_formats: vec![],
                    // Our bytes are sRGB-encoded, as the frames they came from.
                    color_space: wgpu::SurfaceColorSpace::Srgb,
                },
            );
            surface.configured = Some((w, h));
        }
        let frame = match surface.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            _ => {
                // Timeout, occluded, outdated or lost: configure again on the next call.
                surface.configured = None;
                return Err(Error::Gpu("the canvas gave no texture to draw into".into()));
            }
        };
        let view = frame.texture.create_view(&Default::default());
        self.draw(out, &view, surface.format, w, h)?;
        self.queue.present(frame);
        Ok(())
    }

    /// Runs the encoder of a frame that has not been encoded yet (alone, one command buffer).
    fn flush(&self, frame: &GpuFrame) {
        if Plan::take_pending(&frame.slot) {
            let mut encoder = self.device.create_command_encoder(&Default::default());
            let dispatches = {
                let mut r = Recorder::new(&mut encoder, None);
                frame.plan.record_encode(&self.kernels, &mut r, &frame.slot);
                r.dispatches
            };
            self.queue.submit([encoder.finish()]);
            self.dispatches.fetch_add(dispatches, Ordering::Relaxed);
            self.submissions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `Err` once the device is lost, or with the first error the device reported since the
    /// last check (the engine's kernels and buffers are valid by construction, so such an error
    /// means the device itself went wrong).
    fn check_health(&self) -> Result<()> {
        // A non-blocking poll runs any pending device callbacks (the loss among them).
        let _ = self.device.poll(wgpu::PollType::Poll);
        if let Some(reason) = self.health.lost.lock().unwrap().clone() {
            return Err(Error::DeviceLost(reason));
        }
        if let Some(e) = self.health.error.lock().unwrap().take() {
            return Err(Error::Gpu(e));
        }
        Ok(())
    }

    fn check_fresh(&self, out: &GpuOutput) -> Result<()> {
        self.check_health()?;
        if out.plan.state.lock().unwrap().generation != out.generation {
            return Err(Error::Stale);
        }
        Ok(())
    }

    /// Reads one of the size's internal buffers whole (for debugging kernels against the burn
    /// port): "head_a", "head_b", "x", "act_a", "act_b", "tbuf", "flow",
    /// "mask"; "image" and "features" are the frame's textures, as `[PH][PW][4]`. As f32: in
    /// the f16 modes the activation buffers hold f16 pairs (packed: in channel pairs, storage.wgsl),
    /// except while block 0 (f32 in every mode) has written them last.
    #[doc(hidden)]
    pub async fn debug_buffer(&self, frame: &GpuFrame, name: &str) -> Result<Vec<f32>> {
        self.flush(frame);
        match name {
            "image" => return read_texture(&self.device, &self.queue, &frame.slot.image).await,
            "features" => {
                return read_texture(&self.device, &self.queue, &frame.slot.features).await;
            }
            _ => {}
        }
        let b = frame
            .plan
            .debug_buffer(name)
            .ok_or_else(|| Error::Gpu(format!("no buffer named {name}")))?;
        read_f32(&self.device, &self.queue, b, 0, (b.size() / 4) as usize).await
    }

    /// The frame's encoder features, `[4][PH][PW]` (padded size).
    pub async fn read_features(&self, frame: &GpuFrame) -> Result<Vec<f32>> {
        self.check_health()?;
        if frame.engine != self.id {
            return Err(Error::ForeignFrame);
        }
        self.flush(frame);
        // The texture holds the 4 features of a pixel as one texel: made planar here.
        let texels = read_texture(&self.device, &self.queue, &frame.slot.features).await?;
        let plane = frame.plan.pw * frame.plan.ph;
        let mut planar = vec![0.0; 4 * plane];
        for (i, t) in texels.chunks_exact(4).enumerate() {
            for (c, &v) in t.iter().enumerate() {
                planar[c * plane + i] = v;
            }
        }
        Ok(planar)
    }

    /// The interpolated frame, planar RGB `[3][h][w]`, cropped, not clamped.
    pub async fn read_rgb(&self, out: &GpuOutput) -> Result<Vec<f32>> {
        self.check_fresh(out)?;
        let n = 3 * out.width * out.height;
        read_f32(&self.device, &self.queue, &out.plan.out_rgb, 0, n)
            .await
            .map_err(|e| self.read_error(e))
    }

    /// The interpolated frame as interleaved RGBA8 (alpha 255), cropped.
    pub async fn read_rgba8(&self, out: &GpuOutput) -> Result<Vec<u8>> {
        self.check_fresh(out)?;
        let n = 4 * (out.width * out.height) as u64;
        crate::readback::read_bytes(&self.device, &self.queue, &out.plan.out_rgba, 0, n)
            .await
            .map_err(|e| self.read_error(e))
    }

    /// Flow `[4][h][w]` in pixels from the new frame to frame 0 (ch 0, 1) and frame 1 (2, 3).
    pub async fn read_flow(&self, out: &GpuOutput) -> Result<Vec<f32>> {
        self.check_fresh(out)?;
        let p = &out.plan;
        let full = read_f32(&self.device, &self.queue, &p.flow, 0, 4 * p.pw * p.ph)
            .await
            .map_err(|e| self.read_error(e))?;
        Ok(crop(&full, 4, p.pw, p.ph, out.width, out.height))
    }

    /// Weight of warped frame 0 in the blend, `sigmoid(mask logit)`, `[1][h][w]`.
    pub async fn read_mask(&self, out: &GpuOutput) -> Result<Vec<f32>> {
        self.check_fresh(out)?;
        let p = &out.plan;
        let full = read_f32(&self.device, &self.queue, &p.mask, 0, p.pw * p.ph)
            .await
            .map_err(|e| self.read_error(e))?;
        Ok(crop(&full, 1, p.pw, p.ph, out.width, out.height)
            .into_iter()
            .map(|v| 1.0 / (1.0 + (-v).exp()))
            .collect())
    }

    /// The accumulated flow and mask logit after each of the five blocks (padded size).
    pub async fn read_trace(&self, out: &GpuOutput) -> Result<Vec<BlockTrace>> {
        self.check_fresh(out)?;
        if !out.traced {
            return Err(Error::NoTrace);
        }
        let p = &out.plan;
        let trace = p.trace(&self.device);
        let plane = p.pw * p.ph;
        let mut blocks = Vec::with_capacity(5);
        for (flow, mask) in trace.flow.iter().zip(&trace.mask) {
            blocks.push(BlockTrace {
                flow: read_f32(&self.device, &self.queue, flow, 0, 4 * plane).await?,
                mask: read_f32(&self.device, &self.queue, mask, 0, plane).await?,
                padded_width: p.pw,
                padded_height: p.ph,
            });
        }
        Ok(blocks)
    }
}

/// The core's `coarse_motion` statistic from block 0's flow at its own resolution: `low` is
/// `[4][t_h][t_w]` (lastconv's output, before the upscale), brought to the padded `pw`x`ph` with
/// block_upsample.wgsl's taps (bilinear, align_corners = false) and times `s`, as
/// `IFNet::coarse_flow` does, then cropped to `w`x`h`; the 95th percentile of
/// `|flow0| + |flow1|` over those pixels (the core's index, `n * 95 / 100`).
fn coarse_motion_of(
    low: &[f32],
    (t_w, t_h): (usize, usize),
    (pw, ph): (usize, usize),
    s: f32,
    (w, h): (usize, usize),
) -> f32 {
    // sampling.wgsl `resize_tap`, with the ratio as plan.rs passes it (in / out, in f32).
    let taps = |out: usize, src: usize, full: usize| -> Vec<(usize, usize, f32)> {
        let ratio = (src as f64 / full as f64) as f32;
        (0..out)
            .map(|o| {
                let pos = ((o as f32 + 0.5) * ratio - 0.5)
                    .max(0.0)
                    .min((src - 1) as f32);
                let i0 = (pos.floor() as usize).min(src - 1);
                (i0, (i0 + 1).min(src - 1), pos - i0 as f32)
            })
            .collect()
    };
    let (tx, ty) = (taps(w, t_w, pw), taps(h, t_h, ph));
    let plane = t_w * t_h;
    let mut d = Vec::with_capacity(w * h);
    for &(y0, y1, wy) in &ty {
        for &(x0, x1, wx) in &tx {
            let f = |c: usize| {
                let p = &low[c * plane..];
                let top = p[y0 * t_w + x0] + (p[y0 * t_w + x1] - p[y0 * t_w + x0]) * wx;
                let bottom = p[y1 * t_w + x0] + (p[y1 * t_w + x1] - p[y1 * t_w + x0]) * wx;
                (top + (bottom - top) * wy) * s
            };
            d.push(f(0).hypot(f(1)) + f(2).hypot(f(3)));
        }
    }
    let n = d.len();
    let k = (n * 95 / 100).min(n - 1);
    *d.select_nth_unstable_by(k, f32::total_cmp).1
}

/// The top-left `w`x`h` of each of `c` planes of `pw`x`ph`.
fn crop(full: &[f32], c: usize, pw: usize, ph: usize, w: usize, h: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(c * w * h);
    for ch in 0..c {
        for y in 0..h {
            let row = (ch * ph + y) * pw;
            out.extend_from_slice(&full[row..row + w]);
        }
    }
    out
}
