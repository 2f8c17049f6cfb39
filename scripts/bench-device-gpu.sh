#!/usr/bin/env bash
# Times the WGSL engine (crate/gpu, example gpu-bench) against burn-wgpu on a lent GPU machine
# (bare x86-64 Linux with an NVIDIA driver and no network), at 640x360, 1280x720, 1920x1080,
# scale 1 and 0.5, in one run. Not run yet on a real GPU (issue 9): prepared for when one is lent.
#
#   scripts/bench-device-gpu.sh prepare            # here: build, strip, pack into target-device-gpu/
#   scripts/bench-device-gpu.sh run [SIZES] [ITERS] # there, from the repo root (target-device-gpu/ carried)
#
# Through the device tool:  run(command="bash scripts/bench-device-gpu.sh run", carry=["target-device-gpu"])
# `prepare` puts in target-device-gpu/ (git-ignored through .git/info/exclude, a few MiB): the
# stripped gpu-bench binary (xz), the f32 model (xz) and Debian's Vulkan loader/glvnd .debs
# (unpacked there only when the machine lacks them). Results go to $OUT.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
D=target-device-gpu

prepare() {
  set -e
  source scripts/env.sh
  # --git-path: .git is a file in a worktree.
  local exclude; exclude=$(git rev-parse --git-path info/exclude)
  grep -qx "/$D/" "$exclude" 2>/dev/null || { mkdir -p "$(dirname "$exclude")"; echo "/$D/" >>"$exclude"; }
  rm -rf "$D" && mkdir -p "$D/gl"
  cargo build -p inbetween-gpu --example gpu-bench --locked
  strip -o "$D/gpu-bench" "$CARGO_TARGET_DIR/debug/examples/gpu-bench"
  xz -T0 -6 "$D/gpu-bench"
  xz -T0 -1 -c models/rife-4.25.bpk >"$D/rife-4.25.bpk.xz"
  (cd "$D/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
  du -sh "$D"
}

unxz_to() { # file.xz out
  xz -dc "$1" >"$2" 2>/dev/null ||
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
}

run() {
  local sizes="${1:-640x360,1280x720,1920x1080}" iters="${2:-20}"
  local out="${OUT:-/tmp/bench-out}" w=/tmp/inbetween-device-gpu
  mkdir -p "$out" "$w"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg}"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  echo "== machine"; uname -a; nproc
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | head -3
  local libs; libs=$(ldconfig -p)  # not `ldconfig -p | grep -q`: with pipefail, SIGPIPE fails it
  if ! grep -q 'libvulkan.so.1 ' <<<"$libs" || ! grep -q 'libGLdispatch.so.0 ' <<<"$libs"; then
    echo "-- unpacking Debian's Vulkan loader + glvnd"
    for f in "$D"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
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
    fi
  fi
  if [ -n "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; cat "$icd"; fi
  unxz_to "$D/gpu-bench.xz" "$w/gpu-bench" && chmod +x "$w/gpu-bench"
  unxz_to "$D/rife-4.25.bpk.xz" "$w/rife-4.25.bpk"
  for scale in 1 0.5; do
    echo "== gpu-bench --sizes $sizes --scale $scale --iters $iters"
    RUST_BACKTRACE=1 timeout 240 "$w/gpu-bench" --sizes "$sizes" --scale "$scale" --iters "$iters" \
      --model "$w/rife-4.25.bpk" 2>>"$out/gpu-bench-stderr.txt" | tee -a "$out/gpu-bench.txt"
    echo "gpu-bench rc=${PIPESTATUS[0]}"
  done
  grep -i -E 'panic|error' "$out/gpu-bench-stderr.txt" | sort | uniq -c | head -20
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [SIZES] [ITERS]" >&2; exit 2 ;;
esac
