#!/usr/bin/env bash
# Runs scripts/bench/wasm-webgpu.mjs (the wasm build on Deno's WebGPU and on the wasm CPU backend)
# on a lent GPU machine: a bare x86-64 Linux box with an NVIDIA driver and no network.
#
#   scripts/bench/device-wasm.sh prepare [DENO] [OLD_PKG]  # here: pack target-device-deno/
#                                                  # (git-ignored); OLD_PKG: the old burn-wgpu
#                                                  # build's pkg/ folder, timed in the same run
#   scripts/bench/device-wasm.sh run [ARGS...]     # there, from the repo root, the folder carried;
#                                                  # ARGS go to the .mjs (--sizes, --iters, ...)
#
# `prepare` needs the built package (www/lib/pkg/) and f16 model (www/lib/model/), and a Deno
# binary (default: /tmp/deno/node_modules/@deno/linux-x64-glibc/deno, from `npm install deno` in
# /tmp/deno). It snapshots the package and the model, xz-packs Deno, and takes Debian's Vulkan
# loader + glvnd .debs (unpacked there only when the machine lacks them). About 44 MB.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source scripts/bench/device-lib.sh
C=target-device-deno

prepare() {
  set -e
  local deno="${1:-/tmp/deno/node_modules/@deno/linux-x64-glibc/deno}" old="${2:-}"
  exclude_from_git "$C"
  rm -rf "$C" && mkdir -p "$C/pkg"
  cp www/lib/pkg/inbetween_wasm.js "$C/pkg/"
  xz -T0 -9 -c www/lib/pkg/inbetween_wasm_bg.wasm >"$C/pkg/inbetween_wasm_bg.wasm.xz"
  if [ -n "$old" ]; then
    mkdir -p "$C/old-pkg"
    cp "$old/inbetween_wasm.js" "$C/old-pkg/"
    xz -T0 -9 -c "$old/inbetween_wasm_bg.wasm" >"$C/old-pkg/inbetween_wasm_bg.wasm.xz"
  fi
  cp www/lib/model/rife-4.25-f16.bpk "$C/"
  xz -T0 -6 -c "$deno" >"$C/deno.xz"
  pack_vulkan_loader "$C"
  du -sb "$C"
}

run() {
  local out="${OUT:-/tmp/bench-out}" w=/tmp/inbetween-deno
  mkdir -p "$out" "$w/pkg"
  device_setup "$C" "$w"
  export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"  # not GL/EGL, which wgpu also finds
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} DENO_WEBGPU_BACKEND=$DENO_WEBGPU_BACKEND"

  unxz_to "$C/deno.xz" "$w/deno" && chmod +x "$w/deno"
  unxz_to "$C/pkg/inbetween_wasm_bg.wasm.xz" "$w/pkg/inbetween_wasm_bg.wasm"
  cp "$C/pkg/inbetween_wasm.js" "$w/pkg/"
  local oldargs=()
  if [ -d "$C/old-pkg" ]; then
    mkdir -p "$w/old-pkg"
    unxz_to "$C/old-pkg/inbetween_wasm_bg.wasm.xz" "$w/old-pkg/inbetween_wasm_bg.wasm"
    cp "$C/old-pkg/inbetween_wasm.js" "$w/old-pkg/"
    oldargs=(--old-pkg "$w/old-pkg")
  fi
  "$w/deno" --version | head -1
  echo "== deno run scripts/bench/wasm-webgpu.mjs $*"
  # 3 sizes x 2 scales x (f32, f16, old f32) on WebGPU, plus the CPU at 640x360.
  timeout 480 "$w/deno" run --allow-read --allow-env scripts/bench/wasm-webgpu.mjs \
    --pkg "$w/pkg" "${oldargs[@]}" --model "$C/rife-4.25-f16.bpk" "$@" 2>"$out/stderr.txt" | tee "$out/result.txt"
  echo "bench rc=${PIPESTATUS[0]}"
  grep -v '^error: XDG_RUNTIME_DIR' "$out/stderr.txt" | tail -60
  nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu --format=csv 2>&1 | tail -1
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare [DENO] | run [ARGS...]" >&2; exit 2 ;;
esac
