#!/usr/bin/env bash
# The browser test of `xrd serve`: a venv with Playwright for Python (no browser download: it
# drives the system's chromium), the xrd binary from $XRD_BIN (built when unset), then
# test_workbench.py. Needs ../shared/data beside the repository and /usr/bin/chromium
# (Debian: apt-get install -y chromium).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${XRD_SERVE_VENV:-$repo/target/venv-serve-browser}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import playwright" 2>/dev/null || "$venv/bin/pip" install -q "playwright>=1.40"
if [ -z "${XRD_BIN:-}" ]; then
    (cd "$repo" && cargo build -q -p xrd-cli)
    XRD_BIN="$repo/target/debug/xrd"
fi
export XRD_BIN
export XRD_DATA="${XRD_DATA:-$repo/../shared/data}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
exec "$venv/bin/python" "$here/test_workbench.py"
