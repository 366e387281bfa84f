"""Counts agree with the action just done: Hoy's section counts and the order tabs come back
out of band with htmx, and a plain reload shows the same numbers."""

import re
from datetime import date

import pytest

from marketplace.extensions import db
from marketplace.services import ordering
from tests.conftest import text
from tests.factories import make_standing_order, ordering_world, place_order
from tests.web.test_promoter_home import HX, frozen  # noqa: F401 (the Monday clock)

FRIDAY = date(2026, 3, 6)  # of the frozen Monday's week
NEXT_TUESDAY = date(2026, 3, 10)


@pytest.fixture
def w(app, client, auth):
    """Two orders waiting: one due tomorrow, one due Friday."""
    with app.test_request_context():
        world = ordering_world()
        (world.soon,) = place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        (world.later,) = place_order(
            world.buyer_user, world.address, [(world.cheese, 1)], when=FRIDAY
        )
        db.session.commit()
    auth.login(world.promoter)
    return world


def oob_counts(html: str) -> dict[str, int]:
    found = re.findall(r'id="count-(\w+)" hx-swap-oob="true">(\d+)<', html)
    return {name: int(number) for name, number in found}


def page_counts(client) -> dict[str, int]:
    html = client.get("/producer/home").get_data(as_text=True)
    found = re.findall(r'<span class="count" id="count-(\w+)">(\d+)</span>', html)
    return {name: int(number) for name, number in found}


def tab_counts(html: str) -> dict[str, int]:
    tabs = html[html.index('id="order-tabs"') :]
    tabs = tabs[: tabs.index("</nav>")]
    found = re.findall(r"view=(\w+)\"[^>]*>[^<]*<span class=\"count\">(\d+)</span>", tabs)
    return {name: int(number) for name, number in found}


def act(client, order, action, **data):
    url = f"/producer/home/orders/{order.id}/{action}"
    response = client.post(url, data={"key": f"{action}-{order.id}", **data}, headers=HX)
    assert response.status_code == 200, text(response.data)
    return response.get_data(as_text=True)


def test_hoy_counts_follow_confirm_dispatch_deliver_and_reject(client, w):
    assert page_counts(client) == {"waiting": 2, "due": 0, "upcoming": 0}

    after = {"waiting": 1, "due": 1, "upcoming": 0}
    assert oob_counts(act(client, w.soon, "confirm")) == after
    assert page_counts(client) == after

    after = {"waiting": 0, "due": 1, "upcoming": 1}
    assert oob_counts(act(client, w.later, "confirm")) == after
    assert page_counts(client) == after

    assert oob_counts(act(client, w.soon, "dispatch")) == after  # still to deliver
    after = {"waiting": 0, "due": 0, "upcoming": 1}
    assert oob_counts(act(client, w.soon, "deliver")) == after
    assert page_counts(client) == after


def test_hoy_count_after_reject(client, w):
    after = {"waiting": 1, "due": 0, "upcoming": 0}
    assert oob_counts(act(client, w.soon, "reject", reason="Sin leche")) == after
    assert page_counts(client) == after


def test_a_confirmed_order_due_this_week_stays_on_hoy(client, w, app):
    act(client, w.later, "confirm")
    page = text(client.get("/producer/home").data)
    upcoming = page.split("Más entregas de la semana")[1].split("Stock")[0]
    assert w.later.number in upcoming and "Despachar" in upcoming
    with app.test_request_context():
        (next_week,) = place_order(w.buyer_user, w.address, [(w.cheese, 1)], when=NEXT_TUESDAY)
        ordering.confirm_order(db.session, w.promoter, next_week)
        db.session.commit()
    assert next_week.number not in text(client.get("/producer/home").data)


def test_a_stock_change_resends_the_short_stock_section(client, w):
    make_standing_order(w.buyer_user, w.address, [(w.cheese, 30)])
    db.session.commit()
    assert "Stock que no alcanza" in text(client.get("/producer/home").data)
    response = client.post(
        f"/producer/home/stock/{w.cheese.id}",
        data={"quantity": "500", "mode": "add", "key": "add-500"},
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div id="short-stock" hx-swap-oob="true">' in html
    assert "Stock que no alcanza" not in text(html)
    assert "Stock que no alcanza" not in text(client.get("/producer/home").data)


def test_order_tabs_follow_confirm_and_dispatch(client, w):
    html = client.get("/producer/orders").get_data(as_text=True)
    assert tab_counts(html) == {
        "open": 2,
        "placed": 2,
        "confirmed": 0,
        "dispatched": 0,
        "closed": 0,
    }
    response = client.post(
        f"/producer/orders/{w.soon.id}/confirm", data={"view": "placed"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert 'id="order-tabs" aria-label="Filtrar pedidos" hx-swap-oob="true"' in html
    after = {"open": 2, "placed": 1, "confirmed": 1, "dispatched": 0, "closed": 0}
    assert tab_counts(html) == after
    assert tab_counts(client.get("/producer/orders").get_data(as_text=True)) == after
    response = client.post(f"/producer/orders/{w.soon.id}/dispatch", headers=HX)
    after = {"open": 2, "placed": 1, "confirmed": 0, "dispatched": 1, "closed": 0}
    assert tab_counts(response.get_data(as_text=True)) == after
    assert tab_counts(client.get("/producer/orders").get_data(as_text=True)) == after


def test_order_tabs_after_reject_and_deliver_without_javascript(client, w, app):
    with app.test_request_context():
        ordering.confirm_order(db.session, w.promoter, w.soon)
        ordering.dispatch_order(db.session, w.promoter, w.soon)
        db.session.commit()
    line = w.soon.lines[0]
    response = client.post(f"/producer/orders/{w.soon.id}/deliver", data={f"line_{line.id}": "4"})
    assert response.status_code == 303
    response = client.post(f"/producer/orders/{w.later.id}/reject", data={"reason": "Sin leche"})
    assert response.status_code == 303
    html = client.get("/producer/orders").get_data(as_text=True)
    assert tab_counts(html) == {
        "open": 0,
        "placed": 0,
        "confirmed": 0,
        "dispatched": 0,
        "closed": 2,
    }


def test_the_list_form_goes_back_to_its_tab(client, w):
    response = client.post(
        f"/producer/orders/{w.soon.id}/confirm", data={"back": "list", "view": "placed"}
    )
    assert response.headers["Location"] == "/producer/orders?view=placed"
