#!/usr/bin/env bash
# Builds the browser module: the Rust core compiled to wasm32, bound with wasm-bindgen and shrunk
# with wasm-opt. Output: www/lib/pkg/ (inbetween_wasm.js, inbetween_wasm_bg.wasm, .d.ts).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# wasm-bindgen-cli must match the wasm-bindgen crate exactly (crate/wasm/Cargo.toml pins it).
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' crate/wasm/Cargo.toml)
rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  # Not `--locked`: one dependency version in wasm-bindgen-cli 0.2.130's own lock file has left
  # the registry, so a locked install of this version cannot resolve.
  echo "== installing wasm-bindgen-cli $WB_VERSION (about 20 minutes, once per machine)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

echo "== cargo build (wasm32)"
cargo build -p inbetween-wasm --target wasm32-unknown-unknown --profile wasm --locked
WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/inbetween_wasm.wasm"

OUT=www/lib/pkg
rm -rf "$OUT" && mkdir -p "$OUT"
wasm-bindgen --target web --out-dir "$OUT" "$WASM"

# wasm-opt from npm's binaryen: Debian's (v108) produces a module that fails to load.
WASM_OPT="$ROOT/node_modules/.bin/wasm-opt"
[ -x "$WASM_OPT" ] || { echo "run npm ci first (binaryen provides wasm-opt)"; exit 1; }
"$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-simd "$OUT/inbetween_wasm_bg.wasm" -o "$OUT/inbetween_wasm_bg.wasm.opt"
mv "$OUT/inbetween_wasm_bg.wasm.opt" "$OUT/inbetween_wasm_bg.wasm"
printf '== %s: %s bytes, %s gzipped\n' "$OUT/inbetween_wasm_bg.wasm" \
  "$(stat -c %s "$OUT/inbetween_wasm_bg.wasm")" "$(gzip -9 -c "$OUT/inbetween_wasm_bg.wasm" | wc -c)"
