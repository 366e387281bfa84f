"""Checkout throughput under load: gunicorn workers on PostgreSQL, buyers checking out at once.

Builds a fresh schema in the (empty, disposable) database named by DATABASE_URL, with one
association, one product with plenty of stock and BUYERS buyers. Starts gunicorn with
WORKERS sync workers on a free loopback port, then CLIENTS threads, each logged in as its own
buyer, repeat for DURATION seconds: add to cart, open the cart (which hands out the checkout
token), check out. Every request goes to 127.0.0.1 only.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/qhatu_bench python -m bench.checkout_load

Prints checkouts per second and the latency of the checkout POST; then checks that every
order it was told about exists once and that the stock ledger adds up.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import create_app  # noqa: E402
from marketplace.config import database_url  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.models import Order  # noqa: E402
from marketplace.services.stock import ledger_mismatches  # noqa: E402

WORKERS = int(os.environ.get("WORKERS", "3"))
CLIENTS = int(os.environ.get("CLIENTS", "12"))
DURATION = float(os.environ.get("DURATION", "20"))
FIELDS = re.compile(r'name="(checkout_token|fingerprint)" type="hidden" value="([^"]*)"')
SELECTS = re.compile(r'<select[^>]*name="((?:date|address)_\d+)"[^>]*>(.*?)</select>', re.S)
SELECTED = re.compile(r'<option selected value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, buyers: int) -> tuple[int, list[str]]:
    """A fresh schema with one product and `buyers` buyer accounts; returns their emails."""
    from tests.factories import (
        AssociationFactory,
        BuyerAddressFactory,
        BuyerUserFactory,
        DeliveryRuleFactory,
        ProductFactory,
        add_stock,
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": tempfile.mkdtemp()})
    with app.app_context():
        db.drop_all()
        db.create_all()
        association = AssociationFactory(name="Sumaq Ausangate")
        DeliveryRuleFactory(association=association, city="cusco", weekdays="12345", lead_days=1)
        product = ProductFactory(association=association, name="Queso andino", price_cents=2850)
        add_stock(product, 1_000_000)
        emails = []
        for i in range(buyers):
            user = BuyerUserFactory(email=f"load{i}@example.pe")
            BuyerAddressFactory(buyer=user.buyer)
            emails.append(user.email)
        db.session.commit()
        product_id = product.id
        db.engine.dispose()
    return product_id, emails


def start_gunicorn(url: str, port: int, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "QHATU_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.bench_app:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start; see its log")


def client_loop(base: str, email: str, product_id: int, stop: float, out: dict) -> None:
    from tests.factories import PASSWORD

    s = requests.Session()
    s.post(f"{base}/login", data={"email": email, "password": PASSWORD}, timeout=30)
    while time.monotonic() < stop:
        s.post(
            f"{base}/buyer/cart/items",
            data={"product_id": product_id, "quantity": "1.5"},
            timeout=30,
        )
        html = s.get(f"{base}/buyer/cart", timeout=30).text
        form = dict(FIELDS.findall(html))
        for name, options in SELECTS.findall(html):
            form[name] = SELECTED.search(options).group(1)
        started = time.perf_counter()
        response = s.post(f"{base}/buyer/checkout", data=form, timeout=30, allow_redirects=False)
        elapsed = time.perf_counter() - started
        if response.status_code == 303:
            out["latencies"].append(elapsed)
        else:
            out["errors"].append(response.status_code)


def main() -> int:
    raw = os.environ.get("DATABASE_URL")
    if not raw:
        raise SystemExit("set DATABASE_URL to an empty, disposable PostgreSQL database")
    url = database_url(raw)
    product_id, emails = prepare(url, CLIENTS)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = start_gunicorn(url, port, log)
        try:
            results = [{"latencies": [], "errors": []} for _ in emails]
            stop = time.monotonic() + DURATION
            threads = [
                threading.Thread(target=client_loop, args=(base, e, product_id, stop, r))
                for e, r in zip(emails, results, strict=True)
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies = sorted(x for r in results for x in r["latencies"])
    errors = [x for r in results for x in r["errors"]]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": tempfile.mkdtemp()})
    with app.app_context():
        orders = db.session.scalar(sa.select(sa.func.count(Order.id)))
        mismatches = ledger_mismatches(db.session)
        db.engine.dispose()
    print(f"checkout under load: {WORKERS} gunicorn workers, {CLIENTS} buyers, {wall:.0f} s")
    rate = len(latencies) / wall
    print(f"  checkouts: {len(latencies)} ({rate:.1f} per second), errors: {len(errors)}")
    if latencies:
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"  checkout POST latency: median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )
    print(f"  orders in the database: {orders}; ledger mismatches: {len(mismatches)}")
    ok = orders == len(latencies) and not mismatches and not errors
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
