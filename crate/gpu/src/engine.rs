//! The engine: the device, the pipelines, the packed weights, and one plan per frame size.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use inbetween::{SCALE_RANGE, Timestep, padded_size};
use wgpu::util::DeviceExt;

use crate::kernels::{Kernels, Precision};
use crate::plan::{Plan, Profile, Recorder, Slot};
use crate::readback::read_f32;
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
    pub width: usize,
    pub height: usize,
    pub scale: f32,
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
    /// has it; F16 without it is an error (the `pack2x16float` fallback is not written yet).
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

    /// As `new`, storing activations in `precision` (F16 needs the device's `shader-f16`).
    pub fn with_precision(
        device: wgpu::Device,
        queue: wgpu::Queue,
        weights: &Weights,
        precision: Precision,
    ) -> Result<Self> {
        if precision == Precision::F16 && !device.features().contains(wgpu::Features::SHADER_F16) {
            return Err(Error::Gpu(
                "f16 storage needs the shader-f16 feature, which this device lacks".into(),
            ));
        }
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
        })
    }

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
        let act_bytes = match self.precision {
            Precision::F32 => 4,
            Precision::F16 => 2,
        };
        let limits = self.device.limits();
        let need = Plan::largest_binding(pw, ph, scale, act_bytes);
        let limit = limits.max_storage_buffer_binding_size;
        let buffer = Plan::largest_buffer(pw, ph, scale, act_bytes);
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
            act_bytes,
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
        if !(scale.is_finite() && (SCALE_RANGE.0..=SCALE_RANGE.1).contains(&scale)) {
            return Err(inbetween::Error::Scale(scale).into());
        }
        let plan = self.plan(width, height, scale)?;
        let slot = plan.free_slot(&self.device, &self.kernels, &self.weights);
        let mut bytes = pixels.to_vec();
        bytes.resize(pixels.len().div_ceil(4) * 4, 0);
        self.queue.write_buffer(&slot.pixels, 0, &bytes);
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
            .u(8, l.b_off);
        self.queue.write_buffer(&slot.params, 0, params.bytes());
        slot.pending.store(true, Ordering::Release);
        Ok(GpuFrame {
            engine: self.id,
            plan,
            slot,
            width,
            height,
            scale,
        })
    }

    /// One in-between frame of `a` and `b` at time `t`: one command buffer, submitted once
    /// (with the encoder of any frame not encoded yet).
    pub fn interpolate(&self, a: &GpuFrame, b: &GpuFrame, t: &Timestep) -> Result<GpuOutput> {
        self.run(a, b, t, false, None)
    }

    /// As `interpolate`, also keeping each block's flow and mask for `read_trace`.
    pub fn interpolate_traced(
        &self,
        a: &GpuFrame,
        b: &GpuFrame,
        t: &Timestep,
    ) -> Result<GpuOutput> {
        self.run(a, b, t, true, None)
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
        self.run(a, b, t, false, Some(&mut profile))?;
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
    fn write_time(&self, plan: &Plan, t: &Timestep) -> Result<()> {
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
        Ok(())
    }

    fn run(
        &self,
        a: &GpuFrame,
        b: &GpuFrame,
        t: &Timestep,
        traced: bool,
        profile: Option<&mut Profile>,
    ) -> Result<GpuOutput> {
        self.check_health()?;
        self.check_pair(a, b)?;
        let plan = &a.plan;
        self.write_time(plan, t)?;
        let pair = plan.pair_groups(&self.device, &self.kernels, &a.slot, &b.slot);
        let trace = traced.then(|| plan.trace(&self.device));
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let dispatches = {
            let mut r = Recorder::new(&mut encoder, profile);
            for slot in [&a.slot, &b.slot] {
                if Plan::take_pending(slot) {
                    plan.record_encode(&self.kernels, &mut r, slot);
                }
            }
            for i in 0..5 {
                plan.record_block(&self.kernels, &mut r, &pair, i);
                if let Some(trace) = &trace {
                    plan.record_trace_copy(r.encoder(), trace, i);
                }
            }
            r.dispatches
        };
        self.queue.submit([encoder.finish()]);
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
    /// port): "side" (the frame's), "head_a", "head_b", "x", "act_a", "act_b", "tbuf", "flow",
    /// "mask", "feat". As f32: in the f16 mode the activation buffers hold f16 pairs.
    #[doc(hidden)]
    pub async fn debug_buffer(&self, frame: &GpuFrame, name: &str) -> Result<Vec<f32>> {
        self.flush(frame);
        let b = frame.plan.debug_buffer(name).unwrap_or(&frame.slot.side);
        read_f32(&self.device, &self.queue, b, 0, (b.size() / 4) as usize).await
    }

    /// The frame's encoder features, `[4][PH][PW]` (padded size).
    pub async fn read_features(&self, frame: &GpuFrame) -> Result<Vec<f32>> {
        self.check_health()?;
        if frame.engine != self.id {
            return Err(Error::ForeignFrame);
        }
        self.flush(frame);
        let plane = frame.plan.pw * frame.plan.ph;
        read_f32(
            &self.device,
            &self.queue,
            &frame.slot.side,
            3 * plane,
            4 * plane,
        )
        .await
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
        let flow = read_f32(&self.device, &self.queue, &trace.flow, 0, 5 * 4 * plane).await?;
        let mask = read_f32(&self.device, &self.queue, &trace.mask, 0, 5 * plane).await?;
        Ok((0..5)
            .map(|i| BlockTrace {
                flow: flow[i * 4 * plane..(i + 1) * 4 * plane].to_vec(),
                mask: mask[i * plane..(i + 1) * plane].to_vec(),
                padded_width: p.pw,
                padded_height: p.ph,
            })
            .collect())
    }
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
