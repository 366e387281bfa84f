"""Invoices at delivery for orders on account: numbering, content, payments and statements."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.models import Invoice, Notification, PaymentAllocation
from marketplace.ops.integrity import run_checks
from marketplace.services import DomainError, credit, delivery, invoicing, ordering
from tests.factories import (
    AssociationFactory,
    BuyerAddressFactory,
    BuyerUserFactory,
    DeliveryRuleFactory,
    ProductFactory,
    PromoterFactory,
    StaffFactory,
    add_stock,
)

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Lima"))
TODAY = MONDAY.date()


@pytest.fixture(autouse=True)
def frozen(app):
    with time_machine.travel(MONDAY, tick=False), app.test_request_context():
        yield


def market(limit_cents=1_000_000, net_days=30, buyers=1):
    """An association with cheese in stock, buyers on account, a promoter and staff."""
    w = SimpleNamespace()
    w.association = AssociationFactory(name="Sumaq Ausangate")
    DeliveryRuleFactory(association=w.association, city="cusco", weekdays="12345", lead_days=1)
    w.product = ProductFactory(association=w.association, name="Queso andino", price_cents=2850)
    add_stock(w.product, 1000)
    w.staff = StaffFactory()
    w.promoter = PromoterFactory(association=w.association)
    w.buyers = []
    for _ in range(buyers):
        user = BuyerUserFactory()
        BuyerAddressFactory(buyer=user.buyer)
        w.buyers.append(user)
    w.buyer = w.buyers[0]
    db.session.flush()
    for user in w.buyers:
        if limit_cents is not None:
            credit.grant_terms(db.session, w.staff, user.buyer_id, net_days, limit_cents)
    db.session.commit()
    return w


def place(w, qty="10", user=None):
    user = user or w.buyer
    when = delivery.offered_dates(db.session, w.association.id, "cusco")[0]
    (order,) = ordering.checkout(
        db.session,
        user,
        [ordering.LineRequest(w.product.id, Decimal(qty))],
        {w.association.id: ordering.DeliveryChoice(when, user.buyer.addresses[0].id)},
        ordering.new_token(),
    )
    db.session.commit()
    return order


def deliver(w, order, delivered=None):
    ordering.confirm_order(db.session, w.promoter, order)
    ordering.dispatch_order(db.session, w.promoter, order)
    lines = {order.lines[0].id: delivered} if delivered is not None else None
    result = ordering.deliver_order(db.session, w.promoter, order, lines)
    db.session.commit()
    return result.invoice


def test_delivery_on_account_issues_an_invoice_for_what_was_delivered(app):
    w = market(net_days=15)
    order = place(w, "10")
    invoice = deliver(w, order, "8")
    assert invoice.full_number == "F001-00000001"
    assert invoice.seller_ruc == w.association.ruc and invoice.buyer_ruc == w.buyer.buyer.ruc
    assert invoice.subtotal_cents == 8 * 2850
    assert invoice.igv_cents == round(8 * 2850 * 0.18)
    assert invoice.total_cents == order.delivered_total_cents < order.total_cents
    assert invoice.due_date == TODAY + timedelta(days=15)
    (line,) = invoice.lines
    assert line.quantity == Decimal("8") and line.line_total_cents == 8 * 2850
    assert deliver_twice_is_one_invoice(order)


def deliver_twice_is_one_invoice(order):
    again = invoicing.issue_invoice(db.session, order)
    return db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 1 and again.number == 1


def test_numbers_run_on_per_association_and_buyers_without_terms_get_none(app):
    w = market()
    numbers = [deliver(w, place(w, "1")).full_number for _ in range(3)]
    assert numbers == ["F001-00000001", "F001-00000002", "F001-00000003"]
    credit.revoke_terms(db.session, w.staff, w.buyer.buyer_id)
    db.session.commit()
    assert deliver(w, place(w, "1")) is None
    other = market()
    assert deliver(other, place(other, "1")).full_number == "F001-00000001"
    assert run_checks(db.session) == []


def test_nothing_delivered_issues_no_invoice_and_takes_no_number(app):
    w = market()
    assert deliver(w, place(w, "2"), "0") is None
    assert deliver(w, place(w, "2")).number == 1


def test_a_payment_settles_several_invoices_oldest_first_and_part_of_another(app):
    w = market()
    first, second, third = (deliver(w, place(w, "1")) for _ in range(3))
    amount = first.total_cents + second.total_cents + 1000
    payment = invoicing.record_payment(
        db.session, w.staff, w.buyer.buyer_id, "transfer", amount, TODAY, "OP-123"
    )
    db.session.commit()
    assert [a.amount_cents for a in payment.allocations] == [
        first.total_cents,
        second.total_cents,
        1000,
    ]
    for invoice in (first, second, third):
        db.session.refresh(invoice)
    assert first.outstanding_cents == second.outstanding_cents == 0
    assert third.outstanding_cents == third.total_cents - 1000
    st = invoicing.statement(db.session, w.buyer.buyer_id)
    assert st.balance_cents == third.total_cents - 1000
    assert st.rows[-1].balance_cents == st.balance_cents
    assert [r.kind for r in st.rows] == ["invoice", "invoice", "invoice", "payment"]
    assert run_checks(db.session) == []


def test_explicit_allocations_cannot_overpay_an_invoice_or_exceed_the_payment(app):
    w = market()
    invoice = deliver(w, place(w, "1"))
    with pytest.raises(DomainError, match="ya no debe tanto"):
        invoicing.record_payment(
            db.session,
            w.staff,
            w.buyer.buyer_id,
            "yape",
            invoice.total_cents + 1,
            TODAY,
            allocations={invoice.id: invoice.total_cents + 1},
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="supera el monto"):
        invoicing.record_payment(
            db.session, w.staff, w.buyer.buyer_id, "plin", 100, TODAY, allocations={invoice.id: 200}
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="futura"):
        invoicing.record_payment(
            db.session, w.staff, w.buyer.buyer_id, "cash", 100, TODAY + timedelta(days=1)
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(PaymentAllocation.id))) == 0


def test_overpayment_is_credit_on_the_statement(app):
    w = market()
    invoice = deliver(w, place(w, "1"))
    invoicing.record_payment(
        db.session, w.staff, w.buyer.buyer_id, "cash", invoice.total_cents + 500, TODAY
    )
    db.session.commit()
    assert invoicing.statement(db.session, w.buyer.buyer_id).balance_cents == -500


def test_overdue_invoices_are_listed_and_a_reminder_is_queued(app):
    w = market(net_days=7)
    invoice = deliver(w, place(w, "1"))
    assert invoicing.overdue_invoices(db.session) == []
    with pytest.raises(DomainError, match="no está vencida"):
        invoicing.send_reminder(db.session, w.staff, invoice)
    later = TODAY + timedelta(days=8)
    assert invoicing.overdue_invoices(db.session, later) == [invoice]
    st = invoicing.statement(db.session, w.buyer.buyer_id, later)
    assert st.overdue_cents == invoice.total_cents
    assert invoicing.send_reminder(db.session, w.staff, invoice, later) == 1
    db.session.commit()
    (message,) = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "invoice_reminder")
    )
    assert message.recipient_id == w.buyer.id and invoice.full_number in message.subject


def test_audit_finds_a_gap_in_the_numbers(app):
    w = market()
    deliver(w, place(w, "1"))
    second = deliver(w, place(w, "1"))
    db.session.execute(sa.update(Invoice).where(Invoice.id == second.id).values(number=3))
    db.session.commit()
    findings = [str(f) for f in run_checks(db.session)]
    assert any("invoices:" in f and "without gaps" in f for f in findings), findings


def test_only_staff_record_payments(app):
    w = market()
    with pytest.raises(DomainError):
        invoicing.record_payment(db.session, w.buyer, w.buyer.buyer_id, "cash", 100, TODAY)


def test_invoice_dates_are_lima_days(app):
    w = market(net_days=30)
    invoice = deliver(w, place(w, "1"))
    assert invoice.issue_date == date(2026, 3, 2)
    assert invoice.due_date == date(2026, 4, 1)
