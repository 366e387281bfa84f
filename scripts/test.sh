#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; TEST_DATABASE_URL selects PostgreSQL), in
# parallel workers (pytest-xdist; QHATU_TEST_WORKERS=0 runs in one process).
# Browser tests need Debian's chromium and node_modules/axe-core (see .ci/run); without
# them they skip, unless QHATU_REQUIRE_BROWSER=1 makes that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
exec .venv/bin/python -m pytest -n "${QHATU_TEST_WORKERS:-auto}" --dist loadfile "$@"
