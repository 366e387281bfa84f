"""SQL queries and HTML bytes per page with short and long order histories: no growth.

Counts the statements the cart, the buyer's order list and the promoter's order list send to
the database (a SQLAlchemy `before_cursor_execute` listener) and the bytes of each page, at
several sizes of order history. An N+1 would make the count grow with the history: the
smallest history must show fewer orders than a page of each list, or a query per row of a
full page would not show. A list that stopped paging would make the page grow: the bytes are
compared between the histories that fill a page of each list (20 and 30 orders, so at least
MIN_ORDERS orders), where they may differ only by longer counters and the pager's links
(HTML_SLACK).

    python -m bench.queries_per_page                  # SQLite in a temporary folder
    python -m bench.queries_per_page --sizes 10 200 2000
    DATABASE_URL=postgresql://... python -m bench.queries_per_page   # an EMPTY database

Exits 1 if any page's count or size depends on the number of orders. The test suite runs
the same check at small sizes (tests/bench/test_benches.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
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
SIZES = (10, 100, 1000)
# With fewer orders than this, the promoter's open orders (3 in 10 of the history) do not
# fill the 30 rows of its list, and the lists may rightly grow; with fewer than 10, the
# lists show fewer than 3 rows.
MIN_ORDERS = 100
FEWEST = 10
BUYER_EVERY = 20  # orders between two new buyers of the cheese association
# Bytes a page may gain with a longer history: longer counters, the pager's links. A list
# that stopped paging gains a row per order (hundreds of bytes each).
HTML_SLACK = 1024


@dataclass(frozen=True)
class Page:
    """One warm GET of a page: the statements it sent and the bytes of its HTML."""

    queries: int
    html_bytes: int


@contextmanager
def counting(engine):
    """Count the SQL statements sent while the block runs."""
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        # Transaction control is not a query (SQLite's BEGIN is sent as a statement here).
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN")):
            counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def add_history(world, count: int) -> None:
    """`count` more orders in varied states: half of the world's buyer to the maize
    association, half to the cheese association from more and more buyers (a new one every
    BUYER_EVERY orders), so that a list loading each order's buyer on its own shows.

    Each delivery date gets a run of consecutive orders, one in each state, so the first page
    of a list holds the same mix of states whatever the size of the history.
    """
    from tests.factories import BuyerAddressFactory, BuyerUserFactory

    statuses = [st.PLACED, st.CONFIRMED, st.DISPATCHED, st.DELIVERED, st.CANCELLED]
    products = [world.cheese, world.maize]
    today = lima_today()
    existing = db.session.scalar(sa.select(sa.func.count(Order.id)))
    for n in range(existing, existing + count):
        product = products[n % 2]
        user, address = world.buyer_user, world.address
        if product is world.cheese:
            while len(world.cheese_buyers) <= n // BUYER_EVERY:
                other = BuyerUserFactory()
                world.cheese_buyers.append((other, BuyerAddressFactory(buyer=other.buyer)))
            user, address = world.cheese_buyers[n // BUYER_EVERY]
        qty = Decimal(1 + n % 5)
        status = statuses[n % len(statuses)]
        line_total = pricing.line_total_cents(product.price_cents, qty)
        totals = pricing.totals([line_total])
        order = Order(
            buyer_id=user.buyer_id,
            association_id=product.association_id,
            placed_by_id=user.id,
            address_id=address.id,
            delivery_label=address.label,
            delivery_address=address.address,
            delivery_city=address.city,
            delivery_date=today + timedelta(days=n // len(statuses) % 20),
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
    world.cheese_buyers = []
    ordering.add_to_cart(db.session, world.buyer_user, world.cheese.id, "2")
    ordering.add_to_cart(db.session, world.buyer_user, world.maize.id, "3")
    db.session.commit()
    return world


def count_page(app, world, role: str, url: str) -> Page:
    """Statements and HTML bytes of one warm GET of `url` as the world's buyer or promoter."""
    from tests.factories import PASSWORD

    user = world.buyer_user if role == "buyer" else world.promoter
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get(url).status_code == 200, url  # warm: templates compiled, caches full
    with counting(db.engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return Page(counter["n"], len(response.data))


def measure(app, sizes=SIZES) -> dict[str, list[Page]]:
    """Each page at each history size, in a fresh world inside `app` (tables empty)."""
    results: dict[str, list[Page]] = {name: [] for name in PAGES}
    world = build_world()
    done = 0
    for size in sizes:
        add_history(world, size - done)
        done = size
        for name, (role, url) in PAGES.items():
            results[name].append(count_page(app, world, role, url))
    return results


def growth(results: dict[str, list[Page]], sizes) -> list[str]:
    """What grew with the history: a page's statements (between any two sizes), or its HTML
    beyond HTML_SLACK (between the sizes that fill a page)."""
    found = []
    for name, pages in results.items():
        first = pages[0]
        full = [p for p, size in zip(pages, sizes, strict=True) if size >= MIN_ORDERS]
        for page in pages[1:]:
            if page.queries != first.queries:
                found.append(f"{name}: {first.queries} -> {page.queries} statements")
        for page in full[1:]:
            if page.html_bytes > full[0].html_bytes + HTML_SLACK:
                found.append(f"{name}: {full[0].html_bytes} -> {page.html_bytes} HTML bytes")
    return found


def check_sizes(sizes) -> str | None:
    """Why these history sizes cannot show growth (None: they can)."""
    if list(sizes) != sorted(set(sizes)) or sizes[0] < FEWEST:
        return f"sizes must be increasing and at least {FEWEST}"
    if sizes[0] >= MIN_ORDERS:
        return f"the smallest size must show less than a page (below {MIN_ORDERS} orders)"
    if sum(size >= MIN_ORDERS for size in sizes) < 2:
        return f"two sizes must fill a page of each list ({MIN_ORDERS} orders or more)"
    return None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(SIZES),
        metavar="ORDERS",
        help="order history sizes, smallest first: one below a page of each list, two or more "
        f"of at least {MIN_ORDERS} orders (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    problem = check_sizes(args.sizes)
    if problem:
        parser.error(problem)
    return args


def main(argv=None) -> int:
    from tests.conftest import Client

    sizes = tuple(parse_args(argv).sizes)
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
        results = measure(app, sizes)
        db.session.remove()
        db.drop_all()
    engine = config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"SQL queries and HTML bytes per page ({engine}):")
    print(f"{'page':<22}" + "".join(f"{size:>8} orders" for size in sizes))
    for name, pages in results.items():
        print(f"{name:<22}" + "".join(f"{p.queries:>15}" for p in pages) + "  statements")
        print(f"{'':<22}" + "".join(f"{p.html_bytes:>15,}" for p in pages) + "  HTML bytes")
    grew = growth(results, sizes)
    for line in grew:
        print(f"GROWS: {line}")
    return 1 if grew else 0


if __name__ == "__main__":
    raise SystemExit(main())
