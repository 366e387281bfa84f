import sqlalchemy as sa
from PIL import Image

from marketplace.extensions import db
from marketplace.models import AssociationPhoto, DeliveryRule
from marketplace.services.photos import store_image
from tests.authz import PROMOTER_ONLY, PROMOTER_RECORD, Route


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


ROUTES = [
    Route("producer.index", PROMOTER_ONLY),
    Route("producer.profile", PROMOTER_ONLY),
    Route("producer.profile", PROMOTER_ONLY, method="POST"),
    Route("producer.story", PROMOTER_ONLY),
    Route("producer.story", PROMOTER_ONLY, method="POST"),
    Route("producer.photos", PROMOTER_ONLY),
    Route("producer.photos", PROMOTER_ONLY, method="POST"),
    Route("producer.photo_delete", PROMOTER_RECORD, method="POST", kwargs=photo),
    Route("producer.delivery", PROMOTER_ONLY),
    Route("producer.delivery", PROMOTER_ONLY, method="POST"),
    Route("producer.delivery_edit", PROMOTER_RECORD, kwargs=rule),
    Route("producer.delivery_edit", PROMOTER_RECORD, method="POST", kwargs=rule),
    Route("producer.delivery_delete", PROMOTER_RECORD, method="POST", kwargs=rule),
    Route("producer.products", PROMOTER_ONLY),
    Route("producer.product_new", PROMOTER_ONLY),
    Route("producer.product_new", PROMOTER_ONLY, method="POST"),
    Route("producer.product_edit", PROMOTER_RECORD, kwargs=product),
    Route("producer.product_edit", PROMOTER_RECORD, method="POST", kwargs=product),
    Route("producer.stock", PROMOTER_RECORD, kwargs=product),
    Route("producer.stock", PROMOTER_RECORD, method="POST", kwargs=product),
    Route("producer.stock_history", PROMOTER_RECORD, kwargs=product),
]
