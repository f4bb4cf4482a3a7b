#!/usr/bin/env bash
# On a machine with access to the package registries: gather everything an install on a closed
# network needs into one folder (docs/deploy.md, "Installing without the internet").
#   scripts/bundle.sh OUT      -> OUT/wheels (the product and every pinned dependency),
#                                 OUT/debs (Chromium, Noto CJK fonts, poppler and what they need),
#                                 OUT/install-offline.sh
# The Debian packages are fetched for this machine's release and architecture; run it on the same
# Debian release as the target. KODOMO_BUNDLE_SKIP_APT=1 leaves the Debian half out.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/bundle.sh OUT}
mkdir -p "$out/wheels" "$out/debs"
PY=${PYTHON:-python3}
echo "[bundle] Python wheels -> $out/wheels"
"$PY" -m pip wheel -q --no-deps . -w "$out/wheels"
"$PY" -m pip download -q . -d "$out/wheels"
if [ "${KODOMO_BUNDLE_SKIP_APT:-0}" != "1" ]; then
  echo "[bundle] Debian packages -> $out/debs"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --download-only --reinstall -o Dir::Cache::archives="$(cd "$out/debs" && pwd)" \
    chromium fonts-noto-cjk poppler-utils >/dev/null
  rm -f "$out/debs/lock"; rm -rf "$out/debs/partial"
fi
cp scripts/install-offline.sh "$out/"
(cd "$out" && find wheels debs -type f | sort | xargs sha256sum > SHA256SUMS)
echo "[bundle] ready: $(ls "$out/wheels" | wc -l) wheels, $(ls "$out/debs" | wc -l) Debian packages"
