"""Every transition of the order state machine, allowed and refused, with its event row."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Order, OrderEvent
from marketplace.services import DomainError, ordering
from marketplace.services import order_states as st
from tests.factories import StaffFactory, ordering_world, place_order

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))

# How to bring a fresh order to each status, as the association would.
PATH = {
    st.PLACED: [],
    st.CONFIRMED: [st.CONFIRMED],
    st.DISPATCHED: [st.CONFIRMED, st.DISPATCHED],
    st.DELIVERED: [st.CONFIRMED, st.DISPATCHED, st.DELIVERED],
    st.CANCELLED: [st.CANCELLED],
    st.REJECTED: [st.REJECTED],
}


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context(), time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def w(app):
    return ordering_world()


def order_in(w, status):
    (order,) = place_order(w.buyer_user, w.address, [(w.cheese, 1)])
    for step in PATH[status]:
        ordering.move(db.session, w.promoter, order, step, reason="motivo")
    return order


def actor_for(w, role):
    return {"buyer": w.buyer_user, "promoter": w.promoter, "staff": StaffFactory()}[role]


def count_events(order) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id)
    )


# The order's life as the domain describes it (DESIGN.md, services/order_states.py's notes):
# placed -> confirmed -> dispatched -> delivered; the association rejects a placed order,
# anyone cancels it before confirmation, the association alone cancels it once confirmed,
# and after dispatch it can only be delivered. Rows: from; columns: to; "y": allowed.
MOVES = """
               placed  confirmed  dispatched  delivered  cancelled  rejected
    placed       .         y          .           .          y         y
    confirmed    .         .          y           .          y         .
    dispatched   .         .          .           y          .         .
    delivered    .         .          .           .          .         .
    cancelled    .         .          .           .          .         .
    rejected     .         .          .           .          .         .
"""


def read_moves(table: str) -> dict[tuple[str, str], bool]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    return {
        (row[0], to): mark == "y" for row in rows for to, mark in zip(header, row[1:], strict=True)
    }


EXPECTED = read_moves(MOVES)
ALLOWED_MOVES = sorted(move for move, allowed in EXPECTED.items() if allowed)

# Who may make each allowed move (everyone else is refused).
WHO = {
    ("placed", "confirmed"): {"promoter", "staff"},
    ("placed", "rejected"): {"promoter", "staff"},
    ("placed", "cancelled"): {"buyer", "promoter", "staff"},
    ("confirmed", "dispatched"): {"promoter", "staff"},
    ("confirmed", "cancelled"): {"promoter", "staff"},
    ("dispatched", "delivered"): {"promoter", "staff"},
}


def test_the_table_covers_every_status_and_each_allowed_move_says_who():
    assert len(EXPECTED) == 36
    assert set(WHO) == set(ALLOWED_MOVES)


def stored(order_id):
    """The order's status and its events, read through a connection of their own."""
    with db.engine.connect() as conn:
        status = conn.scalar(sa.select(Order.status).where(Order.id == order_id))
        events = conn.execute(
            sa.select(
                OrderEvent.from_status, OrderEvent.to_status, OrderEvent.actor_id, OrderEvent.reason
            )
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)
        ).all()
    return status, events


@pytest.mark.parametrize(("from_status", "to_status"), sorted(EXPECTED))
def test_every_move_is_allowed_or_refused_as_the_domain_says(w, from_status, to_status):
    order = order_in(w, from_status)
    db.session.commit()
    _status, events_before = stored(order.id)
    if EXPECTED[(from_status, to_status)]:
        ordering.move(db.session, w.promoter, order, to_status, reason="porque sí")
        db.session.commit()
        status, events = stored(order.id)
        assert status == to_status
        assert events[:-1] == events_before
        reason = "porque sí" if to_status in (st.CANCELLED, st.REJECTED) else None
        assert events[-1] == (from_status, to_status, w.promoter.id, reason)
    else:
        with pytest.raises(DomainError, match="no puede pasar a"):
            ordering.move(db.session, w.promoter, order, to_status, reason="porque sí")
        db.session.commit()
        assert stored(order.id) == (from_status, events_before)


@pytest.mark.parametrize(
    ("from_status", "to_status", "role"),
    [(a, b, role) for a, b in ALLOWED_MOVES for role in ("buyer", "promoter", "staff")],
)
def test_who_may_make_each_move(w, from_status, to_status, role):
    order = order_in(w, from_status)
    actor = actor_for(w, role)
    allowed = role in WHO[(from_status, to_status)]
    db.session.commit()
    assert st.can(order, to_status, actor) is allowed
    if allowed:
        ordering.move(db.session, actor, order, to_status, reason="motivo")
    else:
        with pytest.raises(DomainError):
            ordering.move(db.session, actor, order, to_status, reason="motivo")
    db.session.commit()
    assert stored(order.id)[0] == (to_status if allowed else from_status)


def test_the_buyer_is_told_why_it_can_no_longer_cancel(w):
    order = order_in(w, st.CONFIRMED)
    with pytest.raises(DomainError, match="ya confirmó"):
        ordering.cancel_order(db.session, w.buyer_user, order)


@pytest.mark.parametrize(
    ("from_status", "to_status"), [(st.PLACED, st.REJECTED), (st.CONFIRMED, st.CANCELLED)]
)
def test_rejecting_or_cancelling_a_confirmed_order_needs_a_reason(w, from_status, to_status):
    order = order_in(w, from_status)
    with pytest.raises(DomainError, match="motivo") as caught:
        ordering.move(db.session, w.promoter, order, to_status, reason="  ")
    assert caught.value.field == "reason"
    assert order.status == from_status


def test_a_stale_order_cannot_be_moved_twice(w):
    order = order_in(w, st.PLACED)
    # Someone else confirmed it meanwhile; this copy still says "placed".
    db.session.execute(
        sa.update(Order).where(Order.id == order.id).values(status=st.CONFIRMED),
        execution_options={"synchronize_session": False},
    )
    with pytest.raises(DomainError, match="cambió mientras tanto"):
        ordering.cancel_order(db.session, w.buyer_user, order)


def test_timestamps_follow_the_status(w):
    order = order_in(w, st.DELIVERED)
    assert order.confirmed_at and order.dispatched_at and order.delivered_at
    assert order.closed_at is None
    events = db.session.scalars(
        sa.select(OrderEvent.to_status)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.id)
    ).all()
    assert events == ["placed", "confirmed", "dispatched", "delivered"]
