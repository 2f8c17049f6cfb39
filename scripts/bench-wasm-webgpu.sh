#!/usr/bin/env bash
# Runs scripts/bench-wasm-webgpu.mjs (the wasm build on Deno's WebGPU and on the wasm CPU backend)
# on a lent GPU machine: a bare x86-64 Linux box with an NVIDIA driver and no network.
#
#   scripts/bench-wasm-webgpu.sh prepare [DENO] [OLD_PKG]  # here: pack target-device-deno/
#                                                  # (git-ignored); OLD_PKG: the old burn-wgpu
#                                                  # build's pkg/ folder, timed in the same run
#   scripts/bench-wasm-webgpu.sh run [ARGS...]     # there, from the repo root, the folder carried;
#                                                  # ARGS go to the .mjs (--sizes, --iters, ...)
#
# `prepare` needs the built package (www/lib/pkg/) and f16 model (www/lib/model/), and a Deno
# binary (default: /tmp/deno/node_modules/@deno/linux-x64-glibc/deno, from `npm install deno` in
# /tmp/deno). It snapshots the package and the model, xz-packs Deno, and takes Debian's Vulkan
# loader + glvnd .debs (unpacked there only when the machine lacks them). About 44 MB.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
C=target-device-deno

prepare() {
  set -e
  local deno="${1:-/tmp/deno/node_modules/@deno/linux-x64-glibc/deno}" old="${2:-}"
  grep -qx "/$C/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo "/$C/" >>.git/info/exclude; }
  rm -rf "$C" && mkdir -p "$C/pkg" "$C/gl"
  cp www/lib/pkg/inbetween_wasm.js "$C/pkg/"
  xz -T0 -9 -c www/lib/pkg/inbetween_wasm_bg.wasm >"$C/pkg/inbetween_wasm_bg.wasm.xz"
  if [ -n "$old" ]; then
    mkdir -p "$C/old-pkg"
    cp "$old/inbetween_wasm.js" "$C/old-pkg/"
    xz -T0 -9 -c "$old/inbetween_wasm_bg.wasm" >"$C/old-pkg/inbetween_wasm_bg.wasm.xz"
  fi
  cp www/lib/model/rife-4.25-f16.bpk "$C/"
  xz -T0 -6 -c "$deno" >"$C/deno.xz"
  (cd "$C/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
  du -sb "$C"
}

unxz_to() { # file.xz out
  xz -dc "$1" >"$2" 2>/dev/null ||
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
}

run() {
  local out="${OUT:-/tmp/bench-out}" w=/tmp/inbetween-deno
  mkdir -p "$out" "$w/pkg"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg}"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  echo "== machine"; uname -r; nproc; head -2 /etc/os-release
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | head -3
  local libs; libs=$(ldconfig -p)  # not `ldconfig -p | grep -q`: with pipefail, SIGPIPE fails it
  if ! grep -q 'libvulkan.so.1 ' <<<"$libs" || ! grep -q 'libGLdispatch.so.0 ' <<<"$libs"; then
    echo "-- unpacking Debian's Vulkan loader + glvnd"
    for f in "$C"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  fi
  local icd=""
  for f in /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json \
           /usr/local/nvidia/share/vulkan/icd.d/nvidia*.json; do [ -e "$f" ] && { icd=$f; break; }; done
  if [ -z "$icd" ]; then
    local lib; lib=$(ldconfig -p | awk '/libGLX_nvidia.so.0 /{print $NF}' | head -1)
    if [ -n "$lib" ]; then
      icd=$w/nvidia_icd.json
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$icd"
    fi
  fi
  [ -n "$icd" ] && export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
  export DENO_WEBGPU_BACKEND="${DENO_WEBGPU_BACKEND:-vulkan}"  # not GL/EGL, which wgpu also finds
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} DENO_WEBGPU_BACKEND=$DENO_WEBGPU_BACKEND"
  [ -e /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] &&
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json

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
  echo "== deno run scripts/bench-wasm-webgpu.mjs $*"
  # 3 sizes x 2 scales x (f32, f16, old f32) on WebGPU, plus the CPU at 640x360.
  timeout 480 "$w/deno" run --allow-read --allow-env scripts/bench-wasm-webgpu.mjs \
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
