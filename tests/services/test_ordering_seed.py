"""The demo order history: consistent with the field facts, the ledger and itself."""

import sqlalchemy as sa

from marketplace.demo import seed_demo, seed_order_history
from marketplace.extensions import db
from marketplace.models import Notification, Order, StockMovement
from marketplace.services import order_states as st
from marketplace.services.stock import ledger_mismatches


def test_history_is_realistic_consistent_and_idempotent(app):
    seed_demo(db.session)
    report = seed_order_history(db.session)
    db.session.commit()
    assert report[0].startswith("created")

    delivered = db.session.scalars(sa.select(Order).where(Order.status == st.DELIVERED)).all()
    kilos = sum(
        line.delivered_quantity * line.weight_per_unit_kg for o in delivered for line in o.lines
    )
    value = sum(o.delivered_subtotal_cents for o in delivered)
    assert kilos > 1000, "more than a tonne sold"
    assert value > 2_000_000, "comfortably above S/ 15,000 of income once fees are taken"
    assert len({o.buyer_id for o in delivered}) == 7, "the seven demo buyers"
    statuses = set(db.session.scalars(sa.select(Order.status)))
    assert {st.DELIVERED, st.CANCELLED, st.REJECTED, st.PLACED} <= statuses
    assert ledger_mismatches(db.session) == []
    assert db.session.scalar(sa.select(sa.func.count()).where(StockMovement.balance_after < 0)) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0

    orders = db.session.scalar(sa.select(sa.func.count(Order.id)))
    again = seed_order_history(db.session)
    assert again[0].startswith("found order history")
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == orders
