"""What associations sell, and the ledger behind every change of stock."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import Quantity, UTCDateTime, utcnow

CATEGORIES = ("cheese", "maize")
UNITS = ("kg", "piece", "sack50")

# Why stock changed; every movement names one.
REASON_COUNT = "count"  # the promoter counted what is on the shelf
REASON_PRODUCTION = "production"  # newly made or harvested
REASON_RESERVATION = "reservation"  # an order took it
REASON_RELEASE = "release"  # a cancelled or rejected order gave it back
REASON_DELIVERY = "delivery_adjustment"  # delivered less than reserved
REASON_SAMPLE = "sample"  # given away as a sample
REASON_CORRECTION = "correction"  # staff corrected a mistake
STOCK_REASONS = (
    REASON_COUNT,
    REASON_PRODUCTION,
    REASON_RESERVATION,
    REASON_RELEASE,
    REASON_DELIVERY,
    REASON_SAMPLE,
    REASON_CORRECTION,
)


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("association_id", "slug"),
        sa.CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("weight_per_unit_kg > 0", name="weight_positive"),
        sa.CheckConstraint(f"category IN {CATEGORIES!r}", name="category_known"),
        sa.CheckConstraint(f"unit IN {UNITS!r}", name="unit_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[str] = mapped_column(sa.String(160))
    category: Mapped[str] = mapped_column(sa.String(16), index=True)
    variety: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    unit: Mapped[str] = mapped_column(sa.String(16))
    weight_per_unit_kg: Mapped[Decimal] = mapped_column(Quantity)
    price_cents: Mapped[int] = mapped_column(sa.BigInteger)  # list price per sale unit, before IGV
    stock_on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    samples_offered: Mapped[bool] = mapped_column(default=False)
    shelf_life_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    image: Mapped[str | None] = mapped_column(sa.String(64))  # server-chosen stem
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    association: Mapped[Association] = relationship(back_populates="products")  # noqa: F821
    movements: Mapped[list[StockMovement]] = relationship(
        back_populates="product", order_by="StockMovement.id", lazy="dynamic"
    )


class StockMovement(db.Model):
    """One signed change of a product's stock; their sum is the stock on hand."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        sa.CheckConstraint(f"reason IN {STOCK_REASONS!r}", name="reason_known"),
        sa.CheckConstraint("balance_after >= 0", name="balance_not_negative"),
        sa.Index("ix_stock_movements_product_id_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    balance_after: Mapped[Decimal] = mapped_column(Quantity)
    reason: Mapped[str] = mapped_column(sa.String(24))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="movements")
