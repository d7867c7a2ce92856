#!/usr/bin/env bash
# Creates or updates the project's locked virtual environments and the Debian packages
# the tests need. Idempotent: an environment whose lock file (and, for the pipeline, the
# project's pyproject.toml) has not changed since its last sync is skipped in milliseconds.
#
#   scripts/bootstrap.sh pipeline superset      # environments to ensure
#   scripts/bootstrap.sh --system pipeline      # also the Debian packages in envs/system-packages.txt
#
# Environment variables: CCHC_VENV_ROOT (default .venv), CCHC_PYTHON (default python3.11,
# else python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_ROOT="${CCHC_VENV_ROOT:-$ROOT/.venv}"
PYTHON="${CCHC_PYTHON:-$(command -v python3.11 || command -v python3)}"
# uv must use the machine's interpreter, never download one, and leave pip.conf's
# local find-links alone (it reads PyPI directly).
export UV_PYTHON_DOWNLOADS=never
export UV_CACHE_DIR="${UV_CACHE_DIR:-$HOME/.cache/uv}"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

fingerprint() {
  # What an environment depends on: its lock, the interpreter, and for the pipeline the
  # project's own package metadata.
  local name="$1"
  {
    cat "$ROOT/envs/$name/requirements.lock"
    "$PYTHON" -c 'import sys; print(sys.version)'
    if [ "$name" = pipeline ]; then cat "$ROOT/pyproject.toml"; fi
  } | sha256sum | cut -d' ' -f1
}

ensure_tools() {
  local venv="$VENV_ROOT/tools" want
  want="$(fingerprint tools)"
  if [ -x "$venv/bin/uv" ] && [ "$(cat "$venv/.fingerprint" 2>/dev/null)" = "$want" ]; then
    return
  fi
  log "creating tools environment (uv) with $PYTHON"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-deps -r "$ROOT/envs/tools/requirements.lock"
  echo "$want" >"$venv/.fingerprint"
}

ensure_env() {
  local name="$1" venv="$VENV_ROOT/$1" want uv="$VENV_ROOT/tools/bin/uv"
  [ -f "$ROOT/envs/$name/requirements.lock" ] || { log "unknown environment '$name' (no envs/$name/requirements.lock)"; exit 2; }
  want="$(fingerprint "$name")"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.fingerprint" 2>/dev/null)" = "$want" ]; then
    log "$name environment up to date ($venv)"
    return
  fi
  log "syncing $name environment from envs/$name/requirements.lock"
  [ -x "$venv/bin/python" ] || "$uv" venv --quiet --python "$PYTHON" "$venv"
  "$uv" pip sync --quiet --python "$venv/bin/python" "$ROOT/envs/$name/requirements.lock"
  if [ "$name" = pipeline ]; then
    "$uv" pip install --quiet --python "$venv/bin/python" --no-deps -e "$ROOT"
  fi
  echo "$want" >"$venv/.fingerprint"
  log "$name environment ready ($venv)"
}

install_translations() {
  # Superset's Vietnamese catalogue (superset/translations/vi) compiled into the installed
  # package, where the browser's language pack and the server read it. Every run, not only
  # after a sync: the catalogue changes without the lock; unchanged files are left alone.
  PYTHONPATH="$ROOT/src" "$VENV_ROOT/superset/bin/python" -m cchc.bi.translations install >&2
}

ensure_system_packages() {
  local missing=() pkg
  while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="${pkg// /}"
    [ -n "$pkg" ] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done <"$ROOT/envs/system-packages.txt"
  [ ${#missing[@]} -eq 0 ] && { log "system packages present"; return; }
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})"
    exit 3
  fi
  log "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

system=0
envs=()
for arg in "$@"; do
  case "$arg" in
    --system) system=1 ;;
    -*) log "unknown option $arg"; exit 2 ;;
    *) envs+=("$arg") ;;
  esac
done

[ "$system" = 1 ] && ensure_system_packages
ensure_tools
for name in "${envs[@]}"; do
  ensure_env "$name"
  if [ "$name" = superset ]; then install_translations; fi
done
