#!/usr/bin/env bash
# The main command: set up, build everything (wasm, model, package, demo page), then serve the
# demo page on this machine and print its address. Open it, drop a video, download a smoother one.
# It also writes the command-line tool's in-betweens of RIFE's demo pair into out/, as before.
#   PORT=9000 bash scripts/demo.sh    another port (default 8080; the next free one if taken)
#   INBETWEEN_SKIP_BUILD=1            serve the current build without rebuilding
#   INBETWEEN_NO_SERVE=1              build and stop (CI, or to serve it some other way)
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"

# The native CLI on a real image pair (RIFE's own demo frames, committed under tests/golden/images):
# a second or two, and a quick check that the model works outside the browser too.
mkdir -p out
A=tests/golden/images/I0_0.png; B=tests/golden/images/I0_1.png
"$BIN/inbetween" "$A" "$B" -o out/mid.png --t 0.5 --flow out/flow.png --mask out/mask.png
"$BIN/inbetween" "$A" "$B" -o out/rolling-shutter.png --time-ramp
mkdir -p out/pair && cp "$A" out/pair/0.png && cp "$B" out/pair/1.png
"$BIN/inbetween" out/pair --multi 4 -o out/x4
echo "== wrote out/mid.png (t=0.5), out/flow.png, out/mask.png, out/rolling-shutter.png and out/x4/ (4x sequence)"

# node_modules/inbetween is the workspace's link to www/lib: a node_modules from before the
# workspace layout lacks it, so that also calls for a fresh install.
[ -e node_modules/inbetween ] || { echo "== npm ci"; npm ci --no-audit --no-fund; }
if [ "${INBETWEEN_SKIP_BUILD:-0}" != "1" ]; then
  echo "== npm run build (wasm, model, package, demo page)"
  npm run build
fi

[ "${INBETWEEN_NO_SERVE:-0}" = "1" ] && { echo "== built; serve the repo root and open /www/demo/"; exit 0; }
echo "== serving the demo (Ctrl-C to stop). Nothing you drop on the page leaves this machine."
exec node scripts/serve.mjs --port "${PORT:-8080}"
