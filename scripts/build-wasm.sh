#!/usr/bin/env bash
# Builds the browser module: the Rust core compiled to wasm32, bound with wasm-bindgen and stripped
# with wasm-opt, in two builds (www/lib/src/worker/wasm-variant.ts picks one at run time):
#   www/lib/pkg/     one thread, simd128: what every page runs;
#   www/lib/pkg-mt/  simd128 + atomics + shared memory, rayon threads on Web Workers: what a
#                    cross-origin-isolated page runs (SharedArrayBuffer).
# Each holds inbetween_wasm.js, inbetween_wasm_bg.wasm and the .d.ts.
#   INBETWEEN_WASM_VARIANTS="single threads" (default) or one of them.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# wasm-bindgen-cli must match the wasm-bindgen crate exactly (crate/wasm/Cargo.toml pins it).
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' crate/wasm/Cargo.toml)
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
# The threaded build rebuilds std with atomics (-Z build-std), which needs std's source.
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  # Not `--locked`: one dependency version in wasm-bindgen-cli 0.2.130's own lock file has left
  # the registry, so a locked install of this version cannot resolve.
  echo "== installing wasm-bindgen-cli $WB_VERSION (about 20 minutes, once per machine)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

# wasm-opt from npm's binaryen: Debian's (v108) produces a module that fails to load.
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || { echo "run npm ci first (binaryen provides wasm-opt)"; exit 1; }

# Binds and strips one build: bind_opt <cargo .wasm> <out dir> [extra wasm-opt flags]
bind_opt() {
  local wasm=$1 out=$2
  shift 2
  rm -rf "$out" && mkdir -p "$out"
  wasm-bindgen --target web --out-dir "$out" "$wasm"
  # Stripped, validated, not optimised: every wasm-opt level (-O2, -O3, -Os, -Oz) made the CPU
  # conv kernels 1.6–2x slower in V8 (Node 20, 320x180, same cargo output, 2026-12-01), and the
  # stripped module is smaller gzipped than -Oz's (535 against 579 KB), though larger raw (2.47
  # against 2.01 MB). rustc's own optimisation (Cargo.toml's wasm profiles) is what remains.
  "$WASM_OPT" --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-simd "$@" "$out/inbetween_wasm_bg.wasm" -o "$out/inbetween_wasm_bg.wasm.opt"
  mv "$out/inbetween_wasm_bg.wasm.opt" "$out/inbetween_wasm_bg.wasm"
  # No relaxed-simd instruction may be in the module, even in code that never runs: a browser
  # without relaxed SIMD (Safari) refuses to compile the whole module (see dispatch_best in
  # crate/core/src/model/cpu_conv.rs, which keeps pulp's relaxed path out).
  if "$ROOT/node_modules/.bin/wasm-dis" "$out/inbetween_wasm_bg.wasm" | grep -q '^ *(.*\.relaxed_'; then
    echo "$out/inbetween_wasm_bg.wasm holds relaxed-simd instructions"; exit 1
  fi
  printf '== %s: %s bytes, %s gzipped\n' "$out/inbetween_wasm_bg.wasm" \
    "$(stat -c %s "$out/inbetween_wasm_bg.wasm")" "$(gzip -9 -c "$out/inbetween_wasm_bg.wasm" | wc -c)"
}

VARIANTS=${INBETWEEN_WASM_VARIANTS:-single threads}

# simd128 in both builds: every browser with WebGPU or wasm threads has it (Chrome 91, Firefox
# 89, Safari 16.4), and it is what turns on the CPU conv kernels (model::CPU_CONV_SIMD).
# relaxed-simd is not used: wasm has no run-time feature test, so it would be a third build.
if [[ " $VARIANTS " == *" single "* ]]; then
  echo "== cargo build (wasm32, one thread)"
  RUSTFLAGS="-C target-feature=+simd128" \
    cargo build -p inbetween-wasm --target wasm32-unknown-unknown --profile wasm --locked
  bind_opt "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/inbetween_wasm.wasm" www/lib/pkg
fi

# The threaded build: std rebuilt with atomics (the shipped wasm32 std has none) on the stable
# toolchain, which RUSTC_BOOTSTRAP=1 lets take -Z build-std (no nightly needed). Its own profile
# keeps its output apart from the single-thread build's. The linker's shared-memory arguments are
# in crate/wasm/build.rs.
if [[ " $VARIANTS " == *" threads "* ]]; then
  echo "== cargo build (wasm32, threads)"
  RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128" \
    cargo build -p inbetween-wasm --features threads --target wasm32-unknown-unknown --profile wasm-mt \
    --locked -Z build-std=panic_abort,std
  bind_opt "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-mt/inbetween_wasm.wasm" www/lib/pkg-mt --enable-threads
fi
