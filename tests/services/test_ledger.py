"""What associations are owed: sale and fee per delivered order, refunds, payouts, audit."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import LedgerEntry, Order
from marketplace.ops.integrity import run_checks
from marketplace.services import DomainError, payouts
from tests.services.test_invoicing import deliver, market, place

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen(app):
    with time_machine.travel(MONDAY, tick=False), app.test_request_context():
        yield


@pytest.fixture
def app_config():
    return {"PLATFORM_FEE_BPS": 500}  # 5%


def test_each_delivery_writes_its_sale_and_fee_once(app):
    w = market(limit_cents=None)
    order = place(w, "10")
    deliver(w, order, "9")
    payouts.record_delivery(db.session, order)  # again: nothing new
    ledger = payouts.ledger(db.session, w.association.id)
    assert [r.entry.kind for r in ledger.rows] == ["sale", "fee"]
    assert ledger.delivered_cents == order.delivered_total_cents
    assert ledger.fees_cents == 1283  # 5% of 256.50 is 12.825: half up to 12.83
    assert order.delivered_subtotal_cents == 25650
    assert ledger.balance_cents == order.delivered_total_cents - ledger.fees_cents
    assert run_checks(db.session) == []


def test_a_per_association_override_may_be_zero(app):
    w = market(limit_cents=None)
    payouts.set_fee_override(db.session, w.staff, w.association.id, 0)
    order = place(w, "2")
    deliver(w, order)
    ledger = payouts.ledger(db.session, w.association.id)
    assert ledger.fees_cents == 0 and ledger.balance_cents == order.delivered_total_cents


def test_balance_is_delivered_less_fees_refunds_and_payouts(app):
    w = market(limit_cents=None)
    orders = [place(w, "4") for _ in range(3)]
    for order in orders:
        deliver(w, order)
    payouts.record_refund(db.session, w.staff, orders[0], 1000, "queso partido")
    payouts.record_payout(db.session, w.staff, w.association.id, 20_000, "BCP OP 778812")
    db.session.commit()
    ledger = payouts.ledger(db.session, w.association.id)
    delivered = sum(o.delivered_total_cents for o in orders)
    assert ledger.delivered_cents == delivered
    assert ledger.refunds_cents == 1000 and ledger.payouts_cents == 20_000
    assert ledger.balance_cents == delivered - ledger.fees_cents - 1000 - 20_000
    assert payouts.balance_cents(db.session, w.association.id) == ledger.balance_cents
    assert run_checks(db.session) == []


def test_payouts_and_refunds_are_bounded(app):
    w = market(limit_cents=None)
    order = place(w, "1")
    deliver(w, order)
    balance = payouts.balance_cents(db.session, w.association.id)
    with pytest.raises(DomainError, match="supera"):
        payouts.record_payout(db.session, w.staff, w.association.id, balance + 1, "X")
    with pytest.raises(DomainError, match="referencia"):
        payouts.record_payout(db.session, w.staff, w.association.id, 1, " ")
    with pytest.raises(DomainError, match="más de lo cobrado"):
        payouts.record_refund(db.session, w.staff, order, order.delivered_total_cents + 1)


def test_audit_finds_a_delivery_missing_from_the_ledger_and_a_wrong_sale(app):
    w = market(limit_cents=None)
    first, second = place(w, "1"), place(w, "2")
    deliver(w, first)
    deliver(w, second)
    db.session.execute(sa.delete(LedgerEntry).where(LedgerEntry.order_id == first.id))
    db.session.execute(
        sa.update(Order)
        .where(Order.id == second.id)
        .values(
            delivered_total_cents=Order.delivered_total_cents + 1,
            delivered_igv_cents=Order.delivered_igv_cents + 1,
        )
    )
    db.session.commit()
    findings = [str(f) for f in run_checks(db.session)]
    assert any(f"order {first.id}: delivered but has no sale" in f for f in findings), findings
    assert any(f"order {second.id}: ledger sale" in f for f in findings), findings
    assert payouts.record_missing_deliveries(db.session) == 1
