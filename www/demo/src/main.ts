// The demo page's entry point: start the interpolator (model download + backend choice) and
// wire up the sections. Everything runs in this tab; no file leaves the machine.

import { interpolator } from './engine.js';
import { LiveSection } from './live-section.js';
import { PairSection } from './pair-section.js';
import { TimeMapSection } from './timemap-section.js';
import { VideoSection } from './video-section.js';

const video = new VideoSection();
const pair = new PairSection();
new TimeMapSection(pair, video);
new LiveSection(video);
// Start loading the model at once: by the time a file is chosen it is usually ready. A failure
// is shown in the header (engine.ts); the sections report it again when used.
interpolator().catch(() => {});
document.documentElement.dataset.ready = 'true';
