"""People and the businesses they act for: users, buyers and their delivery addresses."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..types import UTCDateTime, utcnow

ROLE_BUYER = "buyer"
ROLE_PROMOTER = "promoter"
ROLE_STAFF = "staff"
ROLES = (ROLE_BUYER, ROLE_PROMOTER, ROLE_STAFF)

BUYER_KINDS = ("hotel", "restaurant", "cafe", "shop")
CITIES = ("cusco", "lima")


def password_hash_method() -> str:
    """scrypt with Werkzeug's strong defaults; tests may choose cheaper scrypt parameters."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if current_app else "scrypt"


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
        sa.CheckConstraint("(role = 'buyer') = (buyer_id IS NOT NULL)", name="buyer_has_business"),
        sa.CheckConstraint(
            "(role = 'promoter') = (association_id IS NOT NULL)",
            name="promoter_has_association",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    buyer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change, on "sign out everywhere" and when the account is switched
    # off, so that every older session and remember cookie stops being valid.
    session_version: Mapped[int] = mapped_column(default=1)
    # The password no longer meets the rules: asked to choose a new one after the next login.
    password_change_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    invite_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    buyer: Mapped[Buyer | None] = relationship(back_populates="users")
    association: Mapped[Association | None] = relationship(back_populates="promoters")  # noqa: F821

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    #: The secret of the login this request runs in (not stored; see UserLogin).
    login_token = None

    def get_id(self) -> str:
        """What the session and the remember cookie carry: "<id>:<version>:<login token>"."""
        return f"{self.id}:{self.session_version}:{self.login_token or ''}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_buyer(self) -> bool:
        return self.role == ROLE_BUYER

    @property
    def is_promoter(self) -> bool:
        return self.role == ROLE_PROMOTER

    @property
    def is_staff(self) -> bool:
        return self.role == ROLE_STAFF


class UserLogin(db.Model):
    """One signed-in browser: its session and remember cookies name it by a secret token,
    of which only a hash is kept. Logging out deletes the row, so both cookies stop working."""

    __tablename__ = "user_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(db.Model):
    """Failed logins for one e-mail address (known or not), shared by every worker."""

    __tablename__ = "login_throttles"

    # sha256 of the normalised e-mail: addresses people mistype are not kept in clear.
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Buyer(db.Model):
    """A Horeca or shop that orders: the tenant buyers' records are scoped to."""

    __tablename__ = "buyers"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {BUYER_KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"city IN {CITIES!r}", name="city_known"),
        sa.CheckConstraint("length(ruc) = 11", name="ruc_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    trade_name: Mapped[str] = mapped_column(sa.String(200))
    ruc: Mapped[str] = mapped_column(sa.String(11), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    city: Mapped[str] = mapped_column(sa.String(16))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="buyer")
    addresses: Mapped[list[BuyerAddress]] = relationship(
        back_populates="buyer", order_by="BuyerAddress.id"
    )

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class BuyerAddress(db.Model):
    """A delivery location of a buyer (a kitchen, a hotel's back door, a shop)."""

    __tablename__ = "buyer_addresses"
    __table_args__ = (sa.CheckConstraint(f"city IN {CITIES!r}", name="city_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(80))
    address: Mapped[str] = mapped_column(sa.String(300))
    city: Mapped[str] = mapped_column(sa.String(16))
    notes: Mapped[str | None] = mapped_column(sa.String(300))
    active: Mapped[bool] = mapped_column(default=True)

    buyer: Mapped[Buyer] = relationship(back_populates="addresses")
