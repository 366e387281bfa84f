"""Money, quantities and times are shown one way everywhere."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketplace.formatting import cents_from_soles, lima_datetime, money, quantity


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (123450, "S/\xa01,234.50"),
        (0, "S/\xa00.00"),
        (5, "S/\xa00.05"),
        (100000000, "S/\xa01,000,000.00"),
        (-2550, "-S/\xa025.50"),
    ],
)
def test_money_is_shown_in_soles_es_pe_style(app, cents, shown):
    with app.test_request_context():
        assert money(cents) == shown


def test_money_reads_the_same_in_english(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert money(123450) == "S/\xa01,234.50"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("12.5", 1250), ("0.005", 1), ("0.004", 0), ("1234.56", 123456), (Decimal("7"), 700)],
)
def test_prices_typed_in_soles_become_exact_centimos(typed, cents):
    assert cents_from_soles(typed) == cents


def test_quantities_drop_trailing_zeros(app):
    with app.test_request_context():
        assert quantity(Decimal("2.500")) == "2.5"
        assert quantity(Decimal("1250.000")) == "1,250"


def test_times_are_shown_in_lima(app):
    # 03:30 UTC on 1 March is still 28 February, 22:30 in Lima (UTC-5).
    moment = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)
    with app.test_request_context():
        shown = lima_datetime(moment, "yyyy-MM-dd HH:mm")
    assert shown == "2026-02-28 22:30"


def test_translated_messages_work_outside_a_request(app):
    """CLI commands turn lazy messages into text without a request."""
    from flask_babel import lazy_gettext

    assert str(lazy_gettext("Cerraste tu sesión.")) == "Cerraste tu sesión."


def test_english_dates_are_british_and_lists_read_naturally(app):
    from datetime import date

    from flask_babel import force_locale

    from marketplace.formatting import lima_date, word_list

    moment = datetime(2026, 3, 3, 15, 5, tzinfo=UTC)
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert lima_date(date(2026, 3, 3), "long") == "3 March 2026"
        assert lima_datetime(moment, "medium") == "3 Mar 2026, 10:05:00"
        assert word_list(["Monday", "Tuesday", "Friday"]) == "Monday, Tuesday and Friday"
    with app.test_request_context(headers={"Cookie": "lang=es"}), force_locale("es"):
        assert word_list(["lunes", "viernes"]) == "lunes y viernes"
