"""Credit terms: who may get them, and checkout on account refused past the limit or overdue."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Order, OrderBilling
from marketplace.services import DomainError, credit, invoicing
from tests.factories import BuyerFactory, BuyerUserFactory
from tests.services.test_invoicing import deliver, market, place

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen(app):
    with time_machine.travel(MONDAY, tick=False), app.test_request_context():
        yield


def test_only_staff_grant_terms_and_only_to_verified_buyers(app):
    w = market(limit_cents=None)
    with pytest.raises(DomainError):
        credit.grant_terms(db.session, w.buyer, w.buyer.buyer_id, 30, 100)
    unverified = BuyerFactory(verified_at=None)
    db.session.flush()
    with pytest.raises(DomainError, match="verifica"):
        credit.grant_terms(db.session, w.staff, unverified.id, 30, 100)
    with pytest.raises(DomainError) as caught:
        credit.grant_terms(db.session, w.staff, w.buyer.buyer_id, 0, 100)
    assert caught.value.field == "net_days"
    terms = credit.grant_terms(db.session, w.staff, w.buyer.buyer_id, 15, 50_000)
    assert (terms.net_days, terms.limit_cents) == (15, 50_000)
    again = credit.grant_terms(db.session, w.staff, w.buyer.buyer_id, 30, 80_000)
    assert again.id == terms.id and again.limit_cents == 80_000


def test_checkout_on_account_within_the_limit_is_billed_on_account(app):
    w = market(limit_cents=100_000)
    order = place(w, "10")  # 10 x 28.50 + IGV = 336.30
    assert db.session.get(OrderBilling, order.id).net_days == 30
    seen = credit.exposure(db.session, w.buyer.buyer_id)
    assert seen.open_orders_cents == order.total_cents
    assert seen.available_cents == 100_000 - order.total_cents


def test_checkout_past_the_limit_is_refused_and_nothing_is_written(app):
    w = market(limit_cents=100_000)
    first = place(w, "20")  # 672.60 with IGV
    with pytest.raises(DomainError, match="supera tu línea de crédito") as caught:
        place(w, "10")  # 336.30 more: 1,008.90 > 1,000.00
    assert "S/" in str(caught.value.message)
    db.session.rollback()
    assert db.session.scalars(sa.select(Order.id)).all() == [first.id]
    # Once delivered short and paid, there is room again.
    invoice = deliver(w, first, "10")
    invoicing.record_payment(
        db.session, w.staff, w.buyer.buyer_id, "transfer", invoice.total_cents, MONDAY.date()
    )
    db.session.commit()
    assert place(w, "20").id


def test_an_overdue_invoice_blocks_checkout_on_account(app):
    w = market(net_days=7)
    invoice = deliver(w, place(w, "1"))
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        with pytest.raises(DomainError, match="facturas vencidas"):
            place(w, "1")
        db.session.rollback()
        invoicing.record_payment(
            db.session, w.staff, w.buyer.buyer_id, "yape", invoice.total_cents, MONDAY.date()
        )
        db.session.commit()
        assert place(w, "1").id


def test_buyers_without_terms_check_out_as_before(app):
    w = market(limit_cents=None)
    other = BuyerUserFactory()
    db.session.flush()
    order = place(w, "50")
    assert db.session.get(OrderBilling, order.id) is None
    assert credit.terms_for(db.session, other.buyer_id) is None
