#!/usr/bin/env bash
# The test command: set up (packages, build, weights), then run every test. The GPU tests run
# on whatever Vulkan device wgpu finds: lavapipe (CPU) on machines without a GPU.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "== cargo fmt --check, clippy -D warnings (native targets, tests and examples included)"
for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked -- --test-threads=1
echo "== browser tests (wasm build, npm package, headless Chromium)"
bash "$ROOT/scripts/test-browser.sh"
