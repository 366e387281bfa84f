"""Column types that fix units once: aware UTC datetimes and exact decimal quantities."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

QUANTITY_SCALE = 1000  # quantities are stored in thousandths (grams for kg)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC, returns aware UTC datetimes on every database; refuses naive input."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Quantity(TypeDecorator):
    """A Decimal with three places kept as an integer number of thousandths.

    Integer storage keeps sums and conditional updates exact on SQLite too.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value) * QUANTITY_SCALE
        if value != value.to_integral_value():
            raise ValueError("quantities have at most three decimal places")
        return int(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / QUANTITY_SCALE).quantize(Decimal("0.001"))
