"""Words for the codes the app stores: cities, buyer kinds, categories, units, weekdays and
order statuses, with the display rules built on them (sale units, stock, badge tones).

One home for each label: models, services, views, templates and messages read them here.
`init_app` registers them as template filters and globals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from babel.core import UnknownLocaleError
from babel.dates import get_day_names
from babel.lists import format_list
from flask import Flask
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .formatting import lima_today, quantity


class Product(Protocol):
    """What the display rules read of a product (labels sit below the models)."""

    unit: str
    weight_per_unit_kg: Decimal
    stock_on_hand: Decimal


# Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"es": "Español", "en": "English", "qu": "Runasimi"}

CITY_LABELS = {"cusco": _l("Cusco"), "lima": _l("Lima")}
BUYER_KIND_LABELS = {
    "hotel": _l("Hotel"),
    "restaurant": _l("Restaurante"),
    "cafe": _l("Café"),
    "shop": _l("Tienda"),
}
CATEGORY_LABELS = {"cheese": _l("Queso"), "maize": _l("Maíz")}

# A unit as it follows a price or a quantity ("S/ 12.00 / kg"), and as a choice in a form.
UNIT_LABELS = {"kg": _l("kg"), "piece": _l("pieza"), "sack50": _l("saco de 50 kg")}
UNIT_NAMES = {"kg": _l("Kilo"), "piece": _l("Pieza"), "sack50": _l("Saco de 50 kg")}
WHOLE_UNITS = ("piece", "sack50")  # counted in whole pieces and sacks, never fractions

# ISO weekdays, Monday = 1: as a heading or choice, and inside a sentence ("los lunes").
WEEKDAY_DIGITS = "1234567"
WEEKDAY_NAMES = {
    1: _l("Lunes"),
    2: _l("Martes"),
    3: _l("Miércoles"),
    4: _l("Jueves"),
    5: _l("Viernes"),
    6: _l("Sábado"),
    7: _l("Domingo"),
}
WEEKDAY_CHOICES = {str(n): name for n, name in WEEKDAY_NAMES.items()}  # form values are text
WEEKDAY_WORDS = {
    1: _l("lunes"),
    2: _l("martes"),
    3: _l("miércoles"),
    4: _l("jueves"),
    5: _l("viernes"),
    6: _l("sábado"),
    7: _l("domingo"),
}

ORDER_STATUS_LABELS = {
    "placed": _l("Recibido"),
    "confirmed": _l("Confirmado"),
    "dispatched": _l("En camino"),
    "delivered": _l("Entregado"),
    "cancelled": _l("Cancelado"),
    "rejected": _l("Rechazado"),
}
ORDER_STATUS_TONES = {  # badge colour per status
    "placed": "warn",
    "confirmed": "ok",
    "dispatched": "ok",
    "delivered": "ok",
    "cancelled": "bad",
    "rejected": "bad",
}

AGREEMENT_STATUS_LABELS = {
    "draft": _l("Borrador"),
    "proposed": _l("Propuesto"),
    "active": _l("Vigente"),
    "paused": _l("En pausa"),
    "ended": _l("Terminado"),
}
AGREEMENT_STATUS_TONES = {
    "draft": "muted",
    "proposed": "warn",
    "active": "ok",
    "paused": "warn",
    "ended": "bad",
}

STANDING_STATUS_LABELS = {
    "active": _l("Activo"),
    "paused": _l("En pausa"),
    "cancelled": _l("Cancelado"),
}
STANDING_STATUS_TONES = {"active": "ok", "paused": "warn", "cancelled": "bad"}

# Below this many sale units a product shows "few left" (5 kg of cheese, 5 sacks of maize).
LOW_STOCK_UNITS = Decimal("5")
AVAILABLE, FEW_LEFT, OUT_OF_STOCK = "available", "few", "out"


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code))


def city_label(code: str) -> str:
    return str(CITY_LABELS.get(code, code))


def kind_label(code: str) -> str:
    return str(BUYER_KIND_LABELS.get(code, code))


def unit_label(code: str) -> str:
    """The sale unit as it follows a price: 'kg', 'pieza', 'saco de 50 kg'."""
    return str(UNIT_LABELS.get(code, code))


def weekday_names(digits: str) -> str:
    """ISO weekday digits as a list of names: '15' -> 'Lunes, Viernes'."""
    return ", ".join(str(WEEKDAY_NAMES[int(d)]) for d in digits)


def order_number(order_id: int) -> str:
    """The reference people read out on the phone: 'Q-00042'."""
    return f"Q-{order_id:05d}"


def order_status_label(status: str) -> str:
    return str(ORDER_STATUS_LABELS.get(status, status))


def order_status_tone(status: str) -> str:
    return ORDER_STATUS_TONES.get(status, "")


def sale_unit(product: Product) -> str:
    """The unit with its weight, as a buyer reads it: '1 kg', 'Pieza de 0,5 kg', 'Saco de 50 kg'."""
    weight = quantity(product.weight_per_unit_kg)
    if product.unit == "sack50":
        return _("Saco de %(weight)s kg", weight=weight)
    if product.unit == "piece":
        return _("Pieza de %(weight)s kg", weight=weight)
    return _("%(weight)s kg", weight=weight)


def unit_quantity(amount: Decimal, unit: str) -> str:
    """An amount in a sale unit: '12 kg', '3 piezas', '1 saco de 50 kg'."""
    shown = quantity(amount)
    # Plural rules want an integer; a fraction of a unit reads as plural ("1,5 sacos").
    count = int(amount) if amount == int(amount) else 2
    if unit == "piece":
        return ngettext("%(qty)s pieza", "%(qty)s piezas", count, qty=shown)
    if unit == "sack50":
        return ngettext("%(qty)s saco de 50 kg", "%(qty)s sacos de 50 kg", count, qty=shown)
    return _("%(qty)s kg", qty=shown)


def availability(product: Product) -> str:
    """available, few or out, from the stock on hand in sale units."""
    if product.stock_on_hand <= 0:
        return OUT_OF_STOCK
    if product.stock_on_hand < LOW_STOCK_UNITS:
        return FEW_LEFT
    return AVAILABLE


def availability_label(product: Product) -> str:
    return {
        AVAILABLE: _("Disponible"),
        FEW_LEFT: _("Quedan pocas unidades"),
        OUT_OF_STOCK: _("Agotado"),
    }[availability(product)]


def weekdays(digits: str) -> str:
    """ISO weekday digits as words in the reader's language: '25' -> 'martes y viernes'."""
    locale = str(get_locale() or "es")
    try:
        names = get_day_names("wide", locale=locale)
    except UnknownLocaleError:
        locale = "es"
        names = get_day_names("wide", locale=locale)
    days = [names[int(d) - 1] for d in sorted(set(digits)) if d in WEEKDAY_DIGITS]
    return format_list(days, locale=locale)


def years_running(founded_year: int | None) -> int | None:
    """Whole years the association has surely been working, for 'más de N años'."""
    if founded_year is None:
        return None
    years = lima_today().year - founded_year - 1
    return years if years >= 1 else None


FILTERS = {
    "category_label": category_label,
    "city_label": city_label,
    "kind_label": kind_label,
    "unit_label": unit_label,
    "sale_unit": sale_unit,
    "unit_quantity": unit_quantity,
    "availability": availability,
    "availability_label": availability_label,
    "weekdays": weekdays,
    "years_running": years_running,
    "order_status_label": order_status_label,
    "order_status_tone": order_status_tone,
    "order_number": order_number,
}
GLOBALS = {
    "city_label": city_label,
    "kind_label": kind_label,
    "order_status_label": order_status_label,
    "order_status_tone": order_status_tone,
    "weekday_names": weekday_names,
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
