//! The wasm boundary: one `Engine` handle (the model on one device) and `Frame` handles
//! (prepared frames), with async methods. Everything else lives in `inbetween-core`.
//!
//! Every error reaches JS as an `Error` with the core's message. Inputs are validated by the
//! core before any tensor op, so no JS input can reach a panic; the panic hook is still set,
//! so that a bug shows a Rust message in the console instead of "unreachable".

use inbetween::{BackendKind, ImageRef, Interpolated, Interpolator, Timestep};
use wasm_bindgen::prelude::*;

// Static constructors, run once. A dependency of cubecl (pliron, through the `inventory` crate)
// registers things with linker constructors. When a module never calls `__wasm_call_ctors`
// itself, wasm-ld treats it as a one-shot "command" and wraps *every* export in a call to it, so
// each call across the boundary, down to wasm-bindgen's externref table bookkeeping for every
// WebGPU object, re-ran all of them: a CPU profile of one 64x64 WebGPU interpolation in Deno
// spent most of its time in `__wasm_call_ctors` and `inventory::Registry::submit`. Calling it
// explicitly here (once, when wasm-bindgen starts the module) makes wasm-ld leave the exports
// alone. See the inventory crate's docs on wasm and lld's `--no-entry` command/reactor heuristic.
#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start)]
fn start() {
    // SAFETY: wasm-bindgen runs the start function exactly once, right after instantiation and
    // before any other export can be called; the constructors only register static data.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

fn js_err(e: inbetween::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// Peak wasm memory of one CPU interpolation per pixel of work (`inbetween::work_pixels`), with
/// a margin. Measured in Chromium 156 (2026-12-01, growth of the module's memory over one
/// interpolation, f16 model loaded as f32): 300 B at 256x256, 541 B at 640x384, 597 B at
/// 1024x640 (scale 1, still rising slowly with size: allocator fragmentation), and 359 B at
/// 640x384 scale 2, where `work_pixels` over-counts, so the check errs on the safe side there.
/// With the 3 GiB budget this admits about 4 M work pixels: 2560x1440 at scale 1, not 4K.
const CPU_BYTES_PER_WORK_PIXEL: usize = 800;
/// wasm32 has at most 4 GiB of linear memory; the model (22 MB as f32), the caller's frames and
/// the allocator's fragmentation need the rest.
const WASM_CPU_BUDGET: usize = 3 << 30;
/// Largest output of one `interpolateMany` call: it is built in wasm memory and copied to JS.
const MANY_OUTPUT_BUDGET: usize = 512 << 20;

/// Refuses work that cannot fit in wasm memory on the CPU path, before it starts: running out
/// of memory inside a forward traps the instance ("unreachable") and leaves it unusable. WebGPU
/// keeps its activations in GPU buffers, where the device reports its own limits.
fn budget_check(
    backend: BackendKind,
    width: usize,
    height: usize,
    scale: f32,
) -> Result<(), JsError> {
    if backend != BackendKind::Cpu || !cfg!(target_arch = "wasm32") {
        return Ok(());
    }
    let need =
        inbetween::work_pixels(width, height, scale).saturating_mul(CPU_BYTES_PER_WORK_PIXEL);
    if need > WASM_CPU_BUDGET {
        return Err(js_err(inbetween::Error::TooLarge {
            width,
            height,
            scale,
            need_mib: need >> 20,
            budget_mib: WASM_CPU_BUDGET >> 20,
        }));
    }
    Ok(())
}

/// The RIFE model loaded on WebGPU or on the CPU.
#[wasm_bindgen]
pub struct Engine {
    inner: Interpolator,
    backend: BackendKind,
}

/// A frame padded and encoded once, reusable for every pair and timestep it takes part in.
#[wasm_bindgen]
pub struct Frame {
    inner: inbetween::Frame,
}

#[wasm_bindgen]
impl Frame {
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> usize {
        self.inner.width
    }
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> usize {
        self.inner.height
    }
    #[wasm_bindgen(getter)]
    pub fn scale(&self) -> f32 {
        self.inner.scale
    }
}

/// The result of `interpolateWithFlow`.
#[wasm_bindgen(getter_with_clone)]
pub struct Interpolation {
    /// RGBA, `width·height·4` bytes.
    pub frame: Vec<u8>,
    /// Flow in pixels, planar `[4][height][width]`: to frame A (x, y), then to frame B (x, y).
    pub flow: Vec<f32>,
    /// Weight of warped frame A in the blend, `[height][width]`.
    pub mask: Vec<f32>,
    pub width: usize,
    pub height: usize,
}

#[wasm_bindgen]
impl Engine {
    /// Loads converted model bytes (burnpack, f32 or f16). `backend` is `"auto"` (WebGPU when an
    /// adapter exists, else the CPU), `"webgpu"` or `"cpu"`.
    pub async fn create(model: Vec<u8>, backend: String) -> Result<Engine, JsError> {
        console_error_panic_hook::set_once();
        let kinds: &[BackendKind] = match backend.as_str() {
            "auto" => &[BackendKind::Gpu, BackendKind::Cpu],
            "webgpu" | "gpu" => &[BackendKind::Gpu],
            "cpu" => &[BackendKind::Cpu],
            other => {
                return Err(JsError::new(&format!(
                    "unknown backend '{other}': expected auto, webgpu or cpu"
                )));
            }
        };
        let mut last = None;
        for &kind in kinds {
            match inbetween::device_async(kind).await {
                Ok(device) => {
                    let inner = Interpolator::from_bytes(model, device).map_err(js_err)?;
                    return Ok(Engine {
                        inner,
                        backend: kind,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(js_err(last.expect("at least one backend was tried")))
    }

    /// `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        match self.backend {
            BackendKind::Gpu => "webgpu".into(),
            BackendKind::Cpu => "cpu".into(),
        }
    }

    /// Pads and encodes an RGBA (or RGB, by length) frame for interpolation at `scale`.
    pub fn prepare(
        &self,
        pixels: &[u8],
        width: usize,
        height: usize,
        scale: f32,
    ) -> Result<Frame, JsError> {
        let channels = if width > 0 && height > 0 && pixels.len() == width * height * 3 {
            3
        } else {
            4
        };
        let image = ImageRef::new(pixels, width, height, channels).map_err(js_err)?;
        // The scale is checked first so that a NaN or out-of-range scale gets its own message.
        if (inbetween::SCALE_RANGE.0..=inbetween::SCALE_RANGE.1).contains(&scale) {
            budget_check(self.backend, width, height, scale)?;
        }
        Ok(Frame {
            inner: self.inner.prepare(image, scale).map_err(js_err)?,
        })
    }

    /// The frame at time `t` in [0, 1] between `a` and `b`, as RGBA bytes.
    pub async fn interpolate(&self, a: &Frame, b: &Frame, t: f32) -> Result<Vec<u8>, JsError> {
        let out = self
            .inner
            .interpolate(&a.inner, &b.inner, &Timestep::Uniform(t))
            .map_err(js_err)?;
        out.frame_rgba8_async().await.map_err(js_err)
    }

    /// Several timesteps of one pair, concatenated RGBA frames; each frame was encoded once.
    #[wasm_bindgen(js_name = interpolateMany)]
    pub async fn interpolate_many(
        &self,
        a: &Frame,
        b: &Frame,
        ts: Vec<f32>,
    ) -> Result<Vec<u8>, JsError> {
        // Validate every t before running any, so a bad list fails fast and whole.
        if let Some(&t) = ts
            .iter()
            .find(|t| !(t.is_finite() && (0.0..=1.0).contains(*t)))
        {
            return Err(js_err(inbetween::Error::Timestep(t)));
        }
        let frame_bytes = a.inner.width * a.inner.height * 4;
        let need = ts.len().saturating_mul(frame_bytes);
        if need > MANY_OUTPUT_BUDGET {
            return Err(js_err(inbetween::Error::TooManyTimesteps {
                count: ts.len(),
                width: a.inner.width,
                height: a.inner.height,
                need_mib: need >> 20,
                budget_mib: MANY_OUTPUT_BUDGET >> 20,
            }));
        }
        let mut all = Vec::with_capacity(ts.len() * a.inner.width * a.inner.height * 4);
        for t in ts {
            all.extend(self.interpolate(a, b, t).await?);
        }
        Ok(all)
    }

    /// The frame with a per-pixel time map (`width·height` values in [0, 1], row by row).
    #[wasm_bindgen(js_name = interpolateMap)]
    pub async fn interpolate_map(
        &self,
        a: &Frame,
        b: &Frame,
        map: Vec<f32>,
    ) -> Result<Vec<u8>, JsError> {
        let out = self
            .inner
            .interpolate(&a.inner, &b.inner, &Timestep::Map(map))
            .map_err(js_err)?;
        out.frame_rgba8_async().await.map_err(js_err)
    }

    /// Destroys the GPU device, as a driver reset would, so tests can check that a lost device
    /// gives an Error. Every later call of this engine fails. Returns whether a GPU was lost.
    #[wasm_bindgen(js_name = loseDeviceForTesting)]
    pub fn lose_device_for_testing(&self) -> bool {
        self.backend == BackendKind::Gpu && inbetween::lose_gpu_device_for_testing()
    }

    /// The frame at time `t` with the flow and blend mask that made it.
    #[wasm_bindgen(js_name = interpolateWithFlow)]
    pub async fn interpolate_with_flow(
        &self,
        a: &Frame,
        b: &Frame,
        t: f32,
    ) -> Result<Interpolation, JsError> {
        let out: Interpolated = self
            .inner
            .interpolate(&a.inner, &b.inner, &Timestep::Uniform(t))
            .map_err(js_err)?;
        let frame = out.frame_rgba8_async().await.map_err(js_err)?;
        let flow = inbetween::read_f32_async(out.flow.clone())
            .await
            .map_err(js_err)?;
        let mask = inbetween::read_f32_async(out.mask.clone())
            .await
            .map_err(js_err)?;
        Ok(Interpolation {
            frame,
            flow,
            mask,
            width: out.width,
            height: out.height,
        })
    }
}
