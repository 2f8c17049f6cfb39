// One source for the ranges, backend names and error codes: the values the npm package checks
// against (www/lib/src/shared/limits.ts, errors.ts) must be the Rust core's, as the wasm module
// exports them (`limits()` in crate/wasm, from `inbetween::T_RANGE`, `SCALE_RANGE` and
// `Error::CODES`). Plain Node: the wasm module is instantiated here without a browser.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ERROR_CODES } from '../../www/lib/dist/shared/errors.js';
import { BACKEND_CHOICES, BACKENDS, SCALE_RANGE, T_RANGE } from '../../www/lib/dist/shared/limits.js';
import init, { limits } from '../../www/lib/pkg/inbetween_wasm.js';

test('the package checks the same ranges, backends and error codes as the Rust core', async () => {
  await init({ module_or_path: await readFile(new URL('../../www/lib/pkg/inbetween_wasm_bg.wasm', import.meta.url)) });
  const core = limits();
  assert.deepEqual([...T_RANGE], core.tRange);
  assert.deepEqual([...SCALE_RANGE], core.scaleRange);
  assert.deepEqual([...BACKENDS], core.backends);
  assert.deepEqual(BACKEND_CHOICES, ['auto', ...BACKENDS]);
  // Every code the engine can set is one the package documents; the package adds its own after.
  assert.deepEqual(ERROR_CODES.slice(0, core.errorCodes.length), core.errorCodes);
});
