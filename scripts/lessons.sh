#!/usr/bin/env bash
# Open the lessons:  npm run lessons
#
# 1. Sets up what is missing (scripts/setup.sh lessons: Debian's Jupyter packages if absent, npm
#    packages if node_modules is missing or stale). With everything installed it touches no
#    network, so it then works offline.
# 2. Registers the TypeScript kernel for this project only: JUPYTER_PATH points at jupyter/,
#    where jupyter/kernels/tslab-qkv/kernel.json lives. Nothing is installed into ~/.local or /usr.
# 3. Opens JupyterLab in notebooks/, on 127.0.0.1 only, with token authentication on (the URL it
#    prints carries the token): a JupyterLab you installed yourself (`jupyter-lab` on PATH) if
#    there is one, else the one built from npm in jupyterlab/ (the first start builds it: about
#    2 minutes and 180 MB from the npm registry, once; later starts take seconds).
#
# Options, as environment variables:
#   QKV_JUPYTER=lab|built|classic   lab (default): yours if installed, else the built one;
#                             built: the one built here even if you have your own;
#                             classic: Debian's classic Notebook instead of JupyterLab
#   QKV_NO_BROWSER=1          do not open a browser (print the URL only)
#   QKV_PORT=8888             port (default: Jupyter's, 8888 or the next free one)
#   QKV_NOTEBOOK_DIR=path     folder to serve (default: notebooks/)
#   GPT2_SAFETENSORS=path     real GPT-2 weights for step07-explore.ipynb (see README)
# Jupyter's runtime, data and (for the built JupyterLab) settings files go to .jupyter/ in the
# project, not to ~/.local. Ctrl+C, or SIGTERM/SIGHUP to this script (npm passes its own on),
# stops the server, and the server shuts its kernels down; so does the disappearance of whoever
# started it. The generated notebooks are never rebuilt here: that would overwrite a learner's exercise.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

choice="${QKV_JUPYTER:-lab}"
case "$choice" in
  lab | built | classic) ;;
  auto) choice=lab ;;
  *) echo "lessons: QKV_JUPYTER=$choice: use lab (the default), built or classic." >&2; exit 2 ;;
esac
# A JupyterLab installed by the user comes first; otherwise the one built here (jupyterlab/).
user_lab=""
if [ "$choice" = lab ]; then
  if command -v jupyter-lab >/dev/null 2>&1; then user_lab="$(command -v jupyter-lab)"; fi
fi

# With the user's own JupyterLab, only the npm packages are needed.
if ! bash scripts/setup.sh "$([ -n "$user_lab" ] && echo npm || echo lessons)"; then
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

notebooks="${QKV_NOTEBOOK_DIR:-$ROOT/notebooks}"
args=(--ip=127.0.0.1 "--notebook-dir=$notebooks")
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
  local code=0
  wait "$server" || code=$?
  exit "$code"
}

if [ -n "$user_lab" ]; then
  echo "lessons: opening your JupyterLab ($user_lab)"
  serve "$user_lab" "${args[@]}"
fi
if [ "$choice" != classic ]; then
  echo "lessons: opening JupyterLab (built from npm in jupyterlab/; the first start builds it)"
  lab_args=(--notebook-dir "$notebooks")
  [ -n "${QKV_PORT:-}" ] && lab_args+=(--port "$QKV_PORT")
  [ -n "${QKV_NO_BROWSER:-}" ] && lab_args+=(--no-browser)
  export QKV_LAB_STATE="${QKV_LAB_STATE:-$ROOT/.jupyter/lab}"
  serve bash jupyterlab/serve.sh "${lab_args[@]}"
fi
if [ ! -x /usr/bin/jupyter ]; then
  echo "lessons: no Jupyter found. Install Debian's classic Notebook: apt-get install -y jupyter-notebook python3-ipykernel" >&2
  exit 1
fi
# Debian's Jupyter runs under /usr/bin/python3; a python3 earlier on PATH may have no Jupyter.
echo "lessons: opening the classic Jupyter Notebook (Debian's /usr/bin/jupyter)"
serve /usr/bin/jupyter notebook "${args[@]}"
