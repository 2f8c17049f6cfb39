//! The wasm boundary: one `Engine` handle (the model on one device) and `Frame` handles
//! (prepared frames), with async methods.
//!
//! On WebGPU the model runs in `inbetween-gpu` (our WGSL kernels through wgpu's `webgpu`
//! backend: one command buffer and 69 dispatches per new in-between frame). On the CPU it runs in
//! `inbetween-core` on burn's flex backend. burn's own wgpu backend is not in this build.
//!
//! Every error reaches JS as an `Error` with the engine's message. Inputs are validated before
//! any GPU or tensor work, and the GPU engine records device errors and losses instead of
//! panicking, so no JS input can reach a panic; the panic hook is still set, so that a bug shows
//! a Rust message in the console instead of "unreachable".

use inbetween::{BackendKind, ImageRef, Interpolated, Interpolator, Timestep};
use inbetween_gpu::{GpuFrame, Precision};
use wasm_bindgen::prelude::*;

mod threads;
pub use threads::{CpuInfo, cpu_info};

// No `__wasm_call_ctors` call here any more. It was needed while burn's wgpu backend was in this
// build: a dependency of cubecl (pliron, through `inventory`) registered things with linker
// constructors, and wasm-ld then wrapped every export in a call to all of them. Without cubecl's
// wgpu stack the module has no constructors (its `__wasm_call_ctors` is empty; checked with
// binaryen's wasm-dis on the cargo output, 2026-12-01), so there is nothing to run.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// A JS `Error` with `message` and a `code` property: the kind of error, from the core's list
/// (`inbetween::Error::CODES`), which the page reads instead of matching the message.
fn coded(message: &str, code: &'static str) -> JsError {
    debug_assert!(inbetween::Error::CODES.contains(&code));
    let error = JsError::new(message);
    // A clone of a JsError is a second handle to the same JS object, so the property set
    // through it is on the error that is thrown. (JsError has no way back from a JsValue.)
    let _ = js_sys::Reflect::set(
        &JsValue::from(error.clone()),
        &JsValue::from_str("code"),
        &JsValue::from_str(code),
    );
    error
}

fn js_err(e: inbetween::Error) -> JsError {
    coded(&e.to_string(), e.code())
}

/// The values the npm package checks its arguments against, from the core, so that they have one
/// source: `{ tRange: [lo, hi], scaleRange: [lo, hi], backends: [...], errorCodes: [...] }`.
/// The package's `shared/limits.ts` must equal them (tests/unit/limits.test.mjs).
#[wasm_bindgen]
pub fn limits() -> JsValue {
    use js_sys::{Array, Object, Reflect};
    let pair = |(lo, hi): (f32, f32)| Array::of2(&(lo as f64).into(), &(hi as f64).into());
    let list = |items: &[&str]| {
        items
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect::<Array>()
    };
    let out = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&out, &JsValue::from_str(k), v).ok();
    set("tRange", &pair(inbetween::T_RANGE));
    set("scaleRange", &pair(inbetween::SCALE_RANGE));
    set("backends", &list(BACKEND_NAMES));
    set("errorCodes", &list(inbetween::Error::CODES));
    out.into()
}

/// The backends `Engine.create` takes (besides `"auto"`), as `Engine.backend` names them.
const BACKEND_NAMES: &[&str] = &["webgpu", "cpu"];

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

/// The flow scale for a frame size alone (1 up to 1080p, 0.5 up to 4K, 0.25 above): where
/// `scale: 'auto'` starts, and the finest it ever runs (`inbetween::size_scale`).
#[wasm_bindgen(js_name = sizeScale)]
pub fn size_scale(width: usize, height: usize) -> f32 {
    inbetween::size_scale(width, height)
}

/// The flow scale `scale: 'auto'` runs a pair at, from its size and `Engine.coarseMotion`
/// (`inbetween::auto_scale`, issue 12 item 2).
#[wasm_bindgen(js_name = autoScale)]
pub fn auto_scale(width: usize, height: usize, motion: f32) -> f32 {
    inbetween::auto_scale(width, height, motion)
}

/// The RIFE model on one device: the WGSL engine on WebGPU, or the burn port on the CPU.
#[wasm_bindgen]
pub struct Engine {
    inner: Inner,
    /// Issue 12's options for every later call (`setStaticGuard`); all off at first: the
    /// reference output.
    options: std::cell::Cell<inbetween::Options>,
    /// The output of the last `interpolateOnGpu`, for `presentLast`.
    last: std::cell::RefCell<Option<inbetween_gpu::GpuOutput>>,
}

enum Inner {
    // Both boxed: they differ in size by a kilobyte (clippy's large_enum_variant).
    Gpu(Box<inbetween_gpu::Engine>),
    Cpu(Box<Interpolator>),
}

/// A frame prepared once (padded, and encoded on first use), reusable for every pair and
/// timestep it takes part in. On WebGPU it is a handle to GPU buffers: freeing it (or dropping
/// it) releases them for a later frame of the same size.
#[wasm_bindgen]
pub struct Frame {
    inner: FrameInner,
}

enum FrameInner {
    Gpu(GpuFrame),
    Cpu(Box<inbetween::Frame>),
}

impl Frame {
    fn size(&self) -> (usize, usize, f32) {
        match &self.inner {
            FrameInner::Gpu(f) => (f.width, f.height, f.scale),
            FrameInner::Cpu(f) => (f.width, f.height, f.scale),
        }
    }
}

#[wasm_bindgen]
impl Frame {
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> usize {
        self.size().0
    }
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> usize {
        self.size().1
    }
    #[wasm_bindgen(getter)]
    pub fn scale(&self) -> f32 {
        self.size().2
    }
}

/// A WebGPU canvas the engine draws outputs into (`Engine.attachCanvas`).
#[wasm_bindgen]
pub struct Canvas {
    presenter: inbetween_gpu::Presenter,
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

/// What the engine has done so far (`Engine.stats`).
#[wasm_bindgen]
pub struct Stats {
    /// `"wgsl"` (the WGSL engine on WebGPU) or `"cpu"`.
    #[wasm_bindgen(getter_with_clone)]
    pub engine: String,
    /// `"f32"`, `"f16"` (activations stored as WGSL `f16`, `shader-f16`) or `"f16-packed"` (the
    /// same f16 values packed two to a u32, where the adapter lacks `shader-f16`): the
    /// activation storage on the GPU; `"f32"` on the CPU.
    #[wasm_bindgen(getter_with_clone)]
    pub precision: String,
    /// GPU compute dispatches recorded so far (0 on the CPU).
    pub dispatches: f64,
    /// Compute command buffers submitted so far (0 on the CPU).
    pub submissions: f64,
    /// The GPU time of the last interpolation whose timestamps are read back, ms (`gpuTimeMs`);
    /// undefined without `timestamp-query`, before the first figure, and on the CPU.
    #[wasm_bindgen(js_name = gpuTimeMs)]
    pub gpu_time_ms: Option<f64>,
}

fn gpu_err(e: inbetween_gpu::Error) -> JsError {
    coded(&e.to_string(), e.code())
}

/// The pair's GPU handles, or an error when a frame comes from the other backend (a caller bug,
/// but one JS can make).
fn gpu_pair<'a>(a: &'a Frame, b: &'a Frame) -> Result<(&'a GpuFrame, &'a GpuFrame), JsError> {
    match (&a.inner, &b.inner) {
        (FrameInner::Gpu(a), FrameInner::Gpu(b)) => Ok((a, b)),
        _ => Err(coded("the frame was prepared by another engine", "backend")),
    }
}

fn cpu_pair<'a>(
    a: &'a Frame,
    b: &'a Frame,
) -> Result<(&'a inbetween::Frame, &'a inbetween::Frame), JsError> {
    match (&a.inner, &b.inner) {
        (FrameInner::Cpu(a), FrameInner::Cpu(b)) => Ok((a, b)),
        _ => Err(coded("the frame was prepared by another engine", "backend")),
    }
}

impl Engine {
    /// The frame of `a` and `b` at `t` (uniform or a map), as RGBA bytes.
    async fn run(&self, a: &Frame, b: &Frame, t: &Timestep) -> Result<Vec<u8>, JsError> {
        match &self.inner {
            Inner::Gpu(e) => {
                let (a, b) = gpu_pair(a, b)?;
                let out = e
                    .interpolate_with(a, b, t, &self.options.get())
                    .map_err(gpu_err)?;
                e.read_rgba8(&out).await.map_err(gpu_err)
            }
            Inner::Cpu(e) => {
                let (a, b) = cpu_pair(a, b)?;
                let out = e
                    .interpolate_with(a, b, t, &self.options.get())
                    .map_err(js_err)?;
                out.frame_rgba8_async().await.map_err(js_err)
            }
        }
    }
}

#[wasm_bindgen]
impl Engine {
    /// Loads converted model bytes (burnpack, f32 or f16). `backend` is `"auto"` (WebGPU when an
    /// adapter exists, else the CPU), `"webgpu"` or `"cpu"`. `precision` (WebGPU only) is
    /// `"f32"` (the default, the reference mode) or `"f16"` (activations stored as f16: with
    /// WGSL `f16` where the adapter has `shader-f16`, else packed two to a u32 with
    /// `pack2x16float`; `stats().precision` says which).
    pub async fn create(
        model: Vec<u8>,
        backend: String,
        precision: Option<String>,
    ) -> Result<Engine, JsError> {
        console_error_panic_hook::set_once();
        let precision = match precision.as_deref() {
            None | Some("f32") => Precision::F32,
            Some("f16") => Precision::F16,
            Some(other) => {
                return Err(coded(
                    &format!("unknown precision '{other}': expected f32 or f16"),
                    "backend",
                ));
            }
        };
        let kinds: &[BackendKind] = match backend.as_str() {
            "auto" => &[BackendKind::Gpu, BackendKind::Cpu],
            "webgpu" | "gpu" => &[BackendKind::Gpu],
            "cpu" => &[BackendKind::Cpu],
            other => {
                return Err(coded(
                    &format!("unknown backend '{other}': expected auto, webgpu or cpu"),
                    "backend",
                ));
            }
        };
        let mut last = None;
        for &kind in kinds {
            let inner = match kind {
                BackendKind::Gpu => {
                    // The burnpack is read on the CPU (flex) and packed once for the kernels.
                    let weights =
                        inbetween_gpu::Weights::from_bytes(model.clone()).map_err(gpu_err)?;
                    match inbetween_gpu::Engine::request_with(&weights, precision).await {
                        Ok(e) => Inner::Gpu(Box::new(e)),
                        Err(e) => {
                            last = Some(gpu_err(e));
                            continue;
                        }
                    }
                }
                BackendKind::Cpu => {
                    let device = inbetween::device_async(BackendKind::Cpu)
                        .await
                        .map_err(js_err)?;
                    Inner::Cpu(Box::new(
                        Interpolator::from_bytes(model.clone(), device).map_err(js_err)?,
                    ))
                }
            };
            return Ok(Engine {
                inner,
                options: Default::default(),
                last: Default::default(),
            });
        }
        Err(last.unwrap_or_else(|| coded("no backend was tried", "backend")))
    }

    /// `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        match self.inner {
            Inner::Gpu(_) => "webgpu".into(),
            Inner::Cpu(_) => "cpu".into(),
        }
    }

    /// The engine's counters: on WebGPU, dispatches and submissions so far, for checking that a
    /// new in-between frame of a video takes at most 70 dispatches in one command buffer.
    pub fn stats(&self) -> Stats {
        match &self.inner {
            Inner::Gpu(e) => Stats {
                engine: "wgsl".into(),
                precision: match e.precision() {
                    Precision::F32 => "f32".into(),
                    Precision::F16 => "f16".into(),
                    Precision::F16Packed => "f16-packed".into(),
                },
                dispatches: e.dispatch_count() as f64,
                submissions: e.submission_count() as f64,
                gpu_time_ms: e.gpu_time_ms(),
            },
            Inner::Cpu(_) => Stats {
                engine: "cpu".into(),
                precision: "f32".into(),
                dispatches: 0.0,
                submissions: 0.0,
                gpu_time_ms: None,
            },
        }
    }

    /// Pads an RGBA (or RGB, by length) frame for interpolation at `scale`. On WebGPU the
    /// pixels are uploaded now and the encoder runs in the next interpolation's command buffer.
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
        let inner = match &self.inner {
            Inner::Gpu(e) => FrameInner::Gpu(
                e.prepare(pixels, width, height, channels, scale)
                    .map_err(gpu_err)?,
            ),
            Inner::Cpu(e) => {
                let image = ImageRef::new(pixels, width, height, channels).map_err(js_err)?;
                // The scale is checked first so that a NaN or out-of-range scale gets its own
                // message.
                if (inbetween::SCALE_RANGE.0..=inbetween::SCALE_RANGE.1).contains(&scale) {
                    budget_check(BackendKind::Cpu, width, height, scale)?;
                }
                FrameInner::Cpu(Box::new(e.prepare(image, scale).map_err(js_err)?))
            }
        };
        Ok(Frame { inner })
    }

    /// Prepares a browser image on WebGPU without reading its pixels back to the CPU: `kind`
    /// says what `image` is (`"VideoFrame"`, `"ImageBitmap"`, `"OffscreenCanvas"` or
    /// `"ImageData"`; the worker knows, and wasm-bindgen cannot check an unknown class
    /// safely). It is copied with `copyExternalImageToTexture` into the frame slot and unpacked
    /// by the encoder's first dispatch. The image is not closed: the caller may close a
    /// VideoFrame as soon as this returns (the copy is queued). Errors on the CPU backend.
    #[wasm_bindgen(js_name = prepareImage)]
    pub fn prepare_image(&self, image: JsValue, kind: &str, scale: f32) -> Result<Frame, JsError> {
        let Inner::Gpu(e) = &self.inner else {
            return Err(coded(
                "prepareImage needs the WebGPU backend (on the CPU, send the pixels)",
                "backend",
            ));
        };
        #[cfg(target_arch = "wasm32")]
        {
            use js_sys::{Array, Function, Object, Reflect};
            use wasm_bindgen::JsCast;
            let get = |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).ok();
            let (wk, hk) = match kind {
                "VideoFrame" => ("displayWidth", "displayHeight"),
                "ImageBitmap" | "OffscreenCanvas" | "ImageData" => ("width", "height"),
                other => {
                    return Err(coded(
                        &format!("prepareImage: unknown image kind '{other}'"),
                        "backend",
                    ));
                }
            };
            let dim = |k| get(&image, k).and_then(|v| v.as_f64()).unwrap_or(0.0);
            let (w, h) = (dim(wk), dim(hk));
            if !(w >= 1.0 && h >= 1.0 && w <= u32::MAX as f64 && h <= u32::MAX as f64) {
                return Err(coded(
                    &format!("prepareImage: the {kind} has no usable size ({w}x{h}; closed?)"),
                    "backend",
                ));
            }
            let texture = e.import_texture(w as u32, h as u32).map_err(gpu_err)?;
            // The JS call itself, so that an exception (a closed frame, a cross-origin image)
            // is an Error here; wgpu's wrapper of it unwraps (see `import_texture`).
            let queue: JsValue = e
                .queue()
                .as_webgpu()
                .ok_or_else(|| coded("prepareImage: the engine is not on WebGPU", "backend"))?
                .clone()
                .into();
            let gpu_texture: JsValue = texture
                .as_webgpu()
                .ok_or_else(|| coded("prepareImage: the engine is not on WebGPU", "backend"))?
                .clone()
                .into();
            let source = Object::new();
            let destination = Object::new();
            let set = |o: &Object, k: &str, v: &JsValue| Reflect::set(o, &JsValue::from_str(k), v);
            let copy = get(&queue, "copyExternalImageToTexture")
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    coded(
                        "this browser's WebGPU has no copyExternalImageToTexture",
                        "gpu",
                    )
                })?;
            set(&source, "source", &image)
                .and(set(&destination, "texture", &gpu_texture))
                .and(set(&destination, "colorSpace", &JsValue::from_str("srgb")))
                .and(set(&destination, "premultipliedAlpha", &JsValue::FALSE))
                .map_err(|_| {
                    coded(
                        "prepareImage: could not build the copy's arguments",
                        "backend",
                    )
                })?;
            let size = Array::of2(&JsValue::from_f64(w), &JsValue::from_f64(h));
            copy.call3(&queue, &source, &destination, &size)
                .map_err(|err| {
                    let message = err
                        .dyn_ref::<js_sys::Error>()
                        .map(|x| String::from(x.message()))
                        .unwrap_or_else(|| format!("{err:?}"));
                    coded(
                        &format!("could not copy the {kind} to the GPU: {message}"),
                        "gpu",
                    )
                })?;
            Ok(Frame {
                inner: FrameInner::Gpu(e.prepare_texture(&texture, scale).map_err(gpu_err)?),
            })
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = (e, image, kind, scale);
            Err(coded(
                "prepareImage exists only in the browser build",
                "backend",
            ))
        }
    }

    /// A WebGPU canvas (an `OffscreenCanvas`, e.g. transferred to the worker) that
    /// `interpolateToCanvas` draws into. Errors on the CPU backend.
    #[wasm_bindgen(js_name = attachCanvas)]
    pub fn attach_canvas(&self, canvas: JsValue) -> Result<Canvas, JsError> {
        if !matches!(self.inner, Inner::Gpu(_)) {
            return Err(coded("canvas output needs the WebGPU backend", "backend"));
        }
        #[cfg(target_arch = "wasm32")]
        {
            use wasm_bindgen::JsCast;
            let canvas = canvas.unchecked_into::<inbetween_gpu::wgpu::web_sys::OffscreenCanvas>();
            Ok(Canvas {
                presenter: inbetween_gpu::Presenter::offscreen_canvas(canvas).map_err(gpu_err)?,
            })
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = canvas;
            Err(coded(
                "attachCanvas exists only in the browser build",
                "backend",
            ))
        }
    }

    /// The frame of `a` and `b` at `t`, drawn into `canvas` (resized to the frame) with no
    /// readback: the canvas shows what `interpolate` would return as bytes.
    #[wasm_bindgen(js_name = interpolateToCanvas)]
    pub fn interpolate_to_canvas(
        &self,
        a: &Frame,
        b: &Frame,
        t: f32,
        canvas: &mut Canvas,
    ) -> Result<(), JsError> {
        let Inner::Gpu(e) = &self.inner else {
            return Err(coded("canvas output needs the WebGPU backend", "backend"));
        };
        let (a, b) = gpu_pair(a, b)?;
        let out = e
            .interpolate_with(a, b, &Timestep::Uniform(t), &self.options.get())
            .map_err(gpu_err)?;
        e.present(&out, &mut canvas.presenter).map_err(gpu_err)
    }

    /// `interpolateToCanvas` in two steps: the frame of `a` and `b` at `t`, computed on the GPU
    /// (submitted) and kept there, with no readback; `presentLast` then draws it into a canvas.
    /// A caller that awaits `workDone` between the two presents only a finished frame, so the
    /// browser's compositor never waits on the interpolation itself (on a slow GPU it would hold
    /// up the whole page's frames). The output lives in the size's buffers: the next
    /// interpolation of the same size replaces it.
    #[wasm_bindgen(js_name = interpolateOnGpu)]
    pub fn interpolate_on_gpu(&self, a: &Frame, b: &Frame, t: f32) -> Result<(), JsError> {
        let Inner::Gpu(e) = &self.inner else {
            return Err(coded(
                "interpolateOnGpu needs the WebGPU backend",
                "backend",
            ));
        };
        let (a, b) = gpu_pair(a, b)?;
        let out = e
            .interpolate_with(a, b, &Timestep::Uniform(t), &self.options.get())
            .map_err(gpu_err)?;
        *self.last.borrow_mut() = Some(out);
        Ok(())
    }

    /// Draws the last `interpolateOnGpu` output into `canvas` (resized to it) and presents it.
    /// Errors when there is none. It reads the size's output buffers as they are now, so any
    /// other interpolation of that size since (a readback call included) is what it draws: the
    /// caller presents before starting the next one, as the extension's in-process engine does.
    #[wasm_bindgen(js_name = presentLast)]
    pub fn present_last(&self, canvas: &mut Canvas) -> Result<(), JsError> {
        let Inner::Gpu(e) = &self.inner else {
            return Err(coded("canvas output needs the WebGPU backend", "backend"));
        };
        let last = self.last.borrow();
        let out = last
            .as_ref()
            .ok_or_else(|| coded("presentLast: nothing was interpolated", "backend"))?;
        e.present(out, &mut canvas.presenter).map_err(gpu_err)
    }

    /// A Promise that resolves once the GPU has finished all work submitted so far (the queue's
    /// `onSubmittedWorkDone`). `interpolateToCanvas` returns as soon as its work is submitted,
    /// so this is how a caller times it (the extension's in-process engine measures its GPU time
    /// per drawn frame with it, and skips a display refresh while a draw is still running).
    /// Errors on the CPU backend.
    #[wasm_bindgen(js_name = workDone)]
    pub fn work_done(&self) -> Result<js_sys::Promise, JsError> {
        let Inner::Gpu(e) = &self.inner else {
            return Err(coded("workDone needs the WebGPU backend", "backend"));
        };
        #[cfg(target_arch = "wasm32")]
        {
            use js_sys::{Function, Reflect};
            use wasm_bindgen::JsCast;
            let queue: JsValue = e
                .queue()
                .as_webgpu()
                .ok_or_else(|| coded("workDone: the engine is not on WebGPU", "backend"))?
                .clone()
                .into();
            let done = Reflect::get(&queue, &JsValue::from_str("onSubmittedWorkDone"))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| coded("this browser's WebGPU has no onSubmittedWorkDone", "gpu"))?;
            done.call0(&queue)
                .ok()
                .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
                .ok_or_else(|| coded("onSubmittedWorkDone gave no Promise", "gpu"))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = e;
            Err(coded(
                "workDone exists only in the browser build",
                "backend",
            ))
        }
    }

    /// Whether this engine measures each interpolation's GPU time (`gpuTimeMs`, `lastGpuTime`):
    /// WebGPU with the adapter's `timestamp-query`. False on the CPU.
    #[wasm_bindgen(js_name = measuresGpuTime)]
    pub fn measures_gpu_time(&self) -> bool {
        matches!(&self.inner, Inner::Gpu(e) if e.measures_gpu_time())
    }

    /// The GPU time, ms, of the last interpolation whose two timestamps have come back (from the
    /// start of its first compute pass to the end of its last): read without waiting, from a
    /// 16-byte map the interpolation scheduled itself. `undefined` without `timestamp-query`,
    /// before the first figure, and on the CPU (callers then time it on the wall clock).
    #[wasm_bindgen(js_name = gpuTimeMs)]
    pub fn gpu_time_ms(&self) -> Option<f64> {
        match &self.inner {
            Inner::Gpu(e) => e.gpu_time_ms(),
            Inner::Cpu(_) => None,
        }
    }

    /// A Promise of the latest interpolation's GPU time, ms, which resolves once its timestamps
    /// are read back (about when the GPU has finished it; nothing is waited for on the GPU's
    /// side): `undefined` when it was not timed (no `timestamp-query`, every readback slot
    /// still in flight, unusable values) and on the CPU. It never rejects, and holds no borrow
    /// of the engine, which may be freed meanwhile.
    #[wasm_bindgen(js_name = lastGpuTime)]
    pub fn last_gpu_time(&self) -> js_sys::Promise {
        let future = match &self.inner {
            Inner::Gpu(e) => Some(e.latest_gpu_time()),
            Inner::Cpu(_) => None,
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let ms = match future {
                Some(f) => f.await,
                None => None,
            };
            Ok(ms.map_or(JsValue::UNDEFINED, JsValue::from_f64))
        })
    }

    /// Switches issue 12's static-region guard on or off for every later call (off at first):
    /// still captions and logos are kept from the inputs instead of dragged by the warps.
    #[wasm_bindgen(js_name = setStaticGuard)]
    pub fn set_static_guard(&self, on: bool) {
        let mut o = self.options.get();
        o.static_guard = on;
        self.options.set(o);
    }

    /// Switches issue 12's `quality: 'best'` on or off for every later call (off at first): the
    /// mirrored pair is interpolated too and the two averaged (about 2x the time).
    #[wasm_bindgen(js_name = setQuality)]
    pub fn set_quality(&self, best: bool) {
        let mut o = self.options.get();
        o.mirror_average = best;
        self.options.set(o);
    }

    /// How far things move between `a` and `b`, in pixels (the 95th percentile of what RIFE's
    /// coarsest block sees), for `autoScale`: one block, a few percent of an interpolation.
    #[wasm_bindgen(js_name = coarseMotion)]
    pub async fn coarse_motion(&self, a: &Frame, b: &Frame) -> Result<f32, JsError> {
        match &self.inner {
            Inner::Gpu(e) => {
                let (a, b) = gpu_pair(a, b)?;
                e.coarse_motion(a, b).await.map_err(gpu_err)
            }
            Inner::Cpu(e) => {
                let (a, b) = cpu_pair(a, b)?;
                e.coarse_motion(a, b).map_err(js_err)
            }
        }
    }

    /// `frame` prepared again at another flow scale from its own pixels (on WebGPU without
    /// leaving the GPU): `scale: 'auto'` measures a pair at one scale and may run it at a
    /// smaller one after the source image is gone.
    pub fn rescaled(&self, frame: &Frame, scale: f32) -> Result<Frame, JsError> {
        let inner = match (&self.inner, &frame.inner) {
            (Inner::Gpu(e), FrameInner::Gpu(f)) => {
                FrameInner::Gpu(e.rescaled(f, scale).map_err(gpu_err)?)
            }
            (Inner::Cpu(e), FrameInner::Cpu(f)) => {
                if (inbetween::SCALE_RANGE.0..=inbetween::SCALE_RANGE.1).contains(&scale) {
                    budget_check(BackendKind::Cpu, f.width, f.height, scale)?;
                }
                FrameInner::Cpu(Box::new(e.rescaled(f, scale).map_err(js_err)?))
            }
            _ => return Err(coded("the frame was prepared by another engine", "backend")),
        };
        Ok(Frame { inner })
    }

    /// The frame at time `t` in [0, 1] between `a` and `b`, as RGBA bytes.
    pub async fn interpolate(&self, a: &Frame, b: &Frame, t: f32) -> Result<Vec<u8>, JsError> {
        self.run(a, b, &Timestep::Uniform(t)).await
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
        let (w, h, _) = a.size();
        let frame_bytes = w * h * 4;
        let need = ts.len().saturating_mul(frame_bytes);
        if need > MANY_OUTPUT_BUDGET {
            return Err(js_err(inbetween::Error::TooManyTimesteps {
                count: ts.len(),
                width: w,
                height: h,
                need_mib: need >> 20,
                budget_mib: MANY_OUTPUT_BUDGET >> 20,
            }));
        }
        let mut all = Vec::with_capacity(need);
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
        self.run(a, b, &Timestep::Map(map)).await
    }

    /// The frame at time `t` as planar f32 RGB `[3][height][width]`, not clamped or rounded:
    /// what parity tests compare with the PyTorch goldens to 1e-3 (8-bit output hides that).
    #[wasm_bindgen(js_name = interpolateRgb)]
    pub async fn interpolate_rgb(&self, a: &Frame, b: &Frame, t: f32) -> Result<Vec<f32>, JsError> {
        let t = Timestep::Uniform(t);
        match &self.inner {
            Inner::Gpu(e) => {
                let (a, b) = gpu_pair(a, b)?;
                let out = e
                    .interpolate_with(a, b, &t, &self.options.get())
                    .map_err(gpu_err)?;
                e.read_rgb(&out).await.map_err(gpu_err)
            }
            Inner::Cpu(e) => {
                let (a, b) = cpu_pair(a, b)?;
                let out = e
                    .interpolate_with(a, b, &t, &self.options.get())
                    .map_err(js_err)?;
                inbetween::read_f32_async(out.frame).await.map_err(js_err)
            }
        }
    }

    /// Destroys the GPU device, as a driver reset would, so tests can check that a lost device
    /// gives an Error. Every later call of this engine fails. Returns whether a GPU was lost.
    #[wasm_bindgen(js_name = loseDeviceForTesting)]
    pub fn lose_device_for_testing(&self) -> bool {
        match &self.inner {
            Inner::Gpu(e) => {
                e.lose_device_for_testing();
                true
            }
            Inner::Cpu(_) => false,
        }
    }

    /// The frame at time `t` with the flow and blend mask that made it.
    #[wasm_bindgen(js_name = interpolateWithFlow)]
    pub async fn interpolate_with_flow(
        &self,
        a: &Frame,
        b: &Frame,
        t: f32,
    ) -> Result<Interpolation, JsError> {
        match &self.inner {
            Inner::Gpu(e) => {
                let (fa, fb) = gpu_pair(a, b)?;
                let out = e
                    .interpolate_with(fa, fb, &Timestep::Uniform(t), &self.options.get())
                    .map_err(gpu_err)?;
                // Each read checks that `out` is still the size's latest output; nothing else
                // runs on this engine in between (the worker serves one request at a time).
                let frame = e.read_rgba8(&out).await.map_err(gpu_err)?;
                let flow = e.read_flow(&out).await.map_err(gpu_err)?;
                let mask = e.read_mask(&out).await.map_err(gpu_err)?;
                Ok(Interpolation {
                    frame,
                    flow,
                    mask,
                    width: out.width,
                    height: out.height,
                })
            }
            Inner::Cpu(e) => {
                let (fa, fb) = cpu_pair(a, b)?;
                let out: Interpolated = e
                    .interpolate_with(fa, fb, &Timestep::Uniform(t), &self.options.get())
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
    }
}
