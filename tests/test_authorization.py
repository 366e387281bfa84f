"""The route x role matrix: every route in the URL map answers each role as expected."""

import importlib
import pkgutil
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import url_for

from bench.load import form_for
from marketplace.extensions import db
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.services.stock import move_stock
from tests import authz
from tests.authz import LOGIN, OK, ROLES
from tests.conftest import text
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


@pytest.fixture
def app_config(stripe_config):
    """Cards on, against the local Stripe fakes, so the card routes can really pay."""
    return stripe_config


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
    w.product = ProductFactory(association=w.association, slug="andino", samples_offered=True)
    w.other_product = ProductFactory(association=w.other_association, slug="chullpi")
    db.session.flush()
    for product in (w.product, w.other_product):
        # Plenty: routes make fresh orders of their own.
        move_stock(db.session, product.id, Decimal("500"), REASON_PRODUCTION)
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


def flashed_errors(client) -> list[str]:
    """Error messages the last answer left for the next page (a refusal behind a redirect)."""
    with client.session_transaction() as session:
        return [message for category, message in session.get("_flashes", []) if category == "error"]


def page_errors(response) -> list[str]:
    """The error messages a refused form shows (to say why an allowed request failed)."""
    html = response.get_data(as_text=True)
    found = re.findall(r'class="error"[^>]*>(.*?)</(?:p|div)>', html, re.S)
    return [text(message).strip() for message in found if text(message).strip()]


def answer_matches(expected, response, client) -> bool:
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        return status == 302 and "/login" in location
    if expected == OK:
        if status in (301, 302, 303) and "/login" in location:
            return False
        if response.request.method == "POST" and page_errors(response):
            return False  # a form shown again with its errors, even with a 200
        return 200 <= status < 400 and not flashed_errors(client)
    return status == expected


def form_data(client, url: str, page_url: str | None, data: dict) -> dict:
    """What a browser would post: the page's form for this URL, if any, with `data` on top."""
    if page_url is None:
        return data
    page = client.get(page_url)
    if page.status_code != 200:
        return data  # a role that may not see the page sends only the fields themselves
    fields = form_for(page.get_data(as_text=True), urlsplit(url).path, urlsplit(page_url).path)
    return {**(fields or {}), **data}


@pytest.mark.parametrize("role", ROLES)
def test_route_answers_for_role(app, role):
    world = build_world()

    def session_cookie():
        """A new login of the role: routes that end the session each get their own."""
        login_client = app.test_client()
        if role != "anon":
            response = login_client.post(
                "/login", data={"email": world.users[role].email, "password": PASSWORD}
            )
            assert response.status_code == 303, f"{role} could not log in"
        return login_client.get_cookie("session")

    cookie = session_cookie()
    wrong = []
    for route in sorted(all_routes(), key=lambda r: r.last):
        if route.last:
            cookie = session_cookie()
        client = app.test_client()
        if cookie is not None:
            client.set_cookie("session", cookie.value)
        with app.test_request_context():
            url = url_for(route.endpoint, **route.kwargs(world))
            page_url = route.page(world) if route.page else None
            data = route.data(world) if route.data else {}
        db.session.commit()  # records the route made for itself, visible to the request
        data = form_data(client, url, page_url, data)
        response = client.open(url, method=route.method, data=data)
        expected = route.expected[role]
        if not answer_matches(expected, response, client):
            wrong.append(
                f"{route.method} {url} ({route.endpoint}) as {role}: expected {expected}, "
                f"got {response.status_code} {response.headers.get('Location', '')} "
                f"{flashed_errors(client) if response.status_code < 400 else page_errors(response)}"
            )
        db.session.rollback()
    assert not wrong, "\n".join(wrong)
