"""The demo accounts: staff, one promoter per association, and seven fictional buyers (Horecas
and a shop in Cusco and Lima), each with a delivery address and a buyer account.

Every demo account shares one public password, listed in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..models import ROLE_BUYER, ROLE_PROMOTER, ROLE_STAFF, Buyer, BuyerAddress, User
from ..models.accounts import password_hash_method
from ..services.ruc import make_ruc
from ..types import utcnow
from .associations import ASSOCIATIONS, association_by_slug

# Listed in the README: the demo accounts are public by design.
DEMO_PASSWORD = "qhatu-demo-2026"  # noqa: S105
STAFF_EMAIL = "equipo@qhatu.pe"


@dataclass(frozen=True)
class BuyerSpec:
    legal_name: str
    trade_name: str
    ruc: str
    kind: str
    city: str
    address_label: str
    address: str
    verified: bool
    user_email: str
    user_name: str


# Fictional businesses and people: any likeness to a real one is a coincidence.
BUYERS = (
    BuyerSpec(
        legal_name="Hospedajes Inti Pata E.I.R.L.",
        trade_name="Hotel Inti Pata",
        ruc=make_ruc("2060418273"),
        kind="hotel",
        city="cusco",
        address_label="Cocina del hotel",
        address="Calle Choquechaca 214, San Blas, Cusco",
        verified=True,
        user_email="compras@intipata-demo.pe",
        user_name="Marisol Ccahuana Ríos",
    ),
    BuyerSpec(
        legal_name="Sara Manka Gastronomía S.A.C.",
        trade_name="Restaurante Sara Manka",
        ruc=make_ruc("2060527194"),
        kind="restaurant",
        city="cusco",
        address_label="Cocina",
        address="Calle Plateros 337, Cusco",
        verified=True,
        user_email="compras@saramanka-demo.pe",
        user_name="Jhon Villasante Puma",
    ),
    BuyerSpec(
        legal_name="Puka Rumi Café E.I.R.L.",
        trade_name="Café Puka Rumi",
        ruc=make_ruc("2060638415"),
        kind="cafe",
        city="cusco",
        address_label="Barra",
        address="Cuesta San Blas 118, Cusco",
        verified=True,
        user_email="compras@pukarumi-demo.pe",
        user_name="Lucía Quispe Alvarado",
    ),
    BuyerSpec(
        legal_name="Qollqa Hoteles S.A.C.",
        trade_name="Hotel Qollqa Miraflores",
        ruc=make_ruc("2060749536"),
        kind="hotel",
        city="lima",
        address_label="Recepción de proveedores",
        address="Av. José Larco 905, Miraflores, Lima",
        verified=True,
        user_email="compras@qollqa-demo.pe",
        user_name="Andrés Salazar Montoya",
    ),
    BuyerSpec(
        legal_name="Kallpa Cocina Peruana S.A.C.",
        trade_name="Kallpa Cocina Peruana",
        ruc=make_ruc("2060851627"),
        kind="restaurant",
        city="lima",
        address_label="Cocina",
        address="Jr. Batallón Ayacucho 271, Barranco, Lima",
        verified=False,
        user_email="compras@kallpa-demo.pe",
        user_name="Carla Espinoza Ugarte",
    ),
    BuyerSpec(
        legal_name="Chakana Café S.A.C.",
        trade_name="Café Chakana",
        ruc=make_ruc("2060962748"),
        kind="cafe",
        city="lima",
        address_label="Local de Miraflores",
        address="Calle Berlín 480, Miraflores, Lima",
        verified=False,
        user_email="compras@chakana-demo.pe",
        user_name="Diego Paredes Llanos",
    ),
    BuyerSpec(
        legal_name="Despensa Mikhuy S.A.C.",
        trade_name="Despensa Mikhuy",
        ruc=make_ruc("2061073859"),
        kind="shop",
        city="lima",
        address_label="Tienda",
        address="Av. Conquistadores 1010, San Isidro, Lima",
        verified=True,
        user_email="compras@mikhuy-demo.pe",
        user_name="Fiorella Castro Medina",
    ),
)


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email))


def buyer_by_ruc(session: Session, ruc: str) -> Buyer | None:
    return session.scalar(sa.select(Buyer).where(Buyer.ruc == ruc))


def ensure_user(session: Session, report: list[str], email: str, name: str, role: str, **fields):
    """The user with this email, created with the demo password if missing."""
    user = user_by_email(session, email)
    if user is not None:
        if user.role != role:
            report.append(f"skipped {email}: it belongs to a {user.role} account")
            return None
        report.append(f"found {role} account {email}")
        return user
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=demo_password_hash(password_hash_method()),
        **fields,
    )
    session.add(user)
    session.flush()
    report.append(f"created {role} account {email} (password: {DEMO_PASSWORD})")
    return user


@cache
def demo_password_hash(method: str) -> str:
    """One hash serves every demo account: they share a public password, and scrypt is slow."""
    return generate_password_hash(DEMO_PASSWORD, method=method)


def seed_staff(session: Session, report: list[str]) -> None:
    ensure_user(session, report, STAFF_EMAIL, "Equipo Qhatu", ROLE_STAFF)


def seed_promoters(session: Session, report: list[str]) -> None:
    for spec in ASSOCIATIONS:
        association = association_by_slug(session, spec.slug)
        ensure_user(
            session,
            report,
            spec.promoter_email,
            spec.promoter_name,
            ROLE_PROMOTER,
            association_id=association.id,
        )


def seed_buyers(session: Session, report: list[str]) -> None:
    """Seven fictional Horecas and one shop, each with a delivery address."""
    for spec in BUYERS:
        if buyer_by_ruc(session, spec.ruc) is not None:
            report.append(f"found buyer {spec.trade_name} (RUC {spec.ruc})")
            continue
        buyer = Buyer(
            legal_name=spec.legal_name,
            trade_name=spec.trade_name,
            ruc=spec.ruc,
            kind=spec.kind,
            city=spec.city,
            verified_at=utcnow() if spec.verified else None,
        )
        buyer.addresses.append(
            BuyerAddress(label=spec.address_label, address=spec.address, city=spec.city)
        )
        session.add(buyer)
        session.flush()
        status = "verified" if spec.verified else "not verified yet"
        report.append(f"created buyer {spec.trade_name} (RUC {spec.ruc}, {status})")


def seed_buyer_users(session: Session, report: list[str]) -> None:
    for spec in BUYERS:
        buyer = buyer_by_ruc(session, spec.ruc)
        ensure_user(session, report, spec.user_email, spec.user_name, ROLE_BUYER, buyer_id=buyer.id)
