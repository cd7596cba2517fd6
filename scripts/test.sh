#!/usr/bin/env bash
# Lint, then the whole pytest suite on SpatiaLite and on PostGIS, one after
# the other. Extra args go to pytest.
#
# Env: TEST_DB=spatialite|postgis (only that one), TEST_WORKERS (xdist
# workers, default 2), DATABASE_URL (a postgres/postgis URL is used for the
# PostGIS run instead of scripts/postgis.sh up; a spatialite URL for the
# SpatiaLite run), POSTGIS_URL and PG_PROBE_PORT (see scripts/postgis.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

test_db="${TEST_DB:-}"
case "$test_db" in
  "" | spatialite | postgis) ;;
  *) echo "TEST_DB must be spatialite or postgis (or unset for both)" >&2; exit 2 ;;
esac
workers="${TEST_WORKERS:-2}"

scripts/bootstrap.sh test

echo "== lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

spatialite_url="spatialite:///$PWD/var/test.sqlite3"
postgis_url=""
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://* | postgis://* | pgsql://*) postgis_url="$DATABASE_URL" ;;
  spatialite://*) spatialite_url="$DATABASE_URL" ;;
esac
mkdir -p var

log="$(mktemp)"
started_pg=0
# Always stop a throwaway PostGIS server, whatever happens; turning signals
# into plain exits makes sure the EXIT trap runs for them too.
# shellcheck disable=SC2317  # only called via trap
cleanup() {
  rm -f "$log"
  if ((started_pg)); then scripts/postgis.sh down || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

summary=()
failed=0
totals=(0 0 0) # passed, failed+errors, skipped over both suites
color=()
if [[ -t 1 ]]; then color=(--color=yes); fi # keep colours although output goes via tee

# count WORD LINE -> the number before WORD in pytest's result line, or 0.
count() {
  local n
  n="$(grep -oE "[0-9]+ $1" <<<"$2" | head -1 || true)"
  n="${n%% *}"
  echo "${n:-0}"
}

# run_suite NAME URL [pytest args...]
run_suite() {
  local name="$1" url="$2" start rc=0 result
  shift 2
  echo
  echo "== pytest on $name ($workers workers)"
  start="$(date +%s)"
  DJANGO_SETTINGS_MODULE=backend.settings.test DATABASE_URL="$url" PYTHONUNBUFFERED=1 \
    .venv/bin/python -m pytest -n "$workers" "${color[@]}" "$@" | tee "$log" || rc="${PIPESTATUS[0]}"
  local took=$(($(date +%s) - start))
  # pytest's closing "=== 12 passed, 1 skipped in 3.4s ===" line (no "=" with
  # -q), sans colour codes.
  result="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(=+ )?(no tests ran|[0-9]+ [a-z]+(, [0-9]+ [a-z]+)*) in [0-9.]+s' | tail -1 | sed -E 's/^=+ //; s/ =+$//' || true)"
  totals[0]=$((totals[0] + $(count passed "$result")))
  totals[1]=$((totals[1] + $(count failed "$result") + $(count error "$result")))
  totals[2]=$((totals[2] + $(count skipped "$result")))
  if ((rc == 0)); then
    summary+=("$name: ok in ${took}s (${result:-no result line})")
  else
    # pytest exits 5 when it collected nothing; that is a failure here too.
    summary+=("$name: FAILED, pytest exit $rc, in ${took}s (${result:-no result line})")
    failed=1
  fi
}

if [[ "$test_db" != postgis ]]; then
  run_suite spatialite "$spatialite_url" "$@"
fi

if [[ "$test_db" != spatialite ]]; then
  if [[ -z "$postgis_url" ]]; then
    started_pg=1
    if ! postgis_url="$(scripts/postgis.sh up)"; then
      summary+=("postgis: FAILED (no PostgreSQL/PostGIS server, see above)")
      failed=1
    fi
  fi
  if [[ -n "$postgis_url" ]]; then
    run_suite postgis "$postgis_url" "$@"
  fi
fi

# Stop the throwaway server now rather than in the trap, so the summary
# stays the last thing printed (CI reads the closing line).
if ((started_pg)); then
  started_pg=0
  scripts/postgis.sh down || true
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
echo "total: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped"
exit "$failed"
