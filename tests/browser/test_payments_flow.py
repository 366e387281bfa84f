"""On account from end to end: staff grant credit, the buyer orders, the promoter delivers,
the invoice appears on the buyer's statement, staff record the payment, nothing is due."""

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.demo import STAFF_EMAIL
from marketplace.extensions import db
from marketplace.models import User

from .test_ordering_flow import (
    BUYER,
    CHEESE_PROMOTER,
    add_to_cart,
    assert_accessible,
    log_in,
    log_out,
)


def buyer_id(live_app) -> int:
    with live_app.app_context():
        return db.session.scalar(sa.select(User.buyer_id).where(User.email == BUYER))


def test_order_on_account_is_invoiced_and_paid(page: Page, live_app, demo_data, axe_installed):
    account_url = f"/staff/buyers/{buyer_id(live_app)}/account"
    log_in(page, STAFF_EMAIL)
    page.goto(account_url)
    page.get_by_label("Plazo (días)").fill("30")
    page.get_by_label("Línea de crédito (S/)").fill("5000")
    page.get_by_role("button", name="Guardar crédito").click()
    expect(page.get_by_text("Crédito actualizado.")).to_be_visible()
    assert_accessible(page, "staff buyer account")
    log_out(page)

    log_in(page, BUYER)
    add_to_cart(page, live_app, "queso-andino", "6")
    page.get_by_role("link", name=re.compile("^Carrito")).click()
    page.get_by_role("button", name=re.compile("^Confirmar pedido")).click()
    flash = page.get_by_text(re.compile(r"Pedido Q-\d+ enviado"))
    expect(flash).to_be_visible()
    (number,) = re.findall(r"Q-\d+", flash.inner_text())
    log_out(page)

    log_in(page, CHEESE_PROMOTER)
    page.get_by_role("link", name="Pedidos", exact=True).click()
    card = page.locator("article", has=page.get_by_role("link", name=number))
    card.get_by_role("button", name="Confirmar").click()
    expect(card.get_by_text(f"Confirmaste el pedido {number}.")).to_be_visible()
    card.get_by_role("button", name="Despachar").click()
    expect(card.get_by_text(f"El pedido {number} está en camino.")).to_be_visible()
    card.get_by_role("link", name="Registrar entrega").click()
    page.get_by_role("button", name="Registrar entrega").click()
    page.get_by_role("link", name="Lo que nos deben").click()
    expect(page.get_by_role("cell", name=number).first).to_be_visible()
    assert_accessible(page, "promoter ledger")
    log_out(page)

    log_in(page, BUYER)
    page.get_by_role("link", name="Estado de cuenta").click()
    invoice_link = page.get_by_role("link", name=re.compile(r"^Factura F001-\d{8}$"))
    expect(invoice_link).to_be_visible()
    assert_accessible(page, "buyer statement")
    invoice_link.click()
    total = page.locator("tfoot tr", has_text="Total").locator("td").inner_text()
    assert_accessible(page, "printable invoice")
    log_out(page)

    log_in(page, STAFF_EMAIL)
    page.goto(account_url)
    page.get_by_label("Medio de pago").select_option("transfer")
    page.get_by_label("Monto (S/)").fill(total.replace("S/", "").replace(",", "").strip())
    page.get_by_label("Referencia (n.º de operación)").fill("BCP 000123")
    page.get_by_role("button", name="Registrar pago").click()
    expect(page.get_by_text("Pago registrado.")).to_be_visible()
    log_out(page)

    log_in(page, BUYER)
    page.get_by_role("link", name="Estado de cuenta").click()
    expect(page.locator(".statement-balance")).to_contain_text("S/ 0.00")
    expect(page.get_by_text("Pagada")).to_be_visible()
