#!/usr/bin/env bash
# Real-browser tests of the npm package: Debian's Chromium driven by playwright-core, on the
# CPU fallback and on WebGPU (SwiftShader). See tests/browser/.
#   INBETWEEN_SKIP_BUILD=1   test the current build (www/lib/{pkg,dist,model}) without rebuilding
#   any other arguments are passed to `node --test` (e.g. tests/browser/api.test.mjs)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# `npx playwright install` cannot reach its download host here; Debian's chromium works.
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (apt)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

# node_modules/inbetween is the workspace's link to www/lib: a node_modules from before the
# workspace layout lacks it, so that also calls for a fresh install; so does one from before the
# extension was bundled by esbuild.
[ -e node_modules/inbetween ] && [ -e node_modules/esbuild ] || { echo "== npm ci"; npm ci --no-audit --no-fund; }

echo "== biome format check and lint (TypeScript and JavaScript; biome.jsonc)"
# `biome format --write` fixes what the check reports.
npx --no-install biome format
npx --no-install biome lint

echo "== package structure (no import cycles, no page/worker crossings; scripts/check-structure.mjs)"
node scripts/check-structure.mjs
# The extension's sources: only the no-cycles rule applies there (it has no worker/ or index.ts).
node scripts/check-structure.mjs --src www/extension/src

if [ "${INBETWEEN_SKIP_BUILD:-0}" != "1" ]; then
  echo "== npm run build"
  npm run build
fi

# One file at a time: SwiftShader and the CPU fallback each want every core, and parallel
# browsers would make the timings meaningless.
# The files by name, not the folder: Node 21+ reads `node --test DIR/` as a glob that matches
# only the folder itself and fails to start; a shell glob works on every Node version.
if [ "$#" -eq 0 ]; then set -- tests/unit/*.test.mjs tests/browser/*.test.mjs; fi
exec node --test --test-concurrency=1 "$@"
