#!/usr/bin/env bash
# The main job, until the demo page exists: set up, then make in-between frames of a real image
# pair (RIFE's own demo frames, committed under tests/golden/images) with the CLI.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
mkdir -p out
A=tests/golden/images/I0_0.png; B=tests/golden/images/I0_1.png
"$BIN/inbetween" "$A" "$B" -o out/mid.png --t 0.5 --flow out/flow.png --mask out/mask.png
"$BIN/inbetween" "$A" "$B" -o out/rolling-shutter.png --time-ramp
mkdir -p out/pair && cp "$A" out/pair/0.png && cp "$B" out/pair/1.png
"$BIN/inbetween" out/pair --multi 4 -o out/x4
echo "wrote out/mid.png (t=0.5), out/flow.png, out/mask.png, out/rolling-shutter.png and out/x4/ (4x sequence)"
