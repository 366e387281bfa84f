"""A buyer orders from both associations; the cheese promoter confirms, dispatches and
delivers short; the buyer sees the corrected total. Every ordering page passes axe."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.demo import DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.models import Product

from .accessibility import check_accessibility, describe

BUYER = "compras@intipata-demo.pe"
CHEESE_PROMOTER = "promotor.queso@qhatu.pe"


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Salir").click()
    expect(page.get_by_role("link", name="Ingresar")).to_be_visible()


def product_id(live_app, slug: str) -> int:
    with live_app.app_context():
        return db.session.scalar(sa.select(Product.id).where(Product.slug == slug))


def assert_accessible(page: Page, what: str) -> None:
    violations = check_accessibility(page)
    assert not violations, f"{what} ({page.url}):\n{describe(violations)}"


def add_to_cart(page: Page, live_app, slug: str, quantity: str) -> None:
    page.goto(f"/p/{product_id(live_app, slug)}")
    page.get_by_label("Cantidad").fill(quantity)
    page.get_by_role("button", name="Añadir al carrito").click()
    expect(page.get_by_text(re.compile(r"^En tu carrito:"))).to_be_visible()


def test_order_from_both_associations_and_short_delivery(
    page: Page, live_app, demo_data, axe_installed
):
    log_in(page, BUYER)
    add_to_cart(page, live_app, "queso-andino", "6")
    badge = page.locator("#cart-badge")
    expect(badge).to_contain_text("1")  # htmx refreshed the badge from the HX-Trigger header
    add_to_cart(page, live_app, "maiz-chullpi", "10")
    expect(badge).to_contain_text("2")

    page.get_by_role("link", name=re.compile("^Carrito")).click()
    expect(page.get_by_role("heading", name="Sumaq Ausangate")).to_be_visible()
    expect(page.get_by_role("heading", name="Huaroq Sara")).to_be_visible()
    assert_accessible(page, "cart")
    page.get_by_role("button", name="Confirmar pedidos").click()

    flash = page.get_by_text(re.compile("Hicimos 2 pedidos, uno por asociación"))
    expect(flash).to_be_visible()
    cheese_number, maize_number = re.findall(r"Q-\d+", flash.inner_text())
    expect(page.get_by_role("link", name=cheese_number)).to_be_visible()
    expect(page.get_by_role("link", name=maize_number)).to_be_visible()
    assert_accessible(page, "buyer order list")
    log_out(page)

    log_in(page, CHEESE_PROMOTER)
    page.get_by_role("link", name="Pedidos", exact=True).click()
    card = page.locator("article", has=page.get_by_role("link", name=cheese_number))
    expect(card).to_contain_text("Queso andino: 6 kg")
    assert page.get_by_role("link", name=maize_number).count() == 0
    assert_accessible(page, "promoter order list")
    card.get_by_role("button", name="Confirmar").click()
    expect(card.get_by_text(f"Confirmaste el pedido {cheese_number}.")).to_be_visible()
    card.get_by_role("button", name="Despachar").click()
    expect(card.get_by_text(f"El pedido {cheese_number} está en camino.")).to_be_visible()
    card.get_by_role("link", name="Registrar entrega").click()

    page.get_by_label(re.compile("^Queso andino")).fill("5")
    assert_accessible(page, "promoter order page")
    page.get_by_role("button", name="Registrar entrega").click()
    expect(
        page.get_by_text(
            "Entrega incompleta: el monto a pagar bajó de S/ 169.92 a S/ 141.60."
        ).first
    ).to_be_visible()
    log_out(page)

    log_in(page, BUYER)
    page.get_by_role("link", name="Mis pedidos").click()
    page.get_by_role("link", name=cheese_number).click()
    expect(page.get_by_text("Total a pagar")).to_be_visible()
    expect(page.locator("tr.total")).to_contain_text("S/ 141.60")
    expect(page.get_by_text("Entregado").first).to_be_visible()
    assert_accessible(page, "buyer order page")
