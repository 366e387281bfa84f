"""The readers of typed numbers, ids and dates (marketplace/numbers.py), as properties."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.numbers import (
    MAX_DIGITS,
    MAX_ID,
    NotANumber,
    parse_date,
    parse_decimal,
    parse_id,
    parse_page,
    parse_whole,
)

QUICK = settings(max_examples=200, deadline=None)


@QUICK
@given(
    whole=st.integers(min_value=0, max_value=10**MAX_DIGITS - 1),
    fraction=st.text("0123456789", max_size=6),
    separator=st.sampled_from([",", "."]),
)
def test_plain_digits_with_either_separator_read_exactly(whole, fraction, separator):
    raw = f"{whole}{separator}{fraction}" if fraction else str(whole)
    assert parse_decimal(raw) == Decimal(f"{whole}.{fraction or '0'}")


@QUICK
@given(st.text(st.characters(categories=("Nd",), exclude_characters="0123456789"), min_size=1))
def test_digits_of_other_scripts_are_not_numbers(raw):
    with pytest.raises(NotANumber):
        parse_decimal(raw)
    with pytest.raises(NotANumber):
        parse_whole(raw)
    assert parse_id(raw) is None
    assert parse_page(raw) == 1


@pytest.mark.parametrize(
    "raw", ["1_000", "1e5", "1E5", "Infinity", "-Infinity", "NaN", "9" * 400, "1,000.5", "."]
)
def test_what_python_reads_but_a_person_does_not_type_is_refused(raw):
    with pytest.raises(NotANumber):
        parse_decimal(raw)
    with pytest.raises(NotANumber):
        parse_whole(raw)


def test_bounds_and_empty_values():
    assert parse_decimal("") is None and parse_whole("  ") is None
    with pytest.raises(NotANumber):
        parse_decimal("10000001", max_value=10_000_000)
    assert parse_whole(str(MAX_ID)) == MAX_ID
    with pytest.raises(NotANumber):
        parse_whole(str(MAX_ID + 1))
    assert parse_id(str(MAX_ID)) == MAX_ID and parse_id(str(MAX_ID + 1)) is None
    assert parse_id("0") is None and parse_id("-3") is None
    assert parse_page("99999999999999999999") == 1 and parse_page("7") == 7


def test_a_file_part_is_not_a_number():
    with pytest.raises(NotANumber):
        parse_decimal(object())
    assert parse_id(object()) is None and parse_date(object()) is None


@QUICK
@given(st.dates())
def test_dates_outside_the_served_years_are_no_dates(day):
    expected = day if 2000 <= day.year <= 2100 else None
    assert parse_date(day.isoformat()) == expected


def test_impossible_and_odd_dates_are_no_dates():
    assert parse_date("2025-02-30") is None
    assert parse_date("٢٠٢٥-٠٣-١٤") is None
    assert parse_date("2025-3-4") == date(2025, 3, 4)
