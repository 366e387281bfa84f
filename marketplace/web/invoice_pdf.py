"""An invoice as a PDF, for the buyer's and the staff's invoice links alike."""

from flask import make_response

from ..models import Invoice
from ..services import invoicing


def pdf_response(invoice: Invoice):
    """The invoice's PDF, shown in the browser and saved under its number."""
    response = make_response(invoicing.invoice_pdf(invoice))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{invoice.full_number}.pdf"'
    return response
