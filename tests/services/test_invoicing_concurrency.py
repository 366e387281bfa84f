"""Invoice numbers under concurrent deliveries, with real threads and one session each.

On SQLite writers queue behind BEGIN IMMEDIATE; on PostgreSQL they queue on the counter row
that `UPDATE ... RETURNING` locks until commit. Either way: no gap, no duplicate.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Invoice, InvoiceCounter, Order, User
from marketplace.ops.integrity import run_checks
from marketplace.services import ordering
from tests.concurrency import raised, run_together
from tests.services.test_invoicing import market, place

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
DELIVERIES = 12


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


def test_concurrent_deliveries_take_consecutive_numbers(app):
    with app.test_request_context():
        w = market(buyers=3)
        orders = [place(w, "1", user=w.buyers[i % 3]) for i in range(DELIVERIES)]
        for order in orders:
            ordering.confirm_order(db.session, w.promoter, order)
            ordering.dispatch_order(db.session, w.promoter, order)
        db.session.commit()
        order_ids = [o.id for o in orders]
        promoter_id = w.promoter.id
        association_id = w.association.id
    db.session.remove()

    def work(i):
        ordering.begin_write(db.session)
        promoter = db.session.get(User, promoter_id)
        order = db.session.get(Order, order_ids[i])
        # Every other delivery fails after taking its number: the number must come back.
        result = ordering.deliver_order(db.session, promoter, order)
        number = result.invoice.number
        if i % 4 == 3:
            db.session.rollback()
            return None
        db.session.commit()
        return number

    results = run_together(app, DELIVERIES, work)
    errors = raised(results)
    assert not errors, errors
    db.session.rollback()
    numbers = sorted(
        db.session.scalars(
            sa.select(Invoice.number).where(Invoice.association_id == association_id)
        )
    )
    kept = DELIVERIES - DELIVERIES // 4
    assert numbers == list(range(1, kept + 1))
    counter = db.session.scalar(
        sa.select(InvoiceCounter.next_number).where(InvoiceCounter.association_id == association_id)
    )
    assert counter == kept + 1
    assert run_checks(db.session) == []
