//! Backend choice at run time. burn 0.22 tensors carry no backend type: the `Device` decides.

use burn::tensor::Device;

use crate::error::{Error, Result};

/// Which compute backend runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend (`flex`).
    Cpu,
    /// burn's wgpu backend: Vulkan/Metal/DX12 natively, WebGPU in the browser.
    Gpu,
}

impl std::str::FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "gpu" | "wgpu" => Ok(Self::Gpu),
            other => Err(format!("unknown backend '{other}': expected cpu or gpu")),
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        })
    }
}

/// Creates the device for `kind` asynchronously: the only way in the browser, where WebGPU's
/// adapter and device requests are promises. Natively this is `device`.
pub async fn device_async(kind: BackendKind) -> Result<Device> {
    match kind {
        BackendKind::Cpu => Ok(Device::flex()),
        #[cfg(all(feature = "wgpu", target_family = "wasm"))]
        BackendKind::Gpu => {
            // As natively, the runtime registers once; later calls reuse the first device.
            thread_local! {
                static GPU: std::cell::RefCell<Option<Device>> = const { std::cell::RefCell::new(None) };
            }
            if let Some(device) = GPU.with(|g| g.borrow().clone()) {
                return Ok(device);
            }
            let (device, setup) = Device::wgpu_options()
                .init_with_setup_async()
                .await
                .map_err(|e| Error::Gpu(e.to_string()))?;
            GPU.with(|g| *g.borrow_mut() = Some(device.clone()));
            keep_wgpu_device(setup.into());
            Ok(device)
        }
        #[cfg(not(all(feature = "wgpu", target_family = "wasm")))]
        BackendKind::Gpu => gpu_device(),
    }
}

/// Creates the device for `kind` (native builds; the browser uses `device_async`).
pub fn device(kind: BackendKind) -> Result<Device> {
    match kind {
        BackendKind::Cpu => Ok(Device::flex()),
        BackendKind::Gpu => gpu_device(),
    }
}

#[cfg(all(feature = "wgpu", not(target_family = "wasm")))]
fn gpu_device() -> Result<Device> {
    use std::sync::Mutex;
    // burn registers its default wgpu runtime once per process (a second `init` fails with
    // "Service already initialized"), so the device is kept here and cloned. A device that was
    // lost since (a driver reset, a GPU that went away) is not handed out again: it is replaced by
    // a new wgpu device registered as a new runtime, so that "create a new interpolator" after a
    // loss gets a working device, as in the browser. No adapter at all is kept as the answer.
    static GPU: Mutex<Option<Result<Device, String>>> = Mutex::new(None);
    let mut gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let first = match gpu.as_ref() {
        Some(Ok(device)) if !is_lost(device) => return Ok(device.clone()),
        Some(Err(e)) => return Err(Error::Gpu(e.clone())),
        Some(Ok(_)) => false,
        None => true,
    };
    // wgpu's adapter request can panic deep inside when no driver is present; keep that from
    // reaching the caller as a crash.
    let made = std::panic::catch_unwind(|| {
        if first {
            Device::wgpu_options()
                .init_with_setup()
                .map(|(d, setup)| (d, setup.device))
                .map_err(|e| e.to_string())
        } else {
            replacement_setup().and_then(|setup| {
                let device = setup.device.clone();
                Device::wgpu_options()
                    .setup(setup)
                    .init()
                    .map(|d| (d, device))
                    .map_err(|e| e.to_string())
            })
        }
    });
    let made = match made {
        Ok(Ok((device, wgpu_device))) => {
            keep_wgpu_device(wgpu_device.into());
            Ok(device)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err("no usable GPU adapter (wgpu initialisation panicked)".into()),
    };
    // A failed replacement is not kept: the next call tries again (the GPU may be back).
    if first || made.is_ok() {
        *gpu = Some(made.clone());
    }
    made.map_err(Error::Gpu)
}

/// Whether `device` can no longer run anything: a one-element readback, which fails with the
/// poison cubecl records when wgpu reports the device lost.
#[cfg(all(feature = "wgpu", not(target_family = "wasm")))]
fn is_lost(device: &Device) -> bool {
    let probe = burn::tensor::Tensor::<1>::zeros([1], device);
    matches!(crate::read_f32(probe), Err(Error::DeviceLost(_)))
}

/// A new adapter and device for a replacement runtime, asked for as burn's own default device
/// is (cubecl-wgpu 0.11 `request_adapter` and its WGSL `try_request_device`): the
/// high-performance adapter, with all its features but mappable primary buffers, and its limits.
#[cfg(all(feature = "wgpu", not(target_family = "wasm")))]
fn replacement_setup() -> Result<burn::tensor::wgpu::WgpuSetup, String> {
    use burn::tensor::wgpu::wgpu;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapter = block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .map_err(|e| format!("no GPU adapter for a new device: {e}"))?;
    let (device, queue) = block_on(
        adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("inbetween (after a lost device)"),
            required_features: adapter
                .features()
                .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
            required_limits: adapter.limits(),
            memory_hints: wgpu::MemoryHints::MemoryUsage,
            trace: wgpu::Trace::Off,
            // As cubecl asks for its own device: its kernels may use passthrough shaders.
            // SAFETY: the same experimental features burn's default device is created with.
            experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
        }),
    )
    .map_err(|e| format!("a new GPU device could not be created: {e}"))?;
    let backend = adapter.get_info().backend;
    Ok(burn::tensor::wgpu::WgpuSetup {
        instance,
        adapter,
        device,
        queue,
        backend,
    })
}

/// Drives a native wgpu future to completion. Native wgpu resolves adapter and device requests
/// without waiting on anything, so polling with a no-op waker is enough.
#[cfg(all(feature = "wgpu", not(target_family = "wasm")))]
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

#[cfg(not(all(feature = "wgpu", not(target_family = "wasm"))))]
fn gpu_device() -> Result<Device> {
    Err(Error::Gpu("this build has no wgpu backend".into()))
}

/// The wgpu device behind the current burn GPU device, kept only so tests can lose it on purpose.
/// Natively process-wide (any thread may create the interpolator); in the browser the worker has
/// one thread.
#[cfg(feature = "wgpu")]
static WGPU_DEVICE: std::sync::Mutex<Option<WgpuDeviceHandle>> = std::sync::Mutex::new(None);

/// wgpu's device handle is `Send + Sync` natively but not on wasm (WebGPU objects are bound to
/// their JS thread); the browser's worker is single-threaded, so sharing it there is sound.
#[cfg(feature = "wgpu")]
struct WgpuDeviceHandle(burn::tensor::wgpu::wgpu::Device);
#[cfg(all(feature = "wgpu", target_family = "wasm"))]
// SAFETY: wasm32 without threads (the build has no atomics): there is only one thread.
unsafe impl Send for WgpuDeviceHandle {}

#[cfg(feature = "wgpu")]
impl From<burn::tensor::wgpu::WgpuSetup> for WgpuDeviceHandle {
    fn from(setup: burn::tensor::wgpu::WgpuSetup) -> Self {
        Self(setup.device)
    }
}

#[cfg(feature = "wgpu")]
impl From<burn::tensor::wgpu::wgpu::Device> for WgpuDeviceHandle {
    fn from(device: burn::tensor::wgpu::wgpu::Device) -> Self {
        Self(device)
    }
}

#[cfg(feature = "wgpu")]
fn keep_wgpu_device(device: WgpuDeviceHandle) {
    *WGPU_DEVICE.lock().unwrap_or_else(|p| p.into_inner()) = Some(device);
}

/// Destroys the GPU device, as a driver reset would, so tests can check that a lost device
/// gives `Error::DeviceLost` instead of a crash. Every later GPU operation in the process (or
/// the browser worker) fails. Returns whether there was a GPU device to lose.
pub fn lose_gpu_device_for_testing() -> bool {
    #[cfg(feature = "wgpu")]
    {
        match WGPU_DEVICE
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            Some(WgpuDeviceHandle(device)) => {
                device.destroy();
                true
            }
            None => false,
        }
    }
    #[cfg(not(feature = "wgpu"))]
    false
}
