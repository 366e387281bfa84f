"""Accounts: invitations for promoters (and colleagues), and accepting them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import ROLE_PROMOTER, User
from ..types import utcnow
from . import DomainError

INVITE_VALID_FOR = timedelta(days=14)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def hash_token(token: str) -> str:
    """Only a hash of an invitation token is stored; the token itself travels in the link."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(session: Session, email: str) -> bool:
    return (
        session.scalar(sa.select(User.id).where(User.email == normalise_email(email)))
        is not None
    )


def invite_promoter(
    session: Session, association_id: int, name: str, email: str, phone: str | None = None
) -> tuple[User, str]:
    """Create a promoter without a password and return it with its one-time invitation token."""
    if email_taken(session, email):
        raise DomainError(_l("Ya existe una cuenta con este correo."), field="email")
    token = secrets.token_urlsafe(32)
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=ROLE_PROMOTER,
        association_id=association_id,
        phone=phone or None,
        invite_token_hash=hash_token(token),
        invite_expires_at=utcnow() + INVITE_VALID_FOR,
    )
    session.add(user)
    session.flush()
    return user, token


def user_for_invite(session: Session, token: str) -> User | None:
    """The invited user behind a token, if the invitation is still valid."""
    user = session.scalar(sa.select(User).where(User.invite_token_hash == hash_token(token)))
    if user is None or user.invite_expires_at is None or user.invite_expires_at < utcnow():
        return None
    return user


def accept_invite(session: Session, token: str, password: str) -> User:
    """Set the invited user's password; the token works once."""
    user = user_for_invite(session, token)
    if user is None:
        raise DomainError(_l("Esta invitación no es válida o ya venció."))
    check_password_policy(password)
    user.set_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    return user


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("La contraseña necesita al menos %(n)s caracteres.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_l("La contraseña es demasiado larga."), field="password")
