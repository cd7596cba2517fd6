#!/usr/bin/env bash
# Start the dev server on an embedded SpatiaLite DB (or $DATABASE_URL, passed
# through untouched), with migrations applied and demo data loaded.
#
# Env: PORT (default 8000), RELOAD=1 (keep Django's autoreloader),
# DJANGO_SETTINGS_MODULE (default backend.settings.dev), DATABASE_URL.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh run

export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-backend.settings.dev}"
mkdir -p var # the default SpatiaLite file lives there

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py load_demo --if-empty

port="${PORT:-8000}"
# Without the reloader Ctrl-C stops one process and nothing lingers on the
# port; RELOAD=1 brings it back for editing code.
reload=(--noreload)
if [[ "${RELOAD:-0}" == 1 ]]; then reload=(); fi

echo "serving http://127.0.0.1:$port/  (API docs: http://127.0.0.1:$port/api/docs/)"
exec .venv/bin/python manage.py runserver "127.0.0.1:$port" "${reload[@]}"
