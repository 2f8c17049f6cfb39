// Which build of the wasm module the worker runs, and loading it.
//
// There are two builds (scripts/build-wasm.sh), both with simd128:
// - pkg/: one thread. Every page can run it.
// - pkg-mt/: atomics and shared memory; the CPU path's rayon threads run on helper Web Workers
//   (cpu-thread.ts) that instantiate the same module on the same memory. A shared
//   WebAssembly.Memory needs SharedArrayBuffer, which browsers give only to cross-origin-isolated
//   pages (COOP `same-origin` + COEP `require-corp` or `credentialless`), so the choice is made
//   here, at run time, by feature detection.
// The WebGPU engine is in both, so the choice does not depend on the backend.
//
// Both glues are imported statically: bundlers then keep the worker in one file with everything
// it needs (they would split a dynamic import into a chunk of its own), and they see both
// `new URL('….wasm', import.meta.url)` below and emit both modules. A glue costs tens of KB;
// only the chosen .wasm is downloaded.

import * as single from '../../pkg/inbetween_wasm.js';
import * as threaded from '../../pkg-mt/inbetween_wasm.js';

/** The engine class of whichever build was loaded (a live binding, set by `loadWasm`). */
export type Engine = single.Engine;
export let Engine: typeof single.Engine = single.Engine;
export type { Canvas, Frame } from '../../pkg/inbetween_wasm.js';

/** What ran, for the test hooks: rayon threads (0 before the pool starts, always 0 in the
 * single-thread build), and whether the module has simd128 and atomics. */
export interface CpuBuild {
  variant: 'single' | 'threads';
  threads: number;
  simd: boolean;
  atomics: boolean;
}

let glue: typeof single | null = null;
let variant: CpuBuild['variant'] = 'single';
/** The helpers, kept referenced (never read) while the module lives: a worker that nothing
 * references may be collected (Firefox does), and one of rayon's threads with it. */
let _helpers: Worker[] = [];
let pool: Promise<void> | null = null;

/** True where a shared WebAssembly.Memory can be made and posted to other workers. */
export function canUseThreads(): boolean {
  return (
    typeof SharedArrayBuffer === 'function' &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
  );
}

/**
 * Instantiates the threaded build where the page is cross-origin isolated and has more than one
 * core, else the single-thread build. A `wasmUrl` given by the app names the single-thread
 * module (the `inbetween/wasm` export), so it always gets that build.
 */
export async function loadWasm(wasmUrl: string | null): Promise<{
  url: string;
  exports: { memory: WebAssembly.Memory; __wbindgen_malloc: (size: number, align: number) => number };
}> {
  const cores = navigator.hardwareConcurrency ?? 1;
  const useThreads = wasmUrl === null && cores > 1 && canUseThreads();
  // Literal `new URL(…, import.meta.url)` expressions: what Vite and webpack follow to emit the
  // .wasm files into an app's build.
  const url = useThreads
    ? new URL('../../pkg-mt/inbetween_wasm_bg.wasm', import.meta.url)
    : (wasmUrl ?? new URL('../../pkg/inbetween_wasm_bg.wasm', import.meta.url));
  const g = (useThreads ? threaded : single) as typeof single;
  let exports: { memory?: WebAssembly.Memory; __wbindgen_malloc: (size: number, align: number) => number };
  try {
    exports = (await g.default({ module_or_path: url })) as unknown as typeof exports;
  } catch (e) {
    throw new Error(
      `could not load the WebAssembly module from ${String(url)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  glue = g;
  variant = useThreads ? 'threads' : 'single';
  if (useThreads) {
    // The threaded module imports its (shared) memory instead of exporting it.
    const memory = threaded.poolMemory() as WebAssembly.Memory;
    // The engine's own thread only waits while the pool works, so one rayon thread per core.
    const threads = Math.min(cores, 16);
    const base = threaded.Engine;
    // The pool starts with the first CPU engine: a page on WebGPU never pays for the helpers.
    // (`create` is the only static the worker calls; the class's constructor is private.)
    Engine = {
      create: async (model: Uint8Array, backend: string, precision?: string | null) => {
        if (backend !== 'webgpu') await startPool(memory, threads);
        return base.create(model, backend, precision);
      },
    } as unknown as typeof single.Engine;
    return { url: String(url), exports: { ...exports, memory } };
  }
  Engine = single.Engine;
  return {
    url: String(url),
    exports: exports as { memory: WebAssembly.Memory; __wbindgen_malloc: (size: number, align: number) => number },
  };
}

function startPool(memory: WebAssembly.Memory, threads: number): Promise<void> {
  pool ??= (async () => {
    const module = threaded.poolModule() as WebAssembly.Module;
    _helpers = await Promise.all(Array.from({ length: threads }, () => startHelper(module, memory)));
    // Only now: the first parallel job blocks this worker until every rayon thread runs, and a
    // browser may not start a worker whose parent is blocked.
    threaded.startThreadPool(threads);
  })();
  return pool;
}

function startHelper(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Worker> {
  return new Promise((resolve, reject) => {
    // This exact expression is what bundlers recognise as a worker entry point.
    const worker = new Worker(new URL('./cpu-thread.js', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ type?: string; error?: string }>) => {
      if (event.data?.type === 'inbetween-cpu-thread-ready') resolve(worker);
      else if (event.data?.type === 'inbetween-cpu-thread-failed')
        reject(new Error(`a CPU thread could not start: ${event.data.error}`));
    };
    worker.onerror = (event) =>
      reject(new Error(`a CPU thread worker failed to load: ${event.message ?? 'unknown error'}`));
    worker.postMessage({ type: 'inbetween-cpu-thread', module, memory });
  });
}

/** The flow scale for a frame size alone, where `scale: 'auto'` starts (Rust's `size_scale`). */
export function sizeScale(width: number, height: number): number {
  if (!glue) throw new Error('internal error: the wasm module is not loaded');
  return glue.sizeScale(width, height);
}

/** The scale `scale: 'auto'` runs a pair at, from its size and coarse motion (Rust's `auto_scale`). */
export function autoScale(width: number, height: number, motion: number): number {
  if (!glue) throw new Error('internal error: the wasm module is not loaded');
  return glue.autoScale(width, height, motion);
}

/** The build that runs (null before `loadWasm`). */
export function cpuBuild(): CpuBuild | null {
  if (!glue) return null;
  const info = glue.cpuInfo();
  try {
    return { variant, threads: info.threads, simd: info.simd, atomics: info.atomics };
  } finally {
    info.free();
  }
}
