"""A card order in a real browser: the buyer chooses card in the cart, pays on the hosted
page (the local Checkout fake, holding the total in localstripe) and comes back to an order
whose payment is held on the card."""

import re

import pytest
from playwright.sync_api import Page, expect

from .test_ordering_flow import BUYER, add_to_cart, assert_accessible, log_in


@pytest.fixture
def cards_on(live_app, stripe_config):
    """Turn cards on for the live app (settings are read at each request), then off again."""
    before = {key: live_app.config.get(key) for key in stripe_config}
    live_app.config.update(stripe_config)
    yield
    live_app.config.update(before)


def test_card_order_through_the_hosted_page(
    page: Page, live_app, demo_data, cards_on, axe_installed
):
    log_in(page, BUYER)
    add_to_cart(page, live_app, "queso-andino", "6")
    page.get_by_role("link", name=re.compile("^Carrito")).click()
    page.get_by_role("radio", name=re.compile("Tarjeta")).check()
    expect(page.get_by_role("checkbox", name=re.compile("Guardar la tarjeta"))).to_be_checked()
    assert_accessible(page, "cart with the payment choice")
    page.get_by_role("button", name=re.compile("^Confirmar pedido")).click()

    pay = page.get_by_role("button", name=re.compile("^Pay"))  # the hosted page
    expect(pay).to_be_visible()
    pay.click()
    expect(page.get_by_text(re.compile(r"el pago del pedido Q-\d+ está reservado"))).to_be_visible()
    expect(page.get_by_text("Tarjeta: monto reservado")).to_be_visible()
    assert_accessible(page, "order paid by card")
