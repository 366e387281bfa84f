"""axe-core finds no serious or critical WCAG 2.1 A/AA violation on the public pages."""

import pytest
from playwright.sync_api import Page

from .accessibility import check_accessibility, describe

PAGES = {
    "catalog": lambda page: page.goto("/"),
    "catalog search": lambda page: page.goto("/?q=chullpi"),
    "product": lambda page: open_product(page, "Queso tipo paria"),
    "association": lambda page: page.goto("/asociaciones/sumaq-ausangate"),
    "login": lambda page: page.goto("/login"),
    "registration": lambda page: page.goto("/registro"),
}


def open_product(page: Page, name: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_violations(page: Page, demo_data, axe_installed, name):
    PAGES[name](page)
    violations = check_accessibility(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"


def test_registration_errors_stay_accessible(page: Page, demo_data, axe_installed):
    page.goto("/registro")
    page.get_by_role("button", name="Registrar mi negocio").click()
    page.get_by_text("Escribe la razón social.").wait_for()
    violations = check_accessibility(page)
    assert not violations, describe(violations)
