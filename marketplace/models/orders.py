"""Orders and the cart they come from: one buyer, one association, one delivery date."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..labels import order_number
from ..types import Quantity, UTCDateTime, utcnow
from .accounts import Buyer, BuyerAddress, User
from .catalog import Product
from .order_status import PLACED, STATUSES
from .producers import Association

SOURCE_ONE_OFF = "one_off"  # placed from the cart
SOURCE_STANDING = "standing"  # placed by the standing-order job
SOURCE_SAMPLE = "sample"  # a free sample the buyer asked for
SOURCES = (SOURCE_ONE_OFF, SOURCE_STANDING, SOURCE_SAMPLE)


class Order(db.Model):
    """What one buyer asked of one association for one delivery date, with frozen prices."""

    __tablename__ = "orders"
    __table_args__ = (
        # A checkout submitted twice finds its orders instead of making new ones.
        sa.UniqueConstraint("checkout_token", "association_id"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        sa.CheckConstraint(f"source IN {SOURCES!r}", name="source_known"),
        sa.CheckConstraint("subtotal_cents >= 0 AND igv_cents >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("total_cents = subtotal_cents + igv_cents", name="total_adds_up"),
        sa.CheckConstraint(
            "delivered_total_cents IS NULL "
            "OR delivered_total_cents = delivered_subtotal_cents + delivered_igv_cents",
            name="delivered_total_adds_up",
        ),
        sa.CheckConstraint(
            "status != 'rejected' OR reject_reason IS NOT NULL", name="rejection_has_reason"
        ),
        sa.CheckConstraint(
            "status != 'delivered' OR delivered_total_cents IS NOT NULL",
            name="delivery_has_amount",
        ),
        sa.Index("ix_orders_buyer_id_created_at", "buyer_id", "created_at"),
        sa.Index(
            "ix_orders_association_id_status_delivery_date",
            "association_id",
            "status",
            "delivery_date",
        ),
        # Dashboards: the orders delivered within a period (services/reporting/).
        sa.Index("ix_orders_status_delivered_at", "status", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    placed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    address_id: Mapped[int | None] = mapped_column(sa.ForeignKey("buyer_addresses.id"))
    # Where it goes, as it was when ordered (the address book may change later).
    delivery_label: Mapped[str] = mapped_column(sa.String(80), default="")
    delivery_address: Mapped[str] = mapped_column(sa.String(300), default="")
    delivery_city: Mapped[str] = mapped_column(sa.String(16), default="")
    delivery_date: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PLACED)
    source: Mapped[str] = mapped_column(sa.String(16), default=SOURCE_ONE_OFF)
    checkout_token: Mapped[str | None] = mapped_column(sa.String(64))
    subtotal_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    igv_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Set at delivery from the delivered quantities: what is actually owed.
    delivered_subtotal_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    delivered_igv_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    delivered_total_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    notes: Mapped[str | None] = mapped_column(sa.String(500))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    reject_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # cancelled or rejected

    buyer: Mapped[Buyer] = relationship()
    association: Mapped[Association] = relationship()
    placed_by: Mapped[User | None] = relationship()
    address: Mapped[BuyerAddress | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        """The reference people read out on the phone."""
        return order_number(self.id)

    @property
    def amount_due_cents(self) -> int:
        """What the buyer owes: the delivered amount once delivered, else the ordered one."""
        if self.delivered_total_cents is not None:
            return self.delivered_total_cents
        return self.total_cents

    @property
    def delivered_short(self) -> bool:
        return self.delivered_total_cents is not None and self.delivered_total_cents < (
            self.total_cents
        )

    @property
    def is_sample(self) -> bool:
        return self.source == SOURCE_SAMPLE

    # What happens next to the order, for the pages that offer it (the lifecycle and who may
    # make each move live in services.order_states).
    @property
    def awaits_confirmation(self) -> bool:
        """Placed: the association confirms or rejects it next."""
        return self.status == "placed"

    @property
    def awaits_dispatch(self) -> bool:
        """Confirmed: the association dispatches it next (once any payment hold is lifted)."""
        return self.status == "confirmed"

    @property
    def awaits_delivery(self) -> bool:
        """On its way: the association records the delivery next."""
        return self.status == "dispatched"

    @property
    def is_from_standing_order(self) -> bool:
        return self.source == SOURCE_STANDING


class OrderLine(db.Model):
    """One product in an order, with what it was called and cost when it was ordered."""

    __tablename__ = "order_lines"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "product_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "delivered_quantity IS NULL OR (delivered_quantity >= 0 "
            "AND delivered_quantity <= quantity)",
            name="delivered_within_ordered",
        ),
        sa.CheckConstraint(
            "requested_quantity IS NULL OR requested_quantity >= quantity",
            name="placed_within_requested",
        ),
        sa.CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("line_total_cents >= 0", name="total_not_negative"),
        sa.CheckConstraint("NOT is_sample OR unit_price_cents = 0", name="sample_is_free"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(160))
    variety: Mapped[str] = mapped_column(sa.String(80))
    unit: Mapped[str] = mapped_column(sa.String(16))
    weight_per_unit_kg: Mapped[Decimal] = mapped_column(Quantity)
    unit_price_cents: Mapped[int] = mapped_column(sa.BigInteger)  # before IGV, frozen
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    delivered_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    # What a standing order asked when stock allowed less (`quantity` is what was placed).
    requested_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    line_total_cents: Mapped[int] = mapped_column(sa.BigInteger)
    delivered_total_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    is_sample: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def weight_kg(self) -> Decimal:
        return self.quantity * self.weight_per_unit_kg

    @property
    def stock_shortfall(self) -> Decimal:
        """How much less was placed than asked because stock was short (standing orders)."""
        if self.requested_quantity is None:
            return Decimal("0")
        return self.requested_quantity - self.quantity

    @property
    def short_quantity(self) -> Decimal:
        if self.delivered_quantity is None:
            return Decimal("0")
        return self.quantity - self.delivered_quantity


class OrderEvent(db.Model):
    """One change of an order's status: from what, to what, by whom, when and why."""

    __tablename__ = "order_events"
    __table_args__ = (
        sa.CheckConstraint(f"to_status IN {STATUSES!r}", name="to_status_known"),
        sa.Index("ix_order_events_order_id_id", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))  # None when placed
    to_status: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: a job
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Cart(db.Model):
    """A buyer user's cart, kept in the database so it follows them between devices.

    `checkout_token` is handed to every checkout form rendered from this cart and renewed
    after a successful checkout, so a double click or a second tab places one set of orders.
    """

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    checkout_token: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", order_by="CartItem.id", cascade="all, delete-orphan"
    )


class CartItem(db.Model):
    __tablename__ = "cart_items"
    __table_args__ = (
        sa.UniqueConstraint("cart_id", "product_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("carts.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
