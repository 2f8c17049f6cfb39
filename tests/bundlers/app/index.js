// The test page's entry (not part of the README example): the example app (main.js) plus the
// browser tests' helpers (harness.js, which imports 'inbetween' too, so the bundle must hold one
// copy of the package for both), reachable from the test through window.
import * as app from './main.js';
import './harness.js';

window.app = app;
