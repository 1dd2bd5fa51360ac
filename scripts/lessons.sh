#!/usr/bin/env bash
# Open the lessons:  npm run lessons
#
# 1. Sets up what is missing (scripts/setup.sh lessons: Debian's Jupyter Notebook if absent,
#    npm packages if node_modules is missing or stale). With everything installed it touches no
#    network, so it works offline.
# 2. Registers the TypeScript kernel for this project only: JUPYTER_PATH points at jupyter/,
#    where jupyter/kernels/tslab-qkv/kernel.json lives. Nothing is installed into ~/.local or /usr.
# 3. Starts JupyterLab if it is installed, otherwise Debian's classic Notebook, in notebooks/,
#    on 127.0.0.1 only, with token authentication on (the URL it prints carries the token).
#
# Options, as environment variables:
#   QKV_JUPYTER=lab|classic   choose the interface instead of "lab if installed"
#   QKV_NO_BROWSER=1          do not open a browser (print the URL only)
#   QKV_PORT=8888             port (default: Jupyter's, 8888 or the next free one)
#   QKV_NOTEBOOK_DIR=path     folder to serve (default: notebooks/)
#   GPT2_SAFETENSORS=path     real GPT-2 weights for step07-explore.ipynb (see README)
# Jupyter's runtime and data files (connection files, the notebook-trust database) go to .jupyter/
# in the project, not to ~/.local. Ctrl+C, or SIGTERM/SIGHUP to this script (npm passes its own on),
# stops the server, and the server shuts its kernels down; so does the disappearance of whoever
# started it. The generated notebooks are never rebuilt here: that would overwrite a learner's exercise.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

choice="${QKV_JUPYTER:-auto}"
lab=""
if [ "$choice" != classic ]; then
  if command -v jupyter-lab >/dev/null 2>&1; then lab="$(command -v jupyter-lab)"
  elif [ -x /usr/bin/jupyter-lab ]; then lab=/usr/bin/jupyter-lab
  fi
  if [ "$choice" = lab ] && [ -z "$lab" ]; then
    echo "lessons: QKV_JUPYTER=lab, but JupyterLab is not installed (Debian 12 does not package it; pip install jupyterlab)." >&2
    exit 1
  fi
fi

# With JupyterLab already there, Debian's classic Notebook is not needed: set up npm packages only.
if ! bash scripts/setup.sh "$([ -n "$lab" ] && echo npm || echo lessons)"; then
  echo "lessons: set-up failed (see above)." >&2
  exit 1
fi

export JUPYTER_PATH="$ROOT/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export JUPYTER_RUNTIME_DIR="${JUPYTER_RUNTIME_DIR:-$ROOT/.jupyter/runtime}"
export JUPYTER_DATA_DIR="${JUPYTER_DATA_DIR:-$ROOT/.jupyter/data}"
if [ ! -f "$ROOT/jupyter/kernels/tslab-qkv/kernel.json" ] || [ ! -x "$ROOT/node_modules/.bin/tslab" ]; then
  echo "lessons: the tslab kernel is missing (jupyter/kernels/tslab-qkv or node_modules/.bin/tslab). Run: npm ci" >&2
  exit 1
fi

args=(--ip=127.0.0.1 "--notebook-dir=${QKV_NOTEBOOK_DIR:-$ROOT/notebooks}")
[ -n "${QKV_PORT:-}" ] && args+=("--port=$QKV_PORT" --port-retries=0)
[ -n "${QKV_NO_BROWSER:-}" ] && args+=(--no-browser)
[ "$(id -u)" = 0 ] && args+=(--allow-root) # e.g. a container; Jupyter refuses root otherwise

cat <<EOF
lessons: kernel "TypeScript (tslab, Q/K/V lessons)" registered for this project (JUPYTER_PATH=$ROOT/jupyter).
lessons: start with step07-exercise.ipynb; step07-solution.ipynb has the answer, step07-explore.ipynb the plots.
lessons: stop the server with Ctrl+C.
EOF
# Run the server as a child, not with exec: this script stays to pass a stop on to it, and to stop
# it if whoever started us goes away without a word (npm killed hard, a closed terminal).
serve() {
  "$@" &
  server=$!
  parent=$PPID
  stop() {
    trap - TERM INT HUP
    kill -TERM "$server" 2>/dev/null # Jupyter shuts its kernels down on SIGTERM
    wait "$server" 2>/dev/null
    exit 0
  }
  trap stop TERM INT HUP
  while kill -0 "$server" 2>/dev/null; do
    kill -0 "$parent" 2>/dev/null || stop
    sleep 1 &
    wait $! # a trapped signal interrupts this wait at once
  done
  wait "$server"
}

if [ -n "$lab" ]; then
  echo "lessons: opening JupyterLab ($lab)"
  serve "$lab" "${args[@]}"
fi
if [ ! -x /usr/bin/jupyter ]; then
  echo "lessons: no Jupyter found. Install Debian's classic Notebook: apt-get install -y jupyter-notebook python3-ipykernel" >&2
  exit 1
fi
# Debian's Jupyter runs under /usr/bin/python3; a python3 earlier on PATH may have no Jupyter.
echo "lessons: opening the classic Jupyter Notebook (Debian's /usr/bin/jupyter; JupyterLab is not installed)"
serve /usr/bin/jupyter notebook "${args[@]}"
