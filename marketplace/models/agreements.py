"""Commercial collaboration agreements between one buyer and one association, with history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import Quantity, UTCDateTime, utcnow
from .accounts import Buyer, User
from .catalog import Product
from .producers import Association

DRAFT = "draft"  # staff are writing it; nobody else sees it
PROPOSED = "proposed"  # sent to both sides; each accepts in the app
ACTIVE = "active"  # both accepted: its prices and commitments are in force
PAUSED = "paused"  # on hold (a bad season, a closed road): list prices apply meanwhile
ENDED = "ended"  # over (expired, renewed, or ended by staff); kept for the history
AGREEMENT_STATUSES = (DRAFT, PROPOSED, ACTIVE, PAUSED, ENDED)

FREQUENCIES = ("weekly", "biweekly", "monthly", "on_demand")


class Agreement(db.Model):
    """One version of an agreement; a renewal is a new row pointing at the one it follows."""

    __tablename__ = "agreements"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {AGREEMENT_STATUSES!r}", name="status_known"),
        sa.CheckConstraint(f"delivery_frequency IN {FREQUENCIES!r}", name="frequency_known"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("committed_kg_per_month >= 0", name="commitment_not_negative"),
        sa.CheckConstraint("payment_terms_days >= 0", name="terms_not_negative"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        sa.CheckConstraint(
            "status != 'active' OR (buyer_accepted_at IS NOT NULL "
            "AND association_accepted_at IS NOT NULL)",
            name="active_needs_both_acceptances",
        ),
        sa.UniqueConstraint("buyer_id", "association_id", "version"),
        # A version is renewed at most once: the chain of versions never forks.
        sa.UniqueConstraint("previous_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=DRAFT)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    committed_kg_per_month: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    delivery_frequency: Mapped[str] = mapped_column(sa.String(16), default="weekly")
    payment_terms_days: Mapped[int] = mapped_column(default=0)  # 0: paid on delivery
    payment_terms_note: Mapped[str] = mapped_column(sa.String(300), default="")
    # What each side commits to, in the words both signed.
    flavour_standard: Mapped[str] = mapped_column(sa.Text, default="")
    activations: Mapped[str] = mapped_column(sa.Text, default="")
    merchandising: Mapped[str] = mapped_column(sa.Text, default="")
    visits: Mapped[str] = mapped_column(sa.Text, default="")
    buyer_commitments: Mapped[str] = mapped_column(sa.Text, default="")
    association_commitments: Mapped[str] = mapped_column(sa.Text, default="")
    buyer_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    buyer_accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    association_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    association_accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buyer: Mapped[Buyer] = relationship()
    association: Mapped[Association] = relationship()
    previous: Mapped[Agreement | None] = relationship(remote_side="Agreement.id")
    prices: Mapped[list[AgreementPrice]] = relationship(
        back_populates="agreement", order_by="AgreementPrice.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[AgreementEvent]] = relationship(
        back_populates="agreement", order_by="AgreementEvent.id", cascade="all, delete-orphan"
    )
    buyer_accepted_by: Mapped[User | None] = relationship(foreign_keys=[buyer_accepted_by_id])
    association_accepted_by: Mapped[User | None] = relationship(
        foreign_keys=[association_accepted_by_id]
    )

    @property
    def number(self) -> str:
        """The reference on paper: 'AC-0007 v2'."""
        return f"AC-{self.id:04d} v{self.version}"

    def in_force_on(self, day: date) -> bool:
        """Whether its prices apply to a delivery on `day`."""
        return (
            self.status == ACTIVE
            and self.start_date <= day
            and (self.end_date is None or day <= self.end_date)
        )

    @property
    def is_draft(self) -> bool:
        """Still being written by staff: only they see it."""
        return self.status == DRAFT

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def awaits_buyer(self) -> bool:
        """Proposed, and the buyer has not accepted yet: their answer is awaited."""
        return self.status == PROPOSED and self.buyer_accepted_at is None

    @property
    def awaits_association(self) -> bool:
        """Proposed, and the association has not accepted yet: their answer is awaited."""
        return self.status == PROPOSED and self.association_accepted_at is None

    @property
    def was_in_force(self) -> bool:
        """Active now or before (paused or ended after being active): it may be renewed."""
        return self.status in (ACTIVE, PAUSED, ENDED)


class AgreementPrice(db.Model):
    """The agreed price of one product, per sale unit before IGV, in céntimos."""

    __tablename__ = "agreement_prices"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "product_id"),
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    price_cents: Mapped[int] = mapped_column(sa.BigInteger)

    agreement: Mapped[Agreement] = relationship(back_populates="prices")
    product: Mapped[Product] = relationship()


class AgreementEvent(db.Model):
    """One step of an agreement's life: who did what, when and why."""

    __tablename__ = "agreement_events"
    __table_args__ = (
        sa.CheckConstraint(f"to_status IN {AGREEMENT_STATUSES!r}", name="to_status_known"),
        sa.Index("ix_agreement_events_agreement_id_id", "agreement_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id"))
    action: Mapped[str] = mapped_column(sa.String(24))  # see services.agreements.ACTIONS
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: a job
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
