"""Every stored code has its words: a status added to a model without a label would show
the raw code to users (or fail with a KeyError in a message)."""

from marketplace import labels
from marketplace.models.accounts import BUYER_KINDS, CITIES
from marketplace.models.agreements import AGREEMENT_STATUSES
from marketplace.models.catalog import CATEGORIES
from marketplace.models.order_status import STATUSES
from marketplace.models.standing_orders import STANDING_STATUSES


def test_every_status_has_a_label_and_a_tone():
    assert set(labels.ORDER_STATUS_LABELS) == set(STATUSES)
    assert set(labels.ORDER_STATUS_TONES) == set(STATUSES)
    assert set(labels.AGREEMENT_STATUS_LABELS) == set(AGREEMENT_STATUSES)
    assert set(labels.AGREEMENT_STATUS_TONES) == set(AGREEMENT_STATUSES)
    assert set(labels.STANDING_STATUS_LABELS) == set(STANDING_STATUSES)
    assert set(labels.STANDING_STATUS_TONES) == set(STANDING_STATUSES)


def test_every_city_kind_and_category_has_a_label():
    assert set(labels.CITY_LABELS) == set(CITIES)
    assert set(labels.BUYER_KIND_LABELS) == set(BUYER_KINDS)
    assert set(labels.CATEGORY_LABELS) == set(CATEGORIES)


def test_order_numbers_read_out_on_the_phone():
    assert labels.order_number(7) == "Q-00007"
    assert labels.order_number(123456) == "Q-123456"
