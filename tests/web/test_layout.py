"""The layout on every page: one navigation, a menu that opens without JavaScript, tables that
a keyboard can scroll and that stack into labelled cards on a phone, and no attribute that
says "None"."""

import re

import pytest
import time_machine

from marketplace.extensions import db
from tests.factories import ordering_world, place_order

from .test_promoter_home import MONDAY


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def world(app):
    with app.test_request_context():
        world = ordering_world()
        (world.order,) = place_order(world.buyer_user, world.address, [(world.cheese, 4)])
        db.session.commit()
    return world


def test_promoter_pages_have_one_navigation_with_a_details_menu(client, auth, world):
    auth.login(world.promoter)
    for url in ("/producer/", "/producer/products", "/producer/demand", "/producer/home"):
        html = client.get(url).get_data(as_text=True)
        assert html.count("<nav") - html.count('class="pager"') == 1, url
        assert "producer-nav" not in html
        menu = html[html.index('<details class="menu">') : html.index("</details>")]
        for section in ("/producer/products", "/producer/story", "/producer/agreements"):
            assert f'href="{section}"' in menu
    assert 'href="/producer/demand" aria-current="page"' in client.get("/producer/demand").text


def test_stock_inputs_carry_aria_attributes_only_when_set(client, auth, world):
    auth.login(world.promoter)
    html = client.get("/producer/").get_data(as_text=True)
    assert f'id="qty-{world.cheese.id}"' in html
    assert '="None"' not in html
    assert "aria-invalid" not in html


def test_tables_scroll_by_keyboard_and_label_their_cells(client, auth, world):
    auth.login(world.buyer_user)
    html = client.get(f"/buyer/orders/{world.order.id}").get_data(as_text=True)
    wrap = re.search(r'<div class="table-wrap"[^>]*>', html).group(0)
    assert 'tabindex="0"' in wrap and 'role="region"' in wrap and 'aria-label="Tabla"' in wrap
    for label in ("Precio", "Pedido", "Importe"):
        assert f'<td data-label="{label}"' in html
