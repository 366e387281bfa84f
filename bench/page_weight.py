"""Bytes a phone downloads for the promoter's home page, first and repeat visit, in Chromium.

Serves the app with the demo data (SQLite in a temporary folder, werkzeug on a free port),
logs in as the cheese promoter, empties the browser cache, then loads /producer/home twice.
For every response it records the bytes on the wire (`encodedDataLength`) and, for bodies
that were downloaded, their gzip size: the figure a compressing reverse proxy would send (the
development server does not compress).

The promoter's service worker (/sw.js) answers the page from its own cache or fetches it
itself, so the browser's page-level counters can miss bytes. The server therefore also
counts every response body it sends during each visit (page, worker and its install
fetches); the budget is checked against the larger of the two figures.

    python -m bench.page_weight            # needs /usr/bin/chromium
    python -m bench.page_weight --lighthouse node_modules/.bin/lighthouse   # also Lighthouse

Budgets (issue 7): repeat visit <= 30 KB compressed, first visit <= 100 KB plus images.
Exits 1 if a budget is exceeded.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from marketplace.extensions import db  # noqa: E402

PROMOTER = "promotor.queso@qhatu.pe"
CHROMIUM = "/usr/bin/chromium"
# One user agent for the browser that logs in and for Lighthouse: the login session is tied
# to it (Flask-Login's strong session protection).
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"
)
REPEAT_BUDGET = 30 * 1024
FIRST_BUDGET = 100 * 1024


class Tally:
    """WSGI middleware: the body bytes (and their gzip size) of every response sent."""

    def __init__(self, app):
        self.app = app
        self.rows: list[dict] = []

    def __call__(self, environ, start_response):
        status_line = []

        def start(status, headers, exc_info=None):
            status_line.append(status)
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, start))
        path = environ.get("PATH_INFO", "")
        image = path.startswith("/media/") or path.endswith((".png", ".webp", ".jpg"))
        self.rows.append(
            {
                "path": path,
                "status": int(status_line[0].split()[0]),
                "bytes": len(body),
                "gzip": len(body) if image or not body else len(gzip.compress(body, 6)),
                "image": image,
            }
        )
        return [body]


def serve(folder: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "UPLOAD_DIR": str(folder / "uploads"),
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo(db.session)
        db.session.commit()
    tally = Tally(app.wsgi_app)
    app.wsgi_app = tally
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", tally


def visit(page, cdp, url: str) -> list[dict]:
    """Load `url` and return one row per response: url, type, status, wire and gzip bytes."""
    rows: dict[str, dict] = {}

    def received(event):
        response = event["response"]
        rows[event["requestId"]] = {
            "url": response["url"],
            "type": event["type"],
            "status": response["status"],
            "cached": response.get("fromDiskCache") or response.get("fromMemoryCache"),
            "wire": 0,
            "gzip": 0,
        }

    def finished(event):
        row = rows.get(event["requestId"])
        if row is None:
            return
        row["wire"] = int(event["encodedDataLength"])
        if row["status"] == 200 and not row["cached"] and row["wire"] > 0:
            try:
                body = cdp.send("Network.getResponseBody", {"requestId": event["requestId"]})
            except Exception:  # the body may be gone already; count the wire bytes only
                return
            raw = base64.b64decode(body["body"]) if body["base64Encoded"] else body["body"].encode()
            row["gzip"] = len(gzip.compress(raw, 6)) if row["type"] != "Image" else len(raw)

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    page.goto(url, wait_until="networkidle")
    cdp.remove_listener("Network.responseReceived", received)
    cdp.remove_listener("Network.loadingFinished", finished)
    return list(rows.values())


def report(name: str, rows: list[dict]) -> tuple[int, int]:
    text = [r for r in rows if r["type"] != "Image"]
    images = [r for r in rows if r["type"] == "Image"]
    wire = sum(r["wire"] for r in text)
    compressed = sum(r["gzip"] or r["wire"] for r in text)
    print(f"\n{name}: {len(rows)} responses")
    for r in rows:
        sizes = f"wire {r['wire']:>7} B  gzip {r['gzip']:>7} B"
        print(f"  {r['status']} {r['type']:<11} {sizes}  {r['url']}")
    print(f"  HTML+CSS+JS: {wire / 1024:.1f} KB on the wire, {compressed / 1024:.1f} KB gzipped")
    print(f"  images: {sum(r['wire'] for r in images) / 1024:.1f} KB")
    return wire, compressed


def report_server(name: str, rows: list[dict]) -> int:
    """What the server sent during a visit; returns HTML+CSS+JS gzipped bytes."""
    text = [r for r in rows if not r["image"]]
    compressed = sum(r["gzip"] for r in text)
    images = sum(r["bytes"] for r in rows if r["image"])
    print(f"  server side: {len(rows)} responses", end="")
    print(f" ({', '.join(sorted({r['path'] + ' ' + str(r['status']) for r in text}))})")
    sizes = f"HTML+CSS+JS {compressed / 1024:.1f} KB gzipped, images {images / 1024:.1f} KB"
    print(f"  server side: {sizes}")
    return compressed


def settle(page) -> None:
    """Wait until the service worker controls the page (its install fetches are done)."""
    page.evaluate(
        """() => navigator.serviceWorker ? navigator.serviceWorker.ready.then(() => true) : true"""
    )
    page.wait_for_timeout(500)


def lighthouse(binary: str, url: str, cookie: str) -> dict[str, int]:
    """Lighthouse's mobile preset (simulated slow 4G, mid-range phone): scores out of 100."""
    result = subprocess.run(
        [
            binary,
            url,
            "--quiet",
            "--output=json",
            "--only-categories=performance,accessibility",
            f"--extra-headers={json.dumps({'Cookie': cookie})}",
            f"--emulated-user-agent={PHONE_UA}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    categories = json.loads(result.stdout)["categories"]
    return {name: round(c["score"] * 100) for name, c in categories.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", help="path to a lighthouse 12 binary")
    args = parser.parse_args()
    scores = {}
    with tempfile.TemporaryDirectory() as tmp:
        server, base, tally = serve(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                context = browser.new_context(
                    base_url=base,
                    viewport={"width": 360, "height": 740},
                    is_mobile=True,
                    user_agent=PHONE_UA,
                )
                page = context.new_page()
                page.goto("/login")
                page.get_by_label("Correo electrónico").fill(PROMOTER)
                page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Ingresar").click()
                page.wait_for_load_state("networkidle")
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.clearBrowserCache")
                tally.rows.clear()
                _, first = report("first visit", visit(page, cdp, f"{base}/producer/home"))
                settle(page)
                first = max(first, report_server("first visit", tally.rows))
                tally.rows.clear()
                _, repeat = report("repeat visit", visit(page, cdp, f"{base}/producer/home"))
                settle(page)
                repeat = max(repeat, report_server("repeat visit", tally.rows))
                cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
                browser.close()
            if args.lighthouse:
                scores = lighthouse(args.lighthouse, f"{base}/producer/home", cookie)
                print(f"\nLighthouse (mobile): {scores}")
        finally:
            server.shutdown()
    ok = first <= FIRST_BUDGET and repeat <= REPEAT_BUDGET
    ok = ok and all(score >= 95 for score in scores.values())
    print(f"\nbudgets: first {first / 1024:.1f}/100 KB, repeat {repeat / 1024:.1f}/30 KB gzipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
