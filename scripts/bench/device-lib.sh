# Shared by the GPU-machine benches (scripts/bench/device*.sh); sourced, not run.
#
# A lent GPU machine is a bare x86-64 Linux box with an NVIDIA driver, PyTorch+CUDA maybe, and no
# network: everything a bench needs travels with the working tree in a git-ignored folder
# (`prepare` here, `run` there). These functions are the parts every bench needs on both sides.

# Keeps folder $1 (relative to the repo root) out of git, also in a worktree (.git is a file there).
exclude_from_git() {
  local exclude; exclude=$(git rev-parse --git-path info/exclude)
  grep -qx "/$1/" "$exclude" 2>/dev/null || { mkdir -p "$(dirname "$exclude")"; echo "/$1/" >>"$exclude"; }
}

# Debian's Vulkan loader and glvnd, as .debs into $1/gl: unpacked there only when the machine
# lacks them (device_setup).
pack_vulkan_loader() {
  mkdir -p "$1/gl"
  (cd "$1/gl" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
}

unxz_to() { # file.xz out
  xz -dc "$1" >"$2" 2>/dev/null ||
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"
}

# On the GPU machine: prints what it is, unpacks the Vulkan loader from $1/gl if missing, finds
# (or writes, into $2) the NVIDIA Vulkan ICD and exports VK_DRIVER_FILES/VK_ICD_FILENAMES, and the
# NVIDIA EGL vendor file when there is one.
device_setup() {
  local pack="$1" work="$2"
  mkdir -p "$work"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg}"; mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  echo "== machine"; uname -a; nproc; head -2 /etc/os-release
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | head -3
  local libs; libs=$(ldconfig -p)  # not `ldconfig -p | grep -q`: with pipefail, SIGPIPE fails it
  if ! grep -q 'libvulkan.so.1 ' <<<"$libs" || ! grep -q 'libGLdispatch.so.0 ' <<<"$libs"; then
    echo "-- unpacking Debian's Vulkan loader + glvnd"
    for f in "$pack"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  fi
  local icd=""
  for f in /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json \
           /usr/local/nvidia/share/vulkan/icd.d/nvidia*.json; do [ -e "$f" ] && { icd=$f; break; }; done
  if [ -z "$icd" ]; then
    local lib; lib=$(ldconfig -p | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')
    [ -z "$lib" ] && lib=$(find /usr/local/nvidia /usr/lib /usr/lib64 -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1)
    if [ -n "$lib" ]; then
      icd=$work/nvidia_icd.json
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$icd"
      echo "-- wrote $icd for $lib"
    fi
  fi
  if [ -n "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; fi
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
  local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -e "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
}
