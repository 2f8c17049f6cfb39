#!/usr/bin/env bash
# The quality bench (issue 12): fetches scikit-image's wheel from PyPI once (its sample photos are
# the source; see tests/quality/README.md), then runs crate/cli's `quality` example and prints
# PSNR/SSIM per case and overall. Extra arguments go to the example (--scales, --size, --backend).
set -euo pipefail
source "$(dirname "$0")/../env.sh"
cd "$ROOT"
WHEEL_DIR="$INBETWEEN_CACHE/wheels"
WHEEL="$WHEEL_DIR/scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
# The sample photos are the same in every platform's wheel; this one is pinned by its hash.
SHA=24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641
if [ ! -f "$WHEEL" ]; then
  mkdir -p "$WHEEL_DIR"
  pip download --no-deps --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 \
    scikit-image==0.25.2 -d "$WHEEL_DIR"
fi
echo "$SHA  $WHEEL" | sha256sum -c --quiet
cargo run --quiet -p inbetween-cli --example quality --locked -- --wheel "$WHEEL" "$@"
