#!/usr/bin/env bash
# `up`: print (stdout, nothing else) a postgis:// URL of a PostgreSQL 15+
# server where we may CREATE DATABASE and CREATE EXTENSION postgis, starting
# one if needed. `down`: stop and delete the throwaway server `up` started.
# Diagnostics go to stderr so callers can do URL="$(scripts/postgis.sh up)".
#
# Env: POSTGIS_URL (use this server), PG_PROBE_PORT (local port to probe,
# default 5432), PG_BINDIR (default /usr/lib/postgresql/15/bin).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Only the base name: Django's test runner creates test_<name> (and _gwN
# under xdist) itself, so it is never created here.
db_name=flexwonen
probe_port="${PG_PROBE_PORT:-5432}"
pg_bindir="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
state_file=var/pg-throwaway.dir
# Fail fast instead of hanging on a firewalled/half-started server.
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-3}"

log() { echo "postgis.sh: $*" >&2; }

psql_bin() {
  if [[ -x "$pg_bindir/psql" ]]; then echo "$pg_bindir/psql"; else command -v psql; fi
}

# usable CONNINFO_URI -> 0 if the server answers and is fit for the tests
# (-w: never prompt for a password, e.g. on a fresh cluster with scram auth).
# Always checks against the maintenance db "postgres": the target db need
# not exist (Django creates its test db by connecting there too).
usable() {
  local uri="$1" psql out
  psql="$(psql_bin)" || { log "psql not found (install postgresql-client-15)"; return 1; }
  out="$("$psql" -X -w -q -tA -d "$uri" -c "select 1" 2>&1)" || { log "no answer: ${out%%$'\n'*}"; return 1; }
  [[ "$out" == 1 ]] || return 1
  out="$("$psql" -X -w -q -tA -d "$uri" -c "select current_setting('server_version_num')::int >= 150000,
      exists(select 1 from pg_available_extensions where name = 'postgis'),
      (select rolsuper or rolcreatedb from pg_roles where rolname = current_user),
      (select rolsuper from pg_roles where rolname = current_user)" 2>&1)" || { log "query failed: $out"; return 1; }
  case "$out" in
    t\|t\|t\|t) return 0 ;;
    t\|t\|t\|f) log "warning: not a superuser; CREATE EXTENSION postgis may fail"; return 0 ;;
    f\|*) log "server is older than PostgreSQL 15"; return 1 ;;
    t\|f\|*) log "postgis extension not available on that server (install postgresql-15-postgis-3)"; return 1 ;;
    *) log "user may not CREATE DATABASE"; return 1 ;;
  esac
}

# Run a command as the postgres OS user when root (initdb/pg_ctl refuse root).
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the port of a throwaway cluster that is still running, if any.
throwaway_port() {
  local dir="$1"
  [[ -f "$dir/data/postmaster.pid" ]] || return 1
  as_pg "$pg_bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 1
  sed -n 4p "$dir/data/postmaster.pid"
}

local_url() { echo "postgis://postgres@127.0.0.1:$1/$db_name"; }
local_uri() { echo "postgresql://postgres@127.0.0.1:$1/postgres"; }

up() {
  # (a) explicit server: trust the caller's choice, but verify it.
  if [[ -n "${POSTGIS_URL:-}" ]]; then
    local rest="${POSTGIS_URL#*://}" scheme="${POSTGIS_URL%%://*}"
    case "$scheme" in
      postgres | postgresql | postgis) ;;
      *) log "POSTGIS_URL must start with postgres://, postgresql:// or postgis://"; exit 1 ;;
    esac
    local authority="${rest%%/*}" query=""
    [[ "$rest" == *\?* ]] && query="?${rest#*\?}"
    usable "postgresql://$authority/postgres$query" || { log "POSTGIS_URL is not usable"; exit 1; }
    log "using POSTGIS_URL"
    echo "postgis://$rest"
    return
  fi

  # (b) a server already answering locally (the machine's usual cluster).
  if usable "$(local_uri "$probe_port")" 2>/dev/null; then
    log "using server on 127.0.0.1:$probe_port"
    local_url "$probe_port"
    return
  fi
  log "nothing usable answers on 127.0.0.1:$probe_port"

  # (c) the machine's own cluster, if it exists but is stopped. Only tried
  # when probing the default port, so PG_PROBE_PORT can force (d) in tests.
  local cluster=""
  if [[ "$probe_port" == 5432 ]] && command -v pg_lsclusters >/dev/null; then
    cluster="$(pg_lsclusters -h 2>/dev/null | awk '$1 == 15 && $2 == "main" {print $3, $4}')"
  fi
  if [[ "$cluster" == *" down" ]]; then
    log "starting cluster 15/main"
    if pg_ctlcluster --skip-systemctl-redirect 15 main start >&2; then
      if usable "$(local_uri "${cluster%% *}")"; then
        log "using cluster 15/main on 127.0.0.1:${cluster%% *}"
        local_url "${cluster%% *}"
        return
      fi
    else
      log "cluster 15/main would not start"
    fi
  fi

  # (d) throwaway cluster. Reuse one left by an earlier `up` if it still runs.
  local dir port
  if [[ -f "$state_file" ]]; then
    dir="$(<"$state_file")"
    if port="$(throwaway_port "$dir")" && usable "$(local_uri "$port")"; then
      log "reusing throwaway server in $dir"
      local_url "$port"
      return
    fi
    down
  fi

  [[ -x "$pg_bindir/initdb" ]] || { log "$pg_bindir/initdb missing (install postgresql-15 postgresql-15-postgis-3)"; exit 1; }
  port=54329
  while ! port_free "$port"; do
    port=$((port + 1))
    ((port < 54429)) || { log "no free port in 54329-54428"; exit 1; }
  done

  # Under /tmp, not $TMPDIR: the postgres user must be able to traverse it,
  # and the socket path must stay under the ~100 byte sun_path limit.
  dir="$(mktemp -d /tmp/flexwonen-pg.XXXXXX)"
  mkdir -p var
  echo "$dir" >"$state_file"  # written first so `down` can clean up a failed start
  if ((EUID == 0)); then chown postgres: "$dir"; fi
  log "creating throwaway server in $dir on 127.0.0.1:$port"
  as_pg "$pg_bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { log "initdb failed:"; cat "$dir/initdb.log" >&2; down; exit 1; }
  # Durability is pointless for a throwaway test server; skipping it is faster.
  if ! as_pg "$pg_bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2; then
    log "server did not start:"
    cat "$dir/server.log" >&2 || true
    down
    exit 1
  fi
  usable "$(local_uri "$port")" || { down; exit 1; }
  local_url "$port"
}

# Only ever stops the throwaway cluster recorded by `up`, never the machine's.
down() {
  [[ -f "$state_file" ]] || { log "no throwaway server to stop"; return 0; }
  local dir
  dir="$(<"$state_file")"
  # Refuse to rm -rf anything that is not one of our mktemp dirs.
  if [[ "$dir" != /tmp/flexwonen-pg.* || ! -d "$dir" ]]; then
    log "ignoring stale $state_file ($dir)"
    rm -f "$state_file"
    return 0
  fi
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    log "stopping throwaway server in $dir"
    as_pg "$pg_bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || log "pg_ctl stop failed"
  fi
  rm -rf "$dir"
  rm -f "$state_file"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
