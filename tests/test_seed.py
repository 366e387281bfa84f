"""`flask seed-demo`: the field facts load once, and a second run changes nothing."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.demo import BUYERS, DEMO_PASSWORD, STAFF_EMAIL
from marketplace.extensions import db
from marketplace.models import (
    Association,
    AssociationPhoto,
    Buyer,
    BuyerAddress,
    DeliveryRule,
    Product,
    StockMovement,
    User,
)
from marketplace.services.photos import image_path
from marketplace.services.ruc import is_valid_ruc
from marketplace.services.stock import ledger_balance, ledger_mismatches

COUNTED = (Association, AssociationPhoto, DeliveryRule, Product, StockMovement, Buyer, User)
COUNTED += (BuyerAddress,)


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in COUNTED
    }


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def by_slug(slug: str) -> Association:
    return db.session.scalar(sa.select(Association).where(Association.slug == slug))


def test_second_run_creates_nothing(seeded, runner):
    first = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "created" not in again.output
    assert "found association Sumaq Ausangate" in again.output
    db.session.expire_all()
    assert counts() == first


def test_the_two_associations_with_their_facts(seeded):
    sumaq, huaroq = by_slug("sumaq-ausangate"), by_slug("huaroq-sara")
    assert (sumaq.name, sumaq.district, sumaq.province) == (
        "Sumaq Ausangate",
        "Ocongate",
        "Quispicanchi",
    )
    assert sumaq.member_families == 30 and sumaq.founded_year <= 2008
    assert (huaroq.name, huaroq.district, huaroq.member_families) == ("Huaroq Sara", "Huaro", 11)
    assert huaroq.founded_year <= 2015
    for association in (sumaq, huaroq):
        assert association.is_verified and association.ruc_verified_at is not None
        assert is_valid_ruc(association.ruc)
        assert association.story_people and association.story_practice
        assert association.story_benefit
        assert {rule.city for rule in association.delivery_rules} == {"cusco", "lima"}
        assert len(association.photos) >= 1
        assert all(photo.alt_text for photo in association.photos)
    assert sumaq.sanitary_registration and sumaq.sanitary_verified_at is not None
    assert "Ocongate" in sumaq.story_people and "30 familias" in sumaq.story_people
    assert {user.email for user in sumaq.promoters} == {"promotor.queso@qhatu.pe"}
    assert {user.email for user in huaroq.promoters} == {"promotor.maiz@qhatu.pe"}


def test_seven_varieties_with_stock_from_the_ledger(seeded, app):
    products = db.session.scalars(sa.select(Product)).all()
    varieties = {(p.association.slug, p.variety) for p in products}
    assert varieties == {
        ("sumaq-ausangate", "andino"),
        ("sumaq-ausangate", "madurado"),
        ("sumaq-ausangate", "tipo paria"),
        ("sumaq-ausangate", "mozzarella"),
        ("sumaq-ausangate", "pizzero"),
        ("huaroq-sara", "blanco gigante"),
        ("huaroq-sara", "chullpi"),
    }
    paria = next(p for p in products if p.variety == "tipo paria")
    assert (paria.unit, paria.weight_per_unit_kg) == ("piece", Decimal("0.800"))
    assert {p.unit for p in products if p.category == "maize"} == {"kg", "sack50"}
    for product in products:
        assert product.stock_on_hand > 0
        assert product.stock_on_hand == ledger_balance(db.session, product.id)
        assert product.price_cents > 0
        assert image_path(product.image, "medium").exists()
    assert ledger_mismatches(db.session) == []


def test_seven_buyers_each_with_an_address_and_a_user(seeded):
    buyers = db.session.scalars(sa.select(Buyer)).all()
    assert len(buyers) == 7
    assert {b.city for b in buyers} == {"cusco", "lima"}
    assert {b.kind for b in buyers} == {"hotel", "restaurant", "cafe", "shop"}
    assert any(b.is_verified for b in buyers) and not all(b.is_verified for b in buyers)
    for buyer in buyers:
        assert is_valid_ruc(buyer.ruc)
        assert buyer.addresses and buyer.users


def test_demo_accounts_can_log_in(seeded, client, auth):
    homes = {STAFF_EMAIL: "/staff/"}
    homes |= {
        email: "/producer/home" for email in ("promotor.queso@qhatu.pe", "promotor.maiz@qhatu.pe")
    }
    homes |= {spec.user_email: "/buyer/" for spec in BUYERS}
    for email, home in homes.items():
        response = auth.login(email, DEMO_PASSWORD)
        assert (response.status_code, response.headers["Location"]) == (303, home), email
        auth.logout()
