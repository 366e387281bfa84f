"""An invoice as a PDF, for the buyer's and the staff's invoice links alike."""

from flask import make_response

from ..models import Invoice
from ..services import invoicing


def pdf_response(invoice: Invoice):
    """The invoice's PDF, downloaded as a file named after the invoice (F001-00000123.pdf)."""
    response = make_response(invoicing.invoice_pdf(invoice))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice.full_number}.pdf"'
    return response
