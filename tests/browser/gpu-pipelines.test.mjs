// Every compute pipeline of the GPU engine (crate/gpu/src/kernels.rs) is created in Chromium on
// SwiftShader WebGPU, one at a time, each within a time limit.
//
// Why: Dawn/Tint and SwiftShader compile some WGSL far more slowly than lavapipe, and a pipeline
// that takes minutes does not fail, it hangs the GPU process until Chromium kills it. Then every
// WebGPU test loses its device ("A valid external Instance reference no longer exists") ~2 min in,
// whatever it was doing. That happened with deconv4x4s2.wgsl choosing one of two buffers through
// a branch inlined 12 times in its channel loop (fixed: see its header on hoisting). This test
// names the pipeline instead.
//
// The frame-size-dependent code paths (the encoder's activations as two ranges at 4K and scale
// 0.5) are run-time parameters of these same pipelines, so creating them covers those too;
// SwiftShader is too slow to run a 4K frame.
//
// The sources are put together as `shader_source` does (the storage and sampling preludes, then
// the kernel), in f32 and in the packed f16 form (`Precision::F16Packed`, what precision 'f16'
// runs here); SwiftShader has no shader-f16, so the `f16` rewrite cannot run here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO, seconds } from './browser.mjs';
import { openTestPage } from './fixture.mjs';

const SHADERS = path.join(REPO, 'shaders');

/** kernels.rs `Kernels`: each pipeline by its file and pipeline constants. */
const PIPELINES = [
  ['conv3x3.wgsl', { STRIDE: 1 }],
  ['conv3x3.wgsl', { STRIDE: 2 }],
  ['head_conv0_unpack.wgsl', {}],
  ['deconv4x4s2.wgsl', {}],
  ['deconv4x4s2.wgsl', { FEATURES: 1 }],
  ['block_input.wgsl', {}],
  ['block_upsample.wgsl', {}],
  ['merge.wgsl', {}],
];

/**
 * Seconds one pipeline may take. Measured on a loaded 2-core machine (2026-12-01, Chromium 156):
 * 0.03-1 s each; the broken deconv4x4s2 did not finish in 120 s, when Chromium's GPU watchdog
 * killed the GPU process. 60 s leaves room for a slow machine and still fails before that.
 */
const LIMIT_S = 60;

/** kernels.rs `packed`: each line `CODE // packed: ALT` (code, not a comment) becomes ALT. */
function packed(source) {
  return source
    .split('\n')
    .map((line) => {
      const i = line.indexOf('// packed: ');
      if (i < 0 || line.trimStart().startsWith('//')) return line;
      const indent = line.slice(0, line.length - line.trimStart().length);
      return indent + line.slice(i + '// packed: '.length);
    })
    .join('\n');
}

describe('GPU engine pipelines (WebGPU, SwiftShader)', () => {
  const fx = openTestPage({ webgpu: true });

  test('every compute kernel in shaders/ is in the list', () => {
    // Not the engine's compute kernels: the preludes every kernel starts with, the render pass,
    // and the extension's repeat statistic (created in its content script on every run, and
    // checked by extension.test.mjs against the CPU).
    const files = readdirSync(SHADERS).filter(
      // Not compute pipelines of the engine: the preludes, its render pass, the extension's
      // statistic and the package's texture blit (both run on a device of their own).
      (f) =>
        f.endsWith('.wgsl') &&
        !['storage.wgsl', 'sampling.wgsl', 'present.wgsl', 'block_change.wgsl', 'texture_blit.wgsl'].includes(f),
    );
    assert.deepEqual([...new Set(PIPELINES.map((p) => p[0]))].sort(), files.sort());
  });

  const prelude = ['storage.wgsl', 'sampling.wgsl'].map((f) => readFileSync(path.join(SHADERS, f), 'utf8')).join('\n');
  for (const [file, constants, form] of PIPELINES.flatMap(([f, c]) => [
    [f, c, 'f32'],
    [f, c, 'packed'],
  ])) {
    const name = `${file} ${JSON.stringify(constants)} ${form}`;
    test(`${name} is created within ${LIMIT_S} s`, { timeout: 3 * LIMIT_S * 1000 }, async (t) => {
      const source = `${prelude}\n${readFileSync(path.join(SHADERS, file), 'utf8')}`;
      const code = form === 'packed' ? packed(source) : source;
      const run = fx.browser.page.evaluate(
        async ({ code, constants }) => {
          const adapter = await navigator.gpu.requestAdapter();
          const device = await adapter.requestDevice();
          try {
            const module = device.createShaderModule({ code });
            const info = await module.getCompilationInfo();
            const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}: ${m.message}`);
            if (errors.length > 0) return { errors };
            const start = performance.now();
            await device.createComputePipelineAsync({
              layout: 'auto',
              compute: { module, entryPoint: 'main', constants },
            });
            return { ms: performance.now() - start };
          } catch (e) {
            return { errors: [String(e)] };
          } finally {
            device.destroy();
          }
        },
        { code, constants },
      );
      let timer;
      const limit = new Promise((resolve) => {
        timer = setTimeout(() => resolve({ hung: true }), LIMIT_S * 1000);
      });
      const r = await Promise.race([run, limit]);
      clearTimeout(timer);
      assert.ok(
        !r.hung,
        `${name}: not created within ${LIMIT_S} s (a hang here loses the device of every WebGPU test)`,
      );
      assert.deepEqual(r.errors ?? [], [], `${name}: ${JSON.stringify(r.errors)}`);
      t.diagnostic(`${name}: ${seconds(r.ms)}`);
    });
  }
});
