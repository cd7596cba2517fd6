#!/usr/bin/env bash
# Prepare this checkout for `run` (default) or `test`: Debian packages, a
# Python that can load SpatiaLite, .venv, requirements and translations.
# Idempotent; a second run only checks and takes a few seconds.
set -euo pipefail

mode="${1:-run}"
case "$mode" in
  run | test) ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- Debian packages ------------------------------------------------------
# GeoDjango loads GDAL/GEOS/PROJ via ctypes and SpatiaLite as an sqlite
# extension; gettext provides msgfmt for compilemessages; python3-venv makes
# Debian's python able to create a venv (it ships ensurepip).
apt_pkgs=(gdal-bin libgdal32 libgeos-c1v5 libproj25 libsqlite3-mod-spatialite gettext python3-venv)
if [[ "$mode" == test ]]; then
  apt_pkgs+=(postgresql-15 postgresql-15-postgis-3)
fi

missing=()
for pkg in "${apt_pkgs[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "apt packages: ok"
elif ((EUID == 0)); then
  echo "apt packages: installing ${missing[*]}"
  # Only refresh the index when something is actually missing: keeps the
  # common path offline and fast.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  echo "apt packages: ok (installed ${#missing[@]})"
else
  echo "apt packages: missing ${missing[*]}; run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

# --- Python ---------------------------------------------------------------
# Prints the version and exits 0 if the interpreter is usable, otherwise
# prints why not. argv[1]=1 also requires venv+ensurepip (for creating .venv).
# shellcheck disable=SC2016  # Python source, not shell.
py_check='
import platform, sys
if sys.version_info < (3, 10):
    sys.exit(f"Python {platform.python_version()} is older than 3.10")
import sqlite3
conn = sqlite3.connect(":memory:")
if not hasattr(conn, "enable_load_extension"):
    sys.exit(f"Python {platform.python_version()}: its sqlite3 module was built without extension loading")
try:
    conn.enable_load_extension(True)
    conn.load_extension("mod_spatialite")
except Exception as exc:
    sys.exit(f"Python {platform.python_version()}: sqlite3 cannot load mod_spatialite ({exc})")
if sys.argv[1:] == ["1"]:
    try:
        import ensurepip, venv  # noqa: F401
    except ImportError as exc:
        sys.exit(f"Python {platform.python_version()}: no venv/ensurepip ({exc})")
print(platform.python_version())
'

# check_python EXE NEED_VENV -> sets $py_out to the version or the reason.
# On failure keep one line: a traceback's last, otherwise the first (pyenv
# shims for absent versions print a multi-line "command not found").
check_python() {
  py_out="$("$1" -c "$py_check" "$2" 2>&1)" && return 0
  if [[ "$py_out" == Traceback* ]]; then
    py_out="${py_out##*$'\n'}"
  else
    py_out="${py_out%%$'\n'*}"
  fi
  return 1
}

# Debian's python first: pyenv/python.org builds often lack
# sqlite3.enable_load_extension, which SpatiaLite needs.
candidates=()
[[ -n "${PYTHON:-}" ]] && candidates+=("$PYTHON")
candidates+=(/usr/bin/python3 python3.13 python3.12 python3.11 python3.10 python3)

python=""
rejected=()
for cand in "${candidates[@]}"; do
  exe="$(command -v "$cand" 2>/dev/null || true)"
  if [[ -z "$exe" ]]; then
    rejected+=("$cand: not found")
  elif check_python "$exe" 1; then
    python="$exe"
    break
  else
    rejected+=("$cand ($exe): $py_out")
  fi
done

if [[ -z "$python" ]]; then
  {
    echo "python: no usable interpreter (need >= 3.10, sqlite3 that loads mod_spatialite, venv+ensurepip)"
    printf '  rejected %s\n' "${rejected[@]}"
    echo "fix: install Debian's python (sudo apt-get install python3 python3-venv libsqlite3-mod-spatialite)"
    echo "     or point PYTHON=/path/to/python3 at an interpreter that passes these checks"
  } >&2
  exit 1
fi
echo "python: $python ($py_out, loads mod_spatialite)"

# --- virtualenv -----------------------------------------------------------
# Keep an existing .venv only if its interpreter still passes the check
# (e.g. it was not made from pyenv's python that cannot load extensions).
if [[ -x .venv/bin/python ]] && check_python .venv/bin/python 0; then
  echo "venv: .venv ok"
else
  if [[ -e .venv ]]; then
    [[ -x .venv/bin/python ]] || py_out="no working .venv/bin/python"
    echo "venv: recreating .venv ($py_out)"
    rm -rf .venv
  fi
  "$python" -m venv .venv
  echo "venv: created .venv from $python"
fi

pip=(.venv/bin/python -m pip --disable-pip-version-check)
if [[ ! -e .venv/.pip-upgraded ]]; then
  # Once per venv: the bundled pip is old; upgrading each run would be slow.
  if "${pip[@]}" install -q --upgrade pip; then
    touch .venv/.pip-upgraded
    echo "pip: upgraded"
  else
    echo "pip: upgrade failed, continuing with bundled pip" >&2
  fi
fi

# --- requirements ---------------------------------------------------------
stamp=.venv/.requirements.sha256
if [[ ! -f requirements.txt ]]; then
  echo "requirements: no requirements.txt, skipped"
else
  want="$(sha256sum requirements.txt | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    echo "requirements: up to date"
  else
    "${pip[@]}" install -q -r requirements.txt
    echo "$want" >"$stamp"  # only after success, so a failed install retries
    echo "requirements: installed"
  fi
fi

# --- translations ---------------------------------------------------------
# compilemessages boots Django (slow-ish), so only run it when a .po is newer
# than its .mo; no locale dirs yet means nothing to do.
pos=0
stale=0
while IFS= read -r -d '' po; do
  pos=$((pos + 1))
  mo="${po%.po}.mo"
  if [[ ! -e "$mo" || "$po" -nt "$mo" ]]; then
    stale=1
  fi
done < <(find . \( -path ./.venv -o -path ./.git -o -path ./var -o -name node_modules \) -prune \
  -o -name '*.po' -type f -print0)

if ((stale)) && [[ -f manage.py ]]; then
  .venv/bin/python manage.py compilemessages --ignore=.venv -v 0
  echo "translations: compiled"
elif ((stale)); then
  echo "translations: .po files found but no manage.py yet, skipped"
elif ((pos)); then
  echo "translations: up to date"
fi
