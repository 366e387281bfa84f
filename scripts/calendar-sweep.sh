#!/usr/bin/env bash
# Run the date-sensitive tests (marked `calendar`) with the clock set to each date below:
# every weekday, month ends, 31 December -> 1 January, 29 February, Peruvian holidays and
# 23:30 in Lima (already the next day in UTC). Every date runs even when one fails; the
# script then exits non-zero.
#   bash scripts/calendar-sweep.sh                     all dates, SQLite
#   bash scripts/calendar-sweep.sh 2027-07-28T09:00-05:00 -x     one date, extra pytest args
set -uo pipefail
cd "$(dirname "$0")/.."
DATES=(
  "2027-05-31T23:30:00-05:00"  # Monday, month end, 23:30 in Lima = Tuesday 04:30 UTC
  "2028-02-29T10:00:00-05:00"  # Tuesday, 29 February
  "2027-07-28T09:00:00-05:00"  # Wednesday, Independence Day (holiday), Fiestas Patrias
  "2026-12-31T23:30:00-05:00"  # Thursday, year end at 23:30 = 1 January (holiday) in UTC
  "2027-01-01T09:00:00-05:00"  # Friday, New Year's Day (holiday)
  "2027-07-31T10:00:00-05:00"  # Saturday, month end
  "2027-02-28T12:00:00-05:00"  # Sunday, end of a short February
)
if [[ $# -gt 0 && $1 == 20* ]]; then
  DATES=("$1")
  shift
fi
bash scripts/setup.sh dev >/dev/null
failed=()
for moment in "${DATES[@]}"; do
  printf '\n== calendar sweep: %s\n' "$moment"
  QHATU_TEST_NOW="$moment" .venv/bin/python -m pytest -m calendar -q \
    -n "${QHATU_TEST_WORKERS:-auto}" --dist loadfile "$@" || failed+=("$moment")
done
if ((${#failed[@]})); then
  printf '\ncalendar sweep failed at: %s\n' "${failed[*]}"
  exit 1
fi
printf '\ncalendar sweep passed at %s dates\n' "${#DATES[@]}"
