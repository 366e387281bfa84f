"""The demo association closure: Sumaq Ausangate closes for Qoyllur Rit'i."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from dateutil.easter import easter
from sqlalchemy.orm import Session

from ..formatting import lima_today
from ..models import AssociationClosure
from .associations import association_by_slug

QOYLLUR_RITI = (
    "Qoyllur Rit'i: las familias de Ocongate suben en peregrinación al santuario del "
    "Sinakara; no hay ordeño para la venta ni viaje al Cusco."
)


def qoyllur_riti(today: date) -> tuple[date, date]:
    """The next Qoyllur Rit'i not yet over: from the Saturday before Trinity Sunday (eight
    weeks after Easter) to the Tuesday after, when the pilgrims are back in Ocongate."""
    for year in (today.year, today.year + 1):
        trinity = easter(year) + timedelta(weeks=8)
        start, end = trinity - timedelta(days=1), trinity + timedelta(days=2)
        if end >= today:
            return start, end
    raise AssertionError("unreachable")


def seed_closures(session: Session, report: list[str]) -> None:
    """Sumaq Ausangate closes for Qoyllur Rit'i, the pilgrimage in its own district."""
    association = association_by_slug(session, "sumaq-ausangate")
    start, end = qoyllur_riti(lima_today())
    found = session.scalar(
        sa.select(AssociationClosure).where(
            AssociationClosure.association_id == association.id,
            AssociationClosure.reason == QOYLLUR_RITI,
            AssociationClosure.end_date >= lima_today(),
        )
    )
    if found is not None:
        report.append(f"found closure {association.slug} {found.start_date.isoformat()}")
        return
    session.add(
        AssociationClosure(
            association_id=association.id, start_date=start, end_date=end, reason=QOYLLUR_RITI
        )
    )
    session.flush()
    report.append(f"created closure {association.slug} {start.isoformat()} to {end.isoformat()}")
