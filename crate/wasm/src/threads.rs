//! What this build of the module is (`cpuInfo`), and, in the threaded build (feature `threads`,
//! compiled with atomics), the rayon pool whose threads are Web Workers.
//!
//! The pool: JS starts N helper workers (`www/lib/src/cpu-thread.ts`). Each instantiates this
//! module on the shared memory, says it is ready and calls `runPoolThread`, which blocks until
//! rayon hands it a thread to run. Only then does the engine's worker call `startThreadPool(N)`:
//! Chromium does not start a nested worker while its parent is blocked, and building the pool
//! does not block, but the first parallel job would, waiting for threads that never came up.
//! rayon's spawn handler cannot create workers itself (that takes JS, on the engine's worker), so
//! it passes each thread through a channel to whichever helper takes it.

use wasm_bindgen::prelude::*;

/// The build that runs, so a test can tell the threaded build from the fallback.
#[wasm_bindgen]
pub struct CpuInfo {
    /// rayon threads working on the CPU path: 0 before `startThreadPool` (and always in the
    /// single-thread build, where the engine's own thread does the work alone).
    pub threads: usize,
    /// Built with simd128 (the CPU conv kernels run on pulp's 128-bit path).
    pub simd: bool,
    /// Built with atomics and shared memory: the threaded build.
    pub atomics: bool,
}

#[wasm_bindgen(js_name = cpuInfo)]
pub fn cpu_info() -> CpuInfo {
    CpuInfo {
        #[cfg(feature = "threads")]
        threads: pool::THREADS.load(std::sync::atomic::Ordering::Acquire),
        #[cfg(not(feature = "threads"))]
        threads: 0,
        simd: cfg!(target_feature = "simd128"),
        atomics: cfg!(target_feature = "atomics"),
    }
}

#[cfg(feature = "threads")]
mod pool {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, OnceLock, mpsc};

    use rayon::ThreadBuilder;
    use wasm_bindgen::prelude::*;

    pub(super) static THREADS: AtomicUsize = AtomicUsize::new(0);

    /// rayon's threads on their way from the spawn handler to the helpers. The receiver is shared
    /// by all helpers (a Receiver is not Sync, hence the Mutex; each helper holds it only until
    /// it has its thread).
    struct Handoff {
        tx: mpsc::Sender<ThreadBuilder>,
        rx: Mutex<mpsc::Receiver<ThreadBuilder>>,
    }

    fn handoff() -> &'static Handoff {
        static HANDOFF: OnceLock<Handoff> = OnceLock::new();
        HANDOFF.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            Handoff {
                tx,
                rx: Mutex::new(rx),
            }
        })
    }

    /// Builds rayon's global pool with `threads` threads, each run by a helper worker that is
    /// (or will be) blocked in `runPoolThread`. Once only per module instance.
    #[wasm_bindgen(js_name = startThreadPool)]
    pub fn start_thread_pool(threads: usize) -> Result<(), JsError> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("inbetween-cpu-{i}"))
            .spawn_handler(|thread| {
                handoff()
                    .tx
                    .send(thread)
                    .map_err(|_| std::io::Error::other("the helper channel is closed"))
            })
            .build_global()
            .map_err(|e| JsError::new(&format!("could not start the CPU thread pool: {e}")))?;
        THREADS.store(threads, Ordering::Release);
        Ok(())
    }

    /// Runs one of rayon's threads on this (helper) worker: blocks until the pool is built, then
    /// never returns while the pool lives.
    #[wasm_bindgen(js_name = runPoolThread)]
    pub fn run_pool_thread() {
        let thread = handoff()
            .rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .recv();
        if let Ok(thread) = thread {
            thread.run();
        }
    }

    /// The shared memory (imported by the threaded module, so the instance does not export it).
    /// Not named `wasmMemory`/`wasmModule`: wasm-bindgen's glue declares those names itself.
    #[wasm_bindgen(js_name = poolMemory)]
    pub fn wasm_memory() -> JsValue {
        wasm_bindgen::memory()
    }

    /// The compiled module, for the helpers to instantiate on the same memory.
    #[wasm_bindgen(js_name = poolModule)]
    pub fn wasm_module() -> JsValue {
        wasm_bindgen::module()
    }
}

/// Bench hook, not part of the API: the fused CPU conv kernels on or off for this instance
/// (`inbetween::model::set_cpu_conv_kernels`; off = burn flex's ops), to time one against the
/// other in the same module.
#[wasm_bindgen(js_name = setCpuConvKernelsForTesting)]
pub fn set_cpu_conv_kernels_for_testing(on: bool) {
    inbetween::model::set_cpu_conv_kernels(on);
}

/// Bench hook, not part of the API: Winograd on the ResConvs or the direct kernel
/// (`inbetween::model::set_cpu_winograd`), to time one against the other in the same module.
#[wasm_bindgen(js_name = setCpuWinogradForTesting)]
pub fn set_cpu_winograd_for_testing(on: bool) {
    inbetween::model::set_cpu_winograd(on);
}
