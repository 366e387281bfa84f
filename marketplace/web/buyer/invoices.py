"""The buyer's account: statement of invoices and payments, credit left, printable invoices."""

from flask import render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...permissions import buyer_required, scoped_to_buyer
from ...services import credit, invoicing
from ..invoice_pdf import pdf_response
from . import bp


@bp.route("/account/statement")
@buyer_required
def statement():
    return render_template(
        "payments/buyer_statement.html",
        statement=invoicing.statement(db.session, current_user.buyer_id),
        terms=credit.terms_for(db.session, current_user.buyer_id),
        exposure=credit.exposure(db.session, current_user.buyer_id),
    )


@bp.route("/invoices/<int:invoice_id>")
@buyer_required
def invoice(invoice_id: int):
    record = scoped_to_buyer(invoicing.invoice_with_lines(db.session, invoice_id))
    return render_template(
        "payments/invoice.html",
        invoice=record,
        back="buyer.statement",
        pdf_url=url_for("buyer.invoice_pdf", invoice_id=record.id),
    )


@bp.route("/invoices/<int:invoice_id>.pdf")
@buyer_required
def invoice_pdf(invoice_id: int):
    record = scoped_to_buyer(invoicing.invoice_with_lines(db.session, invoice_id))
    return pdf_response(record)
