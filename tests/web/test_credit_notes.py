"""Refunds on account: staff issue a credit note for a delivered, invoiced order; the
invoice owes less, the statement shows it, the association's ledger loses it, all reconcile."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Invoice, LedgerEntry, Notification, Order
from marketplace.ops.integrity import run_checks
from tests.conftest import text
from tests.web.test_cart import add, checkout_form
from tests.web.test_payments import as_user, deliver, frozen, grant, w  # noqa: F401


def test_a_credit_note_lowers_the_invoice_and_the_association_ledger(app, w):  # noqa: F811
    staff, buyer, promoter = (as_user(app, u) for u in (w.staff, w.buyer_user, w.promoter))
    grant(staff, w)
    add(buyer, w.cheese, "10")  # 285.00 + IGV = 336.30
    assert buyer.post("/buyer/checkout", data=checkout_form(buyer)).status_code == 303
    order_id = db.session.scalar(sa.select(Order.id))
    deliver(promoter, order_id)
    invoice = db.session.scalar(sa.select(Invoice))

    page = text(staff.get(f"/staff/orders/{order_id}/payment").data)
    assert "Nota de crédito" in page and "Hasta S/ 336.30" in page
    too_much = staff.post(
        f"/staff/orders/{order_id}/refund", data={"amount": "400.00", "reason": "queso partido"}
    )
    assert too_much.status_code == 409
    assert "No se puede devolver más de lo cobrado." in text(too_much.data)
    no_reason = staff.post(f"/staff/orders/{order_id}/refund", data={"amount": "10.00"})
    assert no_reason.status_code == 422

    done = staff.post(
        f"/staff/orders/{order_id}/refund", data={"amount": "36.30", "reason": "queso partido"}
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).outstanding_cents == 300_00
    statement = text(buyer.get("/buyer/account/statement").data)
    assert f"Nota de crédito {invoice.full_number}: queso partido" in statement
    assert "Saldo por pagar S/ 300.00" in statement
    refunds = db.session.scalars(
        sa.select(LedgerEntry.amount_cents).where(LedgerEntry.kind == "refund")
    ).all()
    assert refunds == [-3630]
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "order_refund"))
    assert run_checks(db.session) == []
