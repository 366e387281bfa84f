"""Producer associations: who they are, their story, photos, delivery rules and closures."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow
from .accounts import CITIES, User


class Association(db.Model):
    __tablename__ = "associations"
    __table_args__ = (
        sa.CheckConstraint("member_families >= 0", name="families_not_negative"),
        sa.CheckConstraint("min_order_cents >= 0", name="min_order_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    tagline: Mapped[str] = mapped_column(sa.String(200), default="")
    district: Mapped[str] = mapped_column(sa.String(80))
    province: Mapped[str] = mapped_column(sa.String(80))
    region: Mapped[str] = mapped_column(sa.String(80))
    member_families: Mapped[int] = mapped_column(default=0)
    founded_year: Mapped[int | None]
    # The origin story, in the three parts buyers' customers ask about.
    story_people: Mapped[str] = mapped_column(sa.Text, default="")
    story_practice: Mapped[str] = mapped_column(sa.Text, default="")
    story_benefit: Mapped[str] = mapped_column(sa.Text, default="")
    ruc: Mapped[str | None] = mapped_column(sa.String(11), unique=True)
    ruc_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sanitary_registration: Mapped[str | None] = mapped_column(sa.String(60))
    sanitary_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    min_order_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    contact_phone: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    promoters: Mapped[list[User]] = relationship(back_populates="association")
    photos: Mapped[list[AssociationPhoto]] = relationship(
        back_populates="association", order_by="AssociationPhoto.position"
    )
    delivery_rules: Mapped[list[DeliveryRule]] = relationship(
        back_populates="association", order_by="DeliveryRule.city"
    )
    products: Mapped[list[Product]] = relationship(back_populates="association")  # noqa: F821

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class AssociationPhoto(db.Model):
    __tablename__ = "association_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    image: Mapped[str] = mapped_column(sa.String(64))  # server-chosen stem, see services.photos
    alt_text: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    association: Mapped[Association] = relationship(back_populates="photos")


class DeliveryRule(db.Model):
    """On which weekdays an association delivers to a city, and how many days ahead it needs."""

    __tablename__ = "delivery_rules"
    __table_args__ = (
        sa.UniqueConstraint("association_id", "city"),
        sa.CheckConstraint(f"city IN {CITIES!r}", name="city_known"),
        sa.CheckConstraint("lead_days >= 0", name="lead_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"))
    city: Mapped[str] = mapped_column(sa.String(16))
    # ISO weekdays as digits, Monday = 1: "25" is Tuesday and Friday.
    weekdays: Mapped[str] = mapped_column(sa.String(7))
    lead_days: Mapped[int] = mapped_column(default=2)

    association: Mapped[Association] = relationship(back_populates="delivery_rules")

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(ch) for ch in self.weekdays]


class AssociationClosure(db.Model):
    """Days an association does not deliver (a festival, a road cut), both dates included.

    Set by its promoter or by staff; the reason is shown to buyers. Closures of one
    association never overlap (services.calendar checks it). `dates_set_at` is when the
    dates were last set: a standing delivery is only moved to an earlier day whose cut-off
    was still ahead then (see docs/calendar.md).
    """

    __tablename__ = "association_closures"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
        sa.Index("ix_association_closures_association_id_end_date", "association_id", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"))
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dates_set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date
