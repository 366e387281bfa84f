from flask import url_for

from marketplace.extensions import db
from tests.authz import BUYER_ONLY, BUYER_RECORD, Route
from tests.factories import BuyerAddressFactory, BuyerUserFactory


def extend(world):
    """A colleague with a pending invitation and a second address, both of `world.buyer`."""
    world.colleague = BuyerUserFactory(
        buyer=world.buyer, email="colega@example.pe", password_hash=None
    )
    world.spare_address = BuyerAddressFactory(buyer=world.buyer, label="Almacén")
    db.session.flush()


ROUTES = [
    Route("buyer.index", BUYER_ONLY),
    Route(
        "buyer.invite_colleague",
        BUYER_ONLY,
        method="POST",
        data=lambda w: {"name": "Lucía Mamani", "email": "lucia@example.pe"},
    ),
    Route(
        "buyer.reissue_invite",
        BUYER_RECORD,
        method="POST",
        kwargs=lambda w: {"user_id": w.colleague.id},
    ),
    Route(
        "buyer.deactivate_colleague",
        BUYER_RECORD,
        method="POST",
        kwargs=lambda w: {"user_id": w.colleague.id},
    ),
    Route(
        "buyer.add_address",
        BUYER_ONLY,
        method="POST",
        data=lambda w: {"label": "Barra", "address": "Calle Suecia 300, Cusco", "city": "cusco"},
    ),
    Route("buyer.edit_address", BUYER_RECORD, kwargs=lambda w: {"address_id": w.address.id}),
    Route(
        "buyer.edit_address",
        BUYER_RECORD,
        method="POST",
        kwargs=lambda w: {"address_id": w.address.id},
        page=lambda w: url_for("buyer.edit_address", address_id=w.address.id),
        data=lambda w: {"notes": "Tocar el timbre de la cocina"},
    ),
    Route(
        "buyer.deactivate_address",
        BUYER_RECORD,
        method="POST",
        kwargs=lambda w: {"address_id": w.spare_address.id},
    ),
]
