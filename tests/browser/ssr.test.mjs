// Server-side rendering: frameworks import an app's modules in Node (no window, no Worker) to
// render HTML. Importing the package there must not throw, and calling it must say plainly that
// it needs a browser. No browser here: plain Node, importing the package by its name, as an app
// would (the workspace links node_modules/inbetween to www/lib, resolved through `exports`).
import assert from 'node:assert/strict';
import { test } from 'node:test';

const BROWSER_ONLY = /inbetween runs in a browser: createInterpolator\(\) needs Worker and WebAssembly/;

test('importing the package in Node (no window, no Worker) does not throw', async () => {
  assert.equal(typeof globalThis.window, 'undefined');
  assert.equal(typeof globalThis.Worker, 'undefined');
  const lib = await import('inbetween');
  assert.equal(typeof lib.createInterpolator, 'function');
  assert.equal(typeof lib.interpolateVideo, 'function');
  assert.match(lib.MODEL_SHA256, /^[0-9a-f]{64}$/);
});

test('calling it in Node rejects with an Error that says it needs a browser', async () => {
  const lib = await import('inbetween');
  await assert.rejects(lib.createInterpolator(), BROWSER_ONLY);
  await assert.rejects(lib.createInterpolator({ backend: 'cpu', modelUrl: '/model.bpk' }), BROWSER_ONLY);
  // interpolateVideo makes its own interpolator, so it says the same (after checking its input).
  await assert.rejects(lib.interpolateVideo(new Blob([new Uint8Array(8)])), BROWSER_ONLY);
  await assert.rejects(lib.interpolateVideo('not a blob'), TypeError);
});
