// A helper worker of the threaded wasm build (see wasm-variant.ts): it instantiates the module
// it is sent on the engine worker's shared memory, says it is ready, and then runs one of
// rayon's threads for as long as it lives (runPoolThread blocks, which a worker may do).

import init, { runPoolThread } from '../../pkg-mt/inbetween_wasm.js';

interface HelperScope {
  onmessage:
    | ((event: MessageEvent<{ type?: string; module: WebAssembly.Module; memory: WebAssembly.Memory }>) => void)
    | null;
  postMessage(message: { type: string; error?: string }): void;
}
const scope = self as unknown as HelperScope;

scope.onmessage = async (event) => {
  if (event.data?.type !== 'inbetween-cpu-thread') return;
  scope.onmessage = null;
  try {
    await init({ module_or_path: event.data.module, memory: event.data.memory });
  } catch (e) {
    scope.postMessage({ type: 'inbetween-cpu-thread-failed', error: e instanceof Error ? e.message : String(e) });
    return;
  }
  scope.postMessage({ type: 'inbetween-cpu-thread-ready' });
  runPoolThread();
};
