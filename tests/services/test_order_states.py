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


ALL_MOVES = [(a, b) for a in st.STATUSES for b in st.STATUSES if a != b]


@pytest.mark.parametrize(("from_status", "to_status"), ALL_MOVES)
def test_every_move_is_allowed_or_refused_as_the_table_says(w, from_status, to_status):
    order = order_in(w, from_status)
    events_before = count_events(order)
    allowed = to_status in st.ALLOWED[from_status]
    if allowed:
        ordering.move(db.session, w.promoter, order, to_status, reason="porque sí")
        assert order.status == to_status
        event = db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        ).all()[-1]
        assert (event.from_status, event.to_status) == (from_status, to_status)
        assert event.actor_id == w.promoter.id
        if to_status in (st.CANCELLED, st.REJECTED):
            assert event.reason == "porque sí"
        assert event.created_at is not None
    else:
        with pytest.raises(DomainError, match="no puede pasar a"):
            ordering.move(db.session, w.promoter, order, to_status, reason="porque sí")
        assert order.status == from_status
        assert count_events(order) == events_before


@pytest.mark.parametrize(
    ("from_status", "to_status", "role", "allowed"),
    [
        (st.PLACED, st.CANCELLED, "buyer", True),
        (st.CONFIRMED, st.CANCELLED, "buyer", False),  # the association confirmed already
        (st.CONFIRMED, st.CANCELLED, "promoter", True),
        (st.PLACED, st.CONFIRMED, "buyer", False),
        (st.PLACED, st.REJECTED, "buyer", False),
        (st.CONFIRMED, st.DISPATCHED, "buyer", False),
        (st.DISPATCHED, st.DELIVERED, "buyer", False),
        (st.PLACED, st.CONFIRMED, "staff", True),
    ],
)
def test_who_may_make_each_move(w, from_status, to_status, role, allowed):
    order = order_in(w, from_status)
    actor = actor_for(w, role)
    assert st.can(order, to_status, actor) is allowed
    if allowed:
        ordering.move(db.session, actor, order, to_status, reason="motivo")
    else:
        with pytest.raises(DomainError):
            ordering.move(db.session, actor, order, to_status, reason="motivo")


def test_the_buyer_is_told_why_it_can_no_longer_cancel(w):
    order = order_in(w, st.CONFIRMED)
    with pytest.raises(DomainError, match="ya confirmó"):
        ordering.cancel_order(db.session, w.buyer_user, order)


@pytest.mark.parametrize(("from_status", "to_status"), sorted(st.REASON_REQUIRED))
def test_rejecting_or_cancelling_a_confirmed_order_needs_a_reason(w, from_status, to_status):
    order = order_in(w, from_status)
    with pytest.raises(DomainError, match="motivo") as caught:
        ordering.move(db.session, w.promoter, order, to_status, reason="  ")
    assert caught.value.field == "reason"


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
