"""Screenshots of what a promoter sees on a 360 px phone, for docs/promoter-phone.md.

    .venv/bin/python -m scripts.screens [--out docs/screens]

Builds the demo (with its months of history) in a throw-away SQLite database, serves the app
on a local port and, with Playwright and Debian's Chromium, logs in as the cheese
association's promoter and saves the first screen (360×740) of Hoy, an order, the ledger and
the demand view as PNG files.
"""

import argparse
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.demo import DEMO_PASSWORD, seed_agreements, seed_demo, seed_order_history
from marketplace.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PROMOTER = "promotor.queso@qhatu.pe"
PHONE = {"width": 360, "height": 740}
# File name → how to reach the page once logged in.
SCREENS = {
    "promoter-home": "/producer/home",
    "promoter-order": None,  # the first order on the orders page
    "promoter-ledger": "/producer/ledger",
    "promoter-demand": "/producer/demand",
}


def demo_app(folder: Path):
    """The app on a fresh SQLite database holding the demo and its history."""
    app = create_app(
        {
            "SECRET_KEY": "screens",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'screens.db'}",
            "UPLOAD_DIR": str(folder / "uploads"),
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo(db.session)
        seed_order_history(db.session)
        seed_agreements(db.session)
        db.session.commit()
        db.session.remove()
    return app


def take(base_url: str, out: Path) -> list[Path]:
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            base_url=base_url, viewport=PHONE, is_mobile=True, has_touch=True, locale="es-PE"
        )
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Correo electrónico").fill(PROMOTER)
        page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Ingresar").click()
        page.wait_for_load_state()
        for name, path in SCREENS.items():
            if path is None:
                page.goto("/producer/orders")
                page.locator("article a[href*='/producer/orders/']").first.click()
            else:
                page.goto(path)
            page.wait_for_load_state("networkidle")
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            saved.append(target)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = demo_app(Path(folder))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            saved = take(f"http://127.0.0.1:{server.server_port}", args.out)
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
