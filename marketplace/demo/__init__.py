"""Demo data from the field facts: two real associations of Quispicanchi (Cusco), their
products and stories, seven fictional buyers, a demo account for every role, six months of
orders, the seven collaboration agreements and their standing orders.

`flask seed-demo` runs three steps, each committed on its own: `seed_demo` (associations,
closures, accounts, products, buyers, pictures), `seed_order_history` and `seed_agreements`.
Every step is idempotent: each record is looked up first (associations by slug, products by
association and slug, buyers by RUC, users by email, orders by their "seed-" checkout token,
agreements by buyer and association) and only what is missing is created, so running it again
changes nothing. Each step returns the lines of its report.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .agreements import seed_agreements
from .associations import ASSOCIATIONS, seed_associations, seed_delivery_rules
from .catalog import PRODUCTS, seed_photos, seed_products
from .closures import seed_closures
from .orders import seed_order_history
from .people import (
    BUYERS,
    DEMO_PASSWORD,
    STAFF_EMAIL,
    demo_password_hash,
    seed_buyer_users,
    seed_buyers,
    seed_promoters,
    seed_staff,
)

__all__ = [
    "ASSOCIATIONS",
    "BUYERS",
    "DEMO_PASSWORD",
    "PRODUCTS",
    "STAFF_EMAIL",
    "demo_password_hash",
    "seed_agreements",
    "seed_demo",
    "seed_order_history",
]


def seed_demo(session: Session) -> list[str]:
    """Create whatever demo data is missing and say what was created or found."""
    report: list[str] = []
    seed_associations(session, report)
    seed_delivery_rules(session, report)
    seed_closures(session, report)
    seed_staff(session, report)
    seed_promoters(session, report)
    seed_products(session, report)
    seed_buyers(session, report)
    seed_buyer_users(session, report)
    seed_photos(session, report)
    session.flush()
    return report
