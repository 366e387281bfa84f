"""The figures' filters from a query string: period presets, custom dates and scope (ids and
codes), validated into `services.reporting.Filters` with a message at each field that could
not be used. Shared by the pages that show figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import lazy_gettext as _l

from ..formatting import lima_today
from ..models.accounts import BUYER_KINDS, CITIES
from ..models.catalog import CATEGORIES
from ..numbers import parse_date, parse_id
from ..services.reporting import GRAINS, PRESETS, Filters

PRESET_LABELS = {
    "month": _l("Este mes"),
    "3m": _l("Últimos 3 meses"),
    "year": _l("Este año"),
    "12m": _l("Últimos 12 meses"),
    "custom": _l("Personalizado"),
}
MAX_DAYS = 5 * 366  # a custom period longer than five years is refused
ID_FIELDS = ("association_id", "buyer_id", "product_id")
CHOICES = {"city": CITIES, "buyer_kind": BUYER_KINDS, "category": CATEGORIES, "by": GRAINS}
PICK_FROM_LIST = _l("Elige una opción de la lista.")


def _parse_date(raw: str | None) -> date | None:
    return parse_date(raw)


def _scope(args: Mapping[str, str], errors: dict[str, str]) -> dict:
    """Ids and codes to narrow the figures by; a value not on the lists is a message."""
    scope: dict = {}
    for name in ID_FIELDS:
        raw = (args.get(name) or "").strip()
        if parse_id(raw):
            scope[name] = parse_id(raw)
        elif raw:
            errors[name] = str(PICK_FROM_LIST)
    for name, allowed in CHOICES.items():
        raw = (args.get(name) or "").strip()
        if raw in allowed:
            scope[name] = raw
        elif raw:
            errors[name] = str(PICK_FROM_LIST)
    return scope


def _custom_dates(args: Mapping[str, str], errors: dict[str, str]):
    """The custom period's first and last day, or messages at `start` and `end`."""
    start, end = _parse_date(args.get("start")), _parse_date(args.get("end"))
    if start is None:
        errors["start"] = str(_l("Escribe la fecha de inicio como AAAA-MM-DD."))
    if end is None:
        errors["end"] = str(_l("Escribe la fecha final como AAAA-MM-DD."))
    if start and end and end < start:
        errors["end"] = str(_l("La fecha final debe ser igual o posterior a la de inicio."))
    elif start and end and (end - start).days >= MAX_DAYS:
        errors["end"] = str(_l("El periodo puede durar hasta cinco años."))
    return start, end


def parse_filters(
    args: Mapping[str, str], today: date | None = None
) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string and the messages for what could not be used.

    A bad or missing custom date falls back to this month, with a message at the field.
    """
    today = today or lima_today()
    errors: dict[str, str] = {}
    scope = _scope(args, errors)
    preset = args.get("period") or "month"
    if preset not in PRESETS:
        errors["period"] = str(_l("Elige un periodo de la lista."))
        preset = "month"
    if preset != "custom":
        return Filters.for_period(preset, today, **scope), errors
    start, end = _custom_dates(args, errors)
    if errors.keys() & {"start", "end"}:
        return Filters.for_period("month", today, **scope), errors
    return Filters(start=start, end=end, preset="custom", **scope), errors
