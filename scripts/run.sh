#!/usr/bin/env bash
# Quick start: install, build the SQLite database, load the demo data, serve on :5000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=app
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
