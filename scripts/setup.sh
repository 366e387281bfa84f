#!/usr/bin/env bash
# Create .venv (if missing), install the pinned packages and compile the translations.
# Usage: bash scripts/setup.sh [dev]   ("dev" adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
else
  .venv/bin/python -m pip install --quiet -r requirements.txt
fi
.venv/bin/pybabel compile --use-fuzzy -d translations -f >/dev/null 2>&1 || .venv/bin/pybabel compile -d translations -f
