#!/usr/bin/env bash
# Installs what the kit needs and is missing, offline-safe (npm registry + Debian apt only).
#   scripts/setup.sh npm       npm packages only
#   scripts/setup.sh lessons   Jupyter (classic Notebook from Debian) + npm packages
#   scripts/setup.sh tests     the above + nbclient/nbconvert + Chromium for the browser test,
#                              and numpy + PyTorch, which the cross-checks compare against
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want="${1:-tests}"
pkgs=()
case "$want" in
  npm | lessons | tests) ;;
  *) echo "setup: unknown target '$want' (use npm, lessons or tests)" >&2; exit 2 ;;
esac
[ "$want" = npm ] || pkgs+=(jupyter-notebook python3-ipykernel)
if [ "$want" = tests ]; then
  pkgs+=(python3-nbclient jupyter-nbconvert chromium python3-numpy python3-torch)
fi

missing=()
for p in ${pkgs[@]+"${pkgs[@]}"}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "setup: need root to install them. Run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
