"""The benches' own checks at small sizes: CI fails when a count grows with the data.

Each test calls the bench module that measures by hand (`python -m bench.<name>`,
docs/benchmarks.md) at two sizes, the second three or ten times the first (or with a
hundredth of the buyers); the placement's raw SQL baseline must write the rows placement
writes, or its ratio means nothing.
"""

from datetime import datetime

import pytest
import time_machine

from bench import queries_per_page, standing_orders
from marketplace.formatting import LIMA
from tests.conftest import empty_all_tables

# Fewer orders than a page (a query per row shows), then two histories that fill a page of
# each list (a list that stopped paging shows).
SIZES = (queries_per_page.FEWEST, queries_per_page.MIN_ORDERS, 3 * queries_per_page.MIN_ORDERS)
MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=LIMA)


@pytest.fixture(autouse=True)
def request_context(app):
    with app.test_request_context():
        yield


@time_machine.travel(MONDAY, tick=False)
def test_pages_send_the_same_statements_and_bytes_whatever_the_order_history(app):
    assert queries_per_page.check_sizes(SIZES) is None
    results = queries_per_page.measure(app, SIZES)
    assert queries_per_page.growth(results, SIZES) == []
    assert all(page.queries and page.html_bytes for pages in results.values() for page in pages)


@pytest.mark.parametrize(
    ("associations", "weekdays", "batches"), [(1, "2", 1), (2, "24", 4)], ids=["1", "4 batches"]
)
def test_placing_1000_deliveries_sends_the_statements_of_100(app, associations, weekdays, batches):
    with time_machine.travel(standing_orders.NOW, tick=False):
        small = standing_orders.place(standing_orders.SMALL, associations, weekdays)
        empty_all_tables()
        large = standing_orders.place(1000, associations, weekdays)
    assert (small.placed + small.short, large.placed + large.short) == (100, 1000)
    assert small.batches == large.batches == batches
    assert large.statements == small.statements


def test_placing_for_10_buyers_or_1000_sends_the_same_statements(app):
    with time_machine.travel(standing_orders.NOW, tick=False):
        many = standing_orders.place(1000, 1, "2", buyers=1000)
        empty_all_tables()
        few = standing_orders.place(1000, 1, "2", buyers=10)
    assert many.short + many.placed == few.short + few.placed == 1000
    assert few.statements == many.statements


@pytest.mark.parametrize(
    ("associations", "weekdays"), [(1, "2"), (2, "24")], ids=["1 batch", "4 batches"]
)
def test_the_raw_sql_baseline_writes_the_rows_placement_writes(app, associations, weekdays):
    with time_machine.travel(standing_orders.NOW, tick=False):
        placed = standing_orders.place(standing_orders.SMALL, associations, weekdays)
        empty_all_tables()
        floor = standing_orders.baseline(standing_orders.SMALL, associations, weekdays)
    assert placed.rows == floor.rows
    assert floor.rows["orders"] == floor.rows["order_events"] == standing_orders.SMALL
    assert floor.rows["order_billing"] == standing_orders.SMALL // 2
