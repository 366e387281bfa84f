"""The registry of integrity checks: each business area registers checks that return findings.

A check takes a session and returns (or yields) findings as plain sentences; it only reads.
Register one with the `check` decorator where the area's rules live, e.g.

    from marketplace.ops.checks import check

    @check("orders")
    def order_totals(session):
        ...

This module imports nothing from the package, so any service may register a check;
`ops.integrity` holds the checks of stock and orders and runs them all (`flask audit`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
