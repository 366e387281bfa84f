"""An invoice as a PDF, for the buyer's and the staff's invoice links alike."""

from flask import make_response, redirect

from ..models import Invoice
from ..services import invoicing


def pdf_response(invoice: Invoice, printable_url: str):
    """The invoice's PDF, downloaded as a file named after the invoice (F001-00000123.pdf).

    Where the PDF library is not installed, the printable page stands in for it.
    """
    try:
        content = invoicing.invoice_pdf(invoice)
    except ImportError:
        return redirect(printable_url, code=303)
    response = make_response(content)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice.full_number}.pdf"'
    return response
