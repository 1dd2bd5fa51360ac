#!/usr/bin/env bash
# npm run bench: the three benchmarks, one after the other (3½ minutes on the 2 cores the README measured):
#   1. c_attn            (npm run bench:qkv)        GPT2SingleHeadQKV.forward against raw tfjs
#   2. causal attention  (npm run bench:attention)  causalAttention against the other formulations
#   3. generation        (npm run bench:generate)   tokens per second and loading memory
# Takes --quick or --full, passed to each; the other options belong to one benchmark: run that one.
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
  case "$arg" in
    --quick | --full) ;;
    *) echo "bench: '$arg' is an option of one benchmark; run it alone (npm run bench:qkv, bench:attention or bench:generate -- $arg)" >&2; exit 2 ;;
  esac
done
for b in forward attention generate; do
  echo "## bench/$b.ts"
  npx --no-install tsx "bench/$b.ts" "$@"
  echo
done
