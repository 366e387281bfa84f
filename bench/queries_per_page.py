"""SQL queries per page with 10 and with 1,000 orders: the counts must be the same.

Counts the statements the cart, the buyer's order list and the promoter's order list send to
the database (a SQLAlchemy `before_cursor_execute` listener), once with a short order history
and once with a long one. An N+1 would make the second count grow with the history.

    python -m bench.queries_per_page                 # SQLite in a temporary folder
    DATABASE_URL=postgresql://... python -m bench.queries_per_page   # an EMPTY database

Exits 1 if any page's count depends on the number of orders.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.formatting import lima_today  # noqa: E402
from marketplace.models import Order, OrderEvent, OrderLine  # noqa: E402
from marketplace.services import order_states as st  # noqa: E402
from marketplace.services import ordering, pricing  # noqa: E402

PAGES = {
    "cart": ("buyer", "/buyer/cart"),
    "buyer order list": ("buyer", "/buyer/orders"),
    "promoter order list": ("promoter", "/producer/orders"),
}
SIZES = (10, 1000)


@contextmanager
def counting(engine):
    """Count the SQL statements sent while the block runs."""
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def add_history(world, count: int) -> None:
    """`count` orders of the world's buyer, half to each association, in varied states."""
    statuses = [st.PLACED, st.CONFIRMED, st.DISPATCHED, st.DELIVERED, st.CANCELLED]
    products = [world.cheese, world.maize]
    today = lima_today()
    existing = db.session.scalar(sa.select(sa.func.count(Order.id)))
    for n in range(existing, existing + count):
        product = products[n % 2]
        qty = Decimal(1 + n % 5)
        status = statuses[n % len(statuses)]
        line_total = pricing.line_total_cents(product.price_cents, qty)
        totals = pricing.totals([line_total])
        order = Order(
            buyer_id=world.buyer.id,
            association_id=product.association_id,
            placed_by_id=world.buyer_user.id,
            address_id=world.address.id,
            delivery_label=world.address.label,
            delivery_address=world.address.address,
            delivery_city=world.address.city,
            delivery_date=today + timedelta(days=n % 20),
            status=status,
            subtotal_cents=totals.subtotal_cents,
            igv_cents=totals.igv_cents,
            total_cents=totals.total_cents,
        )
        if status == st.DELIVERED:
            order.delivered_subtotal_cents = totals.subtotal_cents
            order.delivered_igv_cents = totals.igv_cents
            order.delivered_total_cents = totals.total_cents
        order.lines.append(
            OrderLine(
                product_id=product.id,
                product_name=product.name,
                variety=product.variety,
                unit=product.unit,
                weight_per_unit_kg=product.weight_per_unit_kg,
                unit_price_cents=product.price_cents,
                quantity=qty,
                line_total_cents=line_total,
                delivered_quantity=qty if status == st.DELIVERED else None,
                delivered_total_cents=line_total if status == st.DELIVERED else None,
            )
        )
        order.events.append(OrderEvent(from_status=None, to_status=st.PLACED))
        db.session.add(order)
    db.session.commit()


def build_world():
    """Two associations, a buyer with a cart holding both, and their promoters."""
    from tests.factories import ordering_world

    world = ordering_world()
    ordering.add_to_cart(db.session, world.buyer_user, world.cheese.id, "2")
    ordering.add_to_cart(db.session, world.buyer_user, world.maize.id, "3")
    db.session.commit()
    return world


def count_page(app, world, role: str, url: str) -> int:
    """Statements for one warm GET of `url` as the world's buyer or promoter."""
    from tests.factories import PASSWORD

    user = world.buyer_user if role == "buyer" else world.promoter
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get(url).status_code == 200, url  # warm: templates compiled, caches full
    with counting(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter["n"]


def measure(app, sizes=SIZES) -> dict[str, list[int]]:
    """Queries per page for each history size, in a fresh world inside `app`."""
    results: dict[str, list[int]] = {name: [] for name in PAGES}
    world = build_world()
    done = 0
    for size in sizes:
        add_history(world, size - done)
        done = size
        for name, (role, url) in PAGES.items():
            results[name].append(count_page(app, world, role, url))
    return results


def main() -> int:
    from tests.conftest import Client

    url = os.environ.get("DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="qhatu-bench-")
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp}/bench.db",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_DIR": f"{tmp}/uploads",
    }
    if url:
        from marketplace.config import database_url

        config["SQLALCHEMY_DATABASE_URI"] = database_url(url)
    app = create_app(config)
    app.test_client_class = Client
    with app.app_context(), app.test_request_context():
        db.create_all()
        results = measure(app)
        db.session.remove()
        db.drop_all()
    engine = config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"SQL queries per page ({engine}):")
    print(f"{'page':<22}" + "".join(f"{size:>8} orders" for size in SIZES))
    ok = True
    for name, counts in results.items():
        same = len(set(counts)) == 1
        ok &= same
        print(f"{name:<22}" + "".join(f"{c:>15}" for c in counts) + ("" if same else "  GROWS"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
