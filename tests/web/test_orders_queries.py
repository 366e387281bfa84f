"""The cart and both order lists send as many SQL queries with a long history as a short one."""

from bench.queries_per_page import measure


def test_queries_per_page_do_not_grow_with_the_order_history(app):
    results = measure(app, sizes=(4, 60))
    grew = {page: counts for page, counts in results.items() if len(set(counts)) != 1}
    assert not grew, f"queries grow with the number of orders: {grew}"
