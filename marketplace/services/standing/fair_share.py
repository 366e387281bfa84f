"""Fair share of short stock, per product and per batch, decided before any order is built.

1. deliveries whose buyer has an agreement in force with the association that day come
   first; the others share what the agreements leave;
2. within a group that asks for more than there is, each delivery gets the available
   quantity in proportion to what it asked, rounded down to the unit's step (0.1 kg for
   products sold by the kilo, 1 for pieces and sacks);
3. what rounding leaves over is handed out one step at a time to the oldest standing
   orders first (created earliest, then lowest id), never beyond what each asked.
The order is placed with what it got; the line keeps what was asked (requested_quantity)
and buyer and promoter are told. A delivery that got nothing makes no order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from ...models import Product
from ...models.standing_orders import StandingOccurrence, StandingOrder

STEPS = {"kg": Decimal("0.1"), "piece": Decimal("1"), "sack50": Decimal("1")}


@dataclass(frozen=True)
class Claim:
    """What one delivery asks of one product in a batch."""

    key: object
    quantity: Decimal
    priority: int  # 0: an agreement is in force; 1: list prices
    seniority: tuple  # (standing order created_at, id): earlier first


def _floor_step(value: Decimal, step: Decimal) -> Decimal:
    return ((value / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(
        Decimal("0.001"), rounding=ROUND_FLOOR
    )


def share_stock(
    available: Decimal, claims: list[Claim], step: Decimal = Decimal("0.1"), whole=False
) -> dict[object, Decimal]:
    """Split `available` between the claims by the rule in this module's docstring."""
    result = {c.key: Decimal("0.000") for c in claims}
    left = max(Decimal(available), Decimal("0"))
    for tier in sorted({c.priority for c in claims}):
        group = [c for c in claims if c.priority == tier]
        asked = sum((c.quantity for c in group), Decimal("0"))
        if asked <= left:
            for c in group:
                result[c.key] = c.quantity
            left -= asked
            continue
        if left <= 0:
            break
        for c in group:
            result[c.key] = min(_floor_step(c.quantity * left / asked, step), c.quantity)
        remainder = left - sum(result[c.key] for c in group)
        oldest_first = sorted(group, key=lambda c: c.seniority)
        while remainder > 0:
            gave = False
            for c in oldest_first:
                room = c.quantity - result[c.key]
                extra = min(step, room, remainder)
                if extra <= 0 or (whole and extra < step):
                    continue
                result[c.key] += extra
                remainder -= extra
                gave = True
            if not gave:
                break
        left = Decimal("0")
    return result


@dataclass
class Request:
    occurrence: StandingOccurrence
    standing_order: StandingOrder
    quantities: dict[int, Decimal]
    priority: int
    granted: dict[int, Decimal] = field(default_factory=dict)
    error: str | None = None
    price_news: list[tuple[Product, int | None, int]] = field(default_factory=list)
