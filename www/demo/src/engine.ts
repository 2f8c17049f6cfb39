// The page's one interpolator: made once at load (the model is downloaded, checked and cached)
// and shared by every section, so the 11 MB model is in memory once and the backend notice can
// be shown before anyone drops a file.

import { createInterpolator, type BackendChoice, type Interpolator } from '../../lib/dist/index.js';
import { $, errorMessage, formatBytes } from './ui.js';

/** Default output height on the CPU path: ~0.5 s a frame at 320x192 there, so keep it small. */
export const CPU_MAX_HEIGHT = 360;

let ready: Promise<Interpolator> | null = null;

/** `?backend=cpu|webgpu|auto` picks the backend (default auto), e.g. to compare the two. */
function requestedBackend(): BackendChoice {
  const b = new URLSearchParams(location.search).get('backend');
  return b === 'cpu' || b === 'webgpu' ? b : 'auto';
}

let current: Interpolator | null = null;

/**
 * The page's interpolator. One that can no longer work (its GPU device was lost, or its worker
 * crashed) is replaced by a fresh one here, so the next action after a failure simply works:
 * the failed action showed its error, and the model comes from the cache this time.
 */
export function interpolator(): Promise<Interpolator> {
  if (current?.closed) {
    current = null;
    ready = null;
    $('engine').textContent = 'The interpolator stopped (GPU lost or out of memory); starting a new one…';
  }
  ready ??= start().then((interp) => (current = interp));
  return ready;
}

async function start(): Promise<Interpolator> {
  const engine = $('engine');
  const root = document.documentElement;
  try {
    const interp = await createInterpolator({
      backend: requestedBackend(),
      onProgress: (loaded, total) => {
        engine.textContent =
          total > 0
            ? `Loading the model… ${Math.round((100 * loaded) / total)} % of ${formatBytes(total)}`
            : `Loading the model… ${formatBytes(loaded)}`;
      },
    });
    if (interp.backend === 'webgpu') {
      const a = interp.adapterInfo;
      const name = a ? [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ') : '';
      engine.textContent = `Running on WebGPU${name ? ` (${name})` : ''}.`;
    } else {
      engine.textContent = 'Running on the CPU (WebAssembly).';
      const notice = $('cpu-notice');
      const why =
        interp.fallbackReason ??
        (typeof navigator.gpu === 'undefined' ? 'this browser has no WebGPU' : 'no WebGPU adapter was found');
      notice.textContent =
        `No usable WebGPU: ${why}. Interpolation runs on the CPU, which is much ` +
        `slower, so videos are scaled down to ${CPU_MAX_HEIGHT} px high by default (you can change it). ` +
        'A browser with WebGPU on a GPU (recent Chrome or Edge) is many times faster.';
      notice.hidden = false;
    }
    root.dataset.engine = interp.backend;
    return interp;
  } catch (e) {
    engine.textContent = `The interpolator could not start: ${errorMessage(e)}`;
    engine.classList.add('error');
    root.dataset.engine = 'error';
    throw e;
  }
}
