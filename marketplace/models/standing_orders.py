"""Standing orders: a buyer's recurring order, and one row per delivery it leads to."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import Quantity, UTCDateTime, utcnow
from .accounts import Buyer, BuyerAddress, User
from .agreements import Agreement
from .catalog import Product
from .orders import Order
from .producers import Association

WEEKLY = "weekly"  # on chosen weekdays, every N weeks
MONTHLY = "monthly"  # on one day of the month; 31 means the month's last day
SCHEDULE_KINDS = (WEEKLY, MONTHLY)

SO_ACTIVE = "active"
SO_PAUSED = "paused"  # until paused_until (it resumes by itself), or until resumed
SO_CANCELLED = "cancelled"
STANDING_STATUSES = (SO_ACTIVE, SO_PAUSED, SO_CANCELLED)

# What the placement job did with an occurrence (set together with placed_at).
OUTCOME_PLACED = "placed"  # an order with everything asked
OUTCOME_SHORT = "short"  # an order with less than asked: stock was short
OUTCOME_UNFILLED = "unfilled"  # nothing of it was in stock: no order
OUTCOME_SKIPPED = "skipped"  # the buyer skipped this delivery
OUTCOMES = (OUTCOME_PLACED, OUTCOME_SHORT, OUTCOME_UNFILLED, OUTCOME_SKIPPED)


class StandingOrder(db.Model):
    """What one buyer receives from one association on a schedule, without retyping it."""

    __tablename__ = "standing_orders"
    __table_args__ = (
        sa.CheckConstraint(f"schedule_kind IN {SCHEDULE_KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"status IN {STANDING_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("every_weeks BETWEEN 1 AND 8", name="every_weeks_range"),
        sa.CheckConstraint(
            "month_day IS NULL OR month_day BETWEEN 1 AND 31", name="month_day_range"
        ),
        sa.CheckConstraint(
            "schedule_kind != 'weekly' OR length(weekdays) > 0", name="weekly_has_weekdays"
        ),
        sa.CheckConstraint(
            "schedule_kind != 'monthly' OR month_day IS NOT NULL", name="monthly_has_day"
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        sa.Index("ix_standing_orders_association_id_status", "association_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"))
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"), index=True)
    address_id: Mapped[int] = mapped_column(sa.ForeignKey("buyer_addresses.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    schedule_kind: Mapped[str] = mapped_column(sa.String(8), default=WEEKLY)
    # ISO weekdays as digits, Monday = 1 (as DeliveryRule.weekdays): "25" is Tue and Fri.
    weekdays: Mapped[str] = mapped_column(sa.String(7), default="")
    every_weeks: Mapped[int] = mapped_column(default=1)
    month_day: Mapped[int | None]
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default=SO_ACTIVE)
    paused_until: Mapped[date | None] = mapped_column(sa.Date)  # first date delivered again
    notes: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the schedule last changed (created, rescheduled, resumed): a delivery whose
    # cut-off had already passed then is never placed, so no association gets less lead time.
    rescheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    buyer: Mapped[Buyer] = relationship()
    association: Mapped[Association] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    address: Mapped[BuyerAddress] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[StandingOrderLine]] = relationship(
        back_populates="standing_order",
        order_by="StandingOrderLine.id",
        cascade="all, delete-orphan",
    )

    @property
    def number(self) -> str:
        return f"PF-{self.id:04d}"

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(ch) for ch in self.weekdays or ""]

    @property
    def is_active(self) -> bool:
        return self.status == SO_ACTIVE

    @property
    def is_paused(self) -> bool:
        return self.status == SO_PAUSED

    @property
    def is_cancelled(self) -> bool:
        """Cancelled for good: nothing more can be changed on it."""
        return self.status == SO_CANCELLED

    def paused_on(self, day: date) -> bool:
        """Whether a pause covers `day` (a pause with a date ends by itself that day)."""
        return self.status == SO_PAUSED and (self.paused_until is None or day < self.paused_until)


class StandingOrderLine(db.Model):
    """A product and the quantity every delivery brings, unless one delivery says otherwise."""

    __tablename__ = "standing_order_lines"
    __table_args__ = (
        sa.UniqueConstraint("standing_order_id", "product_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_order_id: Mapped[int] = mapped_column(sa.ForeignKey("standing_orders.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    # The unit price the buyer last saw or was told of: a different price to be placed at
    # is announced before the cut-off, once (services.standing_orders.notify_price_changes).
    last_notified_price_cents: Mapped[int | None] = mapped_column(sa.BigInteger)

    standing_order: Mapped[StandingOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class StandingOccurrence(db.Model):
    """One delivery of a standing order: skipped, changed, or placed as an order at most once.

    Rows are made when someone touches a delivery (skip, change, reminder) or when the job
    places it; UNIQUE(standing_order_id, delivery_date) keeps it one row per delivery, and
    the job claims a row with a conditional UPDATE on `placed_at IS NULL`. A delivery the
    calendar moves keeps its row (keyed by the schedule's date), so a skip or change made
    before the move carries over and the move can never make a second order.
    """

    __tablename__ = "standing_occurrences"
    __table_args__ = (
        sa.UniqueConstraint("standing_order_id", "delivery_date"),
        sa.UniqueConstraint("order_id"),
        sa.CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES!r}", name="outcome_known"),
        sa.CheckConstraint("(placed_at IS NULL) = (outcome IS NULL)", name="placed_has_outcome"),
        sa.CheckConstraint("order_id IS NULL OR placed_at IS NOT NULL", name="order_is_placed"),
        sa.Index("ix_standing_occurrences_delivery_date", "delivery_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_order_id: Mapped[int] = mapped_column(sa.ForeignKey("standing_orders.id"))
    # The schedule's date: the delivery's key, also when the calendar moves it (see moved_to).
    delivery_date: Mapped[date] = mapped_column(sa.Date)
    # The earlier day it was placed on when the association was closed on delivery_date.
    moved_to: Mapped[date | None] = mapped_column(sa.Date)
    skipped: Mapped[bool] = mapped_column(default=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the job handled it
    claim_token: Mapped[str | None] = mapped_column(sa.String(32), index=True)  # the job's batch
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    standing_order: Mapped[StandingOrder] = relationship()
    order: Mapped[Order | None] = relationship()
    lines: Mapped[list[StandingOccurrenceLine]] = relationship(
        back_populates="occurrence",
        order_by="StandingOccurrenceLine.id",
        cascade="all, delete-orphan",
    )


class StandingOccurrenceLine(db.Model):
    """One product of one delivery: the buyer's change for it, and what was placed.

    `quantity` is the buyer's change for this delivery only (None: the standing quantity;
    0: none this time; a product not on the standing order: an added line). At placement
    `requested_quantity` and `placed_quantity` record what was asked and what stock allowed.
    """

    __tablename__ = "standing_occurrence_lines"
    __table_args__ = (
        sa.UniqueConstraint("occurrence_id", "product_id"),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint(
            "placed_quantity IS NULL OR (placed_quantity >= 0 "
            "AND placed_quantity <= requested_quantity)",
            name="placed_within_requested",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(sa.ForeignKey("standing_occurrences.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    requested_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    placed_quantity: Mapped[Decimal | None] = mapped_column(Quantity)

    occurrence: Mapped[StandingOccurrence] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def shortfall(self) -> Decimal:
        if self.requested_quantity is None or self.placed_quantity is None:
            return Decimal("0")
        return self.requested_quantity - self.placed_quantity
