#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, type checks, unit tests (Node's runner),
# every notebook through the real tslab kernel, and the lessons in a real browser, in the classic
# Notebook and in JupyterLab (built from npm once, in its own timed stage).
#
# After the type checks, two tracks run side by side, each of its stages in order:
#   A: unit tests → build JupyterLab → the notebooks in JupyterLab
#   B: the notebooks headless → the notebooks in the classic Notebook (which reopens what B's first
#      stage saved and exported)
# Most of the suite is one-threaded (TypeScript compiling each kernel's imports, tfjs on one
# thread), so two tracks use both cores. Nothing in the suite depends on speed: it passes as well
# one stage at a time (QKV_TEST_SERIAL=1) as on a busy machine. Each stage's output is printed
# whole when it ends, with its own totals; this exits non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh tests || exit 1

LOGS="artifacts/test-logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
failed=()

# Run a stage, its output into a log; when it ends, publish the log with a status line as
# $LOGS/<name>.report (renamed into place whole, so that the printer below never reads half).
stage() {
  local name="$1"; shift
  local t0=$SECONDS
  if "$@" >"$LOGS/$name.log" 2>&1; then local status=ok; else local status=FAILED; fi
  {
    echo
    echo "=== $name: $*"
    cat "$LOGS/$name.log"
    echo "=== $name: $status ($((SECONDS - t0)) s)"
  } >"$LOGS/$name.report.part"
  mv "$LOGS/$name.report.part" "$LOGS/$name.report"
  [ "$status" = ok ] || echo "$name" >>"$LOGS/failed"
}

# Print every published report not printed yet.
printed=" "
print_reports() {
  local f name
  for f in "$LOGS"/*.report; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .report)"
    case "$printed" in *" $name "*) continue ;; esac
    cat "$f"
    printed="$printed$name "
  done
}

track_a() {
  stage unit npm test --silent
  stage jupyterlab-build npm run --silent build:lab
  stage browser-lab npm run --silent test:browser-lab
}

track_b() {
  stage notebooks npm run --silent test:notebooks
  stage browser npm run --silent test:browser
}

t0=$SECONDS
stage typecheck npm run --silent typecheck
print_reports
if [ -n "${QKV_TEST_SERIAL:-}" ]; then
  track_a
  track_b
else
  track_a &
  a=$!
  track_b &
  b=$!
  # Each stage's report as it lands, so a long run shows progress.
  while kill -0 "$a" 2>/dev/null || kill -0 "$b" 2>/dev/null; do
    print_reports
    sleep 2
  done
  wait "$a" "$b"
fi
print_reports

echo
[ -f "$LOGS/failed" ] && mapfile -t failed <"$LOGS/failed"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test-all: FAILED stages: ${failed[*]} ($((SECONDS - t0)) s)"
  exit 1
fi
echo "test-all: every stage passed ($((SECONDS - t0)) s)"
