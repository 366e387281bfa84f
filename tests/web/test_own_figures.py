"""The promoter's figures and the buyer's spend, recomputed here from the raw order lines and
ledger entries with plain Python: delivered, short delivered, cancelled and refunded orders, a
delivery late on the last evening of a month (Lima time), orders of other tenants."""

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from babel.dates import format_date
from babel.numbers import format_decimal

from marketplace.extensions import db
from marketplace.formatting import money
from marketplace.models import LedgerEntry, Order, OrderEvent, OrderLine
from marketplace.services import payouts
from tests.conftest import text
from tests.factories import (
    PASSWORD,
    BuyerAddressFactory,
    BuyerUserFactory,
    ProductFactory,
    make_standing_order,
    ordering_world,
)

LIMA = ZoneInfo("America/Lima")
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=LIMA)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def app_config():
    return {"PLATFORM_FEE_BPS": 1000}  # 10 %


def lima(y, m, d, hh=15, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LIMA)


def half_up(value) -> int:
    return int(Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def make_order(buyer_id, address, items, status="delivered", delivered_at=None, refund=0):
    """An order written straight to the tables, with its ledger entries through the ledger
    service: items are (product, quantity, delivered quantity)."""
    order = Order(
        buyer_id=buyer_id,
        association_id=items[0][0].association_id,
        address_id=address.id,
        delivery_label=address.label,
        delivery_address=address.address,
        delivery_city=address.city,
        delivery_date=(delivered_at or NOW).astimezone(LIMA).date(),
        status=status,
        delivered_at=delivered_at,
    )
    subtotal = delivered_subtotal = 0
    for product, qty, delivered in items:
        qty = Decimal(str(qty))
        total = half_up(product.price_cents * qty)
        subtotal += total
        line = OrderLine(
            product_id=product.id,
            product_name=product.name,
            variety=product.variety,
            unit=product.unit,
            weight_per_unit_kg=product.weight_per_unit_kg,
            unit_price_cents=product.price_cents,
            quantity=qty,
            line_total_cents=total,
        )
        if status == "delivered":
            line.delivered_quantity = Decimal(str(delivered))
            line.delivered_total_cents = half_up(product.price_cents * line.delivered_quantity)
            delivered_subtotal += line.delivered_total_cents
        order.lines.append(line)
    igv = half_up(Decimal(subtotal) * 18 / 100)
    order.subtotal_cents, order.igv_cents, order.total_cents = subtotal, igv, subtotal + igv
    if status == "delivered":
        d_igv = half_up(Decimal(delivered_subtotal) * 18 / 100)
        order.delivered_subtotal_cents = delivered_subtotal
        order.delivered_igv_cents = d_igv
        order.delivered_total_cents = delivered_subtotal + d_igv
    if status == "cancelled":
        order.closed_at = NOW
    order.events.append(OrderEvent(from_status=None, to_status="placed"))
    db.session.add(order)
    db.session.flush()
    payouts.record_delivery(db.session, order)
    if refund:
        payouts.record_refund(db.session, None, order, refund, "devolución de prueba")
    return order


@pytest.fixture
def w(app):
    world = ordering_world()
    w = world
    w.pieces = ProductFactory(
        association=w.cheese_assoc,
        name="Queso madurado",
        unit="piece",
        weight_per_unit_kg=Decimal("0.750"),
        price_cents=1999,
    )
    w.other_buyer = w.other_buyer_user.buyer
    w.third_user = BuyerUserFactory(email="tercero@example.pe")
    w.third_address = BuyerAddressFactory(buyer=w.third_user.buyer)
    db.session.flush()
    b, ob, tb = w.buyer.id, w.other_buyer.id, w.third_user.buyer_id
    make_order(b, w.address, [(w.cheese, 10, 10), (w.pieces, 4, 4)], delivered_at=lima(2026, 4, 10))
    # Short: 5 kg ordered, 3 reached the kitchen.
    make_order(b, w.address, [(w.cheese, 5, 3)], delivered_at=lima(2026, 4, 2, 9))
    # The last evening of March in Lima is already April in UTC: it counts in March.
    make_order(b, w.address, [(w.cheese, 4, 4)], delivered_at=lima(2026, 3, 31, 23, 30))
    # Just after midnight in Lima: April (UTC still says... April too, 05:30).
    make_order(b, w.address, [(w.pieces, 6, 6)], delivered_at=lima(2026, 4, 1, 0, 30))
    make_order(b, w.address, [(w.cheese, 7, 7)], status="cancelled")
    make_order(b, w.address, [(w.cheese, 2, 2)], status="confirmed")
    # Refunded in April, delivered in February: it counts with its delivery.
    make_order(ob, w.other_address, [(w.cheese, 8, 8)], delivered_at=lima(2026, 2, 20), refund=1500)
    make_order(tb, w.third_address, [(w.cheese, 1, 1)], delivered_at=lima(2026, 4, 14))
    make_order(b, w.address, [(w.maize, 20, 20)], delivered_at=lima(2026, 4, 5), refund=2000)
    make_order(ob, w.other_address, [(w.maize, 3, 3)], delivered_at=lima(2026, 4, 6))
    # Too old for the promoter's six months, inside the buyer's twelve.
    make_order(b, w.address, [(w.cheese, 9, 9)], delivered_at=lima(2025, 9, 1))
    make_order(b, w.address, [(w.maize, 1, 1)], delivered_at=lima(2025, 4, 30, 23))  # too old
    w.standing = make_standing_order(w.buyer_user, w.address, [(w.cheese, Decimal("6"))])
    make_standing_order(
        w.other_buyer_user, w.other_address, [(w.maize, Decimal("2"))], weekdays="3"
    )
    db.session.commit()
    return world


def as_user(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


# The same figures, computed from the raw rows in plain Python ----------------------------------


def raw_orders():
    orders = db.session.scalars(sa.select(Order)).all()
    entries = db.session.scalars(sa.select(LedgerEntry)).all()
    deductions = defaultdict(int)  # order id -> fee + refunds, positive
    refunds = defaultdict(int)
    for e in entries:
        if e.kind in ("fee", "refund"):
            deductions[e.order_id] -= e.amount_cents
        if e.kind == "refund":
            refunds[e.order_id] -= e.amount_cents
    return orders, entries, deductions, refunds


def lima_month(moment: datetime) -> date:
    local = moment.astimezone(LIMA)
    return date(local.year, local.month, 1)


def delivered(orders):
    return [o for o in orders if o.status == "delivered"]


def line_kg(order) -> Decimal:
    return sum(
        (line.delivered_quantity * line.weight_per_unit_kg for line in order.lines), Decimal()
    )


def line_value(order) -> int:
    return sum(line.delivered_total_cents for line in order.lines)


def kg_text(kg: Decimal) -> str:
    return format_decimal(kg, format="#,##0.###", locale="es_PE")


def month_text(first: date) -> str:
    return format_date(first, "MMMM y", locale="es_PE")


def cash(cents: int) -> str:
    return money(cents).replace("\xa0", " ")


def shows(page: str, *parts) -> bool:
    """Whether the parts appear one after the other, with only spaces or ':' '·' between."""
    pattern = r"[\s:·]*".join(re.escape(str(p)) for p in parts)
    return re.search(pattern, page) is not None


# The promoter ------------------------------------------------------------------------------


def test_promoter_sees_income_kg_customers_and_what_is_owed(app, w):
    orders, entries, deductions, _ = raw_orders()
    mine = [o for o in delivered(orders) if o.association_id == w.cheese_assoc.id]
    first = date(2025, 11, 1)  # six months: November to April
    income, kg, count = defaultdict(int), defaultdict(Decimal), defaultdict(int)
    customers = defaultdict(lambda: [0, Decimal(), 0])
    for o in mine:
        month = lima_month(o.delivered_at)
        if month < first:
            continue
        income[month] += line_value(o) - deductions[o.id]
        kg[month] += line_kg(o)
        count[month] += 1
        c = customers[o.buyer.trade_name]
        c[0] += line_value(o)
        c[1] += line_kg(o)
        c[2] += 1
    april, march = date(2026, 4, 1), date(2026, 3, 1)
    # The scenario says what these are, so a silent mistake in both sides would show.
    assert count[april] == 4 and count[march] == 1
    assert kg[april] == Decimal("10") + Decimal("3") + Decimal("3") + Decimal("4.5") + 1

    page = text(as_user(app, w.promoter).get("/producer/figures").data)

    assert shows(page, "Ingreso de abril", cash(income[april]))
    assert shows(page, f"4 pedidos entregados, {kg_text(kg[april])} kg.")
    for month in (march, date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1), first):
        assert shows(page, month_text(month), cash(income[month]), f"{kg_text(kg[month])} kg")
    assert month_text(date(2025, 10, 1)) not in page
    owed = sum(e.amount_cents for e in entries if e.association_id == w.cheese_assoc.id)
    assert shows(page, "Qhatu nos debe", cash(owed))
    ranked = sorted(customers.items(), key=lambda kv: -kv[1][0])
    positions = []
    for name, (value, kgs, n) in ranked:
        orders_word = "pedido" if n == 1 else "pedidos"
        assert shows(page, name, cash(value), f"{kg_text(kgs)} kg", f"{n} {orders_word}")
        positions.append(page.index(f"{name} : {cash(value)}"))
    assert positions == sorted(positions), "best customers first"
    # Maize is another association's: none of its buyers' amounts are here.
    assert "Maíz chullpi" not in page


def test_promoter_sees_the_standing_orders_coming(app, w):
    page = text(as_user(app, w.promoter).get("/producer/figures").data)
    # Tuesdays and Fridays; today is Wednesday 15 April, so Friday 17 April comes next.
    assert shows(page, "viernes 17 de abril", w.buyer.trade_name)
    assert shows(page, "Queso andino", "6 kg")
    assert w.other_buyer.trade_name not in page.split("Próximas entregas")[1]


def test_each_promoter_sees_only_its_association(app, w):
    page = text(as_user(app, w.maize_promoter).get("/producer/figures").data)
    orders, _, deductions, _ = raw_orders()
    maize = [
        o
        for o in delivered(orders)
        if o.association_id == w.maize_assoc.id and lima_month(o.delivered_at).year == 2026
    ]
    april = sum(line_value(o) - deductions[o.id] for o in maize)
    assert shows(page, "Ingreso de abril", cash(april))
    assert "Queso" not in page
    assert w.third_user.buyer.trade_name not in page
    # Asking for another association changes nothing: the page takes no id.
    again = text(
        as_user(app, w.maize_promoter)
        .get(f"/producer/figures?association_id={w.cheese_assoc.id}")
        .data
    )
    assert again == page


def test_promoter_figures_link_from_the_navigation(app, w):
    page = as_user(app, w.promoter).get("/producer/ledger").data.decode()
    assert 'href="/producer/figures"' in page


# The buyer ---------------------------------------------------------------------------------


def buyer_expected(buyer_id, first: date):
    """month -> association -> [subtotal, igv, refunds, orders], from the lines."""
    orders, _, _, refunds = raw_orders()
    table = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for o in delivered(orders):
        month = lima_month(o.delivered_at)
        if o.buyer_id != buyer_id or month < first:
            continue
        subtotal = line_value(o)
        cell = table[month][o.association.name]
        cell[0] += subtotal
        cell[1] += half_up(Decimal(subtotal) * 18 / 100)  # IGV once per order
        cell[2] += refunds[o.id]
        cell[3] += 1
    return table


def row_parts(subtotal, igv, refunds, orders):
    total = subtotal + igv
    return [cash(subtotal), cash(igv), cash(total), cash(refunds), cash(total - refunds), orders]


def test_buyer_sees_spend_per_month_and_association_with_igv(app, w):
    first = date(2025, 5, 1)  # twelve months: May 2025 to April 2026
    table = buyer_expected(w.buyer.id, first)
    april, march = date(2026, 4, 1), date(2026, 3, 1)
    assert table[april][w.cheese_assoc.name][3] == 3  # 10 April, 2 April (short), 1 April
    assert table[march][w.cheese_assoc.name][3] == 1  # 31 March, 23:30 in Lima

    page = text(as_user(app, w.buyer_user).get("/buyer/spend").data)

    grand = [0, 0, 0, 0]
    for month in (date(2025, 5, 1), date(2025, 9, 1), march, april):
        cells = [sum(c[i] for c in table[month].values()) for i in range(4)]
        grand = [g + c for g, c in zip(grand, cells, strict=True)]
        assert shows(page, month_text(month), *row_parts(*cells)), month
    assert month_text(date(2025, 4, 1)) not in page  # out of the twelve months
    assert shows(page, "Total", *row_parts(*grand))
    by_association = defaultdict(lambda: [0, 0, 0, 0])
    for month_cells in table.values():
        for name, cell in month_cells.items():
            by_association[name] = [a + b for a, b in zip(by_association[name], cell, strict=True)]
    for name, cell in by_association.items():
        assert shows(page, name, *row_parts(*cell)), name
    assert shows(page, "Total con IGV", cash(grand[0] + grand[1]))


def test_buyer_sees_its_standing_orders_at_a_glance(app, w):
    page = text(as_user(app, w.buyer_user).get("/buyer/spend").data)
    assert shows(page, w.standing.number, w.cheese_assoc.name)
    assert shows(page, "vie 17 abr.", "Queso andino", "6 kg", "Activo")
    assert "PF-0002" not in page  # the other buyer's


def test_each_buyer_sees_only_itself(app, w):
    page = text(as_user(app, w.third_user).get("/buyer/spend").data)
    table = buyer_expected(w.third_user.buyer_id, date(2025, 5, 1))
    assert shows(page, "Total", *row_parts(*table[date(2026, 4, 1)][w.cheese_assoc.name]))
    assert w.maize_assoc.name not in page
    assert "Pedidos fijos" in page and "Aún no tienes pedidos fijos." in page
    again = text(as_user(app, w.third_user).get(f"/buyer/spend?buyer_id={w.buyer.id}").data)
    assert again == page


def test_buyer_spend_links_from_the_navigation(app, w):
    page = as_user(app, w.buyer_user).get("/buyer/orders").data.decode()
    assert 'href="/buyer/spend"' in page


def test_pages_read_on_a_phone_and_send_no_script_of_their_own(app, w):
    for user, url in ((w.promoter, "/producer/figures"), (w.buyer_user, "/buyer/spend")):
        html = as_user(app, user).get(url).data.decode()
        body = html.split("<main", 1)[1]
        assert "<script" not in body, url
        assert 'name="viewport"' in html


def test_query_count_does_not_grow_with_orders(app, w):
    """Every figure is a GROUP BY: more orders, same statements."""
    from bench.queries_per_page import counting

    def count(user, url):
        client = as_user(app, user)
        client.get(url)
        with counting(db.engine) as counter:
            assert client.get(url).status_code == 200
        return counter["n"]

    before = {url: count(u, url) for u, url in _pages(w)}
    for day in range(1, 25):
        make_order(
            w.buyer.id,
            w.address,
            [(w.cheese, 1, 1), (w.pieces, 2, 1)],
            delivered_at=lima(2026, 3, day) + timedelta(hours=1),
        )
    db.session.commit()
    after = {url: count(u, url) for u, url in _pages(w)}
    assert after == before


def _pages(w):
    return ((w.promoter, "/producer/figures"), (w.buyer_user, "/buyer/spend"))
