"""Payments as people use them: staff grant credit, the buyer orders on account, the promoter
delivers, the invoice and statement appear, staff record the payment, overdue reminders, and
the association ledger with payouts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Invoice, LedgerEntry, Notification, Order
from marketplace.ops.integrity import run_checks
from tests.conftest import text
from tests.factories import PASSWORD, StaffFactory, ordering_world
from tests.web.test_cart import add, checkout_form

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def app_config():
    return {"PLATFORM_FEE_BPS": 1000}  # 10%


@pytest.fixture
def w(app):
    world = ordering_world()
    world.staff = StaffFactory(email="equipo@example.pe")
    db.session.commit()
    return world


def as_user(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def grant(staff, w, days="15", limit="1000.00"):
    return staff.post(f"/staff/buyers/{w.buyer.id}/terms", data={"net_days": days, "limit": limit})


def deliver(promoter, order_id):
    order = db.session.get(Order, order_id)
    for action in ("confirm", "dispatch"):
        promoter.post(f"/producer/orders/{order_id}/{action}")
    data = {f"line_{line.id}": str(line.quantity) for line in order.lines}
    response = promoter.post(f"/producer/orders/{order_id}/deliver", data=data)
    assert response.status_code == 303, response.status_code
    with sa.orm.Session(db.engine) as fresh:
        assert fresh.get(Order, order_id).status == "delivered"


def test_on_account_from_credit_to_zero_due(app, w):
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    assert grant(staff, w).status_code == 303
    page = text(staff.get(f"/staff/buyers/{w.buyer.id}/account").data)
    assert "A 15 días, línea de S/ 1,000.00" in page

    add(buyer, w.cheese, "10")  # 285.00 + IGV = 336.30
    assert buyer.post("/buyer/checkout", data=checkout_form(buyer)).status_code == 303
    (order_id,) = db.session.scalars(sa.select(Order.id)).all()
    deliver(promoter, order_id)

    invoice = db.session.scalar(sa.select(Invoice))
    assert invoice.full_number == "F001-00000001"
    statement = text(buyer.get("/buyer/account/statement").data)
    assert "Factura F001-00000001" in statement and "S/ 336.30" in statement
    printable = text(buyer.get(f"/buyer/invoices/{invoice.id}").data)
    assert w.buyer.ruc in printable and w.cheese_assoc.ruc in printable
    assert "IGV (18 %) S/ 51.30" in printable and "Total S/ 336.30" in printable
    assert "vence el" in printable

    response = staff.post(
        f"/staff/buyers/{w.buyer.id}/payments",
        data={
            "method": "yape",
            "amount": "336.30",
            "received_on": "2026-03-02",
            "reference": "YP-5521",
        },
    )
    assert response.status_code == 303
    statement = text(buyer.get("/buyer/account/statement").data)
    assert "Saldo por pagar S/ 0.00" in statement and "Yape YP-5521" in statement
    assert "Pagada" in statement
    assert run_checks(db.session) == []


def test_checkout_past_the_limit_is_refused_with_the_reason(app, w):
    staff, buyer = as_user(app, w.staff), as_user(app, w.buyer_user)
    grant(staff, w, limit="100.00")
    add(buyer, w.cheese, "10")
    response = buyer.post("/buyer/checkout", data=checkout_form(buyer))
    assert response.status_code == 409
    assert "supera tu línea de crédito: te quedan S/ 100.00 de S/ 100.00" in text(response.data)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_overdue_invoice_refuses_checkout_and_staff_send_a_reminder(app, w):
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    grant(staff, w, days="7")
    add(buyer, w.cheese, "2")
    buyer.post("/buyer/checkout", data=checkout_form(buyer))
    deliver(promoter, db.session.scalar(sa.select(Order.id)))
    invoice = db.session.scalar(sa.select(Invoice))
    with time_machine.travel(MONDAY + timedelta(days=9), tick=False):
        add(buyer, w.cheese, "1")
        response = buyer.post("/buyer/checkout", data=checkout_form(buyer))
        assert response.status_code == 409
        assert "Tienes facturas vencidas" in text(response.data)
        overdue = text(staff.get("/staff/invoices/overdue").data)
        assert invoice.full_number in overdue and "Nunca" in overdue
        response = staff.post(f"/staff/invoices/{invoice.id}/remind")
        assert response.status_code == 303
        assert "Recordatorio de F001-00000001 enviado a 1 personas." in text(
            staff.get("/staff/invoices/overdue").data
        )
    reminders = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "invoice_reminder")
    ).all()
    assert [n.recipient_id for n in reminders] == [w.buyer_user.id]


def test_invalid_terms_and_payments_are_refused_at_the_field(app, w):
    staff = as_user(app, w.staff)
    response = grant(staff, w, days="0")
    assert response.status_code == 422
    response = staff.post(
        f"/staff/buyers/{w.buyer.id}/payments",
        data={"method": "cash", "amount": "10", "received_on": "2026-03-09"},
    )
    assert response.status_code == 409
    assert "La fecha no puede ser futura." in text(response.data)


def test_ledger_for_promoter_and_staff_with_fee_and_payout(app, w):
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    add(buyer, w.cheese, "10")  # no credit: billed some other way, still in the ledger
    buyer.post("/buyer/checkout", data=checkout_form(buyer))
    deliver(promoter, db.session.scalar(sa.select(Order.id)))
    page = text(promoter.get("/producer/ledger").data)
    # 336.30 delivered, 10% of 285.00 is 28.50.
    assert "Valor entregado S/ 336.30" in page
    assert "Comisión de la plataforma − S/ 28.50" in page
    assert "Saldo por pagar a la asociación S/ 307.80" in page
    url = f"/staff/associations/{w.cheese_assoc.id}"
    too_much = staff.post(f"{url}/payouts", data={"amount": "400", "reference": "BCP 1"})
    assert too_much.status_code == 409
    assert "supera lo que se le debe" in text(too_much.data)
    ok = staff.post(f"{url}/payouts", data={"amount": "300", "reference": "BCP 0042"})
    assert ok.status_code == 303
    page = text(staff.get(f"{url}/ledger").data)
    assert "BCP 0042" in page and "Saldo por pagar a la asociación S/ 7.80" in page
    assert staff.post(f"{url}/fee", data={"fee_bps": "0"}).status_code == 303
    assert "Se aplica 0.00 % a esta asociación (general: 10.00 %)" in text(
        staff.get(f"{url}/ledger").data
    )
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 3
    assert run_checks(db.session) == []


def test_another_buyers_invoice_is_not_found(app, w):
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    grant(staff, w)
    add(buyer, w.cheese, "1")
    buyer.post("/buyer/checkout", data=checkout_form(buyer))
    deliver(promoter, db.session.scalar(sa.select(Order.id)))
    invoice = db.session.scalar(sa.select(Invoice))
    other = as_user(app, w.other_buyer_user)
    assert other.get(f"/buyer/invoices/{invoice.id}").status_code == 404


def test_the_invoice_as_a_pdf(app, w):
    pytest.importorskip("fpdf")
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    grant(staff, w)
    add(buyer, w.cheese, "1")
    buyer.post("/buyer/checkout", data=checkout_form(buyer))
    deliver(promoter, db.session.scalar(sa.select(Order.id)))
    invoice = db.session.scalar(sa.select(Invoice))
    pdf = buyer.get(f"/buyer/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="F001-00000001.pdf"'
    assert staff.get(f"/staff/invoices/{invoice.id}.pdf").data.startswith(b"%PDF")


def test_orders_and_invoices_link_to_each_other(app, w):
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    grant(staff, w)
    add(buyer, w.cheese, "1")
    buyer.post("/buyer/checkout", data=checkout_form(buyer))
    order = db.session.scalar(sa.select(Order))
    assert "/buyer/invoices/" not in buyer.get(f"/buyer/orders/{order.id}").get_data(as_text=True)
    deliver(promoter, order.id)
    invoice = db.session.scalar(sa.select(Invoice))
    links = {
        (buyer, f"/buyer/orders/{order.id}"): f'href="/buyer/invoices/{invoice.id}"',
        (buyer, f"/buyer/invoices/{invoice.id}"): f'href="/buyer/orders/{order.id}"',
        (staff, f"/staff/orders/{order.id}/payment"): f'href="/staff/invoices/{invoice.id}"',
        (staff, f"/staff/invoices/{invoice.id}"): f'href="/staff/orders/{order.id}/payment"',
    }
    for (client, page), link in links.items():
        assert link in client.get(page).get_data(as_text=True), page
    page = buyer.get(f"/buyer/invoices/{invoice.id}").get_data(as_text=True)
    assert 'download="F001-00000001.pdf"' in page
    assert "IGV (18 %)" in text(page)
