"""Onboarding by platform staff: creating associations, verifying associations and buyers,
and looking after the promoters who act for each association."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..labels import WEEKDAY_DIGITS
from ..models import CITIES, ROLE_PROMOTER, Association, Buyer, DeliveryRule, User
from ..types import utcnow
from . import DomainError
from .accounts import invite_promoter, reissue_invite
from .ruc import is_valid_ruc

SLUG_MAX = 80

# What can be verified on an association: the field holding the date, and the value it needs.
CHECKS = {
    "association": ("verified_at", None),
    "ruc": ("ruc_verified_at", "ruc"),
    "sanitary": ("sanitary_verified_at", "sanitary_registration"),
}


class PromoterStatus(StrEnum):
    """A promoter's state, derived from the account; pages ask it rather than compare words."""

    INVITED = "invited"  # no password yet: the invitation link is pending
    ACTIVE = "active"  # accepted the invitation and can log in
    DISABLED = "disabled"  # staff switched the account off

    @property
    def is_invited(self) -> bool:
        return self is PromoterStatus.INVITED

    @property
    def is_active(self) -> bool:
        return self is PromoterStatus.ACTIVE

    @property
    def is_disabled(self) -> bool:
        return self is PromoterStatus.DISABLED


PROMOTER_INVITED = PromoterStatus.INVITED
PROMOTER_ACTIVE = PromoterStatus.ACTIVE
PROMOTER_DISABLED = PromoterStatus.DISABLED
PROMOTER_STATUSES = (PROMOTER_INVITED, PROMOTER_ACTIVE, PROMOTER_DISABLED)


@dataclass
class AssociationData:
    """The association's own fields, as staff type them (money already in céntimos)."""

    name: str
    district: str
    province: str
    region: str
    member_families: int
    min_order_cents: int = 0
    tagline: str = ""
    founded_year: int | None = None
    ruc: str | None = None
    sanitary_registration: str | None = None
    contact_phone: str | None = None


@dataclass
class DeliveryRuleData:
    city: str
    weekdays: str  # ISO digits, e.g. "25"
    lead_days: int


def slugify(name: str) -> str:
    """An ASCII, lower-case, hyphenated form of a name: 'Huaroq Sara' -> 'huaroq-sara'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def normalise_weekdays(days) -> str:
    """ISO weekday digits, sorted and without repeats: ['5', '2'] -> '25'."""
    digits = {str(d) for d in days}
    if not digits or not digits <= set(WEEKDAY_DIGITS):
        raise DomainError(_l("Elige al menos un día de entrega."), field="delivery_weekdays")
    return "".join(sorted(digits))


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_ruc(session: Session, ruc: str | None, association_id: int | None) -> None:
    if ruc is None:
        return
    if not is_valid_ruc(ruc):
        raise DomainError(
            _l("El RUC no es válido: son 11 dígitos y el último es un dígito de control."),
            field="ruc",
        )
    query = sa.select(Association.id).where(Association.ruc == ruc)
    if association_id is not None:
        query = query.where(Association.id != association_id)
    if session.scalar(query) is not None:
        raise DomainError(_l("Otra asociación ya tiene este RUC."), field="ruc")


def _apply(association: Association, data: AssociationData) -> None:
    ruc = _clean(data.ruc)
    sanitary = _clean(data.sanitary_registration)
    # A changed credential has not been checked yet.
    if ruc != association.ruc:
        association.ruc_verified_at = None
    if sanitary != association.sanitary_registration:
        association.sanitary_verified_at = None
    association.name = data.name.strip()
    association.tagline = (data.tagline or "").strip()
    association.district = data.district.strip()
    association.province = data.province.strip()
    association.region = data.region.strip()
    association.member_families = data.member_families
    association.founded_year = data.founded_year
    association.min_order_cents = data.min_order_cents
    association.ruc = ruc
    association.sanitary_registration = sanitary
    association.contact_phone = _clean(data.contact_phone)


def _check_numbers(data: AssociationData) -> None:
    if data.member_families < 0:
        raise DomainError(_l("No puede ser negativo."), field="member_families")
    if data.min_order_cents < 0:
        raise DomainError(_l("No puede ser negativo."), field="min_order")


def _flush_unique(session: Session) -> None:
    """Flush, turning a lost race on a unique slug or RUC into a message for the form."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        detail = str(error.orig).lower()
        if "ruc" in detail:
            raise DomainError(_l("Otra asociación ya tiene este RUC."), field="ruc") from error
        raise DomainError(
            _l("Ya existe una asociación con este nombre o uno muy parecido."), field="name"
        ) from error


def create_association(
    session: Session, actor: User, data: AssociationData, delivery: DeliveryRuleData
) -> Association:
    """A new, not yet verified association with its first delivery rule.

    Its slug (the address of its public page) comes from the name and never changes after.
    """
    slug = slugify(data.name)
    if not slug:
        raise DomainError(_l("El nombre necesita letras o números."), field="name")
    if session.scalar(sa.select(Association.id).where(Association.slug == slug)) is not None:
        raise DomainError(
            _l("Ya existe una asociación con este nombre o uno muy parecido."), field="name"
        )
    _check_numbers(data)
    _check_ruc(session, _clean(data.ruc), None)
    if delivery.city not in CITIES:
        raise DomainError(_l("Elige una ciudad de la lista."), field="delivery_city")
    if delivery.lead_days < 0:
        raise DomainError(_l("No puede ser negativo."), field="delivery_lead_days")
    association = Association(slug=slug)
    _apply(association, data)
    association.delivery_rules.append(
        DeliveryRule(
            city=delivery.city,
            weekdays=normalise_weekdays(delivery.weekdays),
            lead_days=delivery.lead_days,
        )
    )
    session.add(association)
    _flush_unique(session)
    return association


def update_association(
    session: Session, actor: User, association: Association, data: AssociationData
) -> Association:
    """Change an association's data; a changed RUC or sanitary registration needs checking again."""
    _check_numbers(data)
    _check_ruc(session, _clean(data.ruc), association.id)
    _apply(association, data)
    _flush_unique(session)
    return association


def set_association_check(
    session: Session, actor: User, association: Association, check: str, verified: bool
) -> Association:
    """Verify or un-verify the association itself, its RUC or its sanitary registration.

    Only verified associations are shown in the public catalog. A credential can only be
    verified when the association has one.
    """
    if check not in CHECKS:
        raise ValueError(f"unknown check {check!r}")
    column, needs = CHECKS[check]
    if verified and needs and not getattr(association, needs):
        message = (
            _l("La asociación no tiene RUC registrado.")
            if check == "ruc"
            else _l("La asociación no tiene registro sanitario.")
        )
        raise DomainError(message, field=needs)
    if verified and getattr(association, column) is None:
        setattr(association, column, utcnow())
    elif not verified:
        setattr(association, column, None)
    session.flush()
    return association


def set_buyer_verified(session: Session, actor: User, buyer: Buyer, verified: bool) -> Buyer:
    """Mark a buyer's business as checked by staff (or take the mark back)."""
    if verified and buyer.verified_at is None:
        buyer.verified_at = utcnow()
    elif not verified:
        buyer.verified_at = None
    session.flush()
    return buyer


def promoter_status(user: User) -> PromoterStatus:
    if not user.active:
        return PROMOTER_DISABLED
    if user.password_hash is None:
        return PROMOTER_INVITED
    return PROMOTER_ACTIVE


def invitation_expired(user: User, now: datetime | None = None) -> bool:
    """True when an invited promoter has no link that still works."""
    expires = user.invite_expires_at
    return expires is None or expires < (now or utcnow())


def invite_association_promoter(
    session: Session,
    actor: User,
    association: Association,
    name: str,
    email: str,
    phone: str | None = None,
) -> tuple[User, str]:
    """Invite a promoter to act for the association; returns the user and the one-time token."""
    phone = _clean(phone)
    if phone and session.scalar(sa.select(User.id).where(User.phone == phone)) is not None:
        raise DomainError(_l("Otra cuenta ya usa este teléfono."), field="phone")
    return invite_promoter(session, association.id, name, email, phone)


def reissue_invitation(session: Session, actor: User, promoter: User) -> str:
    """A fresh invitation link for a promoter who has not accepted yet; older links stop working."""
    status = promoter_status(promoter)
    if status == PROMOTER_ACTIVE:
        raise DomainError(_l("Esta persona ya aceptó su invitación."))
    if status == PROMOTER_DISABLED:
        raise DomainError(_l("Reactiva la cuenta antes de enviar una nueva invitación."))
    token = reissue_invite(session, promoter)
    session.flush()
    return token


def set_promoter_active(session: Session, actor: User, promoter: User, active: bool) -> User:
    """Switch a promoter's account off or on.

    Switching off ends the promoter's open sessions and cancels a pending invitation link;
    switching on again leaves an invited promoter waiting for a new link.
    """
    if promoter.role != ROLE_PROMOTER:
        raise ValueError("only promoters are managed here")
    if not active and promoter.active:
        promoter.active = False
        promoter.session_version = (promoter.session_version or 0) + 1
        promoter.invite_token_hash = None
        promoter.invite_expires_at = None
    elif active:
        promoter.active = True
    session.flush()
    return promoter


def promoter_status_condition(status: str):
    """A SQL condition selecting promoters in `status`."""
    if status == PROMOTER_DISABLED:
        return User.active.is_(False)
    if status == PROMOTER_INVITED:
        return sa.and_(User.active.is_(True), User.password_hash.is_(None))
    return sa.and_(User.active.is_(True), User.password_hash.is_not(None))
