"""The route x role matrix: every route in the URL map answers each role as expected."""

import importlib
import pkgutil
from decimal import Decimal
from types import SimpleNamespace

import pytest

from marketplace.extensions import db
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services.stock import move_stock
from tests import authz
from tests.authz import LOGIN, OK, ROLES
from tests.factories import (
    PASSWORD,
    AssociationFactory,
    BuyerAddressFactory,
    BuyerUserFactory,
    DeliveryRuleFactory,
    ProductFactory,
    PromoterFactory,
    StaffFactory,
)

SKIPPED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def route_modules():
    for info in pkgutil.iter_modules(authz.__path__):
        yield importlib.import_module(f"tests.authz.{info.name}")


def all_routes():
    return [route for module in route_modules() for route in module.ROUTES]


def build_world():
    """Two tenants on each side, so that 'another tenant's record' can be asked for."""
    w = SimpleNamespace()
    w.association = AssociationFactory(slug="sumaq-test", name="Sumaq Test")
    w.other_association = AssociationFactory(slug="huaroq-test", name="Huaroq Test")
    for assoc in (w.association, w.other_association):
        DeliveryRuleFactory(association=assoc, city="cusco", weekdays="12345", lead_days=1)
    w.product = ProductFactory(association=w.association, slug="andino")
    w.other_product = ProductFactory(association=w.other_association, slug="chullpi")
    db.session.flush()
    for product in (w.product, w.other_product):
        move_stock(db.session, product.id, Decimal("50"), REASON_PRODUCTION)
    w.users = {
        "buyer": BuyerUserFactory(email="buyer@example.pe"),
        "other_buyer": BuyerUserFactory(email="other-buyer@example.pe"),
        "promoter": PromoterFactory(email="promoter@example.pe", association=w.association),
        "other_promoter": PromoterFactory(
            email="other-promoter@example.pe", association=w.other_association
        ),
        "staff": StaffFactory(email="staff@example.pe"),
    }
    w.buyer = w.users["buyer"].buyer
    w.other_buyer = w.users["other_buyer"].buyer
    w.address = BuyerAddressFactory(buyer=w.buyer)
    w.other_address = BuyerAddressFactory(buyer=w.other_buyer)
    db.session.flush()
    for module in route_modules():
        if hasattr(module, "extend"):
            module.extend(w)
    db.session.commit()
    return w


def test_every_route_has_expectations(app):
    described = {(r.endpoint, r.method) for r in all_routes()}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            if (rule.endpoint, method) not in described:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes with no expected answers:\n" + "\n".join(missing)


def answer_matches(expected, response) -> bool:
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        return status == 302 and "/login" in location
    if expected == OK:
        if status in (301, 302, 303) and "/login" in location:
            return False
        return status < 400 or status in (400, 409, 422)
    return status == expected


@pytest.mark.parametrize("role", ROLES)
def test_route_answers_for_role(app, role):
    world = build_world()
    login_client = app.test_client()
    if role != "anon":
        response = login_client.post(
            "/login", data={"email": world.users[role].email, "password": PASSWORD}
        )
        assert response.status_code == 303, f"{role} could not log in"
    cookie = login_client.get_cookie("session")
    wrong = []
    for route in all_routes():
        client = app.test_client()
        if cookie is not None:
            client.set_cookie("session", cookie.value)
        with app.test_request_context():
            from flask import url_for

            url = url_for(route.endpoint, **route.kwargs(world))
        data = route.data(world) if route.data else {}
        response = client.open(url, method=route.method, data=data)
        expected = route.expected[role]
        if not answer_matches(expected, response):
            wrong.append(
                f"{route.method} {url} ({route.endpoint}) as {role}: expected {expected}, "
                f"got {response.status_code} {response.headers.get('Location', '')}"
            )
        db.session.rollback()
    assert not wrong, "\n".join(wrong)
