"""Invoices for orders delivered on account, payments received against them, statements.

Numbering: each issuer (association) has a counter row per series. Issuing bumps it with
`UPDATE ... SET next_number = next_number + 1 ... RETURNING` in the same transaction as the
invoice, so concurrent deliveries queue on that row and a rolled-back delivery gives its
number back: numbers are consecutive, with no gap and no duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from ..formatting import lima_date, lima_today, money, quantity
from ..models import (
    Buyer,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Order,
    OrderBilling,
    Payment,
    PaymentAllocation,
    User,
)
from ..models.payments import METHOD_ACCOUNT, PAYMENT_METHODS
from ..ops.checks import check
from ..types import utcnow
from . import DomainError, pricing
from .form_keys import insert_once, recorded_with_key
from .notifications import buyer_users, enqueue
from .payouts import record_delivery

DEFAULT_SERIES = "F001"

METHOD_LABELS = {
    "transfer": _l("Transferencia bancaria"),
    "yape": _l("Yape"),
    "plin": _l("Plin"),
    "cash": _l("Efectivo"),
    "credit_note": _l("Nota de crédito"),
}


def invoice_series() -> str:
    if has_app_context():
        return current_app.config.get("INVOICE_SERIES", DEFAULT_SERIES)
    return DEFAULT_SERIES


def next_invoice_number(session: Session, association_id: int, series: str) -> int:
    """Take the next number of the issuer's series; the row stays locked until commit."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(InvoiceCounter)
        .values(association_id=association_id, series=series, next_number=1)
        .on_conflict_do_nothing()
    )
    taken = session.execute(
        sa.update(InvoiceCounter)
        .where(InvoiceCounter.association_id == association_id, InvoiceCounter.series == series)
        .values(next_number=InvoiceCounter.next_number + 1)
        .returning(InvoiceCounter.next_number),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    return int(taken) - 1


def issue_invoice(session: Session, order: Order, today: date | None = None) -> Invoice | None:
    """At delivery: invoice the delivered amount of an order bought on account.

    Returns None for orders not on account or with nothing to charge; the same order is
    never invoiced twice.
    """
    billing = session.get(OrderBilling, order.id)
    if billing is None or billing.method != METHOD_ACCOUNT:
        return None
    if not order.delivered_total_cents:
        return None
    existing = session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))
    if existing is not None:
        return existing
    today = today or lima_today()
    series = invoice_series()
    association, buyer = order.association, order.buyer
    invoice = Invoice(
        order_id=order.id,
        buyer_id=order.buyer_id,
        association_id=order.association_id,
        series=series,
        number=next_invoice_number(session, order.association_id, series),
        seller_name=association.name,
        seller_ruc=association.ruc or "",
        buyer_name=buyer.legal_name,
        buyer_ruc=buyer.ruc,
        issue_date=today,
        due_date=today + timedelta(days=billing.net_days),
        subtotal_cents=order.delivered_subtotal_cents,
        igv_cents=order.delivered_igv_cents,
        total_cents=order.delivered_total_cents,
        paid_cents=0,
    )
    for line in order.lines:
        if not line.delivered_quantity:
            continue
        invoice.lines.append(
            InvoiceLine(
                description=f"{line.product_name} ({line.variety})"[:250],
                unit=line.unit,
                quantity=line.delivered_quantity,
                unit_price_cents=line.unit_price_cents,
                line_total_cents=line.delivered_total_cents,
            )
        )
    session.add(invoice)
    session.flush()
    return invoice


# Payments -----------------------------------------------------------------------------


def open_invoices(session: Session, buyer_id: int) -> list[Invoice]:
    """The buyer's invoices with something left to pay, oldest due first."""
    return list(
        session.scalars(
            sa.select(Invoice)
            .where(Invoice.buyer_id == buyer_id, Invoice.paid_cents < Invoice.total_cents)
            .order_by(Invoice.due_date, Invoice.id)
        )
    )


def allocate(session: Session, payment: Payment, invoice: Invoice, cents: int) -> None:
    """Settle `cents` of an invoice, refusing to pay it past its total (even at once)."""
    changed = session.execute(
        sa.update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.paid_cents + cents <= Invoice.total_cents)
        .values(paid_cents=Invoice.paid_cents + cents)
        .returning(Invoice.paid_cents),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if changed is None:
        raise DomainError(
            _l("La factura %(number)s ya no debe tanto.", number=invoice.full_number),
            field="amount",
        )
    session.expire(invoice, ["paid_cents"])
    session.add(PaymentAllocation(payment=payment, invoice_id=invoice.id, amount_cents=cents))


def record_payment(
    session: Session,
    actor: User,
    buyer_id: int,
    method: str,
    amount_cents: int,
    received_on: date,
    reference: str = "",
    allocations: dict[int, int] | None = None,
    today: date | None = None,
    form_key: str | None = None,
) -> Payment:
    """Record money received from a buyer and apply it to invoices.

    `allocations` maps invoice id to céntimos; without it the payment settles the oldest
    invoices first. What is not applied stays as the buyer's credit on the statement.
    A `form_key` already recorded returns that payment: the form records once.
    """
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma registra pagos."))
    first = recorded_with_key(session, Payment, form_key)
    if first is not None:
        return first
    if session.get(Buyer, buyer_id) is None:
        raise DomainError(_l("Ese comprador no existe."))
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Elige cómo pagó."), field="method")
    amount_cents = int(amount_cents)
    if amount_cents <= 0:
        raise DomainError(_l("El monto debe ser mayor que cero."), field="amount")
    if received_on > (today or lima_today()):
        raise DomainError(_l("La fecha no puede ser futura."), field="received_on")
    payment = Payment(
        buyer_id=buyer_id,
        method=method,
        amount_cents=amount_cents,
        received_on=received_on,
        reference=(reference or "").strip()[:80],
        recorded_by_id=actor.id,
        form_key=form_key,
    )
    first = insert_once(session, payment)
    if first is not payment:
        return first
    if allocations is None:
        left = amount_cents
        for invoice in open_invoices(session, buyer_id):
            if left <= 0:
                break
            cents = min(left, invoice.outstanding_cents)
            allocate(session, payment, invoice, cents)
            left -= cents
    else:
        if sum(allocations.values()) > amount_cents:
            raise DomainError(_l("Lo aplicado supera el monto del pago."), field="amount")
        for invoice_id, cents in sorted(allocations.items()):
            invoice = session.get(Invoice, invoice_id)
            if invoice is None or invoice.buyer_id != buyer_id:
                raise DomainError(_l("Esa factura no es de este comprador."))
            if cents > 0:
                allocate(session, payment, invoice, int(cents))
    session.flush()
    return payment


# Statements ---------------------------------------------------------------------------


@dataclass
class StatementRow:
    day: date
    kind: str  # "invoice" or "payment"
    label: str
    charge_cents: int
    credit_cents: int
    balance_cents: int
    invoice: Invoice | None = None
    payment: Payment | None = None


@dataclass
class Statement:
    buyer: Buyer
    rows: list[StatementRow]
    invoices: list[Invoice]
    payments: list[Payment]
    today: date

    @property
    def invoiced_cents(self) -> int:
        return sum(i.total_cents for i in self.invoices)

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def balance_cents(self) -> int:
        """What the buyer owes (negative: money paid in advance)."""
        return self.invoiced_cents - self.paid_cents

    @property
    def overdue_invoices(self) -> list[Invoice]:
        return [i for i in self.invoices if i.is_overdue(self.today)]

    @property
    def overdue_cents(self) -> int:
        return sum(i.outstanding_cents for i in self.overdue_invoices)


def statement(session: Session, buyer_id: int, today: date | None = None) -> Statement:
    """Invoices and payments in date order with a running balance."""
    today = today or lima_today()
    buyer = session.get(Buyer, buyer_id)
    invoices = list(
        session.scalars(
            sa.select(Invoice)
            .where(Invoice.buyer_id == buyer_id)
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )
    payments = list(
        session.scalars(
            sa.select(Payment)
            .where(Payment.buyer_id == buyer_id)
            .options(selectinload(Payment.allocations).joinedload(PaymentAllocation.invoice))
            .order_by(Payment.received_on, Payment.id)
        )
    )
    entries: list[tuple[date, int, int, object]] = [
        (i.issue_date, 0, i.id, i) for i in invoices
    ] + [(p.received_on, 1, p.id, p) for p in payments]
    rows, balance = [], 0
    for day, kind, _id, record in sorted(entries, key=lambda e: e[:3]):
        if kind == 0:
            balance += record.total_cents
            rows.append(
                StatementRow(
                    day,
                    "invoice",
                    _("Factura %(number)s", number=record.full_number),
                    record.total_cents,
                    0,
                    balance,
                    invoice=record,
                )
            )
        else:
            balance -= record.amount_cents
            label = str(METHOD_LABELS.get(record.method, record.method))
            if record.reference:
                label = f"{label} {record.reference}"
            rows.append(
                StatementRow(day, "payment", label, 0, record.amount_cents, balance, payment=record)
            )
    return Statement(buyer, rows, invoices, payments, today)


def overdue_invoices(session: Session, today: date | None = None) -> list[Invoice]:
    """Every overdue invoice with something left to pay, oldest due first (staff)."""
    today = today or lima_today()
    return list(
        session.scalars(
            sa.select(Invoice)
            .where(Invoice.due_date < today, Invoice.paid_cents < Invoice.total_cents)
            .options(selectinload(Invoice.buyer))
            .order_by(Invoice.due_date, Invoice.id)
        )
    )


def send_reminder(
    session: Session, actor: User, invoice: Invoice, today: date | None = None
) -> int:
    """Queue a reminder of an overdue invoice to the buyer's users; returns how many."""
    if actor is None or not actor.is_staff:
        raise DomainError(_l("Solo el equipo de la plataforma envía recordatorios."))
    today = today or lima_today()
    if not invoice.is_overdue(today):
        raise DomainError(_l("Esta factura no está vencida."))
    subject = _(
        "Recordatorio: la factura %(number)s venció el %(due)s",
        number=invoice.full_number,
        due=lima_date(invoice.due_date),
    )
    body = _(
        "La factura %(number)s de %(seller)s por %(total)s venció el %(due)s. "
        "Queda por pagar %(left)s. Si ya pagaste, responde con la referencia del pago.",
        number=invoice.full_number,
        seller=invoice.seller_name,
        total=money(invoice.total_cents),
        due=lima_date(invoice.due_date),
        left=money(invoice.outstanding_cents),
    )
    users = buyer_users(session, invoice.buyer_id)
    for user in users:
        enqueue(session, user, "invoice_reminder", subject, body, order_id=invoice.order_id)
    invoice.last_reminded_at = utcnow()
    session.flush()
    return len(users)


def invoice_with_lines(session: Session, invoice_id: int) -> Invoice | None:
    return session.scalar(
        sa.select(Invoice).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines))
    )


def invoice_of_order(session: Session, order_id: int) -> Invoice | None:
    """The order's invoice, once issued (one per order at most)."""
    return session.scalar(sa.select(Invoice).where(Invoice.order_id == order_id))


def numbering_problems(session: Session) -> Iterable[str]:
    """Gaps and duplicates in every issuer's series, and counters out of step (audit)."""
    counters = {
        (c.association_id, c.series): c.next_number
        for c in session.scalars(sa.select(InvoiceCounter))
    }
    rows = session.execute(
        sa.select(Invoice.association_id, Invoice.series, Invoice.number).order_by(
            Invoice.association_id, Invoice.series, Invoice.number
        )
    ).all()
    numbers: dict[tuple[int, str], list[int]] = {}
    for association_id, series, number in rows:
        numbers.setdefault((association_id, series), []).append(int(number))
    for (association_id, series), taken in sorted(numbers.items()):
        expected = list(range(1, len(taken) + 1))
        if taken != expected:
            missing = sorted(set(expected) - set(taken))[:5]
            yield (
                f"association {association_id} series {series}: numbers are not 1..{len(taken)} "
                f"without gaps (missing {missing})"
            )
        if counters.get((association_id, series)) != len(taken) + 1:
            yield (
                f"association {association_id} series {series}: counter says next is "
                f"{counters.get((association_id, series))} but {len(taken)} invoices exist"
            )


def payment_problems(session: Session) -> Iterable[str]:
    """Invoices whose paid amount differs from their allocations; payments over-applied."""
    allocated = (
        sa.select(
            PaymentAllocation.invoice_id,
            sa.func.sum(PaymentAllocation.amount_cents).label("cents"),
        )
        .group_by(PaymentAllocation.invoice_id)
        .subquery()
    )
    mismatched = session.execute(
        sa.select(Invoice.id, Invoice.paid_cents, sa.func.coalesce(allocated.c.cents, 0))
        .outerjoin(allocated, allocated.c.invoice_id == Invoice.id)
        .where(Invoice.paid_cents != sa.func.coalesce(allocated.c.cents, 0))
        .order_by(Invoice.id)
    )
    for invoice_id, paid, cents in mismatched:
        yield f"invoice {invoice_id}: paid {paid} but allocations sum to {cents}"
    over = session.execute(
        sa.select(Payment.id, Payment.amount_cents, sa.func.sum(PaymentAllocation.amount_cents))
        .join(PaymentAllocation)
        .group_by(Payment.id, Payment.amount_cents)
        .having(sa.func.sum(PaymentAllocation.amount_cents) > Payment.amount_cents)
        .order_by(Payment.id)
    )
    for payment_id, amount, cents in over:
        yield f"payment {payment_id}: {cents} applied but only {amount} received"
    wrong_total = session.execute(
        sa.select(Invoice.id, Invoice.total_cents, Order.delivered_total_cents)
        .join(Order, Order.id == Invoice.order_id)
        .where(
            sa.or_(
                Order.delivered_total_cents.is_(None),
                Order.delivered_total_cents != Invoice.total_cents,
            )
        )
        .order_by(Invoice.id)
    )
    for invoice_id, total, delivered in wrong_total:
        yield f"invoice {invoice_id}: total {total} but its order delivered {delivered}"


def after_delivery(session: Session, order: Order, actor: User | None) -> Invoice | None:
    """What delivery means for money: the association's ledger entries and, for an order
    bought on account, its invoice."""
    record_delivery(session, order, actor)
    return issue_invoice(session, order)


@check("invoices")
def invoice_numbers_have_no_gaps(session: Session) -> Iterable[str]:
    """Each issuer's series runs 1..N with no gap or duplicate, and its counter is at N+1."""
    yield from numbering_problems(session)


@check("invoices")
def invoices_match_payments_and_orders(session: Session) -> Iterable[str]:
    """Paid amounts equal their allocations; invoice totals equal delivered totals."""
    yield from payment_problems(session)


PDF_COLUMNS = (80, 35, 35, 40)  # mm: description, quantity, unit price, amount (A4 less margins)
PDF_ROW = 7  # mm


def _latin(value) -> str:
    """Core PDF fonts speak Latin-1: narrow no-break spaces become spaces, the rest `?`."""
    return (
        str(value)
        .replace("\xa0", " ")
        .replace("\u202f", " ")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def igv_label() -> str:
    """ "IGV (18 %)": the rate printed beside the tax (16 % IGV + 2 % IPM, docs/invoicing.md)."""
    return _("IGV (%(rate)s %%)", rate=pricing.igv_rate_percent().normalize())


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a one-page A4 PDF (fpdf2, core fonts: Latin-1 text).

    Each column's heading is aligned like its figures (the description to the left, the
    numbers to the right), so headings and figures share an edge; the totals' amounts sit
    in the amount column.
    """
    title = _latin(_("Factura %(number)s", number=invoice.full_number))
    pdf = FPDF(format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    for text in (
        _(
            "Emitida el %(date)s · vence el %(due)s",
            date=lima_date(invoice.issue_date),
            due=lima_date(invoice.due_date),
        ),
        _("Pedido %(number)s", number=invoice.order.number),
    ):
        pdf.cell(0, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for heading, name, ruc in (
        (_("Emisor"), invoice.seller_name, invoice.seller_ruc),
        (_("Cliente"), invoice.buyer_name, invoice.buyer_ruc),
    ):
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(0, 6, _latin(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 10)
        pdf.cell(0, 6, _latin(f"{name} · RUC {ruc or '-'}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _pdf_row(pdf, (_("Descripción"), _("Cantidad"), _("Precio unitario"), _("Importe")), "B")
    for line in invoice.lines:
        cells = (
            line.description,
            f"{quantity(line.quantity)} {line.unit}",
            money(line.unit_price_cents),
            money(line.line_total_cents),
        )
        _pdf_row(pdf, cells)
    pdf.ln(2)
    for label, cents, style in (
        (_("Op. gravada"), invoice.subtotal_cents, ""),
        (igv_label(), invoice.igv_cents, ""),
        (_("Total"), invoice.total_cents, "B"),
    ):
        pdf.set_font("helvetica", style, 10)
        pdf.cell(sum(PDF_COLUMNS[:3]), PDF_ROW, _latin(label), align="R")
        pdf.cell(PDF_COLUMNS[3], PDF_ROW, _latin(money(cents)), align="R")
        pdf.ln()
    return bytes(pdf.output())


def _pdf_row(pdf, cells, style: str = "") -> None:
    """One table row: the first cell to the left, the figures to the right of their column."""
    pdf.set_font("helvetica", style, 10)
    for index, (width, value) in enumerate(zip(PDF_COLUMNS, cells, strict=True)):
        border = "B" if style else 0
        pdf.cell(width, PDF_ROW, _latin(value), border=border, align="L" if index == 0 else "R")
    pdf.ln()
