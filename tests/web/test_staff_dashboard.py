"""The staff dashboard as staff use it: figures, filters in the URL, htmx partials, the lines
behind a figure, CSV exports (neutralised, streamed), the impact report and the demo story."""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.formatting import money
from marketplace.models import Order, OrderLine
from marketplace.services import order_states as st
from marketplace.services import reporting
from marketplace.web.staff.dashboard import csv_cell
from tests.conftest import text
from tests.factories import BuyerFactory, ProductFactory, PromoterFactory, StaffFactory
from tests.services.test_reporting import FEBRUARY, app_config, build_world, make_order

__all__ = ["app_config"]  # 5 % platform fee, as in the service tests

FEB = "/staff/dashboard?period=custom&start=2026-02-01&end=2026-02-28"


def login_staff(auth):
    staff = StaffFactory(email="panel@example.pe")
    db.session.commit()
    auth.login(staff)
    return staff


@contextmanager
def counting():
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def test_dashboard_shows_the_figures_of_the_period(app, client, auth):
    build_world()
    login_staff(auth)
    response = client.get(FEB)
    assert response.status_code == 200
    page = text(response.data)
    t = reporting.totals(db.session, FEBRUARY)
    assert money(t.value_cents).replace("\xa0", " ") in page
    assert money(t.income_cents).replace("\xa0", " ") in page
    assert "Sumaq Ausangate" in page and "Huaroq Sara" in page
    assert "comparado con Del 1 ene. 2026 al 31 ene. 2026" in page
    assert response.data.count(b"<svg viewBox") == 3  # value, kg, income
    assert b'href="/staff/dashboard/lines?' in response.data
    assert b"/staff/dashboard/export/associations.csv?" in response.data
    assert "Por debajo de lo comprometido" in page  # the cafe's agreement, 400 kg a month


def test_htmx_gets_only_the_results(app, client, auth):
    build_world()
    login_staff(auth)
    response = client.get(FEB + "&city=lima", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.data.lstrip().startswith(b"{#") is False
    assert b'id="dashboard-results"' in response.data and b"<html" not in response.data
    assert "HX-Request" in response.headers["Vary"]
    assert b"(por semana)" in response.data
    by_month = client.get(FEB + "&by=month", headers={"HX-Request": "true"})
    assert b"(por mes)" in by_month.data and b"by=month" in by_month.data


def test_bad_dates_say_so_and_show_this_month(app, client, auth):
    with time_machine.travel(datetime(2026, 5, 20, 15, tzinfo=UTC), tick=False):
        login_staff(auth)
        response = client.get("/staff/dashboard?period=custom&start=31/02/2026&end=2026-05-01")
    page = text(response.data)
    assert response.status_code == 200
    assert "Escribe la fecha de inicio como AAAA-MM-DD." in page
    assert "Del 1 may. 2026 al 31 may. 2026" in page


def test_drill_down_lines_add_up_to_the_figure(app, client, auth):
    w = build_world()
    login_staff(auth)
    url = "/staff/dashboard/lines?period=custom&start=2026-02-01&end=2026-02-28"
    url += f"&association_id={w.cheese.id}&figure=income"
    response = client.get(url)
    page = text(response.data)
    f = reporting.Filters(date(2026, 2, 1), date(2026, 2, 28), association_id=w.cheese.id)
    t = reporting.totals(db.session, f)
    shown = re.findall(r"Q-\d{5}", page)
    assert len(shown) == 4  # the refunded order's two lines, feb_first, the sampled order
    cents = [
        int(m.replace(",", "").replace(".", ""))
        for m in re.findall(r"S/ ([\d,]+\.\d\d)", page.split("líneas")[-1])
    ]
    assert sum(cents) == t.value_cents
    assert f"Ingreso de productores {money(t.income_cents)}".replace("\xa0", " ") in page


def test_csv_exports_neutralise_formulas_and_name_the_period(app, client, auth):
    w = build_world()
    w.hotel.trade_name = '=HYPERLINK("http://x")'
    w.shop.trade_name = "+51 Tienda"
    w.cafe.trade_name = "@cafe\t"
    db.session.commit()
    login_staff(auth)
    response = client.get(
        "/staff/dashboard/export/buyers.csv?period=custom&start=2026-01-01&end=2026-02-28"
    )
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="qhatu-buyers-2026-01-01_2026-02-28.csv"'
        in (response.headers["Content-Disposition"])
    )
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    names = {row[0] for row in csv.reader(io.StringIO(body[1:]))}
    assert '\'=HYPERLINK("http://x")' in names
    assert "'+51 Tienda" in names
    assert "'@cafe\t" in names
    assert [csv_cell(v) for v in ("-12.50", "-2+3", "=1+1", "\rx", 7, None, "Sara")] == [
        "-12.50",
        "'-2+3",
        "'=1+1",
        "'\rx",
        "7",
        "",
        "Sara",
    ]
    lines = client.get(
        "/staff/dashboard/export/lines.csv?period=custom&start=2026-02-01&end=2026-02-28"
    ).data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(lines[1:])))[1:]
    total = sum(Decimal(r[-1]) for r in rows)
    assert total * 100 == reporting.totals(db.session, FEBRUARY).value_cents
    assert client.get("/staff/dashboard/export/nothing.csv").status_code == 404
    figures = client.get(FEB.replace("dashboard?", "dashboard/export/figures.csv?")).data
    rows = {r[0]: r for r in csv.reader(io.StringIO(figures.decode("utf-8")[1:]))}
    h = reporting.headline(db.session, FEBRUARY)
    assert rows["Valor entregado"][1:] == [
        f"{h['value'].current / 100:.2f}",
        f"{h['value'].previous / 100:.2f}",
        f"{h['value'].change / 100:.2f}",
        "S/",
    ]
    assert rows["Kilos entregados"][1] == str(h["kg"].current)


def add_lines(count: int, day: date) -> None:
    """`count` delivered lines, five per order, written in bulk."""
    products = [ProductFactory(name=f"Queso {i}") for i in range(5)]
    buyer = BuyerFactory()
    db.session.flush()
    association_id = products[0].association_id
    for p in products:
        p.association_id = association_id
    moment = datetime(day.year, day.month, day.day, 17, tzinfo=UTC)
    orders = [
        {
            "buyer_id": buyer.id,
            "association_id": association_id,
            "delivery_date": day,
            "delivery_city": "cusco",
            "status": st.DELIVERED,
            "subtotal_cents": 500,
            "igv_cents": 90,
            "total_cents": 590,
            "delivered_subtotal_cents": 500,
            "delivered_igv_cents": 90,
            "delivered_total_cents": 590,
            "delivered_at": moment,
        }
        for _ in range(count // 5)
    ]
    ids = db.session.scalars(sa.insert(Order).returning(Order.id), orders).all()
    db.session.execute(
        sa.insert(OrderLine),
        [
            {
                "order_id": order_id,
                "product_id": p.id,
                "product_name": p.name,
                "variety": "andino",
                "unit": "kg",
                "weight_per_unit_kg": Decimal("1"),
                "unit_price_cents": 100,
                "quantity": Decimal("1"),
                "delivered_quantity": Decimal("1"),
                "line_total_cents": 100,
                "delivered_total_cents": 100,
            }
            for order_id in ids
            for p in products
        ],
    )
    db.session.commit()


def peak_while_reading(client, url: str) -> tuple[int, int]:
    """Peak memory traced while the CSV is read chunk by chunk, and the rows read."""
    response = client.get(url, buffered=False)
    assert response.is_streamed
    tracemalloc.start()
    rows = 0
    try:
        for chunk in response.response:
            rows += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        response.close()
    return peak, rows


def test_csv_streams_rows_without_holding_them(app, client, auth):
    login_staff(auth)
    add_lines(2_000, date(2026, 2, 3))
    add_lines(20_000, date(2026, 2, 10))
    url = "/staff/dashboard/export/lines.csv?period=custom&start={}&end={}"
    small = url.format("2026-02-01", "2026-02-05")
    large = url.format("2026-02-06", "2026-02-28")
    peak_while_reading(client, small)  # warm up: compiled statements, locale data
    peak_small, rows_small = peak_while_reading(client, small)
    peak_large, rows_large = peak_while_reading(client, large)
    assert (rows_small, rows_large) == (2_001, 20_001)  # the header and every line
    # Ten times the rows (about 2.4 MB of CSV) but the same few batches in memory at a time.
    assert peak_large < peak_small + 300_000, (peak_small, peak_large)


def test_query_count_does_not_grow_with_orders(app, client, auth):
    w = build_world()
    login_staff(auth)
    url = "/staff/dashboard?period=custom&start=2026-01-01&end=2026-03-31"

    def count() -> int:
        client.get(url)  # warm up
        pages = (url, url.replace("dashboard?", "dashboard/lines?"))
        with counting() as counter:
            for page in pages:
                db.session.commit()  # each request starts as in production: nothing loaded
                assert client.get(page).status_code == 200
        return counter["n"]

    def add_orders(n: int) -> None:
        buyers = [w.hotel, w.shop, w.cafe]
        for i in range(n):
            day = date(2026, 1, 5) + timedelta(days=i % 80)
            make_order(
                buyers[i % 3],
                w.cheese if i % 2 else w.maize,
                [(w.andino if i % 2 else w.chullpi, "2", None)],
                day=day,
            )
        db.session.commit()

    add_orders(10 - 8)  # ten orders with the world's own
    small = count()
    add_orders(190)
    assert count() == small


def test_impact_report_tells_the_period(app, client, auth):
    build_world()
    login_staff(auth)
    response = client.get("/staff/impact?period=custom&start=2026-01-01&end=2026-02-28")
    page = text(response.data)
    period = reporting.Filters(date(2026, 1, 1), date(2026, 2, 28))
    t = reporting.totals(db.session, period)
    assert response.status_code == 200
    assert "Metodología" in page and "hora de Lima" in page
    assert money(t.income_cents).replace("\xa0", " ") in page
    assert f"{t.agreements}" in page and t.agreements == 2


def test_promoters_and_buyers_are_kept_out(app, client, auth):
    promoter = PromoterFactory(email="promo@example.pe")
    db.session.commit()
    auth.login(promoter)
    for url in (
        FEB,
        "/staff/dashboard/lines",
        "/staff/impact",
        "/staff/dashboard/export/lines.csv",
    ):
        assert client.get(url).status_code == 403
    auth.logout()
    assert client.get(FEB).status_code == 302  # to the login page


def test_demo_data_tells_the_bulletin_story(app, runner, client, auth):
    """seed-demo: seven agreements, more than a tonne, more than S/ 15,000 of extra income
    in the last 12 months (the impact report's default period)."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    login_staff(auth)
    response = client.get("/staff/impact")
    assert response.status_code == 200
    t = reporting.totals(db.session, reporting.Filters.for_period("12m"))
    assert t.agreements == 7
    assert t.kg > 1000
    assert t.income_cents > 1_500_000
    page = text(response.data)
    assert "Últimos 12 meses" in page
    assert money(t.income_cents).replace("\xa0", " ") in page
