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
            keep_wgpu_device(setup.device);
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
    // burn registers the wgpu runtime once per process (a second `init` fails with "Service
    // already initialized"), so the first outcome is kept and cloned.
    static GPU: std::sync::OnceLock<Result<Device, String>> = std::sync::OnceLock::new();
    GPU.get_or_init(|| {
        // wgpu's adapter request can panic deep inside when no driver is present; keep that
        // from reaching the caller as a crash.
        match std::panic::catch_unwind(|| Device::wgpu_options().init_with_setup()) {
            Ok(Ok((device, setup))) => {
                keep_wgpu_device(setup.device);
                Ok(device)
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no usable GPU adapter (wgpu initialisation panicked)".into()),
        }
    })
    .clone()
    .map_err(Error::Gpu)
}

#[cfg(not(all(feature = "wgpu", not(target_family = "wasm"))))]
fn gpu_device() -> Result<Device> {
    Err(Error::Gpu("this build has no wgpu backend".into()))
}

#[cfg(feature = "wgpu")]
thread_local! {
    /// The wgpu device behind the burn device, kept only so tests can lose it on purpose.
    static WGPU_DEVICE: std::cell::RefCell<Option<burn::tensor::wgpu::wgpu::Device>> =
        const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "wgpu")]
fn keep_wgpu_device(device: burn::tensor::wgpu::wgpu::Device) {
    WGPU_DEVICE.with(|d| *d.borrow_mut() = Some(device));
}

/// Destroys the GPU device, as a driver reset would, so tests can check that a lost device
/// gives `Error::DeviceLost` instead of a crash. Every later GPU operation in the process (or
/// the browser worker) fails. Returns whether there was a GPU device to lose.
pub fn lose_gpu_device_for_testing() -> bool {
    #[cfg(feature = "wgpu")]
    {
        WGPU_DEVICE.with(|d| match d.borrow().as_ref() {
            Some(device) => {
                device.destroy();
                true
            }
            None => false,
        })
    }
    #[cfg(not(feature = "wgpu"))]
    false
}
