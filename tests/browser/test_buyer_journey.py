"""A new Horeca registers, finds chullpi with the search box and reads who grows it."""

import re

from playwright.sync_api import Page, expect

from marketplace.services.ruc import make_ruc

PASSWORD = "una frase larga de demo"


def register_business(page: Page) -> None:
    page.goto("/registro")
    page.get_by_label("Razón social", exact=True).fill("Wayra Cocina Andina S.A.C.")
    page.get_by_label("Nombre comercial", exact=True).fill("Wayra Cocina")
    page.get_by_label("RUC", exact=True).fill(make_ruc("2061295071"))
    page.get_by_label("Tipo de negocio", exact=True).select_option(label="Restaurante")
    page.get_by_label("Ciudad", exact=True).select_option(label="Cusco")
    page.get_by_label("Nombre del lugar de entrega", exact=True).fill("Cocina")
    page.get_by_label("Dirección de entrega", exact=True).fill("Calle Tandapata 150, Cusco")
    page.get_by_label("Tu nombre", exact=True).fill("Ana Huillca")
    page.get_by_label("Correo electrónico", exact=True).fill("ana@wayra-demo.pe")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repite la contraseña", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Registrar mi negocio").click()


def test_new_buyer_finds_chullpi_and_reads_the_story(page: Page, demo_data):
    register_business(page)
    expect(page.get_by_text("¡Bienvenido a Qhatu! Registramos Wayra Cocina")).to_be_visible()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()

    page.get_by_role("link", name="Catálogo", exact=True).click()
    expect(page.get_by_role("link", name="Queso andino", exact=True)).to_be_visible()
    page.get_by_role("searchbox", name="Buscar").press_sequentially("chullpi")
    results = page.locator("#catalog-results")
    expect(results.get_by_role("link", name="Queso andino", exact=True)).to_have_count(0)
    chullpi = results.get_by_role("link", name="Maíz chullpi", exact=True)
    expect(chullpi).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q=chullpi"))

    chullpi.click()
    expect(page.get_by_role("heading", level=1, name="Maíz chullpi")).to_be_visible()
    page.get_by_role("link", name="Conoce la historia de Huaroq Sara").click()

    expect(page).to_have_url(re.compile(r"/asociaciones/huaroq-sara$"))
    expect(page.get_by_role("heading", level=1, name="Huaroq Sara")).to_be_visible()
    expect(page.get_by_role("heading", name="Quiénes son")).to_be_visible()
    expect(page.get_by_text("reúne a 11 productores de maíz")).to_be_visible()
    expect(page.get_by_text("Cultivan dos maíces")).to_be_visible()
