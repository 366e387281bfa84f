"""How money, quantities and times are shown: one place, used by every template."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.core import UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.lists import format_list
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


# Spanish numbers and dates the Peruvian way (1,234.5; 3 mar. 2026); English dates the British
# way, day first as in Peru (3 Mar 2026); other languages their own way.
FORMAT_LOCALES = {"es": "es_PE", "en": "en_GB"}


def format_locale() -> str:
    language = str(get_locale() or "es")
    return FORMAT_LOCALES.get(language, language)


def quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros: Decimal('2.500') -> '2.5'."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="#,##0.###", locale=format_locale())


def lima_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """An aware UTC datetime shown in Lima time, in the user's language."""
    if value is None:
        return ""
    if format_locale() == "en_GB":
        return babel_format_datetime(value, fmt, tzinfo=LIMA, locale="en_GB")
    return format_datetime(value, fmt)


def lima_date(value: date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return babel_format_date(value, format=fmt, locale=format_locale())


def word_list(items) -> str:
    """Words joined the reader's way: 'lunes, martes y viernes' / 'Monday, Tuesday and Friday'."""
    words = [str(item) for item in items]
    try:
        return format_list(words, locale=format_locale())
    except UnknownLocaleError:
        return format_list(words, locale="es")


def lima_today() -> date:
    return datetime.now(LIMA).date()


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(quantity, "qty")
    app.add_template_filter(lima_datetime, "datetime")
    app.add_template_filter(lima_date, "date")
