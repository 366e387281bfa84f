import io

import sqlalchemy as sa
from flask import url_for
from PIL import Image

from marketplace.extensions import db
from marketplace.models import AssociationPhoto, DeliveryRule
from marketplace.services.photos import store_image
from tests.authz import PROMOTER_ONLY, PROMOTER_RECORD, Route
from tests.test_photos import jpeg_bytes, photo_like


def extend(world):
    """A photo for the promoter's association; its delivery rule, which the world made."""
    stem = store_image(Image.new("RGB", (400, 300), (47, 93, 58)))
    world.association_photo = AssociationPhoto(
        association_id=world.association.id, image=stem, alt_text="Socias en la quesería"
    )
    db.session.add(world.association_photo)
    db.session.flush()
    world.delivery_rule = db.session.scalar(
        sa.select(DeliveryRule).where(DeliveryRule.association_id == world.association.id)
    )


def photo(w):
    return {"photo_id": w.association_photo.id}


def rule(w):
    return {"rule_id": w.delivery_rule.id}


def product(w):
    return {"product_id": w.product.id}


def lima_rule(w):
    """A rule for Lima (the one the delivery form adds), to be removed."""
    rule = db.session.scalar(
        sa.select(DeliveryRule).where(
            DeliveryRule.association_id == w.association.id, DeliveryRule.city == "lima"
        )
    )
    if rule is None:
        rule = DeliveryRule(association_id=w.association.id, city="lima", weekdays="3", lead_days=2)
        db.session.add(rule)
        db.session.flush()
    return {"rule_id": rule.id}


def photo_upload(w) -> dict:
    return {
        "photo": (io.BytesIO(jpeg_bytes(photo_like(800, 600))), "queseria.jpg"),
        "alt_text": "Socias moldeando queso en la quesería",
    }


def new_product(w) -> dict:
    return {
        "name": "Queso madurado",
        "category": "cheese",
        "variety": "madurado",
        "description": "Madurado 40 días en Ocongate.",
        "unit": "kg",
        "weight_per_unit_kg": "1",
        "price": "32.00",
        "shelf_life_days": "60",
        "active": "y",
    }


def page(endpoint, kwargs=lambda w: {}):
    """The page of `endpoint`: its form is sent as the promoter would send it."""
    return lambda w: url_for(endpoint, **kwargs(w))


ROUTES = [
    Route("producer.index", PROMOTER_ONLY),
    Route("producer.profile", PROMOTER_ONLY),
    Route("producer.profile", PROMOTER_ONLY, method="POST", page=page("producer.profile")),
    Route("producer.story", PROMOTER_ONLY),
    Route(
        "producer.story",
        PROMOTER_ONLY,
        method="POST",
        data=lambda w: {
            "story_people": "Treinta familias de Ocongate, a 3,800 m.",
            "story_practice": "Leche de vacas criollas, cuajo natural.",
            "story_benefit": "Un ingreso fijo cada semana para cada familia.",
        },
    ),
    Route("producer.photos", PROMOTER_ONLY),
    Route("producer.photos", PROMOTER_ONLY, method="POST", data=photo_upload),
    Route("producer.photo_delete", PROMOTER_RECORD, method="POST", kwargs=photo),
    Route("producer.delivery", PROMOTER_ONLY),
    Route(
        "producer.delivery",
        PROMOTER_ONLY,
        method="POST",
        data=lambda w: {"city": "lima", "weekdays": ["2", "4"], "lead_days": "3"},
    ),
    Route("producer.delivery_edit", PROMOTER_RECORD, kwargs=rule),
    Route(
        "producer.delivery_edit",
        PROMOTER_RECORD,
        method="POST",
        kwargs=rule,
        data=lambda w: {"city": "cusco", "weekdays": ["1", "2", "3", "4", "5"], "lead_days": "1"},
    ),
    Route("producer.delivery_delete", PROMOTER_RECORD, method="POST", kwargs=lima_rule),
    Route("producer.products", PROMOTER_ONLY),
    Route("producer.product_new", PROMOTER_ONLY),
    Route("producer.product_new", PROMOTER_ONLY, method="POST", data=new_product),
    Route("producer.product_edit", PROMOTER_RECORD, kwargs=product),
    Route(
        "producer.product_edit",
        PROMOTER_RECORD,
        method="POST",
        kwargs=product,
        page=page("producer.product_edit", product),
        data=lambda w: {"description": "Queso fresco de Ocongate, de leche del día."},
    ),
    Route("producer.stock", PROMOTER_RECORD, kwargs=product),
    Route(
        "producer.stock",
        PROMOTER_RECORD,
        method="POST",
        kwargs=product,
        data=lambda w: {"quantity": "5", "produce": "y"},
    ),
    Route("producer.stock_history", PROMOTER_RECORD, kwargs=product),
]
