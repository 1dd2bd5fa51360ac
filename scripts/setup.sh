#!/usr/bin/env bash
# Installs what the kit needs and is missing, from the npm registry and Debian's apt only.
#   scripts/setup.sh npm       npm packages only
#   scripts/setup.sh lessons   Debian's Jupyter packages + npm packages
#   scripts/setup.sh tests     the above + what the tests use (nbclient, nbconvert, Chromium,
#                              numpy and PyTorch for the cross-checks)
# The Debian packages are listed once, in scripts/debian-packages.txt. Safe to run again: it skips
# what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want="${1:-tests}"
pkgs=()
case "$want" in
  npm | lessons | tests) ;;
  *) echo "setup: unknown target '$want' (use npm, lessons or tests)" >&2; exit 2 ;;
esac
# "lessons" lines always (unless npm only); "tests" lines for the tests.
while read -r target name _; do
  case "$target" in
    lessons) [ "$want" = npm ] || pkgs+=("$name") ;;
    tests) [ "$want" = tests ] && pkgs+=("$name") ;;
  esac
done < <(grep -v '^\s*#' scripts/debian-packages.txt)

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
