"""IGV and rounding: integer céntimos, half up, IGV once per order on the subtotal."""

from decimal import Decimal

import pytest

from marketplace.services import pricing


@pytest.mark.parametrize(
    ("price", "qty", "expected"),
    [
        (2850, "2", 5700),
        (2850, "0.333", 949),  # 949.05
        (1290, "0.125", 161),  # 161.25
        (100, "0.005", 1),  # exactly half a céntimo goes up
        (300, "0.0015", 0),  # 0.45 goes down
        (4500, "1.5", 6750),
    ],
)
def test_line_total_rounds_half_up(price, qty, expected):
    assert pricing.line_total_cents(price, Decimal(qty)) == expected


@pytest.mark.parametrize(
    ("subtotal", "igv"),
    [(1000, 180), (1003, 181), (1, 0), (25, 5), (75, 14), (123456, 22222)],
)
def test_igv_is_18_percent_half_up(subtotal, igv):
    # 25 * 0.18 = 4.5 -> 5 (half up, not to even); 75 * 0.18 = 13.5 -> 14
    assert pricing.igv_cents(subtotal) == igv


def test_igv_is_computed_once_on_the_subtotal_not_per_line():
    lines = [3, 3, 3]  # per line 0.54 would round to 1 each (3 in all)
    totals = pricing.totals(lines)
    assert totals == pricing.Totals(subtotal_cents=9, igv_cents=2, total_cents=11)


def test_igv_rate_comes_from_the_configuration(app):
    app.config["IGV_RATE_PERCENT"] = 10
    assert pricing.igv_cents(1000) == 100


def test_unit_price_is_the_list_price_without_an_agreement(app):
    from marketplace.extensions import db
    from tests.factories import BuyerFactory, ProductFactory

    product = ProductFactory(price_cents=3190)
    buyer = BuyerFactory()
    assert pricing.unit_price_for(db.session, buyer.id, product) == 3190
