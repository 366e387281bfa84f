"""The promoter's service worker, served from the site root as /sw.js.

The script lives in `static/js/sw.js`; this view fills in the shell it caches (built with
`url_for`) and a version made from the bytes of those files, so that changing any of them
installs a fresh worker. Served with `Cache-Control: no-cache` so phones check for updates,
and `Service-Worker-Allowed: /`. It is registered for the whole site (it answers only the home
page and the shell, and sees a logout from any page).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, request, url_for

bp = Blueprint("offline", __name__)

SHELL_FILES = (
    "css/qhatu.css",
    "js/htmx-2.0.4.min.js",
    "js/promoter-offline.js",
    "manifest.webmanifest",
    "img/icon-192.png",
    "img/favicon.svg",
)


@lru_cache(maxsize=4)
def script(static_folder: str, home: str, logout: str, shell: tuple[str, ...]) -> tuple[str, str]:
    """The worker's source with its settings filled in, and its version."""
    folder = Path(static_folder)
    source = (folder / "js" / "sw.js").read_text()
    digest = hashlib.sha256(source.encode())
    for name in SHELL_FILES:
        digest.update((folder / name).read_bytes())
    version = digest.hexdigest()[:12]
    filled = (
        source.replace("__VERSION__", version)
        .replace("__HOME__", home)
        .replace("__LOGOUT__", logout)
        .replace("__SHELL__", json.dumps(list(shell)))
    )
    return filled, version


@bp.route("/sw.js")
def service_worker():
    """Public: the script holds no data, only the list of files it keeps."""
    shell = tuple(url_for("static", filename=name) for name in SHELL_FILES)
    build = script.__wrapped__ if current_app.debug else script  # edits show in development
    source, version = build(
        current_app.static_folder,
        url_for("producer.home"),
        url_for("auth.logout"),
        shell,
    )
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(version)
    return response.make_conditional(request)
