"""The order's life in one place: statuses, who may move an order between them, and why.

Every change of status goes through `transition`, which refuses impossible moves, writes
an OrderEvent (who, when, why) and queues the messages the parties must get, all in the
caller's transaction. Stock effects of a transition live in services.ordering.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..database import insert_rows
from ..labels import ORDER_STATUS_LABELS
from ..models.order_status import (  # noqa: F401  (callers read the statuses from here too)
    BUYER,
    CANCELLED,
    CONFIRMED,
    DELIVERED,
    DISPATCHED,
    FINAL_STATUSES,
    OPEN_STATUSES,
    PLACED,
    PROMOTER,
    REJECTED,
    STAFF,
    STATUSES,
    SYSTEM,
    role_of,
)
from ..models.orders import Order, OrderEvent
from ..types import utcnow
from . import DomainError
from .notifications import notify_transition

_ASSOCIATION = frozenset({PROMOTER, STAFF, SYSTEM})

# from status -> {to status: who may make the move}.
# The buyer may cancel only until the association confirms. Once confirmed, the
# association may still cancel (the cheese did not mature, a landslide closed the road)
# but must say why; after dispatch the order can only be delivered, possibly short.
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    PLACED: {
        CONFIRMED: _ASSOCIATION,
        REJECTED: _ASSOCIATION,
        CANCELLED: frozenset({BUYER, PROMOTER, STAFF, SYSTEM}),
    },
    CONFIRMED: {DISPATCHED: _ASSOCIATION, CANCELLED: _ASSOCIATION},
    DISPATCHED: {DELIVERED: _ASSOCIATION},
    DELIVERED: {},
    CANCELLED: {},
    REJECTED: {},
}

# Moves that must carry a reason the other party will read.
REASON_REQUIRED = {(PLACED, REJECTED), (CONFIRMED, CANCELLED)}

# The timestamp column each status sets on the order.
STAMPS = {
    CONFIRMED: "confirmed_at",
    DISPATCHED: "dispatched_at",
    DELIVERED: "delivered_at",
    CANCELLED: "closed_at",
    REJECTED: "closed_at",
}


def can(order, to_status: str, actor) -> bool:
    """Whether `actor` may move `order` to `to_status` now (views use it to show buttons)."""
    return role_of(actor) in ALLOWED.get(order.status, {}).get(to_status, frozenset())


def check(order, to_status: str, actor, reason: str | None = None) -> None:
    """Raise DomainError unless the move is allowed for this actor, with its reason."""
    if to_status not in STATUSES:
        raise ValueError(f"unknown order status {to_status!r}")
    allowed = ALLOWED[order.status]
    if to_status not in allowed:
        raise DomainError(
            _l(
                "Un pedido %(current)s no puede pasar a %(target)s.",
                current=str(ORDER_STATUS_LABELS[order.status]).lower(),
                target=str(ORDER_STATUS_LABELS[to_status]).lower(),
            )
        )
    if role_of(actor) not in allowed[to_status]:
        if to_status == CANCELLED and role_of(actor) == BUYER:
            raise DomainError(
                _l("La asociación ya confirmó este pedido; ya no puedes cancelarlo aquí.")
            )
        raise DomainError(_l("No puedes hacer este cambio en el pedido."))
    if (order.status, to_status) in REASON_REQUIRED and not (reason or "").strip():
        raise DomainError(_l("Indica el motivo."), field="reason")


def event_values(
    order_id: int,
    from_status: str | None,
    to_status: str,
    actor=None,
    reason: str | None = None,
    at: datetime | None = None,
) -> dict:
    """One event row: who moved the order from one status to another, when and why."""
    return {
        "order_id": order_id,
        "from_status": from_status,
        "to_status": to_status,
        "actor_id": actor.id if actor is not None else None,
        "reason": reason,
        "created_at": at or utcnow(),
    }


def record_event(
    session: Session, order_id: int, from_status, to_status, actor=None, reason=None, at=None
) -> OrderEvent:
    """Write one event (an OrderEvent the caller may read back)."""
    event = OrderEvent(**event_values(order_id, from_status, to_status, actor, reason, at))
    session.add(event)
    session.flush()
    return event


def record_events(session: Session, rows: list[dict]) -> None:
    """Write many events (rows from `event_values`) in one INSERT per few thousand."""
    insert_rows(session, OrderEvent, rows)


def transition(session: Session, order, to_status: str, actor, reason: str | None = None):
    """Move the order to `to_status`, record the event and queue the notifications.

    The status is changed with a conditional UPDATE (`WHERE status = <seen>`), so two people
    acting on the same order at once cannot both succeed (for example cancel and confirm).
    """
    check(order, to_status, actor, reason)
    session.flush()  # pending changes to the order (delivered amounts) go first
    reason = (reason or "").strip() or None
    from_status = order.status
    now = utcnow()
    values = {"status": to_status, "updated_at": now}
    if to_status in STAMPS:
        values[STAMPS[to_status]] = now
    if to_status == CANCELLED:
        values["cancel_reason"] = reason
    if to_status == REJECTED:
        values["reject_reason"] = reason
    changed = session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.status == from_status)
        .values(**values)
        .returning(Order.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if changed is None:
        raise DomainError(_l("El pedido cambió mientras tanto; vuelve a cargar la página."))
    for key, value in values.items():
        # Keep the loaded object in step without marking it dirty.
        set_committed_value(order, key, value)
    event = record_event(session, order.id, from_status, to_status, actor, reason, now)
    notify_transition(session, order, from_status, to_status, actor, reason)
    return event
