"""The integrity audit: the checks of stock and orders, and the run of every registered check.

Checks are registered with `ops.checks.check` where each area's rules live (invoices and the
ledger register theirs in their services). `flask audit` runs them all and exits 1 when any
finds something.
"""

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import LedgerEntry, Order, OrderLine, Payment, Product, StockMovement
from ..models.payments import ENTRY_PAYOUT, PAYMENT_METHODS
from ..services.pricing import line_total_cents
from ..services.stock import ledger_mismatches
from . import checks
from .checks import Finding, check

# Two records of the same money this close together are more likely one form sent twice
# than two payments: the audit names them for staff to look at (docs/payments.md).
SUSPECT_WINDOW = timedelta(minutes=10)


def run_checks(session: Session) -> list[Finding]:
    """Every registered check's findings, area by area."""
    findings = []
    for (area, name), fn in sorted(checks.CHECKS.items()):
        findings.extend(Finding(area, name, message) for message in fn(session))
    return findings


@check("stock")
def stock_matches_ledger(session: Session) -> Iterable[str]:
    """Stock on hand equals the sum of the product's movements."""
    for product_id, on_hand, total in ledger_mismatches(session):
        yield f"product {product_id}: stock {on_hand} but ledger sums to {total}"


@check("stock")
def stock_not_negative(session: Session) -> Iterable[str]:
    """No product has negative stock, and no movement left a negative balance."""
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


@check("orders")
def order_totals_match_lines(session: Session) -> Iterable[str]:
    """Each line costs its frozen price times its quantity; an order's subtotal is the sum of
    its lines, and once delivered its delivered subtotal the sum of the delivered lines."""
    lines = session.execute(
        sa.select(
            OrderLine.order_id,
            OrderLine.id,
            OrderLine.unit_price_cents,
            OrderLine.quantity,
            OrderLine.line_total_cents,
            OrderLine.delivered_quantity,
            OrderLine.delivered_total_cents,
        )
        .order_by(OrderLine.order_id, OrderLine.id)
        .execution_options(yield_per=1000)
    )
    for order_id, line_id, price, qty, total, delivered_qty, delivered_total in lines:
        if total != line_total_cents(price, qty):
            yield f"order {order_id}: line {line_id} costs {total} for {qty} at {price}"
        if delivered_qty is not None and delivered_total != line_total_cents(price, delivered_qty):
            yield (
                f"order {order_id}: line {line_id} delivered {delivered_qty} at {price} "
                f"but costs {delivered_total}"
            )
    sums = (
        sa.select(
            OrderLine.order_id,
            sa.func.sum(OrderLine.line_total_cents).label("ordered"),
            sa.func.sum(OrderLine.delivered_total_cents).label("delivered"),
        )
        .group_by(OrderLine.order_id)
        .subquery()
    )
    ordered = sa.func.coalesce(sums.c.ordered, 0)
    mismatched = session.execute(
        sa.select(
            Order.id,
            Order.subtotal_cents,
            ordered,
            Order.delivered_subtotal_cents,
            sums.c.delivered,
        )
        .outerjoin(sums, sums.c.order_id == Order.id)
        .where(
            sa.or_(
                Order.subtotal_cents != ordered,
                sa.and_(
                    Order.delivered_subtotal_cents.is_not(None),
                    Order.delivered_subtotal_cents != sa.func.coalesce(sums.c.delivered, 0),
                ),
            )
        )
        .order_by(Order.id)
    )
    for order_id, subtotal, lines_sum, delivered_subtotal, delivered_sum in mismatched:
        if subtotal != lines_sum:
            yield f"order {order_id}: subtotal {subtotal} but its lines add up to {lines_sum}"
        if delivered_subtotal is not None and delivered_subtotal != (delivered_sum or 0):
            yield (
                f"order {order_id}: delivered subtotal {delivered_subtotal} but its delivered "
                f"lines add up to {delivered_sum or 0}"
            )


def _close_pairs(rows) -> Iterable[tuple]:
    """Consecutive (id, created_at, *same) rows with equal `same` within SUSPECT_WINDOW."""
    previous = None
    for row in rows:
        if (
            previous is not None
            and tuple(previous[2:]) == tuple(row[2:])
            and row[1] - previous[1] <= SUSPECT_WINDOW
        ):
            yield previous, row
        previous = row


def _suspects(session: Session, model, kinds, same: tuple) -> Iterable[tuple]:
    """Pairs of `model` rows of `kinds` equal in the `same` columns and recorded close."""
    kind = model.method if model is Payment else model.kind
    repeated = (
        sa.select(*same).where(kind.in_(kinds)).group_by(*same).having(sa.func.count() > 1)
    ).subquery()
    rows = session.execute(
        sa.select(model.id, model.created_at, *same)
        .join(repeated, sa.and_(*(column == repeated.c[column.key] for column in same)))
        .where(kind.in_(kinds))
        .order_by(*same, model.created_at, model.id)
    )
    return _close_pairs(rows)


@check("payments")
def suspect_duplicate_payments(session: Session) -> Iterable[str]:
    """Payments from the same buyer, of the same amount and reference, recorded within
    minutes of each other: probably one payment recorded twice."""
    same = (Payment.buyer_id, Payment.amount_cents, Payment.reference)
    for first, second in _suspects(session, Payment, PAYMENT_METHODS, same):
        yield (
            f"payments {first.id} and {second.id}: buyer {first.buyer_id}, "
            f"{first.amount_cents} céntimos, reference {first.reference!r}, recorded "
            f"{second.created_at - first.created_at} apart; suspect duplicate"
        )


@check("payments")
def suspect_duplicate_payouts(session: Session) -> Iterable[str]:
    """Payouts to the same association of the same amount recorded within minutes of each
    other: probably one transfer recorded twice."""
    same = (LedgerEntry.association_id, LedgerEntry.amount_cents)
    for first, second in _suspects(session, LedgerEntry, (ENTRY_PAYOUT,), same):
        yield (
            f"payouts {first.id} and {second.id}: association {first.association_id}, "
            f"{-first.amount_cents} céntimos, recorded {second.created_at - first.created_at} "
            f"apart; suspect duplicate"
        )
