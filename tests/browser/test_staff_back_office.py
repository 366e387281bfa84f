"""The staff back office in a real browser: axe finds nothing serious, and htmx row actions
and filters update the page in place with the CSRF token sent by htmx."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.demo import DEMO_PASSWORD, STAFF_EMAIL

from .accessibility import check_accessibility, describe


def log_in_as_staff(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(STAFF_EMAIL)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Equipo Qhatu", level=1)).to_be_visible()


def open_first_association(page: Page) -> None:
    page.goto("/staff/associations")
    page.get_by_role("link", name="Sumaq Ausangate").click()
    page.wait_for_load_state()


def submit_empty_association(page: Page) -> None:
    page.goto("/staff/associations/new")
    page.get_by_role("button", name="Crear asociación").click()
    page.get_by_text("Escribe el nombre.").wait_for()


PAGES = {
    "overview": lambda page: page.goto("/staff/"),
    "associations": lambda page: page.goto("/staff/associations"),
    "association": open_first_association,
    "new association": lambda page: page.goto("/staff/associations/new"),
    "new association with errors": submit_empty_association,
    "promoters": lambda page: page.goto("/staff/promoters"),
    "buyers": lambda page: page.goto("/staff/buyers"),
}


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_violations(page: Page, demo_data, axe_installed, name):
    log_in_as_staff(page)
    PAGES[name](page)
    violations = check_accessibility(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"


def test_verify_button_swaps_the_row_in_place(page: Page, demo_data):
    log_in_as_staff(page)
    page.goto("/staff/associations")
    row = page.locator("tr", has=page.get_by_role("link", name="Huaroq Sara"))
    expect(row.get_by_text("Verificado")).to_be_visible()
    page.evaluate("window.samePage = true")  # a full page load would forget this
    row.get_by_role("button", name="Quitar verificación Huaroq Sara").click()
    expect(row.get_by_text("Por verificar")).to_be_visible()
    row.get_by_role("button", name="Verificar Huaroq Sara").click()
    expect(row.get_by_text("Verificado")).to_be_visible()
    assert page.evaluate("window.samePage === true")
    assert page.url.endswith("/staff/associations")


def test_buyer_filter_updates_in_place(page: Page, demo_data):
    log_in_as_staff(page)
    page.goto("/staff/buyers")
    page.evaluate("window.samePage = true")
    page.get_by_label("Ciudad").select_option("lima")
    expect(page).to_have_url("/staff/buyers?status=all&city=lima", timeout=5000)
    expect(page.locator("#buyer-results tbody tr").first).to_be_visible()
    cities = page.locator("#buyer-results tbody td:nth-child(4)").all_inner_texts()
    assert cities and set(cities) == {"Lima"}
    assert page.evaluate("window.samePage === true")
