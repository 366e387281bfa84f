"""Prices and amounts: integer céntimos, IGV once per order, one rounding rule everywhere.

Line total = unit price × quantity, rounded half up to the céntimo. IGV = 18% of the order's
subtotal (the sum of its line totals), rounded half up once: never per line, so an order's
IGV is the same whichever way its lines are grouped on screen or on paper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from ..formatting import lima_today
from .agreements import agreed_price

DEFAULT_IGV_RATE_PERCENT = 18


def round_cents(value: Decimal) -> int:
    """Half up to a whole céntimo (0.5 goes up), the rule SUNAT invoices use."""
    return int(Decimal(value).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def igv_rate_percent() -> Decimal:
    if has_app_context():
        return Decimal(current_app.config.get("IGV_RATE_PERCENT", DEFAULT_IGV_RATE_PERCENT))
    return Decimal(DEFAULT_IGV_RATE_PERCENT)


def line_total_cents(unit_price_cents: int, quantity: Decimal) -> int:
    return round_cents(Decimal(int(unit_price_cents)) * Decimal(quantity))


def igv_cents(subtotal_cents: int) -> int:
    return round_cents(Decimal(int(subtotal_cents)) * igv_rate_percent() / 100)


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int
    igv_cents: int
    total_cents: int


def totals(line_totals: Iterable[int]) -> Totals:
    """An order's subtotal, IGV and total from its line totals."""
    subtotal = sum(int(c) for c in line_totals)
    igv = igv_cents(subtotal)
    return Totals(subtotal, igv, subtotal + igv)


def unit_price_for(session: Session, buyer_id: int, product, day: date | None = None) -> int:
    """The price per sale unit this buyer pays, before IGV, for a delivery on `day`.

    The agreed price when an agreement between the buyer and the product's association is
    in force that day (default: today in Lima), else the list price.
    """
    agreed = agreed_price(session, buyer_id, product.id, day or lima_today())
    return int(product.price_cents if agreed is None else agreed)
