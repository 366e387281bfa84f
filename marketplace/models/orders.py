"""Orders: one buyer, one association, one delivery date."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class Order(db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="placed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
