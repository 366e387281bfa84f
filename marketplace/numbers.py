"""Numbers, ids and dates typed by people or sent in URLs, read one way everywhere.

Only plain ASCII digits count, with at most one decimal separator ("," or "."); no
exponents, no underscores, no `Infinity`/`NaN`, no digits of other scripts. Every reader
has bounds, so a value never overflows a database column or the Decimal context: an
id or a page beyond PostgreSQL's INTEGER is no id at all, a date outside 2000–2100 no date.
"""

import re
from datetime import date
from decimal import Decimal

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: ids, pages, counts
MAX_DIGITS = 12  # digits before the separator any typed number may have
MAX_PLACES = 6  # digits after it
MAX_SOLES = Decimal("10000000")  # S/ 10 million: 10**9 céntimos fit an INTEGER column
MAX_QUANTITY = Decimal("1000000")  # kg or units: thousandths fit any quantity column
FIRST_YEAR, LAST_YEAR = 2000, 2100

_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:[.,]([0-9]*))?")
_WHOLE = re.compile(r"([+-]?)([0-9]+)")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


class NotANumber(ValueError):
    """The text is not a plain number within the bounds asked for."""


def _text(raw) -> str | None:
    """The typed text without spaces; None for anything that is not text (a file)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        return None
    return raw.strip().replace(" ", "").replace("\u00a0", "")


def parse_decimal(
    raw, *, max_value: Decimal | int | None = None, places: int = MAX_PLACES
) -> Decimal | None:
    """'2,5' or '2.5' -> Decimal('2.5'); '' -> None; NotANumber for anything else, for more
    than `places` decimals (beyond MAX_PLACES) or a magnitude above `max_value`."""
    text = _text(raw)
    if text == "":
        return None
    match = _DECIMAL.fullmatch(text) if text else None
    if match is None:
        raise NotANumber(raw)
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    whole = whole.lstrip("0")
    if not (match.group(2) or fraction) or len(whole) > MAX_DIGITS:
        raise NotANumber(raw)
    if len(fraction) > max(places, 0) and fraction.rstrip("0")[max(places, 0) :]:
        raise NotANumber(raw)
    value = Decimal(f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole or '0'}")
    if max_value is not None and abs(value) > Decimal(max_value):
        raise NotANumber(raw)
    return value


def read_decimal(raw) -> Decimal | None:
    """A finite Decimal or an int as it is, text through `parse_decimal`; None when it is
    empty or not a number (a service reading what a view passed on)."""
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        return Decimal(raw) if Decimal(raw).is_finite() else None
    try:
        return parse_decimal(raw)
    except NotANumber:
        return None


def parse_whole(raw, *, max_value: int = MAX_ID) -> int | None:
    """'12' -> 12; '' -> None; NotANumber for anything else or a magnitude above
    `max_value` (by default PostgreSQL's INTEGER)."""
    text = _text(raw)
    if text == "":
        return None
    match = _WHOLE.fullmatch(text) if text else None
    if match is None or len(match.group(2).lstrip("0")) > len(str(max_value)):
        raise NotANumber(raw)
    value = int(match.group(0))
    if abs(value) > max_value:
        raise NotANumber(raw)
    return value


def parse_id(raw) -> int | None:
    """A record id from a form or a query string; None unless it is 1..MAX_ID in plain digits."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_page(raw, default: int = 1) -> int:
    """`?page=`: a page number 1..MAX_ID; anything else is the first page."""
    value = parse_id(raw)
    return value if value is not None else default


def parse_date(raw) -> date | None:
    """'2026-05-04' -> a date within FIRST_YEAR..LAST_YEAR; None for anything else."""
    text = raw.strip() if isinstance(raw, str) else ""
    match = _DATE.fullmatch(text) if text.isascii() else None
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def in_date_range(value: date | None) -> bool:
    """Whether a date (from a date picker or a computation) lies within the years we serve."""
    return value is None or FIRST_YEAR <= value.year <= LAST_YEAR
