#!/usr/bin/env bash
# Refresh the translation catalogs after changing user-visible strings.
# Spanish is the source language (the msgids); English and Quechua are catalogs.
#   bash scripts/i18n.sh          extract and update translations/*/LC_MESSAGES/messages.po
#   bash scripts/i18n.sh compile  compile the .mo files the app loads
set -euo pipefail
cd "$(dirname "$0")/.."
BABEL=${BABEL:-.venv/bin/pybabel}
[ -x "$BABEL" ] || BABEL=pybabel
if [ "${1:-}" = "compile" ]; then
  exec "$BABEL" compile -d translations
fi
"$BABEL" extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
for lang in en qu; do
  if [ -f "translations/$lang/LC_MESSAGES/messages.po" ]; then
    "$BABEL" update -i translations/messages.pot -d translations -l "$lang" --no-fuzzy-matching
  else
    "$BABEL" init -i translations/messages.pot -d translations -l "$lang"
  fi
done
