"""The promoter on a phone (360x740) over a throttled connection: updates stock, confirms an
order, loses the connection, updates again and dispatches (the page itself reopens from the
service worker as last seen), regains it, and each is applied once."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from marketplace.demo import DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.models import BuyerAddress, Order, Product, PromoterRequest, StockMovement, User
from marketplace.models.catalog import REASON_PRODUCTION
from tests.factories import place_order

from .accessibility import check_accessibility, describe

BUYER = "compras@intipata-demo.pe"
CHEESE_PROMOTER = "promotor.queso@qhatu.pe"
SLOW_3G = {  # Chromium DevTools' "Slow 3G"-like profile
    "offline": False,
    "latency": 400,
    "downloadThroughput": 500 * 1024 // 8,
    "uploadThroughput": 500 * 1024 // 8,
}


OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def throttle(cdp) -> None:
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)


def go_offline(context, cdp) -> None:
    """The page loses the connection (DevTools protocol); so does its service worker."""
    cdp.send("Network.emulateNetworkConditions", OFFLINE)
    context.set_offline(True)


def go_online(context, cdp) -> None:
    throttle(cdp)
    context.set_offline(False)


def new_order(live_app) -> tuple[int, int]:
    """A fresh order for twelve kilos of andino cheese: (order id, product id)."""
    with live_app.app_context(), live_app.test_request_context():
        buyer = db.session.scalar(sa.select(User).where(User.email == BUYER))
        address = db.session.scalar(
            sa.select(BuyerAddress).where(BuyerAddress.buyer_id == buyer.buyer_id).limit(1)
        )
        product = db.session.scalar(sa.select(Product).where(Product.slug == "queso-andino"))
        (order,) = place_order(buyer, address, [(product, 12)])
        db.session.commit()
        ids = order.id, product.id
        db.session.remove()
        return ids


def stock_and_additions(live_app, product_id: int) -> tuple[Decimal, int]:
    with live_app.app_context():
        stock = db.session.scalar(sa.select(Product.stock_on_hand).where(Product.id == product_id))
        additions = db.session.scalar(
            sa.select(sa.func.count(StockMovement.id)).where(
                StockMovement.product_id == product_id,
                StockMovement.reason == REASON_PRODUCTION,
                StockMovement.actor_id.is_not(None),
            )
        )
        db.session.remove()
        return stock, additions


def order_status(live_app, order_id: int) -> str:
    with live_app.app_context():
        status = db.session.get(Order, order_id).status
        db.session.remove()
        return status


def test_promoter_phone_offline_update_is_applied_once(
    browser, base_url, live_app, demo_data, axe_installed
):
    order_id, product_id = new_order(live_app)
    context = browser.new_context(
        base_url=base_url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page: Page = context.new_page()
    cdp = context.new_cdp_session(page)
    throttle(cdp)

    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(CHEESE_PROMOTER)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_text("Menú").click()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()
    page.goto("/producer/home")
    # The service worker installs (keeping the shell and this page) and takes control.
    page.evaluate(
        """() => new Promise((resolve) => navigator.serviceWorker.controller ? resolve()
             : navigator.serviceWorker.addEventListener("controllerchange", resolve))"""
    )
    violations = check_accessibility(page)
    assert not violations, describe(violations)

    row = page.locator(f"#stock-{product_id}")
    row.locator("input[name=quantity]").fill("40")
    row.get_by_role("button", name="Guardar conteo").click()
    row = page.locator(f"#stock-{product_id}")
    expect(row).to_contain_text("Guardamos el conteo.")
    expect(row).to_contain_text("En stock: 40 kg")

    waiting, due = page.locator("#count-waiting"), page.locator("#count-due")
    upcoming = page.locator("#count-upcoming")
    waiting_before = int(waiting.inner_text())
    card = page.locator(f"#order-{order_id}")
    card.get_by_role("button", name="Confirmar").click()
    expect(page.locator(f"#order-{order_id}")).to_contain_text("Confirmaste el pedido")
    assert order_status(live_app, order_id) == "confirmed"
    # The counts follow at once (out of band), and agree with a fresh count of the page.
    expect(waiting).to_have_text(str(waiting_before - 1))
    fresh = page.request.get("/producer/home").text()
    for name, locator in (("waiting", waiting), ("due", due), ("upcoming", upcoming)):
        expect(locator).to_have_text(re.search(rf'id="count-{name}">(\d+)<', fresh).group(1))
    _, additions_before = stock_and_additions(live_app, product_id)

    go_offline(context, cdp)
    row = page.locator(f"#stock-{product_id}")
    row.locator("input[name=quantity]").fill("5")
    row.get_by_role("button", name="Sumar producción").click()
    queue = page.locator("#offline-queue")
    expect(queue).to_be_visible()
    expect(queue).to_contain_text("Sin conexión")
    expect(queue).to_contain_text("Por enviar:")
    expect(queue).to_contain_text(re.compile(r"Stock de Queso andino.*: 5"))
    assert stock_and_additions(live_app, product_id) == (Decimal("40"), additions_before)
    # An order action made offline waits on the phone too.
    card = page.locator(f"#order-{order_id}")
    card.get_by_role("button", name="Despachar").click()
    expect(queue).to_contain_text(re.compile(r"Despachar Q-\d+"))
    expect(card.get_by_role("button", name="Despachar")).to_be_disabled()
    assert order_status(live_app, order_id) == "confirmed"

    # Still offline, the promoter reopens the page: the service worker's copy, as last seen
    # (the count saved, the order confirmed and its dispatch waiting), the queue still there.
    page.evaluate("() => window.qhatuOffline.saved()")
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("^Hoy"))).to_be_visible()
    expect(page.locator(f"#stock-{product_id}")).to_contain_text("En stock: 40 kg")
    expect(card.get_by_role("button", name="Despachar")).to_be_disabled()
    expect(queue).to_contain_text(re.compile(r"Stock de Queso andino.*: 5"))
    expect(queue).to_contain_text(re.compile(r"Despachar Q-\d+"))
    assert stock_and_additions(live_app, product_id) == (Decimal("40"), additions_before)

    go_online(context, cdp)
    expect(queue).to_be_hidden()
    expect(page.locator(f"#stock-{product_id}")).to_contain_text("En stock: 45 kg")
    assert stock_and_additions(live_app, product_id) == (Decimal("45"), additions_before + 1)
    assert order_status(live_app, order_id) == "dispatched"

    # The phone sends its queue again (a retry after a lost answer): applied once.
    page.reload()
    with live_app.app_context():
        key = db.session.scalar(
            sa.select(PromoterRequest.key)
            .where(PromoterRequest.action == f"stock:{product_id}:add")
            .order_by(PromoterRequest.id.desc())
        )
        db.session.remove()
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    status = page.evaluate(
        """async ([url, key, token]) => (await fetch(url, {method: "POST",
             headers: {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"},
             body: new URLSearchParams({csrf_token: token, quantity: "5", mode: "add", key})
           })).status""",
        [f"/producer/home/stock/{product_id}", key, token],
    )
    assert status == 200
    assert stock_and_additions(live_app, product_id) == (Decimal("45"), additions_before + 1)

    # Logging out forgets the saved page: offline, nothing of the association shows any more.
    page.get_by_text("Menú").click()
    page.get_by_role("button", name="Salir").click()
    expect(page.get_by_role("link", name="Ingresar")).to_be_visible()
    go_offline(context, cdp)
    with pytest.raises(PlaywrightError):
        page.goto("/producer/home")
    context.close()


def test_a_phone_sends_only_what_the_signed_in_promoter_left_waiting(
    browser, base_url, live_app, demo_data
):
    """Two promoters sharing a phone: each one's waiting updates go out in their own session."""
    _, product_id = new_order(live_app)
    stock_before, additions_before = stock_and_additions(live_app, product_id)
    with live_app.app_context():
        me = db.session.scalar(sa.select(User.id).where(User.email == CHEESE_PROMOTER))
        db.session.remove()
    context = browser.new_context(base_url=base_url, viewport={"width": 360, "height": 740})
    page: Page = context.new_page()
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(CHEESE_PROMOTER)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.goto("/producer/home")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")

    def waiting(quantity: str, key: str) -> dict:
        fields = [["csrf_token", token], ["quantity", quantity], ["mode", "add"], ["key", key]]
        url = f"/producer/home/stock/{product_id}"
        return {"url": url, "target": f"#stock-{product_id}", "fields": fields, "label": "x"}

    page.evaluate(
        """([mine, theirs, me]) => {
             localStorage.setItem("qhatu.promoter.queue." + me, JSON.stringify([mine]));
             localStorage.setItem("qhatu.promoter.queue.999999", JSON.stringify([theirs]));
           }""",
        [waiting("3", "mine-once"), waiting("7", "theirs-once"), me],
    )
    page.reload()
    # Mine goes out once the page is up; theirs stays on the phone for their own session.
    page.wait_for_function(
        "(me) => localStorage.getItem('qhatu.promoter.queue.' + me) === '[]'", arg=me
    )
    assert stock_and_additions(live_app, product_id) == (stock_before + 3, additions_before + 1)
    left = page.evaluate("() => localStorage.getItem('qhatu.promoter.queue.999999')")
    assert "theirs-once" in left
    context.close()
