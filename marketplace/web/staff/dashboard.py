"""Staff dashboard: headline figures against the previous period, charts, tables, the order
lines behind every figure, CSV exports and the printable impact report."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, abort, g, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...extensions import db
from ...formatting import LIMA, lima_date, money, quantity
from ...labels import BUYER_KIND_LABELS, CATEGORY_LABELS, CITY_LABELS, order_number
from ...models import Association, Buyer
from ...models.accounts import BUYER_KINDS, CITIES
from ...models.catalog import CATEGORIES
from ...numbers import parse_page
from ...permissions import staff_required
from ...services import reporting
from ...services.kilos import kg_from_millionths
from ...services.periods import month_end
from .. import htmx
from ..filters import PRESET_LABELS, parse_filters
from . import bp

PALETTE = ("#1f6f5c", "#c4661f", "#4b5fa8", "#a83c5a", "#6b7d1f", "#5a4b3c")
CHART_METRICS = {
    "value_cents": ("money", lambda: _("Valor entregado")),
    "kg": ("kg", lambda: _("Kilos entregados")),
    "income_cents": ("money", lambda: _("Ingreso de productores")),
}
# The headline figures' words: key -> (label, how it is computed).
FIGURE_TEXT = {
    "value": (
        _l("Valor entregado"),
        _l("Suma del valor entregado (sin IGV) de las líneas de pedidos entregados."),
    ),
    "income": (
        _l("Ingreso de productores"),
        _l("Valor entregado menos la comisión de la plataforma y las devoluciones."),
    ),
    "kg": (_l("Kilos entregados"), _l("Cantidad entregada × peso por unidad de cada línea.")),
    "orders": (_l("Pedidos"), _l("Pedidos entregados en el periodo (sin muestras).")),
    "agreements": (
        _l("Acuerdos vigentes"),
        _l("Acuerdos aceptados por ambas partes y vigentes en algún día del periodo."),
    ),
    "buyers": (_l("Compradores activos"), _l("Compradores con al menos un pedido entregado.")),
    "standing_orders": (
        _l("Pedidos fijos vigentes"),
        _l("Pedidos fijos vigentes en algún día del periodo."),
    ),
    "fill_rate": (
        _l("Tasa de cumplimiento"),
        _l("Kg entregados ÷ kg pedidos, en pedidos con fecha en el periodo."),
    ),
    "on_time_rate": (
        _l("Entregas a tiempo"),
        _l("Pedidos entregados en la fecha prometida o antes."),
    ),
    "average_order": (_l("Pedido promedio"), _l("Valor entregado ÷ pedidos entregados.")),
    "income_per_family": (
        _l("Ingreso por familia"),
        _l("Ingreso ÷ familias socias de las asociaciones que entregaron."),
    ),
}


@dataclass
class ShownFigure(reporting.Figure):
    """A headline figure with its words."""

    label: str = ""
    help: str = ""


def headline(filters: reporting.Filters) -> reporting.Headline:
    """The headline figures of the period, each with its label and help."""
    h = reporting.headline(db.session, filters)
    figures = [
        ShownFigure(f.key, f.current, f.previous, f.kind, *map(str, FIGURE_TEXT[f.key]))
        for f in h.figures
    ]
    return dataclasses.replace(h, figures=figures)


def _filters(args=None) -> tuple[reporting.Filters, dict[str, str]]:
    reporting.without_jit(db.session)  # every page here runs a dozen aggregates
    return parse_filters(request.args if args is None else args)


def lines_url(filters: reporting.Filters, figure: str | None = None, month=None, **changes):
    """The drill-down of a figure: the same view, narrowed by `changes` (or to one month)."""
    if month is not None:
        changes.update(
            preset="custom",
            start=max(month, filters.start),
            end=min(month_end(month), filters.end),
        )
    args = filters.query_args(**changes)
    if figure:
        args["figure"] = figure
    # A page has thousands of these links: build the path once, encode only the query.
    if "dashboard_lines_path" not in g:
        g.dashboard_lines_path = url_for("staff.dashboard_lines")
    return f"{g.dashboard_lines_path}?{urlencode(args)}"


def line_mode(figure: str | None) -> str:
    return "due" if figure == "fill_rate" else "delivered"


def _options() -> dict:
    """Choices for the filter form (two small queries)."""
    return {
        "associations": db.session.execute(
            sa.select(Association.id, Association.name).order_by(Association.name)
        ).all(),
        "buyers": db.session.execute(
            sa.select(Buyer.id, Buyer.trade_name).order_by(Buyer.trade_name)
        ).all(),
        "cities": [(c, CITY_LABELS[c]) for c in CITIES],
        "kinds": [(k, BUYER_KIND_LABELS[k]) for k in BUYER_KINDS],
        "categories": [(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        "grains": [("week", _("Semana")), ("month", _("Mes"))],
        "presets": PRESET_LABELS,
    }


# Charts: bars stacked by association, drawn on the server -----------------------------------


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str
    href: str


@dataclass
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # y, label
    labels: list[tuple[float, str]]  # x, label
    legend: list[tuple[str, str]]  # color, association
    description: str


def _format(kind: str, value) -> str:
    if kind == "money":
        return money(value)
    return f"{quantity(value)} kg"


def _nice_max(value) -> float:
    value = float(value or 0)
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def build_chart(series: reporting.Series, metric: str, filters: reporting.Filters) -> Chart:
    kind, label = CHART_METRICS[metric]
    width, height, left, bottom, top = 720, 280, 112, 40, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    totals = [getattr(p, metric) for p in series.points]
    top_value = _nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(series.points))
    bar_w = max(4.0, slot * 0.7)
    colors = {aid: PALETTE[i % len(PALETTE)] for i, aid in enumerate(series.by_association)}
    bars = []
    for index, point in enumerate(series.points):
        base = top + plot_h
        x = left + index * slot + (slot - bar_w) / 2
        for association_id, points in series.by_association.items():
            amount = getattr(points[index], metric)
            if not amount:
                continue
            h = float(amount) / top_value * plot_h
            base -= h
            bars.append(
                Bar(
                    round(x, 1),
                    round(base, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    colors[association_id],
                    f"{series.names[association_id]}, {lima_date(point.start)}: "
                    f"{_format(kind, amount)}",
                    lines_url(
                        filters,
                        preset="custom",
                        start=point.start,
                        end=point.end,
                        association_id=association_id,
                    ),
                )
            )
    ticks = []
    for i in range(5):
        amount = top_value * i / 4
        text = money(round(amount)) if kind == "money" else f"{quantity(round(amount))} kg"
        ticks.append((round(top + plot_h - plot_h * i / 4, 1), text))
    every = max(1, -(-len(series.points) // 7))
    fmt = "d MMM" if series.grain == "week" else "MMM yy"
    labels = [
        (round(left + i * slot + slot / 2, 1), lima_date(p.start, fmt))
        for i, p in enumerate(series.points)
        if i % every == 0
    ]
    legend = [(colors[aid], series.names[aid]) for aid in series.by_association]
    description = "; ".join(
        f"{lima_date(p.start, fmt)}: {_format(kind, getattr(p, metric))}" for p in series.points
    )
    return Chart(label(), width, height, bars, ticks, labels, legend, description)


# Pages -------------------------------------------------------------------------------------


def _dashboard_context(filters, errors) -> dict:
    series = reporting.series(db.session, filters)
    return {
        "filters": filters,
        "errors": errors,
        "headline": headline(filters),
        "series": series,
        "charts": [build_chart(series, m, filters) for m in CHART_METRICS],
        "associations": reporting.by_association(db.session, filters, series),
        "products": reporting.by_product(db.session, filters),
        "buyers": reporting.by_buyer(db.session, filters),
        "agreements": reporting.by_agreement(db.session, filters),
        "options": _options(),
        "lines_url": lines_url,
    }


@bp.route("/dashboard")
@staff_required
def dashboard():
    filters, errors = _filters()
    return htmx.render(
        "staff/dashboard.html",
        "staff/_dashboard_results.html",
        **_dashboard_context(filters, errors),
    )


@bp.route("/dashboard/lines")
@staff_required
def dashboard_lines():
    filters, errors = _filters()
    page = request.args.get("page", default=1, type=parse_page)
    figure = request.args.get("figure") or None
    return htmx.render(
        "staff/dashboard_lines.html",
        "staff/_dashboard_lines.html",
        filters=filters,
        errors=errors,
        figure=figure,
        result=reporting.line_page(db.session, filters, page, line_mode(figure)),
        options=_options(),
        lines_url=lines_url,
    )


@bp.route("/impact")
@staff_required
def impact():
    args = request.args if request.args.get("period") else {**request.args, "period": "12m"}
    filters, errors = _filters(args)
    return render_template(
        "staff/impact.html",
        filters=filters,
        errors=errors,
        totals=reporting.totals(db.session, filters),
        associations=reporting.by_association(db.session, filters),
        buyers=reporting.by_buyer(db.session, filters),
        agreements=reporting.by_agreement(db.session, filters),
        options=_options(),
    )


# CSV ---------------------------------------------------------------------------------------

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula: risky first characters get a '.

    A plain number (a negative change such as -12.50) is left as it is: it cannot run.
    """
    text = "" if value is None else str(value)
    if text.startswith(DANGEROUS_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_rows(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """UTF-8 CSV text, a BOM first (so Excel reads accents), one chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in _chain(header, rows):
        writer.writerow([csv_cell(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _chain(header, rows):
    yield header
    yield from rows


def csv_response(name: str, filters: reporting.Filters, header, rows) -> Response:
    response = Response(
        stream_with_context(csv_rows(header, rows)), content_type="text/csv; charset=utf-8"
    )
    filename = f"qhatu-{name}-{filters.slug}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def lima_stamp(moment) -> str:
    """2026-01-31 23:30, Lima time, as spreadsheets sort it."""
    return moment.astimezone(LIMA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _cents(value) -> str:
    """Soles with two decimals and a dot, as spreadsheets read them."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    value = abs(int(value))
    return f"{sign}{value // 100}.{value % 100:02d}"


def _figures_csv(session, filters: reporting.Filters):
    header = [_("Cifra"), _("Periodo"), _("Periodo anterior"), _("Cambio"), _("Unidad")]
    units = {"money": "S/", "kg": "kg", "percent": "%", "count": ""}
    plain = {"money": _cents, "kg": str, "percent": str, "count": str}

    def cell(kind, value):
        return "" if value is None else plain[kind](value)

    rows = (
        [
            f.label,
            cell(f.kind, f.current),
            cell(f.kind, f.previous),
            cell(f.kind, f.change),
            units[f.kind],
        ]  # fmt: skip
        for f in headline(filters).figures
    )
    return header, rows


def _associations_csv(session, filters: reporting.Filters):
    header = [_("Asociación"), _("Familias socias"), _("Valor entregado (S/)"),
              _("Ingreso de productores (S/)"), _("Ingreso por familia (S/)"), _("Kg"),
              _("Pedidos"), _("Compradores")]  # fmt: skip
    rows = (
        [
            r.name,
            r.families,
            _cents(r.value_cents),
            _cents(r.income_cents),
            _cents(r.income_per_family_cents),
            r.kg,
            r.orders,
            r.buyers,
        ]  # fmt: skip
        for r in reporting.by_association(session, filters)
    )
    return header, rows


def _products_csv(session, filters: reporting.Filters):
    header = [_("Producto"), _("Categoría / asociación"), _("Unidad"), _("Cantidad"),
              _("Kg"), _("Valor entregado (S/)"), _("Pedidos")]  # fmt: skip
    rows = (
        [r.name, r.detail, r.unit, r.quantity, r.kg, _cents(r.value_cents), r.orders]
        for r in reporting.by_product(session, filters)
    )
    return header, rows


def _buyers_csv(session, filters: reporting.Filters):
    header = [_("Comprador"), _("Ciudad / tipo"), _("Valor entregado (S/)"),
              _("Ingreso de productores (S/)"), _("Kg"), _("Pedidos"),
              _("Pedido promedio (S/)")]  # fmt: skip
    rows = (
        [
            r.name,
            r.detail,
            _cents(r.value_cents),
            _cents(r.income_cents),
            r.kg,
            r.orders,
            _cents(r.average_order_cents),
        ]  # fmt: skip
        for r in reporting.by_buyer(session, filters)
    )
    return header, rows


def _agreements_csv(session, filters: reporting.Filters):
    header = [_("Acuerdo"), _("Comprador"), _("Asociación"), _("Mes"),
              _("Kg comprometidos"), _("Kg pedidos"), _("Valor pedido (S/)"),
              _("Kg entregados"), _("Valor entregado (S/)"), _("Atrasado")]  # fmt: skip
    rows = (
        [
            f"AC-{a.id:04d}",
            a.buyer_name,
            a.association_name,
            m.first_day.strftime("%Y-%m"),
            m.committed_kg,
            m.ordered_kg,
            _cents(m.ordered_cents),
            m.delivered_kg,
            _cents(m.delivered_cents),
            _("sí") if m.behind else _("no"),
        ]  # fmt: skip
        for a in reporting.by_agreement(session, filters)
        for m in a.months
    )
    return header, rows


def _lines_csv(session, filters: reporting.Filters):
    header = [_("Pedido"), _("Entregado"), _("Fecha prometida"), _("Comprador"),
              _("Asociación"), _("Producto"), _("Unidad"), _("Cantidad pedida"),
              _("Cantidad entregada"), _("Kg"), _("Valor entregado (S/)")]  # fmt: skip
    rows = (
        [
            order_number(r.order_id),
            lima_stamp(r.delivered_at),
            r.delivery_date.isoformat(),
            r.buyer,
            r.association,
            r.product,
            r.unit,
            r.quantity,
            r.delivered_quantity,
            kg_from_millionths(r.kg),
            _cents(r.value_cents),
        ]  # fmt: skip
        for r in reporting.iter_lines(session, filters)
    )
    return header, rows


# table in the URL -> its header and rows
EXPORTS = {
    "figures": _figures_csv,
    "associations": _associations_csv,
    "products": _products_csv,
    "buyers": _buyers_csv,
    "agreements": _agreements_csv,
    "lines": _lines_csv,
}


def _export_rows(table: str, filters: reporting.Filters):
    export = EXPORTS.get(table)
    if export is None:
        abort(404)
    return export(db.session, filters)


@bp.route("/dashboard/export/<table>.csv")
@staff_required
def dashboard_export(table: str):
    filters, _errors = _filters()
    header, rows = _export_rows(table, filters)
    return csv_response(table, filters, header, rows)
