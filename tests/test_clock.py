"""Every test starts at the run's set moment (TEST_NOW), not at the real date."""

from datetime import timedelta

from marketplace.formatting import LIMA, lima_today
from marketplace.types import utcnow
from tests.conftest import TEST_NOW


def test_a_test_starts_at_the_set_moment():
    assert abs(utcnow() - TEST_NOW) < timedelta(seconds=30)
    assert lima_today() == TEST_NOW.astimezone(LIMA).date()


def test_the_next_test_starts_there_again():
    assert abs(utcnow() - TEST_NOW) < timedelta(seconds=30)
