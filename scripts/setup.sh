#!/usr/bin/env bash
# Installs everything kodomo-dash needs on a fresh Debian machine: system packages
# (Chromium for browser tests and static chart export, Noto CJK fonts for Japanese
# PDFs and screenshots, poppler for PDF checks) and a virtualenv with the package.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need_apt+=(fonts-noto-cjk)  # not -q: with pipefail, fc-list would die of SIGPIPE
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
if ((${#need_apt[@]})); then
  echo "[setup] apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.kodomo-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[setup] installing Python packages (pyproject.toml)"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[test]"
  touch "$stamp"
fi
# The OpenID Connect provider the sign-in tests start (tests/oidc_provider, decision 064): its npm
# packages, installed from the committed lock whenever they are missing or the lock changed.
oidc=tests/oidc_provider
if command -v npm >/dev/null 2>&1 && [ -f "$oidc/package-lock.json" ]; then
  lock_sum=$(sha256sum "$oidc/package-lock.json" | cut -d' ' -f1)
  if [ ! -d "$oidc/node_modules" ] || [ "$(cat "$oidc/node_modules/.kodomo-lock" 2>/dev/null)" != "$lock_sum" ]; then
    echo "[setup] npm ci in $oidc"
    (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$lock_sum" > "$oidc/node_modules/.kodomo-lock"
  fi
fi
echo "[setup] ready"
