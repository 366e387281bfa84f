"""Dashboard figures recomputed in plain Python from the raw order lines and ledger.

The world has two associations (one with its own fee), three buyers in two cities, units in
kg, pieces and 50 kg sacks, deliveries either side of a month end in Lima time, a short
delivery, a refund, a cancelled and a rejected order, a free sample, an open order, renewed
agreements and standing orders. Every figure the service returns is compared with the same
figure computed here, line by line, without SQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import (
    Agreement,
    LedgerEntry,
    Order,
    OrderLine,
    StandingOrder,
)
from marketplace.services import order_states as st
from marketplace.services import payouts, pricing, reporting
from marketplace.services.kilos import kg_from_millionths
from tests.factories import (
    AssociationFactory,
    BuyerAddressFactory,
    BuyerUserFactory,
    ProductFactory,
    StaffFactory,
    make_agreement,
    make_standing_order,
)

LIMA = ZoneInfo("America/Lima")
FEBRUARY = reporting.Filters(date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def app_config():
    return {"PLATFORM_FEE_BPS": 500}  # 5 % unless an association has its own rate


def lima(*args) -> datetime:
    return datetime(*args, tzinfo=LIMA)


def make_order(buyer, association, items, *, status=st.DELIVERED, day, delivered_at=None):
    """An order as the ordering service leaves it; items: (product, qty, delivered, sample)."""
    order = Order(
        buyer_id=buyer.id,
        association_id=association.id,
        delivery_date=day,
        delivery_city=buyer.city,
        status=status,
        checkout_token=None,
    )
    for product, qty, delivered, *sample in items:
        sample = bool(sample and sample[0])
        price = 0 if sample else product.price_cents
        qty = Decimal(qty)
        line = OrderLine(
            product_id=product.id,
            product_name=product.name,
            variety=product.variety,
            unit=product.unit,
            weight_per_unit_kg=product.weight_per_unit_kg,
            unit_price_cents=price,
            quantity=qty,
            line_total_cents=pricing.line_total_cents(price, qty),
            is_sample=sample,
        )
        if status == st.DELIVERED:
            line.delivered_quantity = Decimal(delivered if delivered is not None else qty)
            line.delivered_total_cents = pricing.line_total_cents(price, line.delivered_quantity)
        order.lines.append(line)
    t = pricing.totals(line.line_total_cents for line in order.lines)
    order.subtotal_cents, order.igv_cents, order.total_cents = (
        t.subtotal_cents,
        t.igv_cents,
        t.total_cents,
    )
    if status == st.DELIVERED:
        d = pricing.totals(line.delivered_total_cents for line in order.lines)
        order.delivered_subtotal_cents, order.delivered_igv_cents = d.subtotal_cents, d.igv_cents
        order.delivered_total_cents = d.total_cents
        order.delivered_at = delivered_at or lima(day.year, day.month, day.day, 11, 0)
    if status == st.REJECTED:
        order.reject_reason = "Sin stock"
    db.session.add(order)
    db.session.flush()
    payouts.record_delivery(db.session, order)
    return order


def build_world():
    w = SimpleNamespace()
    w.staff = StaffFactory()
    w.cheese = AssociationFactory(name="Sumaq Ausangate", member_families=30)
    w.maize = AssociationFactory(name="Huaroq Sara", member_families=11)
    payouts.set_fee_override(db.session, w.staff, w.cheese.id, 1000)  # 10 %
    w.andino = ProductFactory(association=w.cheese, name="Queso andino", price_cents=2850)
    w.paria = ProductFactory(
        association=w.cheese,
        name="Queso paria",
        unit="piece",
        weight_per_unit_kg=Decimal("0.750"),
        price_cents=2333,
    )
    w.chullpi = ProductFactory(
        association=w.maize,
        name="Chullpi en saco",
        category="maize",
        variety="chullpi",
        unit="sack50",
        weight_per_unit_kg=Decimal("50"),
        price_cents=41_999,
    )
    w.hotel = BuyerUserFactory(buyer__kind="hotel", buyer__city="cusco").buyer
    w.shop = BuyerUserFactory(buyer__kind="shop", buyer__city="lima").buyer
    w.cafe_user = BuyerUserFactory(buyer__kind="cafe", buyer__city="cusco")
    w.cafe = w.cafe_user.buyer
    db.session.flush()
    # January: the last delivery at 23:30 Lima on the 31st (04:30 UTC on 1 February).
    w.jan_a = make_order(w.hotel, w.cheese, [(w.andino, "4", None)], day=date(2026, 1, 12))
    w.jan_end = make_order(
        w.hotel,
        w.cheese,
        [(w.andino, "3.5", None), (w.paria, "2", None)],
        day=date(2026, 1, 31),
        delivered_at=lima(2026, 1, 31, 23, 30),
    )
    # February: just after midnight Lima on the 1st, a day late.
    w.feb_first = make_order(
        w.shop,
        w.cheese,
        [(w.paria, "6", None)],
        day=date(2026, 1, 31),
        delivered_at=lima(2026, 2, 1, 0, 10),
    )
    w.short = make_order(
        w.cafe, w.maize, [(w.chullpi, "10", "7")], day=date(2026, 2, 10)
    )  # short delivery: 7 sacks of 10
    w.refunded = make_order(
        w.shop,
        w.cheese,
        [(w.andino, "12.345", None), (w.paria, "3", None)],
        day=date(2026, 2, 20),
    )
    payouts.record_refund(db.session, w.staff, w.refunded, 3_001, "queso partido")
    w.sampled = make_order(
        w.cafe,
        w.cheese,
        [(w.andino, "2", None), (w.paria, "1", None, True)],
        day=date(2026, 2, 27),
        delivered_at=lima(2026, 2, 28, 23, 59),
    )
    w.cancelled = make_order(
        w.hotel, w.maize, [(w.chullpi, "3", None)], status=st.CANCELLED, day=date(2026, 2, 12)
    )
    w.rejected = make_order(
        w.shop, w.maize, [(w.chullpi, "2", None)], status=st.REJECTED, day=date(2026, 2, 13)
    )
    w.open = make_order(
        w.hotel, w.cheese, [(w.andino, "5", None)], status=st.CONFIRMED, day=date(2026, 2, 26)
    )
    w.march = make_order(
        w.cafe,
        w.maize,
        [(w.chullpi, "1", None)],
        day=date(2026, 3, 1),
        delivered_at=lima(2026, 3, 1, 0, 0),
    )
    # Agreements: hotel-cheese renewed (two versions, one agreement), cafe-maize, a draft.
    make_agreement(
        w.hotel, w.cheese, status="ended", start_date=date(2025, 6, 1), end_date=date(2026, 1, 31)
    )
    make_agreement(w.hotel, w.cheese, version=2, start_date=date(2026, 2, 1))
    make_agreement(
        w.cafe, w.maize, start_date=date(2026, 2, 15), committed_kg_per_month=Decimal("400")
    )
    make_agreement(
        w.shop, w.cheese, status="draft", buyer_accepted_at=None, association_accepted_at=None
    )
    address = BuyerAddressFactory(buyer=w.cafe)
    make_standing_order(w.cafe_user, address, [(w.chullpi, Decimal("1"))])
    make_standing_order(
        w.cafe_user,
        address,
        [(w.chullpi, Decimal("1"))],
        status="cancelled",
        cancelled_at=datetime(2025, 12, 1, tzinfo=UTC),
    )
    db.session.commit()
    return w


# Independent arithmetic ---------------------------------------------------------------------


def lima_day(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def raw():
    orders = list(db.session.scalars(sa.select(Order)))
    ledger = list(db.session.scalars(sa.select(LedgerEntry)))
    return orders, ledger


def expected(f: reporting.Filters, keep=lambda order, line: True):
    """Every headline total of the period, from the rows, in plain Python."""
    orders, ledger = raw()
    out = SimpleNamespace(
        value=0, income=0, kg=Decimal(0), orders=0, buyers=set(), on_time=0, associations=set()
    )
    out.ordered_kg = out.answered_kg = Decimal(0)
    for order in orders:
        lines = [ln for ln in order.lines if not ln.is_sample and keep(order, ln)]
        if (
            order.status == st.DELIVERED
            and f.start <= lima_day(order.delivered_at) <= f.end
            and lines
        ):
            value = sum(ln.delivered_total_cents for ln in lines)
            taken = -sum(
                e.amount_cents
                for e in ledger
                if e.order_id == order.id and e.kind in ("fee", "refund")
            )
            share = taken * value // order.delivered_subtotal_cents
            out.value += value
            out.income += value - share
            out.kg += sum(ln.delivered_quantity * ln.weight_per_unit_kg for ln in lines)
            out.orders += 1
            out.buyers.add(order.buyer_id)
            out.associations.add(order.association)
            out.on_time += lima_day(order.delivered_at) <= order.delivery_date
        if order.status in (st.DELIVERED, st.REJECTED) and f.start <= order.delivery_date <= f.end:
            for ln in lines:
                out.ordered_kg += ln.quantity * ln.weight_per_unit_kg
                if order.status == st.DELIVERED:
                    out.answered_kg += ln.delivered_quantity * ln.weight_per_unit_kg
    out.families = sum(a.member_families for a in out.associations)
    return out


def in_force_pairs(f: reporting.Filters) -> int:
    agreements = db.session.scalars(sa.select(Agreement))
    return len(
        {
            (a.buyer_id, a.association_id)
            for a in agreements
            if a.status in ("active", "paused", "ended")
            and a.buyer_accepted_at
            and a.association_accepted_at
            and a.start_date <= f.end
            and (a.end_date is None or a.end_date >= f.start)
        }
    )


def standing_in_force(f: reporting.Filters) -> int:
    return sum(
        1
        for s in db.session.scalars(sa.select(StandingOrder))
        if s.start_date <= f.end
        and (s.end_date is None or s.end_date >= f.start)
        and (s.cancelled_at is None or lima_day(s.cancelled_at) >= f.start)
    )


def assert_totals(t: reporting.Totals, f: reporting.Filters, keep=lambda o, ln: True):
    e = expected(f, keep)
    assert t.value_cents == e.value
    assert t.income_cents == e.income
    assert t.kg == e.kg
    assert t.orders == e.orders
    assert t.buyers == len(e.buyers)
    assert t.on_time == e.on_time
    assert t.families == e.families
    assert t.ordered_kg == e.ordered_kg
    assert t.answered_kg == e.answered_kg
    return e


# Tests ----------------------------------------------------------------------------------------


def test_headline_figures_add_up_from_the_lines(app):
    w = build_world()
    h = reporting.headline(db.session, FEBRUARY)
    assert h.previous_filters.start == date(2026, 1, 1)
    assert h.previous_filters.end == date(2026, 1, 31)
    e = assert_totals(h.current, FEBRUARY)
    assert_totals(h.previous, h.previous_filters)
    # The story in numbers, so a wrong rule above cannot hide behind a wrong rule here.
    assert h.current.orders == 4  # feb_first, short, refunded, sampled (not March, not open)
    assert h["orders"].previous == 2  # both January orders, the 23:30 one included
    assert h.current.on_time == 2  # feb_first and the sampled order came a day late
    assert h.current.kg == Decimal("4.5") + 350 + Decimal("12.345") + Decimal("2.25") + 2
    assert h.current.families == 41
    assert h["agreements"].current == in_force_pairs(FEBRUARY) == 2
    assert h["agreements"].previous == in_force_pairs(h.previous_filters) == 1
    assert h["standing_orders"].current == standing_in_force(FEBRUARY) == 1
    assert h["fill_rate"].current == (e.answered_kg * 100 / e.ordered_kg).quantize(Decimal("0.1"))
    assert h["income_per_family"].current == round(Decimal(e.income) / 41)
    assert h["average_order"].current == round(Decimal(e.value) / 4)
    assert h["value"].change == h.current.value_cents - h.previous.value_cents
    # The fee is the ledger's (10 % for cheese, 5 % for maize), refunds come off too.
    february = {w.feb_first.id, w.short.id, w.refunded.id, w.sampled.id}
    fees = -sum(
        e.amount_cents
        for e in db.session.scalars(sa.select(LedgerEntry))
        if e.kind in ("fee", "refund") and e.order_id in february
    )
    assert h.current.value_cents - h.current.income_cents == fees


@pytest.mark.parametrize(
    "scope",
    [
        {"city": "lima"},
        {"buyer_kind": "cafe"},
        {"category": "maize"},
        {"category": "cheese"},
    ],
)
def test_filters_narrow_every_figure(app, scope):
    w = build_world()
    f = replace(FEBRUARY, **scope)
    if "city" in scope:
        keep = lambda o, ln: o.delivery_city == scope["city"]  # noqa: E731
    elif "buyer_kind" in scope:
        keep = lambda o, ln: o.buyer.kind == scope["buyer_kind"]  # noqa: E731
    else:
        keep = lambda o, ln: ln.product.category == scope["category"]  # noqa: E731
    assert_totals(reporting.totals(db.session, f), f, keep)
    scoped = reporting.totals(db.session, replace(FEBRUARY, association_id=w.maize.id))
    assert scoped.orders == 1 and scoped.families == 11


def test_tables_match_the_lines(app):
    w = build_world()
    rows = {r.name: r for r in reporting.by_association(db.session, FEBRUARY)}
    for association in (w.cheese, w.maize):
        f = replace(FEBRUARY, association_id=association.id)
        e = expected(f, lambda o, ln, a=association: o.association_id == a.id)
        row = rows[association.name]
        assert (row.value_cents, row.income_cents, row.kg, row.orders) == (
            e.value,
            e.income,
            e.kg,
            e.orders,
        )
        assert row.income_per_family_cents == round(Decimal(e.income) / row.families)
    buyers = {r.id: r for r in reporting.by_buyer(db.session, FEBRUARY)}
    for buyer in (w.hotel, w.shop, w.cafe):
        e = expected(FEBRUARY, lambda o, ln, b=buyer: o.buyer_id == b.id)
        got = buyers.get(buyer.id)
        assert (got.value_cents if got else 0) == e.value
        assert (got.income_cents if got else 0) == e.income
    products = {r.id: r for r in reporting.by_product(db.session, FEBRUARY)}
    for product in (w.andino, w.paria, w.chullpi):
        e = expected(FEBRUARY, lambda o, ln, p=product: ln.product_id == p.id)
        got = products[product.id]
        assert (got.value_cents, got.kg) == (e.value, e.kg)
    assert products[w.chullpi.id].quantity == 7  # sacks, of which 350 kg
    assert (
        sum(r.value_cents for r in rows.values())
        == reporting.totals(db.session, FEBRUARY).value_cents
    )
    # The dashboard adds the association table up from its series: the same rows.
    for f in (FEBRUARY, replace(FEBRUARY, buyer_kind="cafe"), replace(FEBRUARY, by="month")):
        series = reporting.series(db.session, f)
        assert reporting.by_association(db.session, f, series) == reporting.by_association(
            db.session, f
        )


def test_agreements_month_by_month(app):
    w = build_world()
    period = reporting.Filters(date(2026, 1, 1), date(2026, 2, 28))
    rows = reporting.by_agreement(db.session, period)
    assert [(r.buyer_id, r.association_id) for r in rows] == [
        (w.cafe.id, w.maize.id),
        (w.hotel.id, w.cheese.id),
        (w.hotel.id, w.cheese.id),
    ]
    cafe = rows[0]
    assert [(m.year, m.month) for m in cafe.months] == [(2026, 2)]
    february = cafe.months[0]
    # The short order (due 10 Feb) is before the agreement started (15 Feb): not counted.
    assert (february.ordered_kg, february.delivered_kg) == (0, 0)
    assert february.committed_kg == 400 and february.behind
    renewed = rows[2]  # version 2, from 1 February: the open order is ordered, not delivered
    assert [(m.year, m.month) for m in renewed.months] == [(2026, 2)]
    assert renewed.months[0].ordered_kg == Decimal("5")
    assert renewed.months[0].delivered_kg == 0
    first = rows[1]  # version 1: January's two deliveries
    assert first.months[0].delivered_kg == Decimal("4") + Decimal("3.5") + Decimal("1.5")
    assert first.months[0].delivered_cents == sum(
        ln.delivered_total_cents for o in (w.jan_a, w.jan_end) for ln in o.lines
    )


def test_series_buckets_follow_lima_months(app):
    w = build_world()
    period = reporting.Filters(date(2026, 1, 1), date(2026, 3, 31))
    s = reporting.series(db.session, period, "month")
    assert [p.start for p in s.points] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    for point in s.points:
        month = reporting.Filters(point.start, point.end)
        e = expected(month)
        assert (point.value_cents, point.income_cents, point.kg, point.orders) == (
            e.value,
            e.income,
            e.kg,
            e.orders,
        )
    cheese = s.by_association[w.cheese.id]
    assert cheese[0].orders == 2  # the 23:30 delivery stays in January
    assert sum(p.value_cents for p in reporting.income_by_month(db.session, period)) == sum(
        p.value_cents for p in s.points
    )
    year = reporting.series(db.session, reporting.Filters(date(2026, 1, 1), date(2026, 12, 31)))
    assert year.grain == "month" and len(year.points) == 12
    for point in year.points:  # twelve buckets: the nested comparisons put each order right
        e = expected(reporting.Filters(point.start, point.end))
        assert (point.value_cents, point.orders) == (e.value, e.orders)
    weeks = reporting.series(db.session, FEBRUARY, "week")
    assert weeks.points[0].start == date(2026, 2, 1)  # clipped to the period
    assert sum(p.value_cents for p in weeks.points) == expected(FEBRUARY).value


def test_lines_add_up_to_the_figures(app):
    build_world()
    result = reporting.line_page(db.session, FEBRUARY)
    all_lines = list(reporting.iter_lines(db.session, FEBRUARY))
    assert result.count == len(all_lines) == 5  # the sample line is left out
    assert sum(r.value_cents for r in all_lines) == result.totals.value_cents
    kg = sum(kg_from_millionths(r.kg) for r in all_lines)
    assert kg == result.totals.kg
    due = list(reporting.iter_lines(db.session, FEBRUARY, "due"))
    assert sum(kg_from_millionths(r.ordered_kg) for r in due) == (result.totals.ordered_kg)
