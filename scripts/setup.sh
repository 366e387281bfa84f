#!/usr/bin/env bash
# Create .venv (if missing), install the pinned packages and compile the translations.
#   bash scripts/setup.sh        what the app needs
#   bash scripts/setup.sh dev    plus the test tools: pytest & co, Chromium and axe-core for
#                                the browser tests (Debian packages, installed when root)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

apt_install() {
  # Install Debian packages when we can (root with apt-get); otherwise say what is missing.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null
  else
    echo "please install: $*" >&2
    return 1
  fi
}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv && "$PYTHON" -m venv .venv; }
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  command -v chromium >/dev/null || apt_install chromium || true
  command -v npm >/dev/null || apt_install nodejs npm || true
  if command -v npm >/dev/null && [ ! -f node_modules/axe-core/axe.min.js ]; then
    npm ci --no-audit --no-fund --silent
  fi
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
.venv/bin/pybabel compile -d translations >/dev/null
