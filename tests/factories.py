"""factory_boy factories for the models; records are flushed, the test commits if it needs."""

from decimal import Decimal
from functools import lru_cache

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from marketplace.extensions import db
from marketplace.models import (
    Association,
    Buyer,
    BuyerAddress,
    DeliveryRule,
    Product,
    User,
)
from marketplace.services.ruc import make_ruc
from marketplace.types import utcnow

PASSWORD = "correct horse battery"


@lru_cache
def password_hash() -> str:
    return generate_password_hash(PASSWORD, method="scrypt:1024:8:1")  # as conftest's config


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AssociationFactory(Base):
    class Meta:
        model = Association

    slug = factory.Sequence(lambda n: f"asociacion-{n}")
    name = factory.Sequence(lambda n: f"Asociación {n}")
    tagline = "Queso andino de Ocongate"
    district = "Ocongate"
    province = "Quispicanchi"
    region = "Cusco"
    member_families = 30
    founded_year = 2008
    story_people = "Treinta familias ganaderas."
    story_practice = "Leche fresca de cada mañana."
    story_benefit = "Ingresos estables para las familias."
    ruc = factory.Sequence(lambda n: make_ruc(f"20{n:08d}"))
    min_order_cents = 0
    verified_at = factory.LazyFunction(utcnow)


class DeliveryRuleFactory(Base):
    class Meta:
        model = DeliveryRule

    association = factory.SubFactory(AssociationFactory)
    city = "cusco"
    weekdays = "25"
    lead_days = 2


class ProductFactory(Base):
    class Meta:
        model = Product

    association = factory.SubFactory(AssociationFactory)
    slug = factory.Sequence(lambda n: f"producto-{n}")
    name = factory.Sequence(lambda n: f"Queso andino {n}")
    category = "cheese"
    variety = "andino"
    description = "Queso fresco de leche de vaca."
    unit = "kg"
    weight_per_unit_kg = Decimal("1")
    price_cents = 2800
    stock_on_hand = Decimal("0")  # add stock through services.stock.move_stock
    samples_offered = False
    shelf_life_days = 20
    active = True


class BuyerFactory(Base):
    class Meta:
        model = Buyer

    legal_name = factory.Sequence(lambda n: f"Restaurante Demo {n} S.A.C.")
    trade_name = factory.Sequence(lambda n: f"Restaurante {n}")
    ruc = factory.Sequence(lambda n: make_ruc(f"20{60000000 + n:08d}"))
    kind = "restaurant"
    city = "cusco"
    verified_at = factory.LazyFunction(utcnow)


class BuyerAddressFactory(Base):
    class Meta:
        model = BuyerAddress

    buyer = factory.SubFactory(BuyerFactory)
    label = "Cocina"
    address = "Calle Plateros 123, Cusco"
    city = "cusco"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.pe")
    name = factory.Sequence(lambda n: f"Usuario {n}")
    password_hash = factory.LazyFunction(password_hash)
    role = "staff"


class BuyerUserFactory(UserFactory):
    role = "buyer"
    buyer = factory.SubFactory(BuyerFactory)


class PromoterFactory(UserFactory):
    role = "promoter"
    association = factory.SubFactory(AssociationFactory)


class StaffFactory(UserFactory):
    role = "staff"


# Ordering -----------------------------------------------------------------------------


def add_stock(product, quantity) -> None:
    """Put stock on the shelf through the ledger, as a promoter's production would."""
    from marketplace.models.catalog import REASON_PRODUCTION
    from marketplace.services.stock import move_stock

    db.session.flush()
    move_stock(db.session, product.id, Decimal(str(quantity)), REASON_PRODUCTION)


def ordering_world(stock="50", min_order_cents=0):
    """Two associations delivering to Cusco on weekdays, a product each, a buyer and promoters."""
    from types import SimpleNamespace

    w = SimpleNamespace()
    w.cheese_assoc = AssociationFactory(name="Sumaq Ausangate", min_order_cents=min_order_cents)
    w.maize_assoc = AssociationFactory(name="Huaroq Sara", district="Huaro")
    for assoc in (w.cheese_assoc, w.maize_assoc):
        DeliveryRuleFactory(association=assoc, city="cusco", weekdays="12345", lead_days=1)
    w.cheese = ProductFactory(
        association=w.cheese_assoc, name="Queso andino", price_cents=2850, samples_offered=True
    )
    w.maize = ProductFactory(
        association=w.maize_assoc,
        name="Maíz chullpi",
        category="maize",
        variety="chullpi",
        price_cents=1290,
    )
    for product in (w.cheese, w.maize):
        add_stock(product, stock)
    w.buyer_user = BuyerUserFactory(email="chef@example.pe")
    w.buyer = w.buyer_user.buyer
    w.address = BuyerAddressFactory(buyer=w.buyer)
    w.other_buyer_user = BuyerUserFactory(email="otro@example.pe")
    w.other_address = BuyerAddressFactory(buyer=w.other_buyer_user.buyer)
    w.promoter = PromoterFactory(email="promotora@example.pe", association=w.cheese_assoc)
    w.maize_promoter = PromoterFactory(email="maiz@example.pe", association=w.maize_assoc)
    db.session.flush()
    return w


def place_order(user, address, items, token=None, when=None):
    """Check out `items` [(product, quantity)] for `user` on the first date offered."""
    from marketplace.services import delivery, ordering

    choices = {}
    for product, _ in items:
        day = when or delivery.offered_dates(db.session, product.association_id, address.city)[0]
        choices[product.association_id] = ordering.DeliveryChoice(day, address.id)
    lines = [ordering.LineRequest(p.id, Decimal(str(q))) for p, q in items]
    return ordering.checkout(db.session, user, lines, choices, token or ordering.new_token())


# Agreements and standing orders -------------------------------------------------------


def make_agreement(buyer, association, prices=None, **fields):
    """An agreement accepted by both sides (active unless `status` says otherwise)."""
    from datetime import date

    from marketplace.models import Agreement, AgreementPrice

    now = utcnow()
    values = {
        "status": "active",
        "start_date": date(2020, 1, 1),
        "committed_kg_per_month": Decimal("100"),
        "buyer_accepted_at": now,
        "association_accepted_at": now,
    }
    values.update(fields)
    agreement = Agreement(buyer_id=buyer.id, association_id=association.id, **values)
    for product, cents in (prices or {}).items():
        agreement.prices.append(AgreementPrice(product_id=product.id, price_cents=cents))
    db.session.add(agreement)
    db.session.flush()
    return agreement


def make_standing_order(buyer_user, address, lines, **fields):
    """A weekly standing order (Tuesdays and Fridays by default) made long ago."""
    from datetime import UTC, date, datetime

    from marketplace.models import StandingOrder, StandingOrderLine

    long_ago = datetime(2019, 1, 1, tzinfo=UTC)
    product = lines[0][0]
    values = {
        "schedule_kind": "weekly",
        "weekdays": "25",
        "every_weeks": 1,
        "start_date": date(2020, 1, 6),
        "status": "active",
        "created_at": long_ago,
        "updated_at": long_ago,
        "rescheduled_at": long_ago,
    }
    values.update(fields)
    standing_order = StandingOrder(
        buyer_id=buyer_user.buyer_id,
        association_id=product.association_id,
        address_id=address.id,
        created_by_id=buyer_user.id,
        **values,
    )
    for product, quantity in lines:
        standing_order.lines.append(
            StandingOrderLine(
                product_id=product.id,
                quantity=Decimal(str(quantity)),
                last_notified_price_cents=product.price_cents,
            )
        )
    db.session.add(standing_order)
    db.session.flush()
    return standing_order
