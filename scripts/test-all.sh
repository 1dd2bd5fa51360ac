#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, type checks, unit tests (Node's runner),
# every notebook through the real tslab kernel, and the lessons in a real browser, in the classic
# Notebook and in JupyterLab (built from npm once, in its own timed stage).
# Each stage prints its own "N passed, N failed"; this exits non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh tests || exit 1

failed=()
stage() {
  local name="$1"; shift
  echo
  echo "=== $name: $*"
  local t0=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - t0)) s)"; else echo "=== $name: FAILED ($((SECONDS - t0)) s)"; failed+=("$name"); fi
}

stage typecheck npm run --silent typecheck
stage unit npm test --silent
stage notebooks npm run --silent test:notebooks
stage browser npm run --silent test:browser
stage jupyterlab-build npm run --silent build:lab
stage browser-lab npm run --silent test:browser-lab

echo
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test-all: FAILED stages: ${failed[*]}"
  exit 1
fi
echo "test-all: every stage passed"
