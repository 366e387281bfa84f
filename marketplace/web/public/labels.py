"""Words for the codes the catalog stores: categories, sale units, cities, weekdays, stock.

Registered as app-wide template filters so that any screen showing a product (cart, orders,
the promoter's pages) says it the same way.
"""

from decimal import Decimal

from babel.core import UnknownLocaleError
from babel.dates import get_day_names
from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...formatting import lima_today, quantity
from ...models import Product

CATEGORY_LABELS = {"cheese": _l("Queso"), "maize": _l("Maíz")}
CITY_LABELS = {"cusco": _l("Cusco"), "lima": _l("Lima")}
UNIT_LABELS = {"kg": _l("kg"), "piece": _l("pieza"), "sack50": _l("saco de 50 kg")}

# Below this many sale units a product shows "few left" (5 kg of cheese, 5 sacks of maize).
LOW_STOCK_UNITS = Decimal("5")
AVAILABLE, FEW_LEFT, OUT_OF_STOCK = "available", "few", "out"


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code))


def city_label(code: str) -> str:
    return str(CITY_LABELS.get(code, code))


def unit_label(code: str) -> str:
    """The sale unit as it follows a price: 'kg', 'pieza', 'saco de 50 kg'."""
    return str(UNIT_LABELS.get(code, code))


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
    days = [names[int(d) - 1] for d in sorted(set(digits)) if d in "1234567"]
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
    "unit_label": unit_label,
    "sale_unit": sale_unit,
    "unit_quantity": unit_quantity,
    "availability": availability,
    "availability_label": availability_label,
    "weekdays": weekdays,
    "years_running": years_running,
}
