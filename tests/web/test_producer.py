"""The promoter's pages: the association at a glance, profile, story, photos, delivery rules
and products, always scoped to the promoter's own association."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import AssociationPhoto, DeliveryRule, Product
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services.ruc import make_ruc
from marketplace.services.stock import move_stock
from marketplace.types import utcnow
from tests.conftest import text
from tests.factories import (
    AssociationFactory,
    DeliveryRuleFactory,
    ProductFactory,
    PromoterFactory,
)
from tests.test_photos import jpeg_bytes, photo_like

OWN_RUC = make_ruc("2060123456")
BAD_CHECK_DIGIT = OWN_RUC[:10] + str((int(OWN_RUC[10]) + 1) % 10)


@pytest.fixture
def promoter(app, auth):
    """A logged-in promoter of a verified association with a verified RUC."""
    user = PromoterFactory(
        association__name="Sumaq Ausangate",
        association__ruc=OWN_RUC,
        association__ruc_verified_at=utcnow(),
        association__sanitary_registration="DIGESA-123",
        association__sanitary_verified_at=utcnow(),
    )
    db.session.commit()
    auth.login(user)
    return user


@pytest.fixture
def other_association(app):
    association = AssociationFactory(name="Huaroq Sara")
    db.session.commit()
    return association


def uploads(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def photos_stored() -> int:
    """The association photos the requests committed, counted through a session of its own."""
    with sa.orm.Session(db.engine) as session:
        return session.scalar(sa.select(sa.func.count(AssociationPhoto.id)))


def error_at(html: str, field_id: str) -> str:
    """The error text shown at a field (the macro ties it to the input by id)."""
    marker = f'id="{field_id}-err">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("</p>", start)]


# --- The association at a glance -------------------------------------------------------------


def test_index_shows_the_association_and_its_products_with_stock_and_price(client, promoter):
    product = ProductFactory(
        association=promoter.association, name="Queso andino", price_cents=2850, unit="kg"
    )
    ProductFactory(association=promoter.association, name="Queso pizzero", active=False)
    db.session.flush()
    move_stock(db.session, product.id, Decimal("12.5"), REASON_PRODUCTION)
    db.session.commit()

    response = client.get("/producer/")

    assert response.status_code == 200
    page = text(response.data)
    assert "Sumaq Ausangate" in page
    assert "Asociación verificada" in page and "RUC verificado" in page
    assert "Queso andino" in page and "S/ 28.50" in page and "12.5 kg" in page
    assert "Queso pizzero" in page and "No está a la venta" in page
    html = response.get_data(as_text=True)
    assert f'href="/producer/products/{product.id}/edit"' in html
    assert f'href="/producer/products/{product.id}/stock/history"' in html
    assert 'name="seen_on_hand"' in html and 'value="12.500"' in html


def test_index_of_an_association_under_review(client, auth):
    user = PromoterFactory(association__verified_at=None, association__ruc_verified_at=None)
    db.session.commit()
    auth.login(user)
    page = text(client.get("/producer/").data)
    assert "En revisión por el equipo" in page
    assert "RUC por verificar" in page
    assert "Todavía no hay productos." in page


def test_index_shows_only_the_promoters_own_products(client, promoter, other_association):
    ProductFactory(association=other_association, name="Maíz chullpi")
    db.session.commit()
    assert "Maíz chullpi" not in text(client.get("/producer/").data)


# --- Profile --------------------------------------------------------------------------------


def profile_form(association, **changes) -> dict:
    data = {
        "tagline": "Queso andino de Ocongate",
        "district": "Ocongate",
        "province": "Quispicanchi",
        "region": "Cusco",
        "member_families": "30",
        "founded_year": "2008",
        "contact_phone": "+51 984 123 456",
        "min_order": "150.50",
        "ruc": association.ruc or "",
        "sanitary_registration": association.sanitary_registration or "",
    }
    data.update(changes)
    return data


def test_profile_form_is_filled_with_the_current_profile(client, promoter):
    promoter.association.min_order_cents = 12000
    db.session.commit()
    html = client.get("/producer/profile").get_data(as_text=True)
    assert 'value="Ocongate"' in html
    assert 'value="120.00"' in html  # minimum order shown in soles
    assert 'for="ruc"' in html and 'for="min_order"' in html


def test_profile_saves_and_keeps_verifications_of_unchanged_credentials(client, promoter):
    association = promoter.association
    response = client.post(
        "/producer/profile", data=profile_form(association, member_families="32")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert association.member_families == 32
    assert association.min_order_cents == 15050
    assert association.contact_phone == "+51 984 123 456"
    assert association.ruc_verified_at is not None
    assert association.sanitary_verified_at is not None


def test_changing_the_ruc_clears_its_verification(client, promoter):
    association = promoter.association
    new_ruc = make_ruc("2060999999")
    response = client.post("/producer/profile", data=profile_form(association, ruc=new_ruc))
    assert response.status_code == 303
    db.session.expire_all()
    assert association.ruc == new_ruc
    assert association.ruc_verified_at is None
    assert association.sanitary_verified_at is not None


def test_changing_the_sanitary_registration_clears_its_verification(client, promoter):
    association = promoter.association
    response = client.post(
        "/producer/profile", data=profile_form(association, sanitary_registration="DIGESA-999")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert association.sanitary_registration == "DIGESA-999"
    assert association.sanitary_verified_at is None
    assert association.ruc_verified_at is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"district": ""}, "district", "Escribe el distrito."),
        ({"member_families": "-1"}, "member_families", "Entre 0 y 100 000."),
        ({"member_families": "treinta"}, "member_families", "Escribe un número entero."),
        ({"founded_year": "2999"}, "founded_year", "El año no puede ser futuro."),
        ({"min_order": "10.555"}, "min_order", "Usa como máximo dos decimales."),
        ({"min_order": "-5"}, "min_order", "Entre 0 y 1 000 000 soles."),
        ({"min_order": "mucho"}, "min_order", "Escribe un número"),
        ({"ruc": "2060123456"}, "ruc", "El RUC tiene 11 dígitos; escribiste 10."),
        ({"ruc": BAD_CHECK_DIGIT}, "ruc", "el dígito verificador no coincide"),
        ({"contact_phone": "llámame"}, "contact_phone", "Escribe un teléfono"),
    ],
)
def test_profile_errors_are_shown_at_their_field(client, promoter, changes, field, message):
    before = promoter.association.member_families
    response = client.post("/producer/profile", data=profile_form(promoter.association, **changes))
    assert response.status_code == 400
    assert message in error_at(response.get_data(as_text=True), field)
    db.session.expire_all()
    assert promoter.association.member_families == before


def test_ruc_of_another_association_is_refused(client, promoter, other_association):
    response = client.post(
        "/producer/profile", data=profile_form(promoter.association, ruc=other_association.ruc)
    )
    assert response.status_code == 400
    assert "Otra asociación ya tiene este RUC." in error_at(response.get_data(as_text=True), "ruc")


def test_min_order_accepts_a_decimal_comma(client, promoter):
    client.post("/producer/profile", data=profile_form(promoter.association, min_order="80,5"))
    db.session.expire_all()
    assert promoter.association.min_order_cents == 8050


# --- Story ----------------------------------------------------------------------------------


def test_story_is_saved_in_its_three_parts(client, promoter):
    assert "Quiénes somos" in text(client.get("/producer/story").data)
    response = client.post(
        "/producer/story",
        data={
            "story_people": "Treinta familias de Ocongate.",
            "story_practice": "Leche fresca, cuajo natural.",
            "story_benefit": "Ingresos todo el año.",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    association = promoter.association
    assert association.story_people == "Treinta familias de Ocongate."
    assert association.story_practice == "Leche fresca, cuajo natural."
    assert association.story_benefit == "Ingresos todo el año."


def test_story_too_long_is_refused_at_its_field(client, promoter):
    response = client.post("/producer/story", data={"story_people": "x" * 4001})
    assert response.status_code == 400
    assert "Máximo 4000 caracteres." in error_at(response.get_data(as_text=True), "story_people")


# --- Photos ---------------------------------------------------------------------------------


def post_photo(client, data: bytes, alt="Socias moldeando queso", filename="foto.jpg"):
    return client.post(
        "/producer/photos",
        data={"photo": (io.BytesIO(data), filename), "alt_text": alt},
        content_type="multipart/form-data",
    )


def test_upload_a_photo_with_its_description(app, client, promoter):
    assert "Subir una foto" in text(client.get("/producer/photos").data)
    response = post_photo(client, jpeg_bytes(gps=True))
    assert response.status_code == 303
    assert photos_stored() == 1
    photo = db.session.scalar(sa.select(AssociationPhoto))
    assert photo.association_id == promoter.association_id
    assert photo.alt_text == "Socias moldeando queso"
    assert uploads(app) == sorted([f"{photo.image}-medium.webp", f"{photo.image}-thumb.webp"])
    html = client.get("/producer/photos").get_data(as_text=True)
    assert f'src="/media/{photo.image}-thumb.webp"' in html
    assert 'alt="Socias moldeando queso"' in html


def test_photo_form_needs_multipart_and_csrf_fields(client, promoter):
    html = client.get("/producer/photos").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html


def test_photo_needs_a_description(app, client, promoter):
    response = post_photo(client, jpeg_bytes(), alt="")
    assert response.status_code == 400
    assert "Describe la foto" in error_at(response.get_data(as_text=True), "alt_text")
    assert uploads(app) == []
    assert photos_stored() == 0


def test_photo_needs_a_file(app, client, promoter):
    response = client.post(
        "/producer/photos", data={"alt_text": "Algo"}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Elige una foto." in error_at(response.get_data(as_text=True), "photo")
    assert photos_stored() == 0


def test_a_text_file_renamed_jpg_is_refused_and_nothing_is_kept(app, client, promoter):
    response = post_photo(client, b"no soy una foto\n" * 50)
    assert response.status_code == 400
    assert "no es una foto JPEG, PNG o WebP" in error_at(response.get_data(as_text=True), "photo")
    assert photos_stored() == 0
    assert uploads(app) == []


def test_a_photo_over_the_size_limit_is_refused(app, client, promoter):
    data = jpeg_bytes()
    app.config["PHOTO_MAX_BYTES"] = len(data) // 2
    response = post_photo(client, data)
    assert response.status_code == 400
    assert "pesa más de" in error_at(response.get_data(as_text=True), "photo")
    assert uploads(app) == []
    assert photos_stored() == 0


def test_delete_a_photo_removes_its_files(app, client, promoter):
    post_photo(client, jpeg_bytes())
    assert photos_stored() == 1
    photo = db.session.scalar(sa.select(AssociationPhoto))
    response = client.post(f"/producer/photos/{photo.id}/delete")
    assert response.status_code == 303
    assert photos_stored() == 0
    assert uploads(app) == []


def test_another_associations_photo_cannot_be_deleted(client, promoter, other_association):
    photo = AssociationPhoto(association_id=other_association.id, image="a" * 32, alt_text="x")
    db.session.add(photo)
    db.session.commit()
    assert client.post(f"/producer/photos/{photo.id}/delete").status_code == 404
    assert photos_stored() == 1


# --- Delivery rules -------------------------------------------------------------------------


def test_add_a_city_with_its_weekdays_and_lead_time(client, promoter):
    html = client.get("/producer/delivery").get_data(as_text=True)
    assert "Lunes" in html and 'type="checkbox"' in html
    response = client.post(
        "/producer/delivery", data={"city": "lima", "weekdays": ["5", "2"], "lead_days": "3"}
    )
    assert response.status_code == 303
    rule = db.session.scalar(sa.select(DeliveryRule))
    assert (rule.association_id, rule.city, rule.weekdays, rule.lead_days) == (
        promoter.association_id,
        "lima",
        "25",
        3,
    )
    page = text(client.get("/producer/delivery").data)
    assert "Lima" in page and "martes y viernes" in page and "3 días de anticipación" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"city": "cusco", "lead_days": "2"}, "weekdays", "Elige al menos un día de entrega."),
        ({"city": "cusco", "weekdays": ["1"], "lead_days": "-1"}, "lead_days", "Entre 0 y 30"),
        ({"city": "cusco", "weekdays": ["1"], "lead_days": ""}, "lead_days", "anticipación"),
        ({"city": "arequipa", "weekdays": ["1"], "lead_days": "2"}, "city", "Elige una ciudad"),
        ({"city": "cusco", "weekdays": ["9"], "lead_days": "2"}, "weekdays", "Elige días"),
    ],
)
def test_delivery_rule_errors_are_shown_at_their_field(client, promoter, data, field, message):
    response = client.post("/producer/delivery", data=data)
    assert response.status_code == 400
    assert message in error_at(response.get_data(as_text=True), field)
    assert db.session.scalar(sa.select(sa.func.count(DeliveryRule.id))) == 0


def test_one_rule_per_city(client, promoter):
    DeliveryRuleFactory(association=promoter.association, city="cusco")
    db.session.commit()
    html = client.get("/producer/delivery").get_data(as_text=True)
    assert '<option value="cusco"' not in html and '<option value="lima"' in html
    response = client.post(
        "/producer/delivery", data={"city": "cusco", "weekdays": ["3"], "lead_days": "1"}
    )
    assert response.status_code == 400
    assert "Ya tienes días de entrega para esta ciudad." in error_at(
        response.get_data(as_text=True), "city"
    )


def test_edit_and_remove_a_delivery_rule(client, promoter):
    rule = DeliveryRuleFactory(association=promoter.association, city="cusco", weekdays="25")
    db.session.commit()
    html = client.get(f"/producer/delivery/{rule.id}").get_data(as_text=True)
    assert 'value="2" checked' in html or 'checked value="2"' in html or "checked" in html
    response = client.post(
        f"/producer/delivery/{rule.id}",
        data={"city": "cusco", "weekdays": ["1", "4"], "lead_days": "4"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (rule.weekdays, rule.lead_days) == ("14", 4)

    invalid = client.post(f"/producer/delivery/{rule.id}", data={"city": "cusco", "lead_days": "4"})
    assert invalid.status_code == 400

    assert client.post(f"/producer/delivery/{rule.id}/delete").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(DeliveryRule.id))) == 0


def test_another_associations_delivery_rule_is_a_404(client, promoter, other_association):
    rule = DeliveryRuleFactory(association=other_association)
    db.session.commit()
    assert client.get(f"/producer/delivery/{rule.id}").status_code == 404
    form = {"city": "lima", "weekdays": ["1"], "lead_days": "1"}
    assert client.post(f"/producer/delivery/{rule.id}", data=form).status_code == 404
    assert client.post(f"/producer/delivery/{rule.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(DeliveryRule, rule.id).city == "cusco"


# --- Products -------------------------------------------------------------------------------


def product_form(**changes) -> dict:
    data = {
        "name": "Queso andino",
        "category": "cheese",
        "variety": "andino",
        "description": "Queso fresco de leche de vaca, de Ocongate.",
        "unit": "piece",
        "weight_per_unit_kg": "0.75",
        "price": "21.50",
        "samples_offered": "y",
        "shelf_life_days": "20",
        "active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_create_a_product(client, promoter):
    assert "Peso por unidad (kg)" in text(client.get("/producer/products/new").data)
    response = client.post("/producer/products/new", data=product_form())
    assert response.status_code == 303
    product = db.session.scalar(sa.select(Product))
    assert product.association_id == promoter.association_id
    assert product.slug == "queso-andino"
    assert product.price_cents == 2150
    assert product.weight_per_unit_kg == Decimal("0.750")
    assert product.unit == "piece" and product.category == "cheese"
    assert product.samples_offered and product.active
    assert product.shelf_life_days == 20
    assert product.stock_on_hand == 0
    page = text(client.get("/producer/products").data)
    assert "Queso andino" in page and "S/ 21.50" in page


def test_slugs_are_unique_within_the_association(client, promoter, other_association):
    ProductFactory(association=other_association, name="Maíz chullpi", slug="maiz-chullpi")
    db.session.commit()
    client.post(
        "/producer/products/new",
        data=product_form(name="Maíz chullpi", category="maize", variety="chullpi"),
    )
    client.post(
        "/producer/products/new",
        data=product_form(name="Maíz  chullpi!", category="maize", variety="chullpi"),
    )
    slugs = db.session.scalars(
        sa.select(Product.slug)
        .where(Product.association_id == promoter.association_id)
        .order_by(Product.id)
    ).all()
    assert slugs == ["maiz-chullpi", "maiz-chullpi-2"]


def test_the_same_name_twice_is_refused(client, promoter):
    client.post("/producer/products/new", data=product_form())
    response = client.post("/producer/products/new", data=product_form(name="queso ANDINO"))
    assert response.status_code == 400
    assert "Ya tienes un producto con este nombre." in error_at(
        response.get_data(as_text=True), "name"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Escribe el nombre del producto."),
        ({"variety": ""}, "variety", "Escribe la variedad."),
        ({"category": "yogur"}, "category", "Elige una categoría de la lista."),
        ({"unit": "litro"}, "unit", "Elige una unidad de venta de la lista."),
        ({"weight_per_unit_kg": "0"}, "weight_per_unit_kg", "mayor que cero"),
        ({"weight_per_unit_kg": "-1"}, "weight_per_unit_kg", "mayor que cero"),
        ({"weight_per_unit_kg": "0.7505"}, "weight_per_unit_kg", "tres decimales"),
        ({"weight_per_unit_kg": "medio"}, "weight_per_unit_kg", "Escribe un número"),
        ({"weight_per_unit_kg": ""}, "weight_per_unit_kg", "Escribe el peso"),
        ({"price": "0"}, "price", "El precio tiene que ser mayor que cero."),
        ({"price": "12.345"}, "price", "Usa como máximo dos decimales."),
        ({"price": ""}, "price", "Escribe el precio en soles."),
        ({"price": "99999999"}, "price", "demasiado alto"),
        ({"shelf_life_days": "0"}, "shelf_life_days", "Entre 1 y 3650 días."),
    ],
)
def test_product_errors_are_shown_at_their_field(client, promoter, changes, field, message):
    response = client.post("/producer/products/new", data=product_form(**changes))
    assert response.status_code == 400
    assert message in error_at(response.get_data(as_text=True), field)
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_weight_accepts_a_decimal_comma(client, promoter):
    client.post("/producer/products/new", data=product_form(weight_per_unit_kg="0,5"))
    assert db.session.scalar(sa.select(Product.weight_per_unit_kg)) == Decimal("0.500")


def test_create_a_product_with_a_photo(app, client, promoter):
    data = product_form()
    data["photo"] = (io.BytesIO(jpeg_bytes(gps=True)), "queso.jpg")
    response = client.post("/producer/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    product = db.session.scalar(sa.select(Product))
    assert product.image and uploads(app) == sorted(
        [f"{product.image}-medium.webp", f"{product.image}-thumb.webp"]
    )


def test_a_bad_photo_keeps_the_product_from_being_created(app, client, promoter):
    data = product_form()
    data["photo"] = (io.BytesIO(b"<svg></svg>"), "queso.svg")
    response = client.post("/producer/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "no es una foto" in error_at(response.get_data(as_text=True), "photo")
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0
    assert uploads(app) == []


def test_edit_a_product(client, promoter):
    product = ProductFactory(association=promoter.association, name="Queso andino")
    db.session.commit()
    html = client.get(f"/producer/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="Queso andino"' in html and 'value="28.00"' in html
    response = client.post(
        f"/producer/products/{product.id}/edit",
        data=product_form(name="Queso andino madurado", price="32", active=None),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert product.name == "Queso andino madurado"
    assert product.price_cents == 3200
    assert product.active is False
    assert product.slug.startswith("producto-")  # the public address does not change


def test_edit_errors_are_shown_at_their_field(client, promoter):
    product = ProductFactory(association=promoter.association)
    db.session.commit()
    response = client.post(
        f"/producer/products/{product.id}/edit", data=product_form(weight_per_unit_kg="0")
    )
    assert response.status_code == 400
    assert "mayor que cero" in error_at(response.get_data(as_text=True), "weight_per_unit_kg")


def test_a_new_photo_replaces_the_old_one(app, client, promoter):
    product = ProductFactory(association=promoter.association)
    db.session.commit()

    def post_with_photo():
        data = product_form(name=product.name)
        data["photo"] = (io.BytesIO(jpeg_bytes(photo_like(400, 300))), "q.jpg")
        return client.post(
            f"/producer/products/{product.id}/edit",
            data=data,
            content_type="multipart/form-data",
        )

    assert post_with_photo().status_code == 303
    db.session.expire_all()
    first = product.image
    assert post_with_photo().status_code == 303
    db.session.expire_all()
    assert product.image != first
    assert uploads(app) == sorted([f"{product.image}-medium.webp", f"{product.image}-thumb.webp"])
    # Saving without a photo keeps the current one.
    assert (
        client.post(
            f"/producer/products/{product.id}/edit", data=product_form(name=product.name)
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert product.image is not None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/producer/products/{id}/edit"),
        ("POST", "/producer/products/{id}/edit"),
        ("GET", "/producer/products/{id}/stock"),
        ("POST", "/producer/products/{id}/stock"),
        ("GET", "/producer/products/{id}/stock/history"),
    ],
)
def test_another_associations_product_is_a_404(client, promoter, other_association, method, path):
    product = ProductFactory(association=other_association, name="Maíz chullpi")
    db.session.commit()
    data = product_form(name="Robado") if method == "POST" else None
    response = client.open(path.format(id=product.id), method=method, data=data)
    assert response.status_code == 404
    db.session.expire_all()
    assert product.name == "Maíz chullpi"


@pytest.mark.parametrize(
    "path",
    [
        "/producer/",
        "/producer/profile",
        "/producer/story",
        "/producer/photos",
        "/producer/delivery",
        "/producer/products",
        "/producer/products/new",
    ],
)
def test_every_page_has_one_h1_and_labelled_fields(client, promoter, path):
    html = client.get(path).get_data(as_text=True)
    assert html.count("<h1") == 1
    for input_id in ("district", "story_people", "alt_text", "lead_days", "name"):
        if f'id="{input_id}"' in html:
            assert f'for="{input_id}"' in html


def test_at_most_twelve_photos(app, client, promoter):
    for n in range(12):
        db.session.add(
            AssociationPhoto(
                association_id=promoter.association_id, image=f"{n:032x}", alt_text="x"
            )
        )
    db.session.commit()
    response = post_photo(client, jpeg_bytes(photo_like(300, 200)))
    assert response.status_code == 400
    assert "hasta 12 fotos" in error_at(response.get_data(as_text=True), "photo")
    assert uploads(app) == []  # the refused upload's files are not kept
    assert photos_stored() == 12
