"""The integrity audit: each business area registers checks that return findings.

A check takes a session and returns (or yields) findings as plain sentences; it only reads.
Register one with the `check` decorator where the area's rules live, e.g.

    from marketplace.ops.integrity import check

    @check("orders")
    def order_totals(session):
        ...

`flask audit` runs every registered check and exits 1 when any finds something.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

Check = Callable[[Session], Iterable[str]]


@dataclass(frozen=True)
class Finding:
    area: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.area}: {self.message}"


CHECKS: dict[tuple[str, str], Check] = {}


def check(area: str) -> Callable[[Check], Check]:
    """Register `fn` as an integrity check of `area` (registering it again replaces it)."""

    def decorator(fn: Check) -> Check:
        CHECKS[(area, fn.__name__)] = fn
        return fn

    return decorator


def run_checks(session: Session) -> list[Finding]:
    """Every registered check's findings, area by area."""
    findings = []
    for (area, name), fn in sorted(CHECKS.items()):
        findings.extend(Finding(area, name, message) for message in fn(session))
    return findings


@check("stock")
def stock_matches_ledger(session: Session) -> Iterable[str]:
    """Stock on hand equals the sum of the product's movements."""
    from ..services.stock import ledger_mismatches

    for product_id, on_hand, total in ledger_mismatches(session):
        yield f"product {product_id}: stock {on_hand} but ledger sums to {total}"


@check("stock")
def stock_not_negative(session: Session) -> Iterable[str]:
    """No product has negative stock, and no movement left a negative balance."""
    from ..models import Product, StockMovement

    negative = session.execute(
        sa.select(Product.id, Product.stock_on_hand)
        .where(Product.stock_on_hand < 0)
        .order_by(Product.id)
    )
    for product_id, on_hand in negative:
        yield f"product {product_id}: stock on hand {on_hand} is negative"
    below_zero = session.execute(
        sa.select(StockMovement.id, StockMovement.product_id, StockMovement.balance_after)
        .where(StockMovement.balance_after < 0)
        .order_by(StockMovement.id)
    )
    for movement_id, product_id, balance in below_zero:
        yield f"product {product_id}: movement {movement_id} left a balance of {balance}"
