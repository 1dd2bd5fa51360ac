"""Serve the lessons' JupyterLab (built by build.sh into build/) with Debian's Jupyter server.

Run through serve.sh, with Debian's Python (/usr/bin/python3): Debian's python3-jupyter-server
(1.23) and python3-jupyterlab-server (2.16) provide the server side; JupyterLab's own Python
package is not needed (nor packaged by Debian 12). The frontend comes from npm (build/).

    /usr/bin/python3 jupyterlab/server.py --notebook-dir DIR [--port N] [--no-browser]

The token comes from JUPYTER_TOKEN (else a fresh random one, printed in the URL). The server
binds 127.0.0.1 only, and refuses to start without a token. Jupyter's config, data and runtime
files stay in jupyterlab/state/ (or $QKV_LAB_STATE). SIGTERM and SIGINT (Ctrl+C, once) stop it
after shutting down its kernels.
"""
import argparse
import getpass
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
STATE = os.path.abspath(os.environ.get("QKV_LAB_STATE") or os.path.join(HERE, "state"))

# Before Jupyter is imported: its files go to the project, never to ~/.jupyter or ~/.local, and
# no config file on this machine (~/.jupyter, /etc/jupyter) can change what is served.
os.environ["JUPYTER_CONFIG_DIR"] = os.path.join(STATE, "config")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(STATE, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(STATE, "runtime")
os.environ["JUPYTER_NO_CONFIG"] = "1"
os.environ.pop("JUPYTER_TOKEN_FILE", None)  # an empty token file would turn auth off

from jupyter_server.base.handlers import APIHandler, JupyterHandler  # noqa: E402
from jupyter_server.base.zmqhandlers import WebSocketMixin  # noqa: E402
from jupyterlab_server import LabServerApp  # noqa: E402
from tornado import web, websocket  # noqa: E402

with open(os.path.join(HERE, "package.json")) as f:
    VERSION = json.load(f)["version"]  # the JupyterLab version the app is built from


def _jupyter_server_extension_points():
    # jupyter_server finds the app through this module (__main__ when run as a script).
    return [{"module": __name__, "app": LessonsLab}]


# Two APIs of jupyter_server 2 that JupyterLab 4 calls and Debian's jupyter_server 1.23 lacks.
# Without them JupyterLab still works, but logs 404s and retries the events socket forever.


class IdentityHandler(APIHandler):
    """/api/me: who is logged in (one local user; the token is the only credential)."""

    @web.authenticated
    def get(self):
        name = getpass.getuser()
        identity = {"username": name, "name": name, "display_name": name, "initials": name[:1].upper(), "avatar_url": None, "color": None}
        self.finish(json.dumps({"identity": identity, "permissions": {}}))


class EventsHandler(WebSocketMixin, websocket.WebSocketHandler, JupyterHandler):
    """/api/events/subscribe: the server's event stream. This server has no events to send."""

    def set_default_headers(self):
        pass  # JupyterHandler's headers do not apply to a websocket

    async def get(self, *args, **kwargs):
        if self.get_current_user() is None:
            raise web.HTTPError(403)  # the token is required here too
        return await super().get(*args, **kwargs)

    def on_message(self, message):
        pass


class LessonsLab(LabServerApp):
    name = "qkv_lab"
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False  # nothing installed on the machine joins in
    app_name = "JupyterLab (Q/K/V lessons)"
    app_version = VERSION
    static_dir = BUILD
    schemas_dir = os.path.join(BUILD, "schemas")
    themes_dir = os.path.join(BUILD, "themes")
    templates_dir = os.path.join(HERE, "templates")
    app_settings_dir = os.path.join(HERE, "settings")  # overrides.json: the lessons' defaults
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")
    # Prebuilt ("federated") extensions on the machine cannot load into this build: list none.
    labextensions_path = []
    extra_labextensions_path = []

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers += [(r"/api/me", IdentityHandler), (r"/api/events/subscribe", EventsHandler)]

    def initialize_settings(self):
        super().initialize_settings()
        self.serverapp.web_app.settings["terminals_available"] = False


def main():
    parser = argparse.ArgumentParser(description="Serve the lessons' JupyterLab on 127.0.0.1.")
    parser.add_argument("--notebook-dir", required=True, help="folder to serve")
    parser.add_argument("--port", type=int, help="port (default: 8888 or the next free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    args = parser.parse_args()

    if not os.path.isfile(os.path.join(BUILD, "bundle.js")):
        sys.exit("jupyterlab/server.py: no build in jupyterlab/build/. Run: bash jupyterlab/build.sh")
    for d in ("config", "data", "runtime", "user-settings", "workspaces"):
        os.makedirs(os.path.join(STATE, d), exist_ok=True)

    argv = [
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.root_dir=" + os.path.abspath(args.notebook_dir),
        "--ServerApp.terminals_enabled=False",
        "--ServerApp.open_browser=" + str(not args.no_browser),
    ]
    if args.port:
        argv += ["--ServerApp.port=%d" % args.port, "--ServerApp.port_retries=0"]
    if os.getuid() == 0:
        argv.append("--ServerApp.allow_root=True")  # e.g. a container; Jupyter refuses root otherwise

    server = LessonsLab.initialize_server(argv=argv)
    if not server.token or server.password:
        # Token auth must stay on: refuse rather than serve the kernels to anyone.
        sys.exit("jupyterlab/server.py: refusing to start without token authentication.")
    # Without a terminal, jupyter_server leaves SIGINT to Python, which stops the loop without
    # shutting kernels down (they run in their own sessions and would outlive the server); with
    # one, it asks for confirmation. Here Ctrl+C, like SIGTERM, stops the server and its kernels.
    signal.signal(signal.SIGINT, server._signal_stop)
    server.start()


if __name__ == "__main__":
    main()
