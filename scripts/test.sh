#!/usr/bin/env bash
# The test command: set up (packages, build, weights), then run every test. The GPU tests run
# on whatever Vulkan device wgpu finds: lavapipe (CPU) on machines without a GPU.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "== cargo test"
cargo test --workspace --locked -- --test-threads=1
echo "== browser tests (wasm build, npm package, headless Chromium)"
bash "$ROOT/scripts/test-browser.sh"
