"""After signing in each role lands on its page for the day, unless a safe `next` says
where the person was going."""

import pytest

from marketplace.extensions import db
from tests.factories import PASSWORD, BuyerUserFactory, PromoterFactory, StaffFactory


@pytest.fixture
def users(app):
    made = {
        "buyer": BuyerUserFactory(),
        "promoter": PromoterFactory(),
        "staff": StaffFactory(),
    }
    db.session.commit()
    return made


def login(client, user, next_url=None):
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(url, data={"email": user.email, "password": PASSWORD})


@pytest.mark.parametrize(
    ("role", "landing"),
    [("promoter", "/producer/home"), ("buyer", "/buyer/"), ("staff", "/staff/")],
)
def test_each_role_lands_on_its_page_for_the_day(client, users, role, landing):
    response = login(client, users[role])
    assert response.status_code == 303
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200
    assert client.get("/login").headers["Location"] == landing  # already signed in


def test_a_promoter_follows_a_safe_next(client, users):
    response = login(client, users["promoter"], next_url="/producer/orders")
    assert response.headers["Location"] == "/producer/orders"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_a_promoter_ignores_a_foreign_next(client, users, target):
    response = login(client, users["promoter"], next_url=target)
    assert response.headers["Location"] == "/producer/home"
