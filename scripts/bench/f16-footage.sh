#!/usr/bin/env bash
# The fast mode (f16 storage) against f32 on real photographs at 1080p and 4K (issue 9, item 4).
# A bench that prints figures (markdown tables); CI does not run it. About 15 min on lavapipe and
# 2 cores. Extra arguments go to every run of the example (e.g. --modes f16).
#
# The photos come from two Debian packages, fetched once with `apt-get download` into
# $INBETWEEN_CACHE/debs and pinned by version and sha256:
#   plasma-workspace-wallpapers 4:5.27.5-2: photographs at 2560x1600 (boats at a lake, a leaf,
#     moss, cups, a pier in fog, a roof's lattice), for the 1080p windows;
#   mate-backgrounds 1.26.0-1: "Elephants" at 5640x3172, a densely detailed painting, the one
#     image with real detail at more than 4K; with plasma's 5120x2880 "MilkyWay" (star points)
#     and "Altai" (smooth gradients), for the 4K windows.
# Each pair is a window of one photo and the same window moved and zoomed 1% (see the example's
# doc, crate/gpu/examples/f16-footage.rs): no upscaling, so 1080p and 4K have their own detail.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
cd "$ROOT"
DEBS="$INBETWEEN_CACHE/debs"
mkdir -p "$DEBS"
fetch() { # package version sha256
  local deb
  deb=$(ls "$DEBS"/"$1"_*"${2#*:}"_all.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$DEBS" && apt-get download "$1=$2" >/dev/null)
    deb=$(ls "$DEBS"/"$1"_*"${2#*:}"_all.deb | head -1)
  fi
  echo "$3  $deb" | sha256sum -c --quiet
  if [ ! -d "$DEBS/$1" ]; then
    dpkg-deb -x "$deb" "$DEBS/$1.tmp" && mv "$DEBS/$1.tmp" "$DEBS/$1"
  fi
}
fetch plasma-workspace-wallpapers 4:5.27.5-2 32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b
fetch mate-backgrounds 1.26.0-1 7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04
P="$DEBS/plasma-workspace-wallpapers/usr/share/wallpapers"
M="$DEBS/mate-backgrounds/usr/share/backgrounds/mate"
HD=()
for n in EveningGlow FallenLeaf OneStandsOut ColorfulCups Grey BytheWater; do
  HD+=("$P/$n/contents/images/2560x1600.jpg")
done
UHD=("$M/abstract/Elephants_5640x3172.jpg" "$P/MilkyWay/contents/images/5120x2880.png"
  "$P/Altai/contents/images/5120x2880.png")
cargo build --quiet -p inbetween-gpu --example f16-footage --locked
EX="$CARGO_TARGET_DIR/debug/examples/f16-footage"
# 1080p at scales 1 and 0.5 (the size rule's choice and its fast step); two motions: a moderate
# pan and a large one (about 1/30 of the width, as a fast camera move at 30 fps).
"$EX" --size 1920x1080 --scales 1,0.5 --motion 24,8 "$@" "${HD[@]}"
"$EX" --size 1920x1080 --scales 1,0.5 --motion 64,-24 "$@" "${HD[@]}"
# 4K at scales 0.5 (the size rule's choice up to 4K) and 0.25, with a large pan.
"$EX" --size 3840x2160 --scales 0.5,0.25 --motion 128,-48 "$@" "${UHD[@]}"
