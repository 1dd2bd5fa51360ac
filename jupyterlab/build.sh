#!/usr/bin/env bash
# Build the lessons' JupyterLab into jupyterlab/build/, only when it is missing or stale.
#
#   bash jupyterlab/build.sh          # or: bash jupyterlab/build.sh --force
#
# 1. npm ci in jupyterlab/ (its own package-lock.json: JupyterLab's npm packages, webpack, and
#    plotly's renderer) when node_modules is missing or older than package.json / the lock file.
#    Needs the npm registry once; about 1 min, ~470 MB in jupyterlab/node_modules.
# 2. A development webpack build when build/ is missing or older than the lock file, index.js,
#    lessons.css, webpack.config.js or the installed packages. 20-55 s on 2 busy cores, ~0.5 GB of
#    memory, ~27 MB of output. (A production build needs GBs and minutes: not worth it here.)
# With everything up to date it only compares file times, prints one line and exits.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE"
force=""
[ "${1:-}" = "--force" ] && force=1

INSTALLED=node_modules/.qkv-installed # written after a successful npm ci
BUILT=build/.qkv-built                # written after a successful build

# One build at a time (two lessons started at once would otherwise both write build/).
exec 9>"$HERE/.build.lock"
flock 9

# Is $1 missing, or older than any of the other files?
stale() {
  local stamp="$1"; shift
  [ -n "$force" ] || [ ! -f "$stamp" ] && return 0
  local f
  for f in "$@"; do [ "$f" -nt "$stamp" ] && return 0; done
  return 1
}
seconds() { echo $(( $(date +%s) - $1 )); }

if ! command -v npm >/dev/null 2>&1 || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  echo "jupyterlab/build.sh: needs Node.js 18 or later with npm." >&2
  exit 1
fi

if stale "$INSTALLED" package.json package-lock.json; then
  echo "jupyterlab: installing JupyterLab's npm packages (npm ci in jupyterlab/, about a minute the first time)..."
  t=$(date +%s)
  # No install scripts: nothing here needs one (no native modules), and none may download.
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  touch "$INSTALLED"
  echo "jupyterlab: npm packages installed in $(seconds "$t") s."
fi

if stale "$BUILT" package-lock.json index.js lessons.css webpack.config.js "$INSTALLED"; then
  echo "jupyterlab: building JupyterLab (webpack, development mode, about half a minute)..."
  t=$(date +%s)
  rm -rf build
  node --no-deprecation node_modules/webpack/bin/webpack.js --config webpack.config.js
  touch "$BUILT"
  echo "jupyterlab: built in $(seconds "$t") s ($(du -sh build | cut -f1) in jupyterlab/build/)."
else
  echo "jupyterlab: build is up to date (jupyterlab/build/)."
fi
