"""A buyer makes a weekly standing order from its agreement, skips one week and changes
another; the placement command runs; the orders that appear are exactly those."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.demo import DEMO_PASSWORD, seed_agreements
from marketplace.extensions import db
from marketplace.formatting import LIMA, lima_today
from marketplace.models import Order, StandingOrder
from marketplace.services import standing as so
from marketplace.services.calendar import is_holiday
from marketplace.standing_cli import run_placement

from .accessibility import check_accessibility, describe

BUYER = "compras@intipata-demo.pe"  # Hotel Inti Pata, Cusco: cheese on Tuesdays and Fridays


@pytest.fixture(scope="module")
def agreements(live_app, demo_data):
    with live_app.app_context():
        seed_agreements(db.session)
        db.session.commit()
        db.session.remove()


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()


def assert_accessible(page: Page, what: str) -> None:
    violations = check_accessibility(page)
    assert not violations, f"{what} ({page.url}):\n{describe(violations)}"


def delivered_on(friday: date) -> date:
    """A Friday on a national holiday is delivered the association's Tuesday before (it
    delivers Tuesdays and Fridays; docs/calendar.md)."""
    return friday - timedelta(days=3) if is_holiday(friday) else friday


def first_friday() -> date:
    """The first Friday the cheese association can still prepare (lead time 2 days), not a
    holiday itself, whose next Fridays can move to their Tuesday if they fall on one."""
    day = so.earliest_start(2)
    while (
        day.isoweekday() != 5
        or is_holiday(day)
        or any(is_holiday(delivered_on(day + timedelta(weeks=n))) for n in (1, 2))
    ):
        day += timedelta(days=1)
    return day


def fridays_shown(start: date) -> int:
    """How many weekly deliveries from `start` the page lists in its weeks from today: the
    Fridays in them, and a holiday Friday just after whose Tuesday before falls in them."""
    horizon = lima_today() + timedelta(weeks=so.UPCOMING_WEEKS)
    fridays = [start + timedelta(weeks=n) for n in range(so.UPCOMING_WEEKS + 2)]
    tuesday = timedelta(days=3)
    return len(
        [
            f
            for f in fridays
            if f <= horizon
            or (is_holiday(f) and not is_holiday(f - tuesday) and f - tuesday <= horizon)
        ]
    )


def test_weekly_standing_order_skip_change_and_placement(
    page: Page, live_app, agreements, axe_installed
):
    log_in(page, BUYER)
    page.get_by_role("link", name="Acuerdos", exact=True).click()
    page.get_by_role("link", name="AC-0002 v2").click()
    expect(page.get_by_text("Vigente").first).to_be_visible()
    assert_accessible(page, "agreement")
    page.get_by_role("link", name="Crear un pedido fijo con este acuerdo").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Sumaq Ausangate")
    expect(page.get_by_text("precio del acuerdo").first).to_be_visible()
    assert_accessible(page, "standing order form")
    # Only the association's days (Tuesday, Friday); weekly or monthly fields, one at a time.
    expect(page.get_by_label("lunes")).to_have_count(0)
    expect(page.get_by_label("Día del mes")).to_be_hidden()
    page.get_by_label("Una vez al mes").check()
    expect(page.get_by_label("Día del mes")).to_be_visible()
    expect(page.get_by_label("viernes")).to_be_hidden()
    page.get_by_label("Por semanas").check()
    expect(page.get_by_label("Día del mes")).to_be_hidden()
    start = first_friday()
    page.get_by_label("Queso andino").fill("5")
    page.get_by_label("viernes").check()
    page.get_by_label("Primera entrega desde").fill(start.isoformat())
    page.get_by_role("button", name="Crear pedido fijo").click()

    expect(page.get_by_text("está activo")).to_be_visible()
    expect(page.get_by_text("cada semana: viernes")).to_be_visible()
    assert_accessible(page, "standing order")
    first, second, third = start, start + timedelta(days=7), start + timedelta(days=14)
    rows = page.locator("li.delivery-row")
    expect(rows).to_have_count(fridays_shown(start))

    # Skip the first Friday (htmx swaps just that delivery).
    rows.nth(0).get_by_role("button", name="Saltar esta entrega").click()
    expect(rows.nth(0).get_by_text("Saltada")).to_be_visible()
    expect(rows.nth(0).get_by_role("button", name="Recibir esta entrega")).to_be_visible()

    # Change the second Friday to 8 kg; the third stays at 5.
    rows.nth(1).get_by_role("link", name="Cambiar esta entrega").click()
    assert_accessible(page, "one delivery")
    page.get_by_label("Queso andino").fill("8")
    page.get_by_role("button", name="Guardar esta entrega").click()
    expect(page.get_by_text("Cambiamos solo la entrega")).to_be_visible()
    expect(rows.nth(1).get_by_text("cambiado (normal: 5)")).to_be_visible()

    # Cron runs the placement on the mornings after each cut-off.
    with live_app.app_context():
        standing_id = db.session.scalar(
            sa.select(StandingOrder.id).order_by(StandingOrder.id.desc())
        )
        for day in (first, second, third):
            moment = datetime.combine(delivered_on(day) - timedelta(days=1), time(7), tzinfo=LIMA)
            run_placement(db.session, moment)
        placed = db.session.execute(
            sa.select(Order.delivery_date, Order.id, Order.total_cents)
            .where(Order.checkout_token.like("standing:%"), Order.delivery_date >= first)
            .where(Order.notes.like(f"%PF-{standing_id:04d}%"))
            .order_by(Order.delivery_date)
        ).all()
        quantities = {
            r.delivery_date: db.session.get(Order, r.id).lines[0].quantity for r in placed
        }
        db.session.remove()
    assert quantities == {delivered_on(second): Decimal("8"), delivered_on(third): Decimal("5")}
    assert first >= lima_today()

    page.goto(f"/buyer/standing-orders/{standing_id}")
    history = page.get_by_role("table")
    expect(history.get_by_role("row")).to_have_count(4)  # header, skipped, two orders
    expect(history.get_by_text("Saltada")).to_be_visible()
    history.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pedido Q-")
    expect(page.get_by_text("Queso andino").first).to_be_visible()
