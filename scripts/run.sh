#!/usr/bin/env bash
# Quick start: install, build the SQLite database, load the demo data, serve on :5000.
# Outside production the outbox is sent every few seconds too (OUTBOX_EVERY, default 5 s), so
# the demo's e-mails and SMS leave without a second command; staff read them at
# /staff/dev/outbox. Production runs `flask jobs run` from cron (docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export FLASK_APP=app
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
if [ "${QHATU_ENV:-development}" != "production" ]; then
  (while sleep "${OUTBOX_EVERY:-5}"; do .venv/bin/flask jobs run >/dev/null || true; done) &
  sender=$!
  trap 'kill "$sender" 2>/dev/null || true' EXIT
fi
.venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
