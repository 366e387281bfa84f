"""The demo's seven agreements and their standing orders, on top of seed-demo's data."""

from datetime import datetime

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.demo import seed_agreements, seed_demo, seed_order_history
from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.models import Agreement, StandingOrder
from marketplace.services import agreements as svc
from marketplace.standing_cli import run_placement

TODAY = datetime(2025, 9, 10, 9, 0, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_seven_agreements_with_history_and_standing_orders(app):
    seed_demo(db.session)
    seed_order_history(db.session)
    report = seed_agreements(db.session)
    db.session.commit()

    active = db.session.scalars(sa.select(Agreement).where(Agreement.status == "active")).all()
    assert len(active) == 7
    assert len({(a.buyer_id, a.association_id) for a in active}) == 7
    assert all(a.version == 2 and a.previous.status == "ended" for a in active)
    assert all(len(a.prices) >= 1 for a in active)
    standing = db.session.scalars(sa.select(StandingOrder)).all()
    assert len(standing) == 7 and all(s.agreement_id for s in standing)
    pilots = [a.previous for a in active]
    months = svc.monthly_volumes(db.session, pilots[0])
    assert len(months) >= 6 and sum(m.delivered_kg for m in months) > 0
    totals = svc.totals_for(db.session, pilots)
    assert sum(t.delivered_kg for t in totals.values()) > 0
    assert any("kg delivered" in line for line in report)

    again = seed_agreements(db.session)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 14
    assert db.session.scalar(sa.select(sa.func.count(StandingOrder.id))) == 7
    assert any(line.startswith("found agreement") for line in again)


def test_the_demo_standing_orders_place_cleanly(app):
    seed_demo(db.session)
    seed_agreements(db.session)
    db.session.commit()
    with time_machine.travel(datetime(2025, 9, 30, 9, 0, tzinfo=LIMA), tick=False):
        report = run_placement(db.session)
    assert report.failed == 0
    assert report.placed + report.short >= 5
