"""A card refund form sent again with its key asks Stripe nothing more and records nothing
more, even though the first refund left room for a second one (against localstripe)."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import CardPayment, LedgerEntry
from marketplace.ops import worker
from marketplace.services import card_payments, ordering, refunds
from tests.services.test_invoicing import market, place
from tests.test_stripe_card_payments import app_config, card, ctx  # noqa: F401  (fixtures)
from tests.write_guard import stripe_calls_fixture  # noqa: F401  (the stripe_calls fixture)

pytest.importorskip("localstripe.server")


def test_a_card_refund_repeated_with_its_key_refunds_once(app, ctx, stripe_calls):  # noqa: F811
    stripe_calls.armed = False
    w = market(limit_cents=None)
    order = place(w, "4")
    card_payments.authorize(db.session, order, card("4242424242424242"))
    ordering.confirm_order(db.session, w.promoter, order)
    ordering.dispatch_order(db.session, w.promoter, order)
    ordering.deliver_order(db.session, w.promoter, order)
    db.session.commit()
    assert worker.run_pending(db.session, app.config).failed == 0

    def refund_with(key):
        if refunds.recorded_refund(db.session, order, key) is not None:
            return "repeat"
        plan = refunds.plan_refund(db.session, w.staff, order, 1000, "queso partido")
        card_payments.send_refund(plan.card)
        refunds.carry_out(db.session, w.staff, order, plan, key)
        db.session.commit()
        return "refunded"

    assert refund_with("k-1") == "refunded"
    assert refund_with("k-1") == "repeat"
    assert db.session.get(CardPayment, order.id).refunded_cents == 1000
    entries = db.session.scalars(
        sa.select(LedgerEntry.form_key).where(LedgerEntry.kind == "refund")
    ).all()
    assert entries == ["k-1"]
    assert refund_with("k-2") == "refunded"  # another form: a second refund
    assert db.session.get(CardPayment, order.id).refunded_cents == 2000
