#!/usr/bin/env bash
# Serve the lessons' JupyterLab (builds it first if missing or stale; see build.sh).
#
#   jupyterlab/serve.sh --notebook-dir DIR [--port N] [--no-browser]
#
# Environment: JUPYTER_TOKEN (the token; default: a fresh random one, printed in the URL),
# JUPYTER_PATH (where kernels are found; the project's jupyter/ folder, with the tslab kernel, is
# added when missing), QKV_LAB_STATE (where Jupyter's files go; default jupyterlab/state/).
# Binds 127.0.0.1 only, token auth always on. SIGTERM or one Ctrl+C stops it and its kernels.
# Needs Debian's python3-jupyter-server and python3-jupyterlab-server (run with /usr/bin/python3).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"

case ":${JUPYTER_PATH:-}:" in
  *":$ROOT/jupyter:"*) ;;
  *) export JUPYTER_PATH="$ROOT/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" ;;
esac

if ! /usr/bin/python3 -c "import jupyterlab_server" 2>/dev/null; then
  echo "jupyterlab/serve.sh: Debian's JupyterLab server is missing. Install it (as root):" >&2
  echo "  apt-get install -y python3-jupyter-server python3-jupyterlab-server python3-ipykernel" >&2
  exit 1
fi
bash "$HERE/build.sh"
# exec: signals reach the server itself, which shuts its kernels down before it exits.
exec /usr/bin/python3 "$HERE/server.py" "$@"
