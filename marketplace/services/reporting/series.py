"""Value, kg and income per week or month of a period, in total and by association."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...models import Association
from .filters import GRAINS, Filters, bucket_end, bucket_starts
from .sums import sums


@dataclass
class Point:
    start: date
    end: date
    value_cents: int = 0
    income_cents: int = 0
    kg: Decimal = Decimal(0)
    orders: int = 0


@dataclass
class Series:
    grain: str
    points: list[Point]
    # association id -> its own points (same buckets), and names
    by_association: dict[int, list[Point]]
    names: dict[int, str]


def names_of(session: Session, model, name, ids) -> dict[int, str]:
    """Id -> name of these rows of `model` (one query; none without ids)."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(model.id.label("id"), name.label("name")).where(model.id.in_(sorted(ids)))
    )
    return {row.id: row.name for row in rows}


def series(session: Session, filters: Filters, grain: str | None = None) -> Series:
    """Value, kg and income per week or month of the period, by association."""
    grain = grain if grain in GRAINS else filters.grain
    starts = bucket_starts(filters, grain)
    ends = [s - timedelta(days=1) for s in starts[1:]]
    ends.append(bucket_end(starts[-1], grain))
    bounds = [
        (max(s, filters.start), min(e, filters.end)) for s, e in zip(starts, ends, strict=True)
    ]
    found = sums(session, [filters], filters, ("bucket", "association_id"), starts)
    names = names_of(session, Association, Association.name, {a for _, a in found})
    points = [Point(s, e) for s, e in bounds]
    by_association: dict[int, list[Point]] = {}
    for (bucket, association_id), e in found.items():
        own = by_association.setdefault(association_id, [Point(s, e) for s, e in bounds])
        for p in (points[bucket], own[bucket]):
            p.value_cents += e.value_cents
            p.income_cents += e.income_cents
            p.kg += e.kg
            p.orders += e.orders
    ordered = dict(sorted(by_association.items(), key=lambda item: names[item[0]]))
    return Series(grain, points, ordered, names)


def income_by_month(session: Session, filters: Filters) -> list[Point]:
    """Income, value and kg per Lima month of the period (scope it with the filters)."""
    return series(session, filters, "month").points
