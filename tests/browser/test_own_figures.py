"""The promoter's figures on a 360 px phone and the buyer's spend on a laptop, with the demo
data: nothing wider than the screen, no serious accessibility violation, figures readable."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.demo import DEMO_PASSWORD, seed_agreements, seed_order_history
from marketplace.extensions import db

from .accessibility import check_accessibility, describe

CHEESE_PROMOTER = "promotor.queso@qhatu.pe"
BUYER = "compras@intipata-demo.pe"


@pytest.fixture(scope="module")
def history(live_app, demo_data):
    """The demo's months of delivered orders, agreements and standing orders."""
    with live_app.app_context():
        seed_order_history(db.session)
        seed_agreements(db.session)
        db.session.commit()
        db.session.remove()


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state()  # the stylesheet decides whether the menu is folded
    menu = page.locator("details.menu > summary")
    if menu.is_visible():  # a phone: the links are in the menu
        menu.click()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_promoter_figures_fit_a_360_px_phone(browser, base_url, history, axe_installed):
    context = browser.new_context(
        base_url=base_url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    log_in(page, CHEESE_PROMOTER)
    page.get_by_role("link", name="Nuestras cifras").click()
    expect(page.get_by_role("heading", name="Nuestras cifras", level=1)).to_be_visible()
    expect(page.locator(".big-figure .big").first).to_contain_text("S/")
    # Months of deliveries and standing orders: the lists are filled.
    expect(page.locator(".best-customers li")).not_to_have_count(0)
    expect(page.locator(".coming li")).not_to_have_count(0)
    assert overflow(page) <= 0
    violations = check_accessibility(page)
    assert not violations, describe(violations)
    context.close()


def test_buyer_spend_reads_on_a_laptop(page: Page, history, axe_installed):
    log_in(page, BUYER)
    page.get_by_role("link", name="Mis compras").click()
    expect(page.get_by_role("heading", name="Mis compras", level=1)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Con IGV").first).to_be_visible()
    expect(page.locator(".spend-associations tbody tr")).not_to_have_count(0)
    expect(page.locator(".standing-glance tbody tr")).not_to_have_count(0)
    violations = check_accessibility(page)
    assert not violations, describe(violations)
