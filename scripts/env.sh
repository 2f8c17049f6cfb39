# Sourced by the other scripts: one place for the paths they share.
# A target directory outside the clone is reused across clones (burn takes ~30 min to build
# cold on 2 cores); set CARGO_TARGET_DIR yourself to override.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/inbetween/target}"
export INBETWEEN_CACHE="${INBETWEEN_CACHE:-$HOME/.cache/inbetween}"
export PATH="$HOME/.cargo/bin:$PATH"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
BIN="$CARGO_TARGET_DIR/debug"
export BIN
# Mesa's Vulkan loader complains on every start without it (headless machines have none).
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="/tmp/xdg-runtime-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi
