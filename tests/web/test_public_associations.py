"""Association pages: the list, and each association's origin story as a buyer reads it."""

from datetime import datetime

import pytest
import time_machine

from marketplace.extensions import db
from marketplace.formatting import LIMA
from marketplace.labels import weekdays, years_running
from marketplace.types import utcnow
from tests.conftest import text
from tests.factories import AssociationFactory, DeliveryRuleFactory, ProductFactory


@pytest.fixture
def sumaq():
    assoc = AssociationFactory(
        name="Sumaq Ausangate",
        slug="sumaq-ausangate",
        tagline="Quesos de altura de Ocongate",
        district="Ocongate",
        province="Quispicanchi",
        region="Cusco",
        member_families=30,
        founded_year=2008,
        story_people="Treinta familias ganaderas de Ocongate.\n\nCrían vacas al pie del Ausangate.",
        story_practice="Leche fresca de cada mañana, cuajo natural.",
        story_benefit="Un ingreso estable todo el año.",
        ruc_verified_at=utcnow(),
        sanitary_registration="RSA-1234-2023",
        sanitary_verified_at=None,
        min_order_cents=15000,
    )
    DeliveryRuleFactory(association=assoc, city="cusco", weekdays="25", lead_days=2)
    DeliveryRuleFactory(association=assoc, city="lima", weekdays="4", lead_days=1)
    ProductFactory(association=assoc, name="Queso andino", variety="andino")
    ProductFactory(association=assoc, name="Queso madurado", variety="madurado", active=False)
    db.session.commit()
    return assoc


def test_associations_list_shows_only_verified(client, sumaq):
    AssociationFactory(name="Asociación Pendiente", verified_at=None)
    db.session.commit()
    response = client.get("/asociaciones")
    assert response.status_code == 200
    page = text(response.data)
    assert response.data.count(b"<h1") == 1
    assert "Sumaq Ausangate" in page
    assert "Quesos de altura de Ocongate" in page
    assert "Ocongate, Quispicanchi, Cusco" in page
    assert "30 familias socias" in page
    assert "Entrega en Cusco, Lima" in page
    assert "Asociación Pendiente" not in page
    assert b'href="/asociaciones/sumaq-ausangate"' in response.data


@time_machine.travel(datetime(2025, 6, 1, 12, tzinfo=LIMA), tick=False)
def test_association_story_page(client, sumaq):
    response = client.get("/asociaciones/sumaq-ausangate")
    assert response.status_code == 200
    page = text(response.data)
    assert response.data.count(b"<h1") == 1
    for expected in [
        "Sumaq Ausangate",
        "Quesos de altura de Ocongate",
        "Ocongate, Quispicanchi, Cusco",
        "30 familias socias",
        "Fundada en 2008 · más de 16 años",
        "Quiénes son Treinta familias ganaderas de Ocongate. Crían vacas al pie del Ausangate.",
        "Cómo trabajan Leche fresca de cada mañana, cuajo natural.",
        "Cómo se benefician las familias Un ingreso estable todo el año.",
        "Cusco: martes y viernes (pide con 2 días de anticipación)",
        "Lima: jueves (pide con 1 día de anticipación)",
        "Pedido mínimo: S/ 150.00",
        "Queso andino",
    ]:
        assert expected in page, expected
    assert "Queso madurado" not in page  # inactive
    # two paragraphs from the two lines of the first part
    assert b"<p>Treinta familias ganaderas de Ocongate.</p>" in response.data
    assert b"<p>Cr\xc3\xadan vacas al pie del Ausangate.</p>" in response.data
    # headings stay in order: the product cards under "Sus productos" are h3
    assert b"<h3><a href=" in response.data


def test_credentials_show_as_verified_only_when_verified(client, sumaq):
    page = text(client.get("/asociaciones/sumaq-ausangate").data)
    assert f"RUC {sumaq.ruc} verificado" in page
    assert "Registro sanitario" not in page  # on file but not verified yet
    sumaq.sanitary_verified_at = utcnow()
    sumaq.ruc_verified_at = None
    db.session.commit()
    page = text(client.get("/asociaciones/sumaq-ausangate").data)
    assert "Registro sanitario RSA-1234-2023 verificado" in page
    assert "RUC" not in page


def test_badges_do_not_rely_on_colour(client, sumaq):
    html = client.get("/asociaciones/sumaq-ausangate").data.decode()
    assert '<li class="badge ok"><span aria-hidden="true">✓</span> RUC' in html


def test_story_text_is_escaped(client, sumaq):
    sumaq.story_benefit = 'Ingresos <script>alert("x")</script> <b>justos</b>'
    sumaq.tagline = "<img src=x onerror=alert(1)>"
    db.session.commit()
    response = client.get("/asociaciones/sumaq-ausangate")
    assert b"<script>alert" not in response.data
    assert b"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in response.data
    assert b"<img src=x" not in response.data
    assert b"<b>justos</b>" not in response.data


def test_empty_story_parts_are_left_out(client, sumaq):
    sumaq.story_practice = ""
    db.session.commit()
    page = text(client.get("/asociaciones/sumaq-ausangate").data)
    assert "Cómo trabajan" not in page
    assert "Quiénes son" in page


def test_photos_have_alt_text(app, client, sumaq):
    from marketplace.models import AssociationPhoto

    if "media.image" not in app.view_functions:
        app.add_url_rule("/media/<stem>-<size>.jpg", "media.image", lambda stem, size: "")
    db.session.add(
        AssociationPhoto(
            association=sumaq, image="ph0t0", alt_text="Familias ordeñando al amanecer"
        )
    )
    db.session.commit()
    html = client.get("/asociaciones/sumaq-ausangate").data.decode()
    assert 'alt="Familias ordeñando al amanecer"' in html
    assert "ph0t0" in html and 'loading="lazy"' in html
    assert "ph0t0" in client.get("/asociaciones").data.decode()


@pytest.mark.parametrize("slug", ["pendiente", "no-existe"])
def test_unverified_or_unknown_association_is_404(client, slug):
    AssociationFactory(slug="pendiente", verified_at=None)
    db.session.commit()
    assert client.get(f"/asociaciones/{slug}").status_code == 404


def test_association_without_products_or_deliveries(client):
    AssociationFactory(slug="nueva", founded_year=None)
    db.session.commit()
    page = text(client.get("/asociaciones/nueva").data)
    assert "no tiene productos publicados" in page
    assert "Todavía no tiene días de entrega publicados." in page
    assert "Fundada" not in page


@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("25", "martes y viernes"),
        ("135", "lunes, miércoles y viernes"),
        ("7", "domingo"),
        ("52", "martes y viernes"),
        ("", ""),
    ],
)
def test_weekdays_in_words(app, digits, words):
    with app.test_request_context():
        assert weekdays(digits) == words


@time_machine.travel(datetime(2025, 1, 2, 12, tzinfo=LIMA), tick=False)
def test_years_running_counts_whole_years_surely_passed():
    assert years_running(2008) == 16
    assert years_running(2023) == 1
    assert years_running(2024) is None
    assert years_running(None) is None


def test_pages_render_in_english(client, sumaq):
    client.set_cookie("lang", "en")
    response = client.get("/asociaciones/sumaq-ausangate")
    assert response.status_code == 200
    assert "Tuesday and Friday" in text(response.data)
    product = next(p for p in sumaq.products if p.active)
    for url in ["/", "/?q=queso", "/asociaciones", f"/p/{product.id}"]:
        assert client.get(url).status_code == 200, url
