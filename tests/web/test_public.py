"""The public catalog as a visitor sees it: products, filters, search, product pages."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Association
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services.stock import move_stock
from tests.conftest import text
from tests.factories import AssociationFactory, DeliveryRuleFactory, ProductFactory


def stocked(product, amount):
    db.session.flush()
    move_stock(db.session, product.id, Decimal(amount), REASON_PRODUCTION)
    return product


@pytest.fixture
def demo():
    """Two real-looking associations, cheese in Ocongate for Cusco, maize in Huaro for both."""
    sumaq = AssociationFactory(name="Sumaq Ausangate", slug="sumaq-ausangate", district="Ocongate")
    huaroq = AssociationFactory(
        name="Huaroq Sara", slug="huaroq-sara", district="Huaro", tagline="Maíz de Huaro"
    )
    DeliveryRuleFactory(association=sumaq, city="cusco", weekdays="25", lead_days=2)
    DeliveryRuleFactory(association=huaroq, city="cusco", weekdays="3", lead_days=1)
    DeliveryRuleFactory(association=huaroq, city="lima", weekdays="5", lead_days=4)
    andino = ProductFactory(
        association=sumaq,
        name="Queso andino",
        variety="andino",
        description="Queso fresco de leche de vaca, hecho cada mañana.",
        price_cents=2800,
    )
    paria = ProductFactory(
        association=sumaq, name="Queso tipo paria", variety="tipo paria", price_cents=3200
    )
    chullpi = ProductFactory(
        association=huaroq,
        name="Maíz chullpi",
        category="maize",
        variety="chullpi",
        description="Para tostar: cancha crocante.",
        unit="sack50",
        weight_per_unit_kg=Decimal("50"),
        price_cents=45000,
        samples_offered=True,
    )
    gigante = ProductFactory(
        association=huaroq,
        name="Maíz blanco gigante",
        category="maize",
        variety="blanco gigante",
        description="Grano grande para mote y choclo.",
        unit="kg",
        price_cents=900,
    )
    stocked(andino, "40")
    stocked(paria, "3")  # few left
    stocked(chullpi, "12")
    # gigante stays at zero: out of stock
    db.session.commit()
    return {
        "sumaq": sumaq,
        "huaroq": huaroq,
        "andino": andino,
        "paria": paria,
        "chullpi": chullpi,
        "gigante": gigante,
    }


def names_on(response) -> set[str]:
    page = text(response.data)
    candidates = ["Queso andino", "Queso tipo paria", "Maíz chullpi", "Maíz blanco gigante"]
    return {name for name in candidates if name in page}


ALL = {"Queso andino", "Queso tipo paria", "Maíz chullpi", "Maíz blanco gigante"}


def test_catalog_shows_product_cards(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    page = text(response.data)
    assert names_on(response) == ALL
    assert "S/ 28.00 por kg" in page
    assert "S/ 450.00 por saco de 50 kg" in page
    assert "antes de IGV" in page
    assert "chullpi" in page and "tipo paria" in page
    assert "Sumaq Ausangate" in page and "Huaroq Sara" in page
    assert b'href="/asociaciones/huaroq-sara"' in response.data
    assert f'href="/p/{demo["chullpi"].id}"'.encode() in response.data
    assert response.data.count(b"<h1") == 1


def test_availability_in_words(client, demo):
    page = text(client.get("/?q=andino").data)
    assert "Disponible" in page
    assert "Quedan pocas unidades" in text(client.get("/?q=paria").data)
    assert "Agotado" in text(client.get("/?q=gigante").data)


def test_photo_placeholder_until_there_is_a_photo(client, demo):
    response = client.get("/?category=maize")
    assert b"/static/img/placeholder-maize.svg" in response.data
    assert b'alt="Sin foto todav' in response.data
    assert b'loading="lazy"' in response.data and b'width="320"' in response.data


def test_photo_served_through_media_when_there_is_one(app, client, demo):
    if "media.image" not in app.view_functions:
        app.add_url_rule("/media/<stem>-<size>.jpg", "media.image", lambda stem, size: "")
    demo["andino"].image = "abc123"
    db.session.commit()
    with app.test_request_context():
        from flask import url_for

        thumb = url_for("media.image", stem="abc123", size="thumb")
        medium = url_for("media.image", stem="abc123", size="medium")
    assert f'src="{thumb}"'.encode() in client.get("/?q=andino").data
    product_page = client.get(f"/p/{demo['andino'].id}").data
    assert f'src="{medium}"'.encode() in product_page
    assert f'srcset="{thumb} 320w, {medium} 960w"'.encode() in product_page  # phones take less
    assert b'alt="Foto de Queso andino"' in product_page


def test_inactive_products_and_unverified_associations_are_not_public(client, demo):
    demo["paria"].active = False
    hidden = AssociationFactory(name="Asociación Oculta", verified_at=None)
    ProductFactory(association=hidden, name="Queso escondido")
    db.session.commit()
    response = client.get("/")
    assert "Queso tipo paria" not in text(response.data)
    assert "Queso escondido" not in text(response.data)
    assert "Asociación Oculta" not in text(response.data)  # not even as a filter choice


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=cheese", {"Queso andino", "Queso tipo paria"}),
        ("category=maize", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("association=huaroq-sara", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("city=cusco", ALL),
        ("city=lima", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("city=lima&category=cheese", set()),
        ("association=sumaq-ausangate&category=cheese", {"Queso andino", "Queso tipo paria"}),
    ],
)
def test_filters(client, demo, query, expected):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert names_on(response) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("chullpi", {"Maíz chullpi"}),
        ("CHULLPI", {"Maíz chullpi"}),
        ("Maíz", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("maiz", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("MAÍZ", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("maiz gigante", {"Maíz blanco gigante"}),
        ("  queso   ", {"Queso andino", "Queso tipo paria"}),
        ("sumaq", {"Queso andino", "Queso tipo paria"}),  # association name
        ("huaroq", {"Maíz chullpi", "Maíz blanco gigante"}),
        ("cancha", {"Maíz chullpi"}),  # description
        ("mañana", {"Queso andino"}),
        ("manana", {"Queso andino"}),
        ("tipo paria", {"Queso tipo paria"}),  # variety
        ("quinua", set()),
        ("%", set()),  # LIKE wildcards are literal
        ("_", set()),
    ],
)
def test_search_ignores_case_and_accents(client, demo, q, expected):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    assert names_on(response) == expected


def test_no_results_says_so_and_offers_to_clear(client, demo):
    page = text(client.get("/?q=quinua").data)
    assert "0 productos" in page
    assert "No encontramos productos" in page
    assert "Quitar filtros" in page


def test_unknown_filter_values_are_ignored(client, demo):
    response = client.get("/?association=nadie&category=papas&city=arequipa&page=x")
    assert response.status_code == 200
    assert names_on(response) == ALL


def test_filter_form_works_without_javascript_and_with_htmx(client, demo):
    html = client.get("/").data.decode()
    assert 'method="get"' in html and 'action="/"' in html
    for name, label in [("q", "Buscar"), ("category", "Categoría"), ("association", "Asociación"),
                        ("city", "Entrega en")]:  # fmt: skip
        assert f'<label for="{name}">{label}</label>' in html
        assert f'id="{name}" name="{name}"' in html
    assert 'type="submit"' in html
    assert 'hx-get="/"' in html
    assert 'hx-target="#catalog-results"' in html
    assert 'hx-push-url="true"' in html
    assert "keyup changed delay:300ms from:input[type=search]" in html
    assert 'aria-invalid="None"' not in html


def test_filters_are_kept_in_the_form(client, demo):
    html = client.get("/?q=chullpi&city=lima").data.decode()
    assert 'value="chullpi"' in html
    assert '<option selected value="lima">' in html


def test_htmx_request_gets_only_the_results(client, demo):
    response = client.get("/?q=maiz", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.data and b"<form" not in response.data
    assert names_on(response) == {"Maíz chullpi", "Maíz blanco gigante"}
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/?q=maiz")
    assert b"<html" in full.data
    assert "HX-Request" in full.headers["Vary"]


def test_history_restore_gets_the_whole_page(client, demo):
    response = client.get(
        "/?q=maiz", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in response.data


def test_pagination_keeps_filters(client):
    assoc = AssociationFactory()
    for n in range(30):
        ProductFactory(association=assoc, name=f"Queso {n:02d}")
    db.session.commit()
    first = client.get("/?category=cheese")
    page = text(first.data)
    assert "30 productos" in page and "Página 1 de 2" in page
    assert first.data.count(b'class="card product-card"') == 24
    assert b'href="/?category=cheese&amp;page=2"' in first.data
    second = client.get("/?category=cheese&page=2")
    assert second.data.count(b'class="card product-card"') == 6
    assert b'href="/?category=cheese"' in second.data  # back to page 1
    beyond = client.get("/?category=cheese&page=9")
    assert beyond.status_code == 200


def test_product_page(client, demo):
    response = client.get(f"/p/{demo['chullpi'].id}")
    assert response.status_code == 200
    page = text(response.data)
    assert response.data.count(b"<h1") == 1
    for expected in [
        "Maíz chullpi",
        "variedad chullpi",
        "Saco de 50 kg",
        "S/ 450.00 por saco de 50 kg",
        "antes de IGV",
        "Disponible",
        "12 sacos de 50 kg",
        "Vida útil 20 días",
        "Ofrece muestras a negocios",
        "Para tostar: cancha crocante.",
        "Huaroq Sara",
        "Huaro, Quispicanchi, Cusco",
        "30 familias socias",
        "Maíz de Huaro",
        "Treinta familias ganaderas.",
        "Cusco: miércoles",
        "Lima: viernes",
        "pide con 4 días de anticipación",
    ]:
        assert expected in page, expected
    assert b'href="/asociaciones/huaroq-sara"' in response.data


def test_product_page_of_a_cheese_by_the_kilo(client, demo):
    page = text(client.get(f"/p/{demo['paria'].id}").data)
    assert "Unidad de venta 1 kg" in page
    assert "En stock 3 kg" in page
    assert "Quedan pocas unidades" in page
    assert "No ofrece muestras" in page


@pytest.mark.parametrize("case", ["inactive", "unverified", "missing"])
def test_product_page_is_404_when_not_public(client, demo, case):
    product = demo["andino"]
    if case == "inactive":
        product.active = False
    elif case == "unverified":
        product.association.verified_at = None
    db.session.commit()
    product_id = product.id if case != "missing" else 999_999
    assert client.get(f"/p/{product_id}").status_code == 404


@contextmanager
def counted_queries():
    """Every SQL statement sent while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def make_catalog(products: int) -> None:
    """`products` products spread over several associations, each delivering to a city."""
    associations = [AssociationFactory() for _ in range(max(1, products // 4))]
    for assoc in associations:
        DeliveryRuleFactory(association=assoc, city="cusco")
    for n in range(products):
        ProductFactory(association=associations[n % len(associations)])
    db.session.commit()


def queries_for(client, url: str) -> int:
    db.session.remove()  # nothing cached in the identity map: every load must be a query
    with counted_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("url", ["/", "/?q=queso&city=cusco", "/asociaciones"])
def test_query_count_does_not_grow_with_the_catalog(app, url):
    make_catalog(5)
    small = queries_for(app.test_client(), url)
    make_catalog(35)
    large = queries_for(app.test_client(), url)
    assert small == large
    assert large <= 6


def test_association_page_query_count_does_not_grow_with_products(app, client):
    assoc = AssociationFactory(slug="grande")
    DeliveryRuleFactory(association=assoc, city="cusco")
    DeliveryRuleFactory(association=assoc, city="lima")
    for _ in range(3):
        ProductFactory(association=assoc)
    db.session.commit()
    small = queries_for(client, "/asociaciones/grande")
    assoc = db.session.scalar(sa.select(Association).where(Association.slug == "grande"))
    for _ in range(30):
        ProductFactory(association=assoc)
    db.session.commit()
    assert queries_for(client, "/asociaciones/grande") == small
