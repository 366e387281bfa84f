"""The staff dashboard over 1,000,000 order lines on PostgreSQL, against the same SQL run raw.

Builds (or reuses) a PostgreSQL database with two years of history written by INSERT ...
SELECT over generate_series: 24 associations, 400 buyers, 500,000 orders of two lines each
(delivered, some short, cancelled, rejected and open ones), their sale and fee ledger entries,
some refunds, agreements and standing orders. Then, logged in as staff with the Flask test
client, it GETs the dashboard for a period covering the data several times and reports:

- page: median time of the whole request (views, queries, templates);
- replayed SQL: median time of the very statements that request sent, replayed on a raw
  DBAPI connection with their parameters (the database's share of the page);
- hand-written SQL: median time of the headline GROUP BYs written directly in SQL;
- the number of statements per request.

With `--explain` it prints EXPLAIN (ANALYZE, BUFFERS) of the slowest replayed statements.

    python -m bench.dashboard                                  # database qhatu_bench
    python -m bench.dashboard --database qhatu_x --lines 200000 --reps 5
    QHATU_BENCH_DB=qhatu_x python -m bench.dashboard --reuse --explain

The database is created if missing (PostgreSQL on 127.0.0.1:5432 as postgres unless
`--server` says otherwise) and its tables are REPLACED unless `--reuse` finds the data there.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
FIRST_DAY = "2024-01-01"  # delivery dates run over two years from here
DAYS = 731
ASSOCIATIONS = 24
PRODUCTS_PER_ASSOCIATION = 6
BUYERS = 400
FEE_BPS = 1000  # 10 %
STAFF_EMAIL = "bench-staff@example.pe"
STAFF_PASSWORD = "bench-password-1234"
DEFAULT_URL = "/staff/dashboard?period=custom&start=2024-01-01&end=2025-12-31"


@contextmanager
def capturing(engine):
    """Collect (statement, parameters) of everything sent while the block runs."""
    sent: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def ensure_database(server: str, name: str) -> str:
    """Create the database if it does not exist; return its URL."""
    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return f"{server}/{name}"


# Generating the history ----------------------------------------------------------------------

# Line k (0 or 1) of order o, by arithmetic on ids: its product, its price (the products'
# price formula below), quantity and delivered quantity in thousandths (the first line of one
# delivered order in ten is a sale unit short), and totals rounded half up to the céntimo.
PRODUCT = (
    f"(o.association_id - 1) * {PRODUCTS_PER_ASSOCIATION} + 1"
    f" + (o.id + k) % {PRODUCTS_PER_ASSOCIATION}"
)
PRICE = f"(1200 + (({PRODUCT}) * 37) % 2400)"
QUANTITY = "(1 + (o.id + k) % 9) * 1000"
DELIVERED = f"({QUANTITY} - CASE WHEN k = 0 AND o.id % 10 = 0 THEN 1000 ELSE 0 END)"
LINE_TOTAL = f"(({PRICE}) * {QUANTITY} + 500) / 1000"
DELIVERED_TOTAL = f"(({PRICE}) * {DELIVERED} + 500) / 1000"

# Each statement builds one table from generate_series; ids are explicit so that the order
# lines can find their order, product and price by arithmetic instead of by lookups.
GENERATE = [
    # Associations: cheese in the odd ones, maize in the even ones.
    f"""
    INSERT INTO associations (id, slug, name, tagline, district, province, region,
        member_families, founded_year, story_people, story_practice, story_benefit,
        min_order_cents, verified_at, created_at)
    SELECT a, 'asociacion-' || a, 'Asociación ' || a, '', 'Distrito ' || a, 'Quispicanchi',
        'Cusco', 20 + a % 40, 2008, '', '', '', 0,
        TIMESTAMPTZ '2023-06-01', TIMESTAMPTZ '2023-06-01'
    FROM generate_series(1, {ASSOCIATIONS}) AS a
    """,
    # Products: per association; every third one sold by the piece or the 50 kg sack.
    f"""
    INSERT INTO products (id, association_id, slug, name, category, variety, description, unit,
        weight_per_unit_kg, price_cents, stock_on_hand, samples_offered, active,
        created_at, updated_at)
    SELECT p, 1 + (p - 1) / {PRODUCTS_PER_ASSOCIATION}, 'producto-' || p, 'Producto ' || p,
        CASE WHEN ((p - 1) / {PRODUCTS_PER_ASSOCIATION}) % 2 = 0 THEN 'cheese' ELSE 'maize' END,
        'variedad ' || p % 5, '',
        CASE p % 3 WHEN 0 THEN
            CASE WHEN ((p - 1) / {PRODUCTS_PER_ASSOCIATION}) % 2 = 0 THEN 'piece' ELSE 'sack50' END
        ELSE 'kg' END,
        CASE p % 3 WHEN 0 THEN
            CASE WHEN ((p - 1) / {PRODUCTS_PER_ASSOCIATION}) % 2 = 0 THEN 750 ELSE 50000 END
        ELSE 1000 END,
        1200 + (p * 37) % 2400, 100000, false, true,  -- the PRICE formula
        TIMESTAMPTZ '2023-06-01', TIMESTAMPTZ '2023-06-01'
    FROM generate_series(1, {ASSOCIATIONS * PRODUCTS_PER_ASSOCIATION}) AS p
    """,
    f"""
    INSERT INTO buyers (id, legal_name, trade_name, ruc, kind, city, verified_at, created_at)
    SELECT b, 'Comprador ' || b || ' S.A.C.', 'Comprador ' || b,
        lpad((20600000000 + b)::text, 11, '0'),
        (ARRAY['hotel', 'restaurant', 'cafe', 'shop'])[1 + b % 4],
        CASE WHEN b % 3 = 0 THEN 'lima' ELSE 'cusco' END,
        TIMESTAMPTZ '2023-06-01', TIMESTAMPTZ '2023-06-01'
    FROM generate_series(1, {BUYERS}) AS b
    """,
    """
    INSERT INTO buyer_addresses (id, buyer_id, label, address, city, active)
    SELECT id, id, 'Cocina', 'Calle ' || id, city, true FROM buyers
    """,
    # Agreements: each buyer with the association it buys most from (see the orders below).
    f"""
    INSERT INTO agreements (id, buyer_id, association_id, version, status, start_date,
        committed_kg_per_month, delivery_frequency, payment_terms_days, payment_terms_note,
        flavour_standard, activations, merchandising, visits, buyer_commitments,
        association_commitments, buyer_accepted_at, association_accepted_at,
        created_at, updated_at)
    SELECT b, b, 1 + (b * 7) % {ASSOCIATIONS}, 1,
        CASE WHEN b % 5 = 0 THEN 'ended' ELSE 'active' END, DATE '{FIRST_DAY}',
        50000 + (b % 10) * 10000, 'weekly', 15, '', '', '', '', '', '', '',
        TIMESTAMPTZ '2023-12-01', TIMESTAMPTZ '2023-12-01',
        TIMESTAMPTZ '2023-12-01', TIMESTAMPTZ '2023-12-01'
    FROM generate_series(1, {BUYERS}) AS b
    """,
    f"""
    INSERT INTO standing_orders (id, buyer_id, association_id, agreement_id, address_id,
        schedule_kind, weekdays, every_weeks, start_date, status, notes,
        created_at, updated_at, rescheduled_at)
    SELECT b, b, 1 + (b * 7) % {ASSOCIATIONS}, b, b, 'weekly', '25', 1, DATE '{FIRST_DAY}',
        (ARRAY['active', 'active', 'paused', 'cancelled'])[1 + b % 4], '',
        TIMESTAMPTZ '2023-12-01', TIMESTAMPTZ '2023-12-01', TIMESTAMPTZ '2023-12-01'
    FROM generate_series(1, {BUYERS}) AS b
    """,
    f"""
    INSERT INTO standing_order_lines (standing_order_id, product_id, quantity)
    SELECT b, ((b * 7) % {ASSOCIATIONS}) * {PRODUCTS_PER_ASSOCIATION} + 1, 10000
    FROM generate_series(1, {BUYERS}) AS b
    """,
    # Orders: g -> buyer, association (the agreed one two times in three), date, status.
    # Out of 100: 80 delivered (1 in 10 of them short), 8 cancelled, 2 rejected, 10 open.
    # Amounts come from the two lines the next statement writes (same arithmetic): IGV 18 %
    # of the subtotal, rounded half up once, as services.pricing does.
    f"""
    INSERT INTO orders (id, buyer_id, association_id, address_id, delivery_label,
        delivery_address, delivery_city, delivery_date, status, source,
        subtotal_cents, igv_cents, total_cents, delivered_subtotal_cents, delivered_igv_cents,
        delivered_total_cents, cancel_reason, reject_reason, created_at,
        updated_at, confirmed_at, dispatched_at, delivered_at, closed_at)
    SELECT g, o.buyer_id, o.association_id, o.buyer_id, 'Cocina', 'Calle ' || o.buyer_id,
        CASE WHEN o.buyer_id % 3 = 0 THEN 'lima' ELSE 'cusco' END, o.day, o.status,
        CASE WHEN g % 3 = 0 THEN 'standing' ELSE 'one_off' END,
        a.sub, (a.sub * 18 + 50) / 100, a.sub + (a.sub * 18 + 50) / 100,
        a.dsub, (a.dsub * 18 + 50) / 100, a.dsub + (a.dsub * 18 + 50) / 100,
        CASE WHEN o.status = 'cancelled' THEN 'Cambio de menú' END,
        CASE WHEN o.status = 'rejected' THEN 'Sin stock' END,
        o.day - 3 + TIME '14:00', o.day + TIME '20:00',
        CASE WHEN o.status IN ('confirmed', 'dispatched', 'delivered')
             THEN o.day - 2 + TIME '14:00' END,
        CASE WHEN o.status IN ('dispatched', 'delivered') THEN o.day + TIME '12:00' END,
        -- 15:00 in Lima on the delivery day; one in twenty delivered a day late.
        CASE WHEN o.status = 'delivered' THEN o.day + (g % 20 = 7)::int + TIME '20:00' END,
        CASE WHEN o.status IN ('cancelled', 'rejected') THEN o.day - 1 + TIME '14:00' END
    FROM generate_series(1::bigint, CAST(:orders AS bigint)) AS g
    CROSS JOIN LATERAL (SELECT g AS id,
        1 + (g * 7919) % {BUYERS} AS buyer_id,
        CASE WHEN g % 3 = 0 THEN 1 + (g * 13) % {ASSOCIATIONS}
             ELSE 1 + ((1 + (g * 7919) % {BUYERS}) * 7) % {ASSOCIATIONS} END AS association_id,
        DATE '{FIRST_DAY}' + (g % {DAYS})::int AS day,
        CASE WHEN g % 100 < 80 THEN 'delivered' WHEN g % 100 < 88 THEN 'cancelled'
             WHEN g % 100 < 90 THEN 'rejected' WHEN g % 100 < 94 THEN 'placed'
             WHEN g % 100 < 97 THEN 'confirmed' ELSE 'dispatched' END AS status) AS o
    CROSS JOIN LATERAL (SELECT sum({LINE_TOTAL}) AS sub,
        CASE WHEN o.status = 'delivered' THEN sum({DELIVERED_TOTAL}) END AS dsub
        FROM generate_series(0, 1) AS k) AS a
    """,
    # Two lines per order, two different products of its association.
    f"""
    INSERT INTO order_lines (order_id, product_id, product_name, variety, unit,
        weight_per_unit_kg, unit_price_cents, quantity, delivered_quantity, line_total_cents,
        delivered_total_cents, is_sample)
    SELECT o.id, p.id, p.name, p.variety, p.unit, p.weight_per_unit_kg, p.price_cents,
        {QUANTITY}, CASE WHEN o.status = 'delivered' THEN {DELIVERED} END,
        {LINE_TOTAL},
        CASE WHEN o.status = 'delivered' THEN {DELIVERED_TOTAL} END,
        false
    FROM orders o
    CROSS JOIN generate_series(0, 1) AS k
    JOIN products p ON p.id = {PRODUCT}
    """,
    # The association ledger: a sale and a fee per delivered order, a refund for 1 in 50.
    """
    INSERT INTO association_ledger (association_id, kind, amount_cents, order_id, fee_bps,
        reference, created_at)
    SELECT association_id, 'sale', delivered_total_cents, id, NULL, 'Q-' || id, delivered_at
    FROM orders WHERE status = 'delivered' AND delivered_total_cents > 0
    """,
    f"""
    INSERT INTO association_ledger (association_id, kind, amount_cents, order_id, fee_bps,
        reference, created_at)
    SELECT association_id, 'fee', -((delivered_subtotal_cents * {FEE_BPS} + 5000) / 10000), id,
        {FEE_BPS}, 'Q-' || id, delivered_at
    FROM orders WHERE status = 'delivered' AND delivered_total_cents > 0
    """,
    """
    INSERT INTO association_ledger (association_id, kind, amount_cents, order_id, fee_bps,
        reference, created_at)
    SELECT association_id, 'refund', -(delivered_total_cents / 10), id, NULL, 'Q-' || id,
        delivered_at + INTERVAL '2 days'
    FROM orders WHERE status = 'delivered' AND delivered_total_cents > 0 AND id % 50 = 1
    """,
]

SEQUENCES = (
    "associations",
    "products",
    "buyers",
    "buyer_addresses",
    "agreements",
    "standing_orders",
    "orders",
)


def generate(engine, lines: int) -> None:
    """Replace the tables with the generated history: `lines` order lines, two per order."""
    from werkzeug.security import generate_password_hash

    orders = lines // 2
    db.drop_all()
    db.create_all()
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")  # the times below are UTC
        for statement in GENERATE:
            started = time.perf_counter()
            result = conn.execute(sa.text(statement), {"orders": orders})
            label = " ".join(statement.split()[:3])
            print(
                f"  {label:<40} {result.rowcount:>9} rows  {time.perf_counter() - started:6.1f} s"
            )
        for table in SEQUENCES:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute(
            sa.text(
                "INSERT INTO users (email, name, password_hash, role, active, session_version,"
                " created_at) VALUES (:e, 'Equipo', :h, 'staff', true, 1, now())"
            ),
            {"e": STAFF_EMAIL, "h": generate_password_hash(STAFF_PASSWORD)},
        )
    raw = engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        started = time.perf_counter()
        raw.driver_connection.execute("VACUUM ANALYZE")
        print(f"  {'VACUUM ANALYZE':<40} {'':>9}       {time.perf_counter() - started:6.1f} s")
    finally:
        raw.close()


def sync_indexes(engine) -> None:
    """Create the models' indexes that reused data lacks (they may be newer than the data)."""
    created = []
    for table in db.metadata.sorted_tables:
        for index in table.indexes:
            if not sa.inspect(engine).has_index(table.name, index.name):
                index.create(bind=engine)
                created.append(index.name)
    if created:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"  created the models' indexes missing here: {', '.join(created)}")


def line_count(engine) -> int:
    with engine.connect() as conn:
        try:
            return conn.scalar(sa.text("SELECT count(*) FROM order_lines")) or 0
        except sa.exc.ProgrammingError:
            return 0


# Measuring -----------------------------------------------------------------------------------

# The headline figures and two tables for the whole period, written by hand: what a
# dashboard needs at least, in plain GROUP BYs over order lines joined to their orders.
HANDWRITTEN = [
    """
    SELECT count(DISTINCT o.id), sum(l.delivered_total_cents),
           sum(l.delivered_quantity * l.weight_per_unit_kg) / 1000000.0,
           sum(l.delivered_quantity) * 1.0 / nullif(sum(l.quantity), 0)
    FROM orders o JOIN order_lines l ON l.order_id = o.id
    WHERE o.status = 'delivered' AND o.delivery_date BETWEEN :start AND :end
    """,
    """
    SELECT o.association_id, sum(o.delivered_subtotal_cents), sum(o.delivered_total_cents),
           count(*)
    FROM orders o
    WHERE o.status = 'delivered' AND o.delivery_date BETWEEN :start AND :end
    GROUP BY o.association_id
    """,
    """
    SELECT l.product_id, sum(l.delivered_total_cents),
           sum(l.delivered_quantity * l.weight_per_unit_kg) / 1000000.0
    FROM orders o JOIN order_lines l ON l.order_id = o.id
    WHERE o.status = 'delivered' AND o.delivery_date BETWEEN :start AND :end
    GROUP BY l.product_id
    """,
    """
    SELECT o.buyer_id, sum(o.delivered_total_cents), count(*)
    FROM orders o
    WHERE o.status = 'delivered' AND o.delivery_date BETWEEN :start AND :end
    GROUP BY o.buyer_id
    """,
    """
    SELECT date_trunc('month', o.delivery_date), sum(o.delivered_subtotal_cents)
    FROM orders o
    WHERE o.status = 'delivered' AND o.delivery_date BETWEEN :start AND :end
    GROUP BY 1 ORDER BY 1
    """,
    """
    SELECT l.association_id, sum(l.amount_cents)
    FROM association_ledger l JOIN orders o ON o.id = l.order_id
    WHERE l.kind IN ('sale', 'fee', 'refund') AND o.delivery_date BETWEEN :start AND :end
    GROUP BY l.association_id
    """,
]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_page(client, url: str, reps: int) -> tuple[list[float], list[tuple[str, object]]]:
    """Times of `reps` GETs of `url` (after a warm one) and the statements of the last."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(reps):
        with capturing(db.engine) as sent:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times, sent


def replay(engine, statements, reps: int) -> tuple[list[float], list[float]]:
    """Run the captured statements on a raw connection `reps` times: total times and the
    median time of each statement."""
    raw = engine.raw_connection()
    totals, per_statement = [], [[] for _ in statements]
    try:
        cursor = raw.cursor()
        for _ in range(reps):
            started = time.perf_counter()
            for i, (statement, parameters) in enumerate(statements):
                t = time.perf_counter()
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                per_statement[i].append(time.perf_counter() - t)
            totals.append(time.perf_counter() - started)
            raw.rollback()
    finally:
        raw.close()
    return totals, [statistics.median(s) for s in per_statement]


def time_handwritten(engine, start: str, end: str, reps: int) -> list[float]:
    times = []
    with engine.connect() as conn:
        for _ in range(reps):
            started = time.perf_counter()
            for statement in HANDWRITTEN:
                conn.execute(sa.text(statement), {"start": start, "end": end}).all()
            times.append(time.perf_counter() - started)
    return times


def explain(engine, statements, medians, top: int = 3) -> None:
    """EXPLAIN ANALYZE of the slowest replayed statements."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        slowest = sorted(range(len(statements)), key=lambda i: medians[i], reverse=True)[:top]
        for i in slowest:
            statement, parameters = statements[i]
            print(f"\n--- statement {i + 1}: {medians[i] * 1000:.1f} ms ---")
            print(statement.strip())
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            for (line,) in cursor.fetchall():
                print(line)
        raw.rollback()
    finally:
        raw.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("QHATU_BENCH_DB", "qhatu_bench"))
    parser.add_argument("--server", default=os.environ.get("QHATU_BENCH_SERVER", SERVER))
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--url", default=DEFAULT_URL, help='the dashboard view ("none": skip it)')
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--end", default="2025-12-31")
    parser.add_argument("--reuse", action="store_true", help="keep the data if it is there")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest statements")
    parser.add_argument("--profile", action="store_true", help="cProfile one dashboard request")
    parser.add_argument(
        "--own-pages", action="store_true", help="also time the promoter's and buyer's figures"
    )
    parser.add_argument(
        "--pg-options",
        default="",
        help='session settings for every connection, e.g. "-c jit=off -c work_mem=32MB"',
    )
    args = parser.parse_args(argv)

    logging.getLogger("qhatu.access").setLevel(logging.WARNING)  # one line per request
    url = ensure_database(args.server, args.database)
    tmp = tempfile.mkdtemp(prefix="qhatu-bench-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "UPLOAD_DIR": f"{tmp}/uploads",
            "PLATFORM_FEE_BPS": FEE_BPS,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": args.pg_options}}
            if args.pg_options
            else {},
        }
    )
    from tests.conftest import Client  # a fresh `g` per request, as in production

    app.test_client_class = Client
    with app.app_context():
        engine = db.engine
        have = line_count(engine)
        if args.reuse and have == args.lines:
            print(f"Reusing {have:,} order lines in {args.database}.")
            sync_indexes(engine)
        else:
            print(f"Generating {args.lines:,} order lines in {args.database}:")
            started = time.perf_counter()
            generate(engine, args.lines)
            print(f"  done in {time.perf_counter() - started:.1f} s")
        db.session.remove()

        if args.url != "none":
            time_dashboard(app, engine, args)
        if args.own_pages:
            time_own_pages(app, engine, args.reps, args.explain)
        engine.dispose()
    return 0


def time_dashboard(app, engine, args) -> None:
    """The staff dashboard against its own statements replayed raw and hand-written SQL."""
    client = app.test_client()
    response = client.post("/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    page, statements = time_page(client, args.url, args.reps)
    db.session.remove()
    replayed, medians = replay(engine, statements, args.reps)
    handwritten = time_handwritten(engine, args.start, args.end, args.reps)

    page_ms, replay_ms, hand_ms = map(median_ms, (page, replayed, handwritten))
    print(f"\nGET {args.url}  ({args.reps} runs after a warm one, medians)")
    print(f"  page (Flask test client, staff)   {page_ms:9.1f} ms")
    print(f"  the page's {len(statements):>2} statements, raw    {replay_ms:9.1f} ms")
    print(f"  hand-written GROUP BYs ({len(HANDWRITTEN)})        {hand_ms:9.1f} ms")
    print(f"  page / its raw SQL                {page_ms / replay_ms:9.2f} x")
    print(f"  page / hand-written SQL           {page_ms / hand_ms:9.2f} x")
    print(f"  statements per request            {len(statements):9d}")
    if args.explain:
        explain(engine, statements, medians)
    if args.profile:
        profile(client, args.url)


def profile(client, url: str, top: int = 25) -> None:
    """Where one request spends its time outside the database: cProfile, by own time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    print(f"\n--- one GET {url} under cProfile (own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


# The promoter's figures and the buyer's spend, as the busiest association and buyer see them
# on a day near the end of the data (the pages show the months up to "today").
OWN_PAGES = (
    ("promoter", "/producer/figures"),
    ("buyer", "/buyer/spend"),
)
OWN_PAGES_DAY = "2025-12-20T10:00:00-05:00"


def own_users(engine) -> dict[str, str]:
    """A promoter of the association and a user of the buyer with the most delivered orders."""
    from werkzeug.security import generate_password_hash

    emails = {"promoter": "bench-promoter@example.pe", "buyer": "bench-buyer@example.pe"}
    with engine.begin() as conn:
        top = (
            "SELECT {0} FROM orders WHERE status = 'delivered'"
            " GROUP BY {0} ORDER BY count(*) DESC LIMIT 1"
        )
        association_id = conn.exec_driver_sql(top.format("association_id")).scalar()
        buyer_id = conn.exec_driver_sql(top.format("buyer_id")).scalar()
        for role, email in emails.items():
            conn.execute(
                sa.text(
                    "INSERT INTO users (email, name, password_hash, role, buyer_id,"
                    " association_id, active, session_version, created_at)"
                    " VALUES (:e, :e, :h, :r, :b, :a, true, 1, now())"
                    " ON CONFLICT (email) DO NOTHING"
                ),
                {
                    "e": email,
                    "h": generate_password_hash(STAFF_PASSWORD),
                    "r": role,
                    "b": buyer_id if role == "buyer" else None,
                    "a": association_id if role == "promoter" else None,
                },
            )
    return emails


def time_own_pages(app, engine, reps: int, show_plans: bool = False) -> None:
    import time_machine

    emails = own_users(engine)
    with time_machine.travel(OWN_PAGES_DAY, tick=True):
        for role, url in OWN_PAGES:
            client = app.test_client()
            client.post("/login", data={"email": emails[role], "password": STAFF_PASSWORD})
            times, statements = time_page(client, url, reps)
            db.session.remove()
            replayed, medians = replay(engine, statements, reps)
            page_ms, raw_ms = median_ms(times), median_ms(replayed)
            print(f"\nGET {url} as the busiest {role}, on {OWN_PAGES_DAY[:10]} (medians)")
            print(
                f"  page {page_ms:9.1f} ms, its {len(statements)} statements raw {raw_ms:9.1f} ms"
            )
            if show_plans:
                explain(engine, statements, medians, top=1)


if __name__ == "__main__":
    raise SystemExit(main())
