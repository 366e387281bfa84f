"""How money, quantities and times are shown: one place, used by every template."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from flask import Flask
from flask_babel import format_datetime, get_locale

LIMA = ZoneInfo("America/Lima")
MONEY_LOCALE = "es_PE"  # soles read the same in every language: S/ 1,234.50


def money(cents: int | None) -> str:
    """Integer céntimos as soles, es-PE style: 123450 -> 'S/ 1,234.50' (no-break space)."""
    if cents is None:
        return ""
    return format_currency(Decimal(int(cents)) / 100, "PEN", locale=MONEY_LOCALE)


def soles(cents: int) -> Decimal:
    """Céntimos as a Decimal of soles, for forms."""
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def cents_from_soles(value: Decimal | str) -> int:
    """A price typed in soles as integer céntimos, rounded half up to the céntimo."""
    return int((Decimal(value) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_locale() -> str:
    """Spanish is shown the Peruvian way (1,234.5), other languages their own way."""
    language = str(get_locale() or "es")
    return "es_PE" if language == "es" else language


def quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros: Decimal('2.500') -> '2.5'."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.###", locale=format_locale())


def lima_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """An aware UTC datetime shown in Lima time, in the user's language."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def lima_date(value: date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return babel_format_date(value, format=fmt, locale=format_locale())


def lima_today() -> date:
    return datetime.now(LIMA).date()


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(quantity, "qty")
    app.add_template_filter(lima_datetime, "datetime")
    app.add_template_filter(lima_date, "date")
