"""The invoice PDF read back from its text layer: every column's heading shares an edge with
its figures, and the page names the order and the IGV rate."""

import re
import zlib
from dataclasses import dataclass

import pytest

from marketplace.services import invoicing
from tests.services.test_invoicing import deliver, frozen, market, place  # noqa: F401

fpdf = pytest.importorskip("fpdf")
MM = 72 / 25.4  # PDF points per millimetre
STYLES = {"Helvetica": "", "Helvetica-Bold": "B"}


@dataclass(frozen=True)
class Text:
    text: str
    left: float  # points from the page's left edge
    right: float
    baseline: float  # points from the page's bottom edge


def unescape(raw: bytes) -> str:
    return re.sub(rb"\\([()\\])", rb"\1", raw).decode("latin-1")


def text_layer(data: bytes) -> list[Text]:
    """Each text run of the PDF with its horizontal extent (widths from the font metrics)."""
    fonts = {
        number: STYLES[name]
        for number, name in re.findall(rb"(\d+) 0 obj\s*<<[^>]*?/BaseFont /([\w-]+)", data)
        for name in [name.decode()]
    }
    names = {
        name.decode(): fonts[number]
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", data)
        if number in fonts
    }
    runs, measure = [], fpdf.FPDF()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        pattern = rb"/(F\d+) ([\d.]+) Tf|BT ([\d.]+) ([\d.]+) Td \(((?:\\.|[^\\)])*)\) Tj"
        for font, size, x, y, raw in re.findall(pattern, content):
            if font:
                measure.set_font("helvetica", names[font.decode()], float(size))
                continue
            text = unescape(raw)
            width = measure.get_string_width(text) * MM
            runs.append(Text(text, float(x), float(x) + width, float(y)))
    return runs


def find(runs: list[Text], text: str) -> Text:
    (run,) = find_all(runs, text)
    return run


def find_all(runs: list[Text], text: str) -> list[Text]:
    return [r for r in runs if r.text == text]


def test_headings_line_up_with_their_figures(app):
    w = market()
    invoice = deliver(w, place(w, "12.5"))
    runs = text_layer(invoicing.invoice_pdf(invoice))
    (line,) = invoice.lines
    assert (line.line_total_cents, invoice.igv_cents, invoice.total_cents) == (35625, 6413, 42038)
    description = find(runs, line.description)
    quantity, price = find(runs, "12.5 kg"), find(runs, "S/ 28.50")
    amount, subtotal = find_all(runs, "S/ 356.25")  # the line, then the taxable amount
    figures = (amount, subtotal, find(runs, "S/ 64.13"), find(runs, "S/ 420.38"))
    assert find(runs, "Descripción").left == pytest.approx(description.left, abs=0.01)
    assert find(runs, "Cantidad").right == pytest.approx(quantity.right, abs=0.01)
    assert find(runs, "Precio unitario").right == pytest.approx(price.right, abs=0.01)
    heading = find(runs, "Importe")
    for figure in figures:
        assert heading.right == pytest.approx(figure.right, abs=0.01)
    assert heading.baseline > amount.baseline > subtotal.baseline  # headings on top


def test_the_pdf_names_the_order_and_the_igv_rate(app):
    w = market()
    order = place(w, "1")
    invoice = deliver(w, order)
    texts = [run.text for run in text_layer(invoicing.invoice_pdf(invoice))]
    assert f"Pedido {order.number}" in texts
    assert "IGV (18 %)" in texts
    assert "Factura F001-00000001" in texts
