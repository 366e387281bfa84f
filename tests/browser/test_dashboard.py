"""The staff dashboard in a real browser: the period and a filter change the figures in place
(and the URL), a figure leads to the order lines that add up to it, and axe finds nothing
serious on the dashboard, the lines and the impact report."""

import re

import pytest
from playwright.sync_api import Page, expect

from marketplace.demo import seed_agreements, seed_order_history
from marketplace.extensions import db

from .accessibility import check_accessibility, describe
from .test_staff_back_office import log_in_as_staff


@pytest.fixture(scope="module")
def history(live_app, demo_data):
    """The demo's months of orders and its seven agreements, on top of the demo data."""
    with live_app.app_context():
        seed_order_history(db.session)
        seed_agreements(db.session)
        db.session.commit()
        db.session.remove()


def card_value(page: Page, label: str) -> str:
    card = page.locator(".figure", has=page.get_by_text(label, exact=True))
    return card.locator(".value").inner_text()


def test_period_and_filter_then_down_to_the_lines(page: Page, history):
    log_in_as_staff(page)
    page.goto("/staff/dashboard")
    expect(page.get_by_role("heading", name="Panel de resultados", level=1)).to_be_visible()
    page.evaluate("window.samePage = true")  # a full page load would forget this
    this_month = card_value(page, "Valor entregado")

    page.get_by_label("Periodo", exact=True).select_option("12m")
    expect(page).to_have_url(re.compile(r"period=12m"))
    expect(page.locator(".figure .value").first).not_to_have_text(this_month)
    year_value = card_value(page, "Valor entregado")

    page.get_by_label("Asociación").select_option(label="Huaroq Sara")
    expect(page).to_have_url(re.compile(r"association_id=\d+"))
    expect(page.locator(".figure .value").first).not_to_have_text(year_value)
    assert page.evaluate("window.samePage") is True  # htmx swapped the results in place
    maize_value = card_value(page, "Valor entregado")

    page.locator(".figure a", has=page.get_by_text("Valor entregado", exact=True)).click()
    expect(
        page.get_by_role("heading", name="Líneas de pedido detrás de las cifras")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/staff/dashboard/lines\?.*association_id=\d+"))
    expect(page.locator("[data-sum=value]")).to_have_text(maize_value)
    expect(page.locator("table.lines tbody tr").first).to_contain_text("Huaroq Sara")


PAGES = {
    "dashboard": "/staff/dashboard?period=12m",
    "lines": "/staff/dashboard/lines?period=12m&figure=fill_rate",
    "impact report": "/staff/impact",
}


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_violations(page: Page, history, axe_installed, name):
    log_in_as_staff(page)
    page.goto(PAGES[name])
    violations = check_accessibility(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"
