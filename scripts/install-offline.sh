#!/usr/bin/env bash
# On the closed network: install kodomo-dash from a bundle made by scripts/bundle.sh, with no
# network at all (docs/deploy.md).   install-offline.sh BUNDLE VENV
# Checks the bundle against its SHA256SUMS, installs its Debian packages (if any, needs root), then
# creates VENV and installs the product from the bundle's wheels only (pip --no-index, no config).
set -euo pipefail
bundle=$(cd "${1:?usage: install-offline.sh BUNDLE VENV}" && pwd)
venv=${2:?usage: install-offline.sh BUNDLE VENV}
(cd "$bundle" && sha256sum --quiet -c SHA256SUMS)
if compgen -G "$bundle/debs/*.deb" >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO dpkg -i "$bundle"/debs/*.deb >/dev/null
fi
PY=${PYTHON:-python3}
"$PY" -m venv "$venv"
PIP_CONFIG_FILE=/dev/null "$venv/bin/pip" install -q --no-index --find-links "$bundle/wheels" kodomo-dash
echo "[install] kodomo-dash installed in $venv without the network"
