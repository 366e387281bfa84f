"""Kilograms summed exactly in SQL: quantities and weights per unit are stored as integer
thousandths, so a line's kilograms are an integer number of millionths of a kilogram."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

MILLION = Decimal(1_000_000)


def thousandths(column):
    """A Quantity column as its stored integer (thousandths), so SQL can multiply and sum."""
    return sa.type_coerce(column, sa.BigInteger)


def kg_millionths(quantity, weight_per_unit):
    """Kilograms in millionths, in SQL: a quantity column times a weight-per-unit column."""
    return thousandths(quantity) * thousandths(weight_per_unit)


def kg_from_millionths(millionths) -> Decimal:
    """Exact kilograms (quantity and weight have three decimals each: up to six here), so
    sums of parts equal the whole; pages round only when they show them."""
    return Decimal(int(millionths or 0)) / MILLION
