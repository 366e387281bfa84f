"""Accounts: registering a buyer business, invitations for promoters and colleagues,
accepting them, profiles, passwords and delivery addresses."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum
from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import (
    BUYER_KINDS,
    CITIES,
    ROLE_BUYER,
    ROLE_PROMOTER,
    Buyer,
    BuyerAddress,
    User,
)
from ..models.accounts import password_hash_method
from ..types import utcnow
from . import DomainError
from .logins import end_all_logins
from .passwords import (  # noqa: F401  (the password rules, as accounts' callers know them)
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_new_password,
    password_problem,
)
from .ruc import normalise_ruc, ruc_problem  # noqa: F401  (callers ask accounts)

INVITE_VALID_FOR = timedelta(days=14)


EMAIL_TAKEN = _l("Ya existe una cuenta con este correo.")
RUC_TAKEN = _l(
    "Ya hay un negocio registrado con este RUC. Si es el tuyo, pide a un colega que te invite."
)


def hash_token(token: str) -> str:
    """Only a hash of an invitation token is stored; the token itself travels in the link."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(session: Session, email: str) -> bool:
    return (
        session.scalar(sa.select(User.id).where(User.email == normalise_email(email))) is not None
    )


@cache
def _decoy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    An unknown email costs the same hashing as a wrong password, so timing does not tell
    which emails have accounts.
    """
    user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.password_hash:
        check_password_hash(_decoy_hash(password_hash_method()), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def ruc_taken(session: Session, ruc: str) -> bool:
    return session.scalar(sa.select(Buyer.id).where(Buyer.ruc == normalise_ruc(ruc))) is not None


def identity_words(user: User) -> tuple[str, tuple[str, ...]]:
    """What a user's password must not repeat: the e-mail, the person's and business' names."""
    names = [user.name or ""]
    if user.buyer is not None:
        names += [user.buyer.legal_name, user.buyer.trade_name]
    if user.association is not None:
        names.append(user.association.name)
    return user.email or "", tuple(names)


def check_password_policy(password: str, user: User | None = None) -> None:
    """Refuse a new password that breaks the rules (services/passwords.py), at its field."""
    email, names = identity_words(user) if user is not None else ("", ())
    check_new_password(password, email, names)


def password_needs_change(user: User, password: str) -> bool:
    """Whether the password a user just logged in with no longer meets the rules."""
    email, names = identity_words(user)
    return password_problem(password, email, names) is not None


def check_registration_unique(session: Session, ruc: str, email: str) -> None:
    """Refuse a RUC or an email that another account already uses."""
    if ruc_taken(session, ruc):
        raise DomainError(RUC_TAKEN, field="ruc")
    if email_taken(session, email):
        raise DomainError(EMAIL_TAKEN, field="email")


def register_buyer(
    session: Session,
    *,
    legal_name: str,
    trade_name: str,
    ruc: str,
    kind: str,
    city: str,
    address_label: str,
    address: str,
    name: str,
    email: str,
    password: str,
) -> User:
    """Create a business, its first delivery address and its first user, not yet verified."""
    problem = ruc_problem(ruc)
    if problem:
        raise DomainError(problem, field="ruc")
    if kind not in BUYER_KINDS:
        raise DomainError(_l("Elige el tipo de negocio."), field="kind")
    if city not in CITIES:
        raise DomainError(_l("Elige la ciudad."), field="city")
    check_new_password(password, email, (name, legal_name, trade_name))
    check_registration_unique(session, ruc, email)
    buyer = Buyer(
        legal_name=legal_name.strip(),
        trade_name=trade_name.strip(),
        ruc=normalise_ruc(ruc),
        kind=kind,
        city=city,
    )
    buyer.addresses.append(
        BuyerAddress(label=address_label.strip(), address=address.strip(), city=city)
    )
    user = User(email=normalise_email(email), name=name.strip(), role=ROLE_BUYER, buyer=buyer)
    user.set_password(password)
    session.add_all([buyer, user])
    session.flush()
    return user


def _invite(session: Session, name: str, email: str, **fields) -> tuple[User, str]:
    """A user without a password, reachable only through a one-time invitation token."""
    if email_taken(session, email):
        raise DomainError(EMAIL_TAKEN, field="email")
    token = secrets.token_urlsafe(32)
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        invite_token_hash=hash_token(token),
        invite_expires_at=utcnow() + INVITE_VALID_FOR,
        **fields,
    )
    session.add(user)
    session.flush()
    return user, token


def invite_promoter(
    session: Session, association_id: int, name: str, email: str, phone: str | None = None
) -> tuple[User, str]:
    """Create a promoter without a password and return it with its one-time invitation token."""
    return _invite(
        session,
        name,
        email,
        role=ROLE_PROMOTER,
        association_id=association_id,
        phone=phone or None,
    )


def invite_colleague(session: Session, buyer_id: int, name: str, email: str) -> tuple[User, str]:
    """Add a colleague to a buyer business; returns the user and its one-time token."""
    return _invite(session, name, email, role=ROLE_BUYER, buyer_id=buyer_id)


def is_pending(user: User) -> bool:
    """Invited and not yet accepted: no password set yet."""
    return user.active and user.password_hash is None


def reissue_invite(session: Session, user: User) -> str:
    """A fresh invitation link for someone who has not accepted yet; the old link stops."""
    if not is_pending(user):
        raise DomainError(_l("Esta persona ya no tiene una invitación pendiente."))
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = hash_token(token)
    user.invite_expires_at = utcnow() + INVITE_VALID_FOR
    return token


def user_for_invite(session: Session, token: str) -> User | None:
    """The invited user behind a token, if the invitation is still valid."""
    user = session.scalar(sa.select(User).where(User.invite_token_hash == hash_token(token)))
    if (
        user is None
        or not user.active
        or user.invite_expires_at is None
        or user.invite_expires_at < utcnow()
    ):
        return None
    return user


def accept_invite(session: Session, token: str, password: str) -> User:
    """Set the invited user's password; the token works once."""
    user = user_for_invite(session, token)
    if user is None:
        raise DomainError(_l("Esta invitación no es válida o ya venció."))
    check_password_policy(password, user)
    user.set_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    return user


def deactivate_colleague(session: Session, actor: User, colleague: User) -> None:
    """Stop a colleague's access: no login, no pending invitation, current sessions end."""
    if colleague.id == actor.id:
        raise DomainError(_l("No puedes desactivar tu propia cuenta."))
    if colleague.buyer_id != actor.buyer_id:
        raise DomainError(_l("Esta persona no pertenece a tu negocio."))
    colleague.active = False
    colleague.invite_token_hash = None
    colleague.invite_expires_at = None
    end_all_logins(session, colleague)


def update_profile(session: Session, user: User, name: str, locale: str | None) -> None:
    """Change one's own name and language."""
    name = name.strip()
    if not name:
        raise DomainError(_l("Escribe tu nombre."), field="name")
    user.name = name
    user.locale = locale or None


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change one's own password; every session of the user ends (the caller opens a new one)."""
    if not user.check_password(current):
        raise DomainError(_l("La contraseña actual no es correcta."), field="current_password")
    if new == current:
        raise DomainError(_l("Elige una contraseña distinta de la actual."), field="password")
    check_password_policy(new, user)
    user.set_password(new)
    user.password_change_required = False
    end_all_logins(session, user)


def check_address(label: str, address: str, city: str) -> None:
    if not label.strip():
        raise DomainError(_l("Dale un nombre a este lugar de entrega."), field="label")
    if not address.strip():
        raise DomainError(_l("Escribe la dirección."), field="address")
    if city not in CITIES:
        raise DomainError(_l("Elige la ciudad."), field="city")


def add_address(
    session: Session, buyer_id: int, label: str, address: str, city: str, notes: str = ""
) -> BuyerAddress:
    """A new delivery location for a buyer."""
    check_address(label, address, city)
    record = BuyerAddress(
        buyer_id=buyer_id,
        label=label.strip(),
        address=address.strip(),
        city=city,
        notes=notes.strip() or None,
    )
    session.add(record)
    session.flush()
    return record


def update_address(
    session: Session, record: BuyerAddress, label: str, address: str, city: str, notes: str = ""
) -> None:
    check_address(label, address, city)
    record.label = label.strip()
    record.address = address.strip()
    record.city = city
    record.notes = notes.strip() or None


def deactivate_address(session: Session, record: BuyerAddress) -> None:
    """Hide an address from new orders; a business keeps at least one active address."""
    others = session.scalar(
        sa.select(sa.func.count(BuyerAddress.id)).where(
            BuyerAddress.buyer_id == record.buyer_id,
            BuyerAddress.active.is_(True),
            BuyerAddress.id != record.id,
        )
    )
    if not others:
        raise DomainError(_l("Tu negocio necesita al menos una dirección de entrega activa."))
    record.active = False


class MemberStatus(StrEnum):
    """Where a person of a business stands; pages ask it rather than compare words."""

    ACTIVE = "active"  # has a password and can log in
    INVITED = "invited"  # the invitation link is waiting to be used
    EXPIRED = "expired"  # the invitation link ran out; a new one can be made
    DISABLED = "disabled"  # switched off by a colleague or by staff

    @property
    def is_active(self) -> bool:
        return self is MemberStatus.ACTIVE

    @property
    def is_invited(self) -> bool:
        return self is MemberStatus.INVITED

    @property
    def is_expired(self) -> bool:
        return self is MemberStatus.EXPIRED

    @property
    def is_disabled(self) -> bool:
        return self is MemberStatus.DISABLED

    @property
    def may_get_new_link(self) -> bool:
        """Invited and not in yet: a colleague may send a new invitation link."""
        return self in (MemberStatus.INVITED, MemberStatus.EXPIRED)


MEMBER_ACTIVE = MemberStatus.ACTIVE
MEMBER_INVITED = MemberStatus.INVITED
MEMBER_EXPIRED = MemberStatus.EXPIRED
MEMBER_DISABLED = MemberStatus.DISABLED


def member_status(user: User) -> MemberStatus:
    """Where a person of a business stands, derived from the account."""
    if not user.active:
        return MEMBER_DISABLED
    if user.password_hash is None:
        expires = user.invite_expires_at
        return MEMBER_INVITED if expires is not None and expires >= utcnow() else MEMBER_EXPIRED
    return MEMBER_ACTIVE


def business_members(session: Session, buyer_id: int) -> list[User]:
    """Everyone of a business: active first, then invited, then switched off; by name."""
    users = session.scalars(
        sa.select(User).where(User.buyer_id == buyer_id).order_by(User.name, User.id)
    )
    order = [MEMBER_ACTIVE, MEMBER_INVITED, MEMBER_EXPIRED, MEMBER_DISABLED]
    return sorted(users, key=lambda u: order.index(member_status(u)))


def active_addresses(session: Session, buyer_id: int) -> list[BuyerAddress]:
    return list(
        session.scalars(
            sa.select(BuyerAddress)
            .where(BuyerAddress.buyer_id == buyer_id, BuyerAddress.active.is_(True))
            .order_by(BuyerAddress.id)
        )
    )
