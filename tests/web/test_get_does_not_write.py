"""A page that only shows never commits: GET /buyer/cart reads the cart and nothing more."""

import pytest
import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.models import Cart
from tests.factories import ordering_world


@pytest.fixture
def commits():
    seen: list[int] = []

    def count(session):
        if has_request_context():  # the test client commits the test's own session first
            seen.append(1)

    event.listen(Session, "after_commit", count)
    yield seen
    event.remove(Session, "after_commit", count)


def test_showing_a_cart_commits_nothing(app, client, auth, commits):
    w = ordering_world()
    db.session.commit()
    auth.login(w.buyer_user)
    client.post("/buyer/cart/items", data={"product_id": w.cheese.id, "quantity": "2", "next": "/"})
    token = db.session.scalar(sa.select(Cart.checkout_token))
    assert token
    commits.clear()
    assert client.get("/buyer/cart").status_code == 200
    assert client.get("/buyer/cart").status_code == 200
    assert commits == []
    assert token in client.get("/buyer/cart").get_data(as_text=True)
    # A cart without a token (made before every cart had one) is shown without a write too;
    # the migration rn01_cart_tokens gives such carts their token.
    db.session.execute(sa.update(Cart).values(checkout_token=None))
    db.session.commit()
    commits.clear()
    assert client.get("/buyer/cart").status_code == 200
    assert commits == []
